"""A scanner's calibration record and the calibration gate (issue 13).

``run`` scans the station's target through the station's own capture path (``devices.capture`` into a
temporary work area under the station home; the virtual scanner is given the printed target with
``sheet-image=``), both sides when the feed is duplex (the front and back sensors are different
hardware), measures each side with :func:`scanstation.calibrate.measure`, and stores one row per side
(``CalibrationRow``) with an audit event. ``set_baseline`` makes the last run the scanner's baseline:
later runs are measured against its patch values, and ``history`` shows each figure's drift from it.

``gate`` is called by :func:`scanstation.flow.capture.scan` right before the scanner moves: with the
setting ``calibration.required`` at ``warn`` or ``block``, a scanner whose last calibration failed, is
older than ``calibration.max_age_days`` or missing gets a warning or a refusal
(:class:`~scanstation.errors.ScannerNotCalibrated`) naming the scanner, the failed check and what to do.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scanstation.errors import ScannerNotCalibrated, ValidationError
from scanstation.flow.station import Station, station_home
from scanstation.model import new_id
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.store.tables import CalibrationRow
from scanstation.workarea import WorkArea

GATE_MODES = ("off", "warn", "block")
COMPONENT = "calibration"            # the temporary work area's only "component"
SIDE_VI = {"front": "mặt trước", "back": "mặt sau"}

#: A passing check is put on watch when its value has used this share of its limit (a trend before it fails).
WATCH_SHARE = 0.75
#: Checks whose limit is a minimum (value >= limit passes); watched when within 10 % above it.
MIN_CHECKS = ("sampling_efficiency_pct",)

#: What to do when a check fails: (English, Vietnamese).
ADVICE: dict[str, tuple[str, str]] = {
    "scale_x_pct": ("the width is off (sensor or driver resolution): check the driver's resolution setting; "
                    "if it stays, have the scanner serviced",
                    "chiều ngang bị sai tỉ lệ (cảm biến hoặc độ phân giải của trình điều khiển): kiểm tra thiết lập "
                    "độ phân giải; nếu vẫn sai, đưa máy đi bảo hành"),
    "scale_y_pct": ("the feed rollers slip (worn rollers shorten every page): clean or replace the rollers",
                    "con lăn nạp giấy bị trượt (con lăn mòn làm mọi trang ngắn lại): vệ sinh hoặc thay con lăn"),
    "skew_deg": ("sheets turn as they feed: set the paper guides, clean the rollers, replace the separation pad",
                 "giấy bị lệch khi nạp: chỉnh thanh gạt giấy, vệ sinh con lăn, thay tấm tách giấy"),
    "tone_delta_L": ("the tone response changed (an ageing lamp or changed driver colour settings): reset the "
                     "driver's colour settings and run the scanner's own calibration; replace the lamp if it stays",
                     "đáp ứng tông màu đã thay đổi (đèn lão hóa hoặc thiết lập màu bị đổi): đặt lại thiết lập màu, "
                     "chạy chức năng hiệu chỉnh của máy quét; thay đèn nếu vẫn lỗi"),
    "white_balance_delta_ab": ("a colour cast (a yellowing lamp): run the scanner's own white calibration; "
                               "replace the lamp if it stays",
                               "ảnh bị ám màu (đèn ngả vàng): chạy hiệu chỉnh trắng của máy quét; thay đèn nếu vẫn lỗi"),
    "colour_delta_e_mean": ("colours are off: reset the driver's colour settings and run the scanner's own "
                            "calibration",
                            "màu bị sai lệch: đặt lại thiết lập màu của trình điều khiển và chạy hiệu chỉnh của máy quét"),
    "noise_L_rms": ("the sensor is noisy: let the scanner warm up, check its cable and power; have it serviced "
                    "if it stays",
                    "cảm biến bị nhiễu: để máy khởi động đủ lâu, kiểm tra cáp và nguồn; đưa đi bảo hành nếu vẫn lỗi"),
    "sampling_efficiency_pct": ("images are blurred: clean the scanner glass; the optics may need service",
                                "ảnh bị mờ: lau kính máy quét; có thể cần bảo dưỡng quang học"),
    "uniformity_pct": ("the light is uneven across the page: clean the glass and the lamp window; the lamp may "
                       "be failing",
                       "ánh sáng không đều trên trang: lau kính và cửa đèn; đèn có thể sắp hỏng"),
    "streak_delta_L": ("a line runs down every page: clean the scanner glass of dust or correction fluid (in a "
                       "feeder, the glass strip under the paper path)",
                       "có vệt kẻ dọc trên mọi trang: lau sạch bụi hoặc bút xóa trên kính máy quét (với khay nạp: "
                       "dải kính dưới đường đi của giấy)"),
}


# --- a run ------------------------------------------------------------------------------------------
def run(station: Station, device: str, source: str | None = None, *, dpi: int | None = None,
        options: tuple[str, ...] = (), progress: Progress = NULL_PROGRESS,
        annotated: bool = False) -> dict[str, Any]:
    """Scan the target on ``device`` (both sides when ``source`` is ``adf-duplex``), measure, record.

    ``source`` defaults to the duplex feeder when the device has one, else the feeder, else the flatbed.
    ``options`` are raw driver options (the virtual scanner's ``defect=...`` simulates a drifting scanner).
    Each side is measured against the scanner's baseline for that side when one is set, else (virtual
    scanner) the target's design values, else without a reference (tone and colour then say ``skip``).
    A scan that cannot be measured (not the target, face down, cut off) raises its CalibrationError and
    records nothing but an audit event. Returns the stored run as plain data; with ``annotated`` each side
    also carries ``annotated_png``: PNG bytes of its scan with the findings drawn on it (the IT screen shows
    it; the scan itself is not kept).
    """
    from scanstation.calibrate import (
        CalibrationError,
        Reference,
        Tolerances,
        make_layout,
        measure,
        target_png,
    )
    from scanstation.devices import Overrides, ScanProfile, capabilities, open_scanner, to_request
    from scanstation.devices import capture as run_capture

    caps = capabilities(device)
    src = source or next((s for s in ("adf-duplex", "adf", "flatbed") if s in caps.sources), "")
    if src not in caps.sources:
        raise ValidationError(f"{caps.device.id} has no source '{src}' (sources: {', '.join(caps.sources)})",
                              f"{caps.device.id} không có nguồn quét '{src}'", field="source")
    layout = make_layout("A4")
    tolerances = Tolerances.from_overrides(station.settings.get("calibration.tolerances"))
    virtual = caps.device.driver == "virtual"
    baselines = _baselines(station, caps.device.id)
    base = station_home() / "calibration"
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    try:
        opts = tuple(options)
        if virtual and not any(o.split("=", 1)[0] == "sheet-image" for o in opts):
            png = tmp / "target.png"                   # the virtual feeder holds the printed target
            png.write_bytes(target_png(layout))
            opts += (f"sheet-image={png}",)
        request = to_request(ScanProfile(name="calibration", device=caps.device.id), caps,
                             station.settings.profile,
                             Overrides(source=src, dpi=dpi, mode="color", options=opts, max_sheets=1))
        wa = WorkArea(tmp / "scan")
        wa.check_space(station.settings.get("storage.min_free_mb"))
        res = run_capture(request, wa, COMPONENT, scanner=open_scanner(request.device), progress=progress)
        if not res.pages:
            raise ValidationError(f"{caps.device.id} delivered no image of the target: load it in the scanner",
                                  f"{caps.device.id} không trả về ảnh nào: hãy đặt bảng hiệu chuẩn vào máy quét",
                                  field="device")
        measured: list[tuple[str, Any, bytes | None]] = []
        for page in res.pages:
            side = page.side.value
            ref: Reference | None
            if side in baselines:
                ref = Reference.from_dict(baselines[side], layout, "baseline")
            else:
                ref = Reference.nominal(layout) if virtual else None
            try:
                m = measure(wa.root / page.file, layout, tolerances, dpi=request.dpi, reference=ref)
            except CalibrationError as e:
                station.audit.append(station.actor, "calibration.unmeasurable",
                                     details={"device": caps.device.id, "side": side, "code": e.code,
                                              "message": e.message_en})
                raise type(e)(f"{side} side of the target: {e.message_en}",
                              f"{SIDE_VI.get(side, side)} của bảng hiệu chuẩn: {e.message_vi}",
                              field=e.field, **e.details) from e
            picture = _annotated_png(wa.root / page.file, m, layout) if annotated else None
            measured.append((side, m, picture))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    run_id, at = new_id(), datetime.now(UTC)
    out_sides: list[dict[str, Any]] = []
    with station.store.session() as db:
        for side, m, picture in measured:
            d = m.to_dict()
            d["file"] = None                           # the scan was temporary
            failed = [c.name for c in m.failed_checks()]
            db.add(CalibrationRow(id=new_id(), run_id=run_id, device=caps.device.id, model=caps.device.name,
                                  serial=None,         # no driver reports a serial number yet
                                  driver=caps.device.driver, source=request.source, side=side, dpi=request.dpi,
                                  verdict=m.verdict, failed=json.dumps(failed), measurement=json.dumps(d),
                                  is_baseline=False, actor=station.actor, at=at))
            out_sides.append({"side": side, "verdict": m.verdict, "failed": failed, "reference": d["tone"]["reference"],
                              "measurement": d})
            if picture is not None:
                out_sides[-1]["annotated_png"] = picture
        verdict = _worst(s["verdict"] for s in out_sides)
        station.audit.append(station.actor, "calibration.run", session=db, details={
            "run": run_id, "device": caps.device.id, "model": caps.device.name, "source": request.source,
            "dpi": request.dpi, "verdict": verdict,
            "sides": {s["side"]: {"verdict": s["verdict"], "failed": s["failed"]} for s in out_sides}})
    return {"run_id": run_id, "device": caps.device.id, "model": caps.device.name, "serial": None,
            "driver": caps.device.driver, "source": request.source, "dpi": request.dpi, "at": at.isoformat(),
            "verdict": verdict, "sides": out_sides}


def _annotated_png(path: Path, m: Any, layout: Any) -> bytes:
    """The scan with the markers, patches, edges and streaks the measurement found drawn on it (PNG)."""
    import cv2

    from scanstation.calibrate import load_image
    from scanstation.calibrate.annotate import annotate

    img, _ = load_image(path)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(annotate(img, m, layout, legend=False), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValidationError(f"could not draw the findings on {path.name}",
                              f"không vẽ được kết quả đo lên ảnh {path.name}", field="device")
    return bytes(buf.tobytes())


def _worst(verdicts: Any) -> str:
    vs = set(verdicts)
    return "fail" if "fail" in vs else "warn" if "warn" in vs else "pass"


def _rows(station: Station, device: str, *, run_id: str | None = None, baseline: bool = False,
          latest: bool = False) -> list[CalibrationRow]:
    with station.store.session() as db:
        q = select(CalibrationRow).where(CalibrationRow.device == device)
        if latest:
            last = db.scalar(q.with_only_columns(CalibrationRow.run_id)
                             .order_by(CalibrationRow.at.desc(), CalibrationRow.id.desc()).limit(1))
            if last is None:
                return []
            run_id = last
        if run_id is not None:
            q = q.where(CalibrationRow.run_id == run_id)
        if baseline:
            q = q.where(CalibrationRow.is_baseline.is_(True))
        return list(db.scalars(q.order_by(CalibrationRow.at, CalibrationRow.side.desc())))


def _latest_per_side(station: Station, device: str) -> list[CalibrationRow]:
    """The newest measurement of each sensor (front, back), newest first: a simplex run does not say the
    back sensor is fine, so the gate looks at each side's own last result."""
    seen: dict[str, CalibrationRow] = {}
    for r in reversed(_rows(station, device)):
        seen.setdefault(r.side, r)
    return sorted(seen.values(), key=lambda r: r.at, reverse=True)


