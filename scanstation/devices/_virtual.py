"""The virtual scanner: a real device in the list that feeds a deterministic sample dossier.

It is for the demo, for training clerks, and for tests. Each run feeds sheets drawn by
:mod:`scanstation.samplepages` from a seed, at the requested dpi, mode and paper size, and attaches
the ground truth to every image. Scripted events come in as driver options, like any raw option:

    seed=N            which dossier (default 1)
    sheets=N          sheets in the feeder (default 6)
    first-sheet=N     number the first sheet N (continue a dossier)
    jam=N             paper jam at sheet N
    double-feed=N     sheets N and N+1 go through together: detected (error) when the request asks for
                      double-feed detection, otherwise sheet N+1 is silently never imaged
    feeder-empty=N    the feeder holds only N-1 sheets
    gone=N            the scanner vanishes (USB unplugged) at sheet N
    cover-open=N      the cover opens at sheet N
    busy=1            the device is in use by someone else
    delay-ms=N        wait N ms per image, like a slow scanner (tests of crash recovery)
    notes-off=N       the clerk took the sticky note off sheet N before this scan (the station's
                      "rescan without the note" step)
    refeed=N          the clerk straightened sheet N, unfolded its corner and fed it again (the
                      station's "rescan this sheet" step): no skew, no cut-off side, no folded corner
    defect=SPEC       a drifting scanner: every image gets the defects of SPEC, e.g.
                      ``scale-x:1.5,scale-y:-1,skew:0.8,gamma:1.3,cast:0/0/-8,noise:2,streak:1200/3/-40,blur:1.2,
                      falloff:6`` (see :func:`samplepages.parse_defects`); the truth carries them
    defect-back=SPEC  the back sensor's own defects (duplex; default: the same as ``defect``)
    sheet-image=PATH  the feeder holds printed copies of this image (PNG/TIFF with its dpi, e.g. the
                      ``target.png`` of ``scanstation calibrate target``) instead of a sample dossier; both
                      sides show it (a target printed on both sides)
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from scanstation import samplepages
from scanstation.devices.base import (
    MAX_AREA,
    Capabilities,
    CapturedImage,
    DeviceInfo,
    PageCallback,
    ScanEvent,
    ScanRequest,
)
from scanstation.errors import (
    CoverOpen,
    DeviceBusy,
    DeviceGone,
    DeviceNotFound,
    DoubleFeed,
    FeederEmpty,
    PaperJam,
    ScanCancelled,
    UnsupportedScanSetting,
)
from scanstation.progress import Progress

DEVICE_ID = "virtual:demo"
RESOLUTIONS = (50, 75, 100, 150, 200, 240, 300, 400, 600)
INT_OPTIONS = {"seed": (0, 10**9), "sheets": (0, 100_000), "first-sheet": (1, 100_000), "jam": (1, 100_000),
               "double-feed": (1, 100_000), "feeder-empty": (1, 100_000), "gone": (1, 100_000),
               "cover-open": (1, 100_000), "busy": (0, 1), "delay-ms": (0, 60_000),
               "notes-off": (1, 100_000), "refeed": (1, 100_000)}
STR_OPTIONS = {"defect": "defect list", "defect-back": "defect list", "sheet-image": "image file"}
DEFAULT_SHEETS = 6


def parse_options(request: ScanRequest) -> dict[str, Any]:
    vals: dict[str, Any] = {"seed": 1, "sheets": DEFAULT_SHEETS, "first-sheet": 1, "delay-ms": 0, "busy": 0}
    for ro in request.options:
        if ro.name in STR_OPTIONS:
            vals[ro.name] = _parse_str_option(ro.name, ro.value)
            continue
        if ro.name not in INT_OPTIONS:
            valid = ", ".join([*INT_OPTIONS, *STR_OPTIONS])
            raise UnsupportedScanSetting(
                f"Device {DEVICE_ID} has no option '{ro.name}'; valid options: {valid}",
                f"Máy quét {DEVICE_ID} không có tùy chọn '{ro.name}'; các tùy chọn hợp lệ: {valid}", field="option")
        lo, hi = INT_OPTIONS[ro.name]
        try:
            v = int(ro.value)
        except ValueError:
            v = lo - 1
        if not lo <= v <= hi:
            raise UnsupportedScanSetting(
                f"Option '{ro.name}' of {DEVICE_ID} does not take '{ro.value}'; valid values: {lo}-{hi}",
                f"Tùy chọn '{ro.name}' của {DEVICE_ID} không nhận '{ro.value}'; giá trị hợp lệ: {lo}-{hi}",
                field="option")
        vals[ro.name] = v
    return vals


def _parse_str_option(name: str, value: str) -> Any:
    if name in ("defect", "defect-back"):
        try:
            return samplepages.parse_defects(value)
        except ValueError as e:
            raise UnsupportedScanSetting(
                f"Option '{name}' of {DEVICE_ID}: {e}",
                f"Tùy chọn '{name}' của {DEVICE_ID} không hợp lệ: {e}", field="option") from None
    path = Path(value).expanduser()
    if not path.is_file():
        raise UnsupportedScanSetting(
            f"Option 'sheet-image' of {DEVICE_ID}: no image file '{value}'",
            f"Tùy chọn 'sheet-image' của {DEVICE_ID}: không có tệp ảnh '{value}'", field="option")
    return path


def _load_sheet_image(path: Path) -> tuple[np.ndarray, float]:
    """The printed sheet's pixels (RGB) and the dpi it is printed at (from the file; 600 when it does not say)."""
    try:
        with Image.open(path) as im:
            dpi = float((im.info.get("dpi") or (600, 600))[0]) or 600.0
            px = np.asarray(im.convert("RGB"))
    except OSError as e:
        raise UnsupportedScanSetting(
            f"Option 'sheet-image' of {DEVICE_ID}: '{path}' is not a readable image ({e})",
            f"Tùy chọn 'sheet-image' của {DEVICE_ID}: không đọc được ảnh '{path}'", field="option") from e
    return px, dpi


