"""Limits a scanner must meet, each default with where it comes from; overridable by station settings.

Sources: ISO 19264-1:2021 (imaging of cultural heritage, reflective originals) level C and FADGI 2023
(Technical Guidelines for Digitizing Cultural Heritage Materials) 2-star, as compared side by side in
published tables of both; the station's own rules where neither sets a number an office needs
(the Vietnamese rule asks a copy "at 100 % scale", hence a tighter scale limit than either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanstation.errors import SettingsError


@dataclass(frozen=True)
class Limit:
    name: str
    limit: float
    unit: str
    kind: str          # "max": |value| <= limit passes; "min": value >= limit passes
    source: str


DEFAULT_LIMITS: tuple[Limit, ...] = (
    Limit("scale_x_pct", 1.0, "%", "max",
          "station: Thông tư 02/2019/TT-BNV asks copies at 100 % scale (C8); ±1 % is what a careful print and "
          "a healthy sensor hold. ISO 19264-1 level C allows ±3 %, FADGI 2★ ±5 % of the sampling rate"),
    Limit("scale_y_pct", 1.0, "%", "max",
          "station: as scale_x_pct; in a feeder this is the transport (worn rollers shorten pages)"),
    Limit("skew_deg", 1.0, "°", "max",
          "station: a sheet fed straight turns less than 1° in a healthy feeder (issue 13); the page QC warns "
          "above the same"),
    Limit("tone_delta_L", 4.0, "ΔL*", "max", "ISO 19264-1 level C tone response ΔL* ≤ 4 (FADGI 2★: < 4.5)"),
    Limit("white_balance_delta_ab", 5.0, "Δa*b*", "max",
          "ISO 19264-1 level C white balance ΔE(a*b*) ≤ 5 (FADGI 2★: < 6)"),
    Limit("colour_delta_e_mean", 5.0, "ΔE00", "max",
          "ISO 19264-1 level C colour accuracy mean ΔE ≤ 5 (FADGI 2★: < 5)"),
    Limit("noise_L_rms", 2.2, "L*", "max", "ISO 19264-1 level C noise ≤ 2.2 L* RMS (FADGI 2★: < 3)"),
    Limit("sampling_efficiency_pct", 70.0, "%", "min",
          "ISO 19264-1 level C / FADGI 2★ sampling efficiency (MTF10 against Nyquist) ≥ 70 %"),
    Limit("uniformity_pct", 5.0, "%", "max", "FADGI 2★ illuminance non-uniformity < 5 %"),
    Limit("streak_delta_L", 2.0, "ΔL*", "max",
          "station: a line of 2 L* on white paper is visible on every page; fainter lines (from 1 L*) warn. "
          "Neither ISO 19264-1 nor FADGI sets a number"),
)

#: Below this a column difference is not reported as a streak at all (noise and paper texture).
STREAK_DETECT_DELTA_L = 1.0


@dataclass(frozen=True)
class Tolerances:
    limits: dict[str, Limit] = field(default_factory=lambda: {lim.name: lim for lim in DEFAULT_LIMITS})

    def __getitem__(self, name: str) -> Limit:
        return self.limits[name]

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None) -> Tolerances:
        """Defaults with the station setting ``calibration.tolerances`` (``{"scale_x_pct": 0.5, ...}``) on top.
        An unknown name or a value that is not a positive number raises ``SettingsError`` naming it."""
        base = {lim.name: lim for lim in DEFAULT_LIMITS}
        for k, v in (overrides or {}).items():
            if k not in base:
                raise SettingsError(f"calibration.tolerances: unknown limit '{k}'; valid: {', '.join(base)}",
                                    f"calibration.tolerances: không có giới hạn '{k}'; hợp lệ: {', '.join(base)}",
                                    field="calibration.tolerances")
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                raise SettingsError(f"calibration.tolerances.{k}: expected a positive number, got {v!r}",
                                    f"calibration.tolerances.{k}: cần một số dương, nhận được {v!r}",
                                    field="calibration.tolerances")
            lim = base[k]
            base[k] = Limit(k, float(v), lim.unit, lim.kind, "station setting calibration.tolerances")
        return cls(base)

    def to_dict(self) -> dict[str, Any]:
        return {k: {"limit": v.limit, "unit": v.unit, "kind": v.kind, "source": v.source}
                for k, v in self.limits.items()}
