"""Scanner profiles: presets a person saves (IT staff may lock them), mapped to a frozen ScanRequest.

A profile leaves a field ``None`` to mean "what the compliance profile and the device suggest":
colour, the recommended dpi (300) or the nearest the device offers at or above the minimum (200),
the duplex feeder when the device has one, A4 when it fits, double-feed detection on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from scanstation.compliance import ComplianceProfile
from scanstation.config import scanner_profile_problems
from scanstation.devices.base import MAX_AREA, Capabilities, RawOption, ScanRequest
from scanstation.errors import ScanProfileLocked, UnsupportedScanSetting


@dataclass(frozen=True)
class ScanProfile:
    name: str = "default"
    device: str = "virtual:demo"
    source: str | None = None
    dpi: int | None = None
    mode: str | None = None
    paper: str | None = None
    double_feed_detection: bool = True
    options: tuple[str, ...] = ()          # raw driver options, NAME=VALUE
    locked: bool = False                   # IT staff: clerks may not override anything at scan time

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScanProfile:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise UnsupportedScanSetting(f"Scanner profile has unknown fields: {', '.join(sorted(unknown))}",
                                         f"Hồ sơ máy quét có trường không hợp lệ: {', '.join(sorted(unknown))}",
                                         field="scanner.profiles")
        d = dict(d)
        d["options"] = tuple(d.get("options") or ())
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["options"] = list(self.options)
        return d


@dataclass(frozen=True)
class Overrides:
    """What a clerk asked for at scan time (CLI flags, UI choices); None = keep the profile's value."""

    device: str | None = None
    source: str | None = None
    dpi: int | None = None
    mode: str | None = None
    paper: str | None = None
    options: tuple[str, ...] = ()
    max_sheets: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def any(self) -> bool:
        return any(v not in (None, ()) for v in (self.device, self.source, self.dpi, self.mode, self.paper,
                                                   self.options or None))


def default_source(caps: Capabilities) -> str:
    for s in ("adf-duplex", "adf", "flatbed"):
        if s in caps.sources:
            return s
    raise UnsupportedScanSetting(f"{caps.device.id} reports no usable source",
                                 f"{caps.device.id} không có nguồn quét dùng được", field="source")


def default_dpi(caps: Capabilities, compliance: ComplianceProfile) -> int:
    if caps.dpi_allowed(compliance.recommended_dpi):
        return compliance.recommended_dpi
    above = sorted(d for d in caps.resolutions if d >= compliance.min_dpi)
    if above:
        return above[0]
    if caps.resolution_range and caps.resolution_range[1] >= compliance.min_dpi:
        return max(compliance.min_dpi, caps.resolution_range[0])
    raise UnsupportedScanSetting(
        f"{caps.device.id} cannot reach the {compliance.min_dpi} dpi the rules require",
        f"{caps.device.id} không đạt {compliance.min_dpi} dpi theo quy định", field="dpi")


def to_request(profile: ScanProfile, caps: Capabilities, compliance: ComplianceProfile,
               overrides: Overrides | None = None) -> ScanRequest:
    """Freeze a profile (plus allowed overrides) into the request the hardware gets."""
    ov = overrides or Overrides()
    check_profile(profile, compliance)
    if profile.locked and ov.any():
        raise ScanProfileLocked(
            f"Scanner profile '{profile.name}' is locked by IT staff; its settings cannot be changed at scan time",
            f"Cấu hình quét '{profile.name}' đã được cán bộ CNTT khóa, không thể thay đổi khi quét",
            field="scanner.profile")
    source = ov.source or profile.source or default_source(caps)
    dpi = ov.dpi or profile.dpi or default_dpi(caps, compliance)
    mode = ov.mode or profile.mode or ("color" if compliance.colour_required or "gray" not in caps.modes
                                       else "gray")
    paper = ov.paper or profile.paper or ("A4" if "A4" in caps.paper_sizes else MAX_AREA)
    options = tuple(RawOption.parse(o) for o in (*profile.options, *ov.options))
    return ScanRequest(device=caps.device.id, source=source, dpi=dpi, mode=mode, paper=paper,
                       double_feed_detection=profile.double_feed_detection, options=options,
                       max_sheets=ov.max_sheets)


def compliance_problems(dpi: int | None, mode: str | None, compliance: ComplianceProfile) -> list[str]:
    """Why these settings would not satisfy the rules (empty: fine). A saved profile must have none;
    an explicit one-off scan (IT testing a device) only gets them as warnings in its manifest."""
    return [en for en, _ in scanner_profile_problems(dpi, mode, compliance)]


PROFILE_BELOW_RULES = "SCANNER_PROFILE_BELOW_RULES"


def check_profile(profile: ScanProfile, compliance: ComplianceProfile) -> None:
    """A preset (saved, or edited into the settings file by hand) may not go below the rules: raise
    UnsupportedScanSetting (code SCANNER_PROFILE_BELOW_RULES) in English and Vietnamese. One-off
    settings below the rules are :class:`Overrides` and only warnings; they never reach here."""
    problems = scanner_profile_problems(profile.dpi, profile.mode, compliance)
    if problems:
        raise UnsupportedScanSetting(
            f"Scanner profile '{profile.name}' is below the compliance profile: "
            f"{'; '.join(en for en, _ in problems)}; IT staff must correct it in scanner.profiles",
            f"Cấu hình quét '{profile.name}' không đạt hồ sơ tuân thủ: {'; '.join(vi for _, vi in problems)}; "
            "cán bộ CNTT cần sửa lại trong scanner.profiles",
            field="scanner.profiles", code=PROFILE_BELOW_RULES)


def load_profiles(settings) -> dict[str, ScanProfile]:
    """Saved presets from the station settings (``scanner.profiles``), plus a built-in ``default``."""
    saved = settings.get("scanner.profiles") or {}
    out = {"default": ScanProfile(device=settings.get("scanner.device"))}
    for name, d in saved.items():
        out[name] = ScanProfile.from_dict({**d, "name": name})
    return out


def save_profile(settings, profile: ScanProfile) -> None:
    """IT staff only: ``scanner.profiles`` is a station-layer setting. Refuses presets the rules forbid."""
    check_profile(profile, settings.profile)
    saved = dict(settings.get("scanner.profiles") or {})
    d = profile.to_dict()
    d.pop("name")
    saved[profile.name] = d
    settings.set("scanner.profiles", saved, layer="station")


def get_profile(settings, name: str | None = None) -> ScanProfile:
    profiles = load_profiles(settings)
    name = name or settings.get("scanner.profile")
    try:
        return profiles[name]
    except KeyError:
        valid = ", ".join(sorted(profiles))
        raise UnsupportedScanSetting(f"Unknown scanner profile '{name}'; valid profiles: {valid}",
                                     f"Không có cấu hình quét '{name}'; các cấu hình hợp lệ: {valid}",
                                     field="scanner.profile") from None