def _baselines(station: Station, device: str) -> dict[str, dict[str, Any]]:
    """side -> the baseline measurement of that side (empty when none is set)."""
    return {r.side: json.loads(r.measurement) for r in _rows(station, device, baseline=True)}


# --- baseline and history ---------------------------------------------------------------------------
def set_baseline(station: Station, device: str) -> dict[str, Any]:
    """Make the scanner's last run its baseline (refused when that run failed a check: a baseline is a
    scanner in good order). Later runs compare tone and colour with it, and ``history`` shows drift."""
    last = _rows(station, device, latest=True)
    if not last:
        raise ValidationError(f"Scanner {device} has no calibration run to make the baseline: run "
                              f"'scanstation calibrate run --device {device}' first",
                              f"Máy quét {device} chưa có lần hiệu chuẩn nào để làm mốc: hãy chạy hiệu chuẩn trước",
                              field="device")
    failed = [r for r in last if r.verdict == "fail"]
    if failed:
        names = "; ".join(f"{r.side}: {', '.join(json.loads(r.failed))}" for r in failed)
        raise ValidationError(f"The last calibration of {device} failed ({names}); a baseline must be a scanner in "
                              "good order: repair it, run the calibration again, then set the baseline",
                              f"Lần hiệu chuẩn gần nhất của {device} không đạt ({names}); mốc phải là máy quét "
                              "đang tốt: sửa máy, hiệu chuẩn lại rồi đặt mốc", field="device")
    run_id, sides = last[0].run_id, [r.side for r in last]
    with station.store.session() as db:      # per side: a simplex run leaves the back sensor's baseline alone
        for r in db.scalars(select(CalibrationRow).where(CalibrationRow.device == device,
                                                         CalibrationRow.side.in_(sides))):
            r.is_baseline = r.run_id == run_id
        station.audit.append(station.actor, "calibration.baseline", session=db,
                             details={"device": device, "run": run_id, "sides": [r.side for r in last]})
    return {"device": device, "run_id": run_id, "at": _aware(last[0].at).isoformat(), "sides": [r.side for r in last]}