class VirtualDriver:
    name = "virtual"

    def __init__(self) -> None:
        self._cancel = threading.Event()

    def list_devices(self) -> list[DeviceInfo]:
        return [DeviceInfo(DEVICE_ID, "Scan station virtual scanner (sample dossiers)", "virtual")]

    def capabilities(self, device_id: str) -> Capabilities:
        if device_id != DEVICE_ID:
            raise DeviceNotFound(f"No virtual scanner '{device_id}'; available: {DEVICE_ID}",
                                 f"Không có máy quét ảo '{device_id}'; máy có sẵn: {DEVICE_ID}", field="device")
        return Capabilities(
            device=self.list_devices()[0], sources=("flatbed", "adf", "adf-duplex"), resolutions=RESOLUTIONS,
            resolution_range=None, modes=("color", "gray"), bit_depths={"color": 24, "gray": 8},
            paper_sizes=("A4", "Letter", MAX_AREA), max_area_mm=(215.9, 297.0), double_feed_detection=True,
            feeder_loaded_sensing=True,
            raw_options={**{k: f"{lo}-{hi}" for k, (lo, hi) in INT_OPTIONS.items()}, **STR_OPTIONS},
        )

    def check_options(self, request: ScanRequest) -> None:
        parse_options(request)

    def cancel(self) -> None:
        self._cancel.set()

    def scan(self, request: ScanRequest, on_page: PageCallback, progress: Progress) -> list[ScanEvent]:
        self._cancel.clear()
        o = parse_options(request)
        paper = "A4" if request.paper == MAX_AREA else request.paper
        events: list[ScanEvent] = []
        if o["busy"]:
            raise DeviceBusy(f"{DEVICE_ID} is busy (in use by another program)",
                             f"{DEVICE_ID} đang bận (chương trình khác đang dùng)")
        feeder = request.source != "flatbed"
        in_feeder = o["sheets"] if feeder else 1
        if "sheet-image" in o and not any(ro.name == "sheets" for ro in request.options):
            in_feeder = 1                 # one printed target, unless told otherwise
        if "feeder-empty" in o:
            in_feeder = min(in_feeder, o["feeder-empty"] - 1)
        if request.max_sheets:
            in_feeder = min(in_feeder, request.max_sheets)
        if in_feeder <= 0:
            raise FeederEmpty(f"The feeder of {DEVICE_ID} is empty: load the documents",
                              f"Khay nạp giấy của {DEVICE_ID} trống: hãy đặt giấy vào", sheet=1)
        first = o["first-sheet"]
        if "sheet-image" in o:
            return self._scan_printed(request, o, on_page, progress, in_feeder, feeder, events)
        plan = samplepages.dossier_sheets(o["seed"], first - 1 + in_feeder, dpi=request.dpi, mode=request.mode,
                                          paper=paper)[first - 1:]
        hidden: set[int] = set()
        if "double-feed" in o and not request.double_feed_detection:
            hidden.add(o["double-feed"] + 1)     # stuck behind sheet N, never imaged
        delay = o["delay-ms"] / 1000.0
        images = 0
        for i, sheet_spec in enumerate(plan):
            sheet = first + i
            if self._cancel.is_set() or progress.cancelled:
                raise ScanCancelled(f"Scan cancelled before sheet {sheet}", f"Đã hủy quét trước tờ {sheet}")
            if sheet in hidden:
                continue
            stop = self._scripted_stop(o, sheet, request)
            if stop is not None:
                events.append(ScanEvent(stop.code.lower().removeprefix("device_"), sheet, stop.message_en))
                stop.details["events"] = events
                raise stop
            if o.get("notes-off") == sheet:
                sheet_spec = replace(sheet_spec, front=replace(sheet_spec.front, sticky_note=None),
                                     back=replace(sheet_spec.back, sticky_note=None))
            if o.get("refeed") == sheet:
                sheet_spec = replace(sheet_spec, front=_refed(sheet_spec.front), back=_refed(sheet_spec.back))
            pages = samplepages.iter_sheet(sheet_spec)
            for side, page in zip(["front", "back"] if request.duplex else ["front"], pages):
                if delay:
                    time.sleep(delay)
                truth = page.truth
                truth["sheet"] = sheet
                if sheet + 1 in hidden:
                    truth["double_feed_hidden_sheet"] = sheet + 1
                image = page.image
                d = _defects_for(o, side)
                if d is not None:
                    image = samplepages.apply_defects(image, d, seed=o["seed"] * 1000 + sheet * 2 + (side == "back"))
                    truth["defects"] = d.to_dict()
                on_page(CapturedImage(image, sheet, side, request.dpi, truth))
                images += 1
                progress.report(images, in_feeder * (2 if request.duplex else 1), f"sheet {sheet} {side}")
                del page
            pages.close()
        if feeder:
            events.append(ScanEvent("feeder-empty", first + len(plan), "no more sheets in the feeder"))
        return events

    def _scan_printed(self, request: ScanRequest, o: dict[str, Any], on_page: PageCallback, progress: Progress,
                      in_feeder: int, feeder: bool, events: list[ScanEvent]) -> list[ScanEvent]:
        """Feed printed copies of ``sheet-image`` (the calibration target): the scanner's defects, no dossier."""
        sheet_px, sheet_dpi = _load_sheet_image(o["sheet-image"])
        paper = "A4" if request.paper == MAX_AREA else request.paper
        first = o["first-sheet"]
        images = 0
        for i in range(in_feeder):
            sheet = first + i
            if self._cancel.is_set() or progress.cancelled:
                raise ScanCancelled(f"Scan cancelled before sheet {sheet}", f"Đã hủy quét trước tờ {sheet}")
            stop = self._scripted_stop(o, sheet, request)
            if stop is not None:
                events.append(ScanEvent(stop.code.lower().removeprefix("device_"), sheet, stop.message_en))
                stop.details["events"] = events
                raise stop
            for side in ["front", "back"] if request.duplex else ["front"]:
                d = _defects_for(o, side)
                img = samplepages.scan_printed_sheet(sheet_px, sheet_dpi, dpi=request.dpi, mode=request.mode,
                                                     paper=paper, defects=d,
                                                     seed=o["seed"] * 1000 + sheet * 2 + (side == "back"))
                truth = {"kind": "printed-sheet", "sheet_image": str(o["sheet-image"]), "sheet_dpi": sheet_dpi,
                         "sheet": sheet, "side": side, "dpi": request.dpi, "mode": request.mode, "paper": paper,
                         "width": int(img.shape[1]), "height": int(img.shape[0]), "is_blank": False,
                         "defects": (d or samplepages.ScannerDefects()).to_dict()}
                on_page(CapturedImage(img, sheet, side, request.dpi, truth))
                images += 1
                progress.report(images, in_feeder * (2 if request.duplex else 1), f"sheet {sheet} {side}")
        if feeder:
            events.append(ScanEvent("feeder-empty", first + in_feeder, "no more sheets in the feeder"))
        return events

    @staticmethod
    def _scripted_stop(o: dict[str, int], sheet: int, request: ScanRequest):
        where_en, where_vi = f"at sheet {sheet}", f"ở tờ {sheet}"
        if o.get("jam") == sheet:
            return PaperJam(f"Paper jam {where_en} on {DEVICE_ID}", f"Kẹt giấy {where_vi} trên {DEVICE_ID}",
                            sheet=sheet)
        if o.get("double-feed") == sheet and request.double_feed_detection:
            return DoubleFeed(f"Double feed {where_en} on {DEVICE_ID}: two sheets went through together; "
                              "put them back and rescan from this sheet",
                              f"Nạp hai tờ cùng lúc {where_vi} trên {DEVICE_ID}: đặt lại và quét lại từ tờ này",
                              sheet=sheet)
        if o.get("gone") == sheet:
            return DeviceGone(f"The scanner disappeared {where_en} ({DEVICE_ID} unplugged?)",
                              f"Mất kết nối máy quét {where_vi} ({DEVICE_ID} bị rút cáp?)", sheet=sheet)
        if o.get("cover-open") == sheet:
            return CoverOpen(f"The scanner cover opened {where_en} on {DEVICE_ID}",
                             f"Nắp máy quét bị mở {where_vi} trên {DEVICE_ID}", sheet=sheet)
        return None


def sheet_plan_for(request: ScanRequest) -> list[samplepages.SheetSpec]:
    """The sheets a request would feed (for tests and the demo's ground truth)."""
    o = parse_options(request)
    plan = samplepages.dossier_sheets(o["seed"], o["first-sheet"] - 1 + o["sheets"], dpi=request.dpi,
                                      mode=request.mode, paper="A4" if request.paper == MAX_AREA else request.paper)
    return [replace(s) for s in plan[o["first-sheet"] - 1:]]


def _defects_for(o: dict[str, Any], side: str) -> samplepages.ScannerDefects | None:
    d = o.get("defect-back", o.get("defect")) if side == "back" else o.get("defect")
    return d if d is not None and d.any else None


def _refed(spec: samplepages.PageSpec) -> samplepages.PageSpec:
    """The same page fed again with care: straight, whole, corner unfolded (a torn corner stays torn)."""
    corner = spec.corner if spec.corner and spec.corner.startswith("missing:") else None
    return replace(spec, skew_deg=0.0, cut_off=None, corner=corner)