def _figures(measurement: dict[str, Any]) -> dict[str, float | None]:
    figs: dict[str, float | None] = {c["name"]: c["value"] for c in measurement.get("checks", [])}
    figs["mtf50_cycles_per_px"] = measurement.get("mtf50_cycles_per_px")
    return figs


def _watch(measurement: dict[str, Any]) -> list[str]:
    """Passing checks already near their limit: the trend to act on before the check fails."""
    out = []
    for c in measurement.get("checks", []):
        v, lim = c.get("value"), c.get("limit")
        if c.get("verdict") != "pass" or v is None or not lim:
            continue
        near = v < lim * 1.1 if c["name"] in MIN_CHECKS else abs(v) >= lim * WATCH_SHARE
        if near:
            out.append(c["name"])
    return out


def history(station: Station, device: str) -> list[dict[str, Any]]:
    """The scanner's runs, oldest first, one entry per side: verdict, failed checks, the figures, their
    drift from the baseline of the same side (``None`` without a baseline) and ``watch``: passing checks
    that have used 75 % of their limit (10 % margin for a minimum), so a trend shows before it fails."""
    rows = _rows(station, device)
    base = {r.side: _figures(json.loads(r.measurement)) for r in rows if r.is_baseline}
    out = []
    for r in rows:
        m = json.loads(r.measurement)
        figs = _figures(m)
        b = base.get(r.side)
        drift = None
        if b is not None:
            drift = {k: (round(v - bv, 3) if v is not None and (bv := b.get(k)) is not None else None)
                     for k, v in figs.items()}
        out.append({"run_id": r.run_id, "at": _aware(r.at).isoformat(), "device": r.device, "model": r.model,
                    "serial": r.serial, "source": r.source, "side": r.side, "dpi": r.dpi, "verdict": r.verdict,
                    "failed": json.loads(r.failed), "baseline": r.is_baseline, "figures": figs, "drift": drift,
                    "watch": _watch(m), "streaks": m.get("streaks", [])})
    return out


# --- the gate ---------------------------------------------------------------------------------------
def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)      # SQLite hands times back without their zone


def _failed_parts(rows: list[CalibrationRow]) -> tuple[list[str], list[str], list[str]]:
    """Per failed check (front and back together): English and Vietnamese 'name value (limit)', and names."""
    seen: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for r in rows:
        checks = {c["name"]: c for c in json.loads(r.measurement).get("checks", [])}
        for n in json.loads(r.failed):
            seen.setdefault(n, []).append((r.side, checks.get(n, {})))
    en, vi = [], []
    for n, per_side in seen.items():
        c0 = per_side[0][1]
        unit = c0.get("unit", "")
        limit = c0.get("limit")
        bound = "" if limit is None else f"{'≥' if n in MIN_CHECKS else '±'}{limit:g} {unit}".rstrip()
        vals = [(side, "?" if c.get("value") is None else f"{c['value']:g} {unit}".rstrip()) for side, c in per_side]
        en.append(f"{n} " + ", ".join(f"{side} {v}" for side, v in vals) + f" (limit {bound})")
        vi.append(f"{n} " + ", ".join(f"{SIDE_VI.get(side, side)} {v}" for side, v in vals) + f" (giới hạn {bound})")
    return en, vi, list(seen)


def gate(station: Station, device: str) -> ScannerNotCalibrated | None:
    """Before a capture on ``device``: ``None`` when it may go ahead quietly; in ``warn`` mode the warning
    (not raised) when the last calibration failed, is too old or missing; in ``block`` mode that raises.

    Each sensor (front, back) is judged on its own last measurement: a failing back sensor is not lifted by
    a simplex run, and the age is that of the side calibrated longest ago."""
    mode = station.settings.get("calibration.required")
    if mode not in ("warn", "block"):
        return None
    max_age = int(station.settings.get("calibration.max_age_days"))
    last = _latest_per_side(station, device)
    cmd = f"scanstation calibrate run --device {device}"
    lead_en = "Capture refused" if mode == "block" else "Warning"
    lead_vi = "Không được quét" if mode == "block" else "Cảnh báo"
    if not last:
        return _gate_result(mode, ScannerNotCalibrated(
            f"{lead_en}: scanner {device} has no calibration on record (setting calibration.required = {mode}). "
            f"IT staff calibrate it: '{cmd}'",
            f"{lead_vi}: máy quét {device} chưa được hiệu chuẩn (thiết lập calibration.required = {mode}). "
            f"Cán bộ CNTT cần hiệu chuẩn máy: '{cmd}'",
            field="device", device=device, reason="never", failed=[], mode=mode))
    name = f"'{last[0].model}' ({device})" if last[0].model else device
    failed_rows = [r for r in last if r.verdict == "fail"]
    at = _aware(failed_rows[0].at if failed_rows else last[-1].at)   # the failure, else the oldest side
    day = at.date().isoformat()
    if failed_rows:
        parts_en, parts_vi, names = _failed_parts(failed_rows)
        advice = [ADVICE.get(n, ("have the scanner checked", "cho kiểm tra máy quét")) for n in names]
        return _gate_result(mode, ScannerNotCalibrated(
            f"{lead_en}: scanner {name} failed its last calibration on {day}: {'; '.join(parts_en)}. "
            f"What to do: {'; '.join(a[0] for a in advice)}. Then IT staff re-run the calibration: '{cmd}'",
            f"{lead_vi}: máy quét {name} không đạt lần hiệu chuẩn ngày {day}: {'; '.join(parts_vi)}. "
            f"Cách xử lý: {'; '.join(a[1] for a in advice)}. Sau đó cán bộ CNTT hiệu chuẩn lại: '{cmd}'",
            field="device", device=device, reason="failed", failed=names, mode=mode, run=failed_rows[0].run_id))
    age = (datetime.now(UTC) - at).days
    if age > max_age:
        return _gate_result(mode, ScannerNotCalibrated(
            f"{lead_en}: scanner {name} was last calibrated {age} days ago, on {day} (limit "
            f"calibration.max_age_days = {max_age}). IT staff re-run the calibration: '{cmd}'",
            f"{lead_vi}: máy quét {name} được hiệu chuẩn lần cuối {age} ngày trước, ngày {day} (giới hạn "
            f"calibration.max_age_days = {max_age}). Cán bộ CNTT cần hiệu chuẩn lại: '{cmd}'",
            field="device", device=device, reason="expired", failed=[], mode=mode, run=last[-1].run_id))
    return None


def _gate_result(mode: str, err: ScannerNotCalibrated) -> ScannerNotCalibrated:
    if mode == "block":
        raise err
    return err


__all__ = ["ADVICE", "GATE_MODES", "gate", "history", "run", "set_baseline"]
