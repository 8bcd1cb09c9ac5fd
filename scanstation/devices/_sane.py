"""SANE driver (python-sane): device list, capabilities through the name mapping, scanning with typed errors."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import numpy as np

from scanstation.devices._sane_map import (
    SaneMapping,
    SaneOption,
    blank_skip_off_value,
    coerce_value,
    describe_allowed,
    is_off,
    map_options,
)
from scanstation.devices._sane_read import SaneReadError, begin_frame
from scanstation.devices.base import (
    MAX_AREA,
    PAPER_SIZES_MM,
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
    DeviceError,
    DeviceGone,
    DeviceNotFound,
    FeederEmpty,
    PaperJam,
    ScanCancelled,
    UnsupportedScanSetting,
)
from scanstation.progress import Progress

log = logging.getLogger(__name__)

_init_lock = threading.Lock()
_initialised = False

#: sane_strstatus() texts (sanei/sanei_init_debug / sane_strstatus.c) -> SANE status names
STATUS_BY_MESSAGE = {
    "Operation not supported": "SANE_STATUS_UNSUPPORTED",
    "Operation was canceled": "SANE_STATUS_CANCELLED",
    "Operation was cancelled": "SANE_STATUS_CANCELLED",
    "Device busy": "SANE_STATUS_DEVICE_BUSY",
    "Invalid argument": "SANE_STATUS_INVAL",
    "End of file reached": "SANE_STATUS_EOF",
    "Document feeder jammed": "SANE_STATUS_JAMMED",
    "Document feeder out of documents": "SANE_STATUS_NO_DOCS",
    "Scanner cover is open": "SANE_STATUS_COVER_OPEN",
    "Error during device I/O": "SANE_STATUS_IO_ERROR",
    "Out of memory": "SANE_STATUS_NO_MEM",
    "Access to resource has been denied": "SANE_STATUS_ACCESS_DENIED",
}

#: SANE status -> (error class, English, Vietnamese) for a stop during a scan
_STOP_ERRORS: dict[str, tuple[type[DeviceError], str, str]] = {
    "SANE_STATUS_JAMMED": (PaperJam, "Paper jam", "Kẹt giấy"),
    "SANE_STATUS_NO_DOCS": (FeederEmpty, "The document feeder is empty", "Khay nạp giấy trống"),
    "SANE_STATUS_COVER_OPEN": (CoverOpen, "The scanner cover is open", "Nắp máy quét đang mở"),
    "SANE_STATUS_DEVICE_BUSY": (DeviceBusy, "The scanner is busy (in use by another program?)",
                                "Máy quét đang bận (chương trình khác đang dùng?)"),
    "SANE_STATUS_IO_ERROR": (DeviceGone, "The scanner stopped answering (I/O error: unplugged or switched off?)",
                             "Máy quét không phản hồi (lỗi vào/ra: bị rút cáp hoặc tắt nguồn?)"),
    "SANE_STATUS_CANCELLED": (ScanCancelled, "The scan was cancelled at the scanner",
                              "Việc quét đã bị hủy trên máy quét"),
    "SANE_STATUS_NO_MEM": (DeviceError, "The scanner driver ran out of memory", "Trình điều khiển máy quét hết bộ nhớ"),
    "SANE_STATUS_ACCESS_DENIED": (DeviceError, "Access to the scanner was denied (permissions?)",
                                  "Không được phép truy cập máy quét (quyền truy cập?)"),
    "SANE_STATUS_INVAL": (DeviceError, "The scanner refused the settings (invalid argument)",
                          "Máy quét từ chối thiết lập (tham số không hợp lệ)"),
    "SANE_STATUS_UNSUPPORTED": (DeviceError, "The scanner does not support this operation",
                                "Máy quét không hỗ trợ thao tác này"),
    "SANE_STATUS_EOF": (DeviceError, "The scanner ended the image without data", "Máy quét kết thúc ảnh mà không có dữ liệu"),
}

#: options the station sets itself; a raw --option must not fight them
_MANAGED = {"source", "mode", "resolution", "x-resolution", "y-resolution", "depth", "tl-x", "tl-y", "br-x", "br-y",
            "page-width", "page-height"}


def status_of(exc: BaseException) -> str:
    msg = str(exc).strip()
    if msg == "Scanner returned no data":       # python-sane's own text for an empty frame (EOF at once)
        return "SANE_STATUS_EOF"
    return STATUS_BY_MESSAGE.get(msg, "SANE_STATUS_UNKNOWN")


def error_for_status(status: str, *, sheet: int | None, side: str | None, device: str,
                     cause: str = "") -> DeviceError:
    cls, en, vi = _STOP_ERRORS.get(status, (DeviceError, f"Scanner error ({cause or status})",
                                            f"Lỗi máy quét ({cause or status})"))
    where_en = f" at sheet {sheet} ({side})" if sheet else ""
    where_vi = f" ở tờ {sheet} ({'mặt trước' if side == 'front' else 'mặt sau'})" if sheet else ""
    code = None if cls is not DeviceError else f"DEVICE_{status.removeprefix('SANE_STATUS_')}"
    return cls(f"{en}{where_en} on {device} [{status}]", f"{vi}{where_vi} trên {device} [{status}]",
               code=code, status=status, sheet=sheet)


def _lib():
    global _initialised
    import sane  # python-sane; compiled against libsane

    with _init_lock:
        if not _initialised:
            sane.init()
            _initialised = True
    return sane


class SaneDriver:
    name = "sane"

    def __init__(self) -> None:
        self._caps: dict[str, tuple[Capabilities, SaneMapping]] = {}
        self._cancel = threading.Event()
        self._dev: Any = None

    # --- discovery ------------------------------------------------------------------------------
    def list_devices(self) -> list[DeviceInfo]:
        try:
            sane = _lib()
            found = sane.get_devices()
        except ImportError:
            log.info("python-sane is not installed: no SANE devices")
            return []
        except Exception as e:   # a broken backend must not hide the other drivers' devices
            log.warning("SANE device discovery failed: %s", e)
            return []
        return [DeviceInfo(f"sane:{name}", f"{vendor} {model}".strip(), "sane") for name, vendor, model, _t in found]

    def _open(self, device_id: str):
        sane = _lib()
        name = device_id.removeprefix("sane:")
        try:
            return sane.open(name)
        except Exception as e:
            status = status_of(e)
            if status in ("SANE_STATUS_DEVICE_BUSY", "SANE_STATUS_ACCESS_DENIED"):
                raise error_for_status(status, sheet=None, side=None, device=device_id) from e
            valid = ", ".join(d.id for d in self.list_devices()) or "none found"
            raise DeviceNotFound(f"No SANE scanner '{device_id}' ({e}); available: {valid}",
                                 f"Không tìm thấy máy quét SANE '{device_id}'; các máy có sẵn: {valid}",
                                 field="device") from e

    def _mapping(self, device_id: str) -> tuple[Capabilities, SaneMapping]:
        if device_id not in self._caps:
            dev = self._open(device_id)
            try:
                opts = [SaneOption.from_tuple(t) for t in dev.get_options()]
                try:
                    vendor, model = dev.scanner_model
                except Exception:
                    vendor, model = "", device_id
            finally:
                dev.close()
            m = map_options(opts)
            self._caps[device_id] = (self._capabilities(device_id, f"{vendor} {model}".strip(), m), m)
        return self._caps[device_id]

    @staticmethod
    def _capabilities(device_id: str, name: str, m: SaneMapping) -> Capabilities:
        order = ("flatbed", "adf", "adf-duplex")
        papers: list[str] = []
        if m.max_area_mm:
            mw, mh = m.max_area_mm
            papers = [p for p, (w, h) in PAPER_SIZES_MM.items() if w <= mw + 0.5 and h <= mh + 0.5]
        papers.append(MAX_AREA)
        raw = {n: describe_allowed(o) for n, o in m.options.items() if o.active and o.settable and o.type < 4}
        return Capabilities(
            device=DeviceInfo(device_id, name, "sane"),
            sources=tuple(s for s in order if s in m.sources),
            resolutions=m.resolutions, resolution_range=m.resolution_range,
            modes=tuple(k for k in ("color", "gray") if k in m.modes),
            bit_depths={k: (24 if k == "color" else 8) for k in m.modes},
            paper_sizes=tuple(papers), max_area_mm=m.max_area_mm,
            double_feed_detection=bool(m.double_feed), feeder_loaded_sensing=m.feeder_sensor is not None,
            raw_options=raw,
        )

    def capabilities(self, device_id: str) -> Capabilities:
        return self._mapping(device_id)[0]

    def check_options(self, request: ScanRequest) -> None:
        _, m = self._mapping(request.device)
        for ro in request.options:
            self._raw_value(m, ro.name, ro.value, request.device)

    @staticmethod
    def _raw_value(m: SaneMapping, name: str, value: str, device: str) -> Any:
        opt = m.options.get(name) or m.options.get(name.replace("_", "-"))
        if opt is None or opt.type >= 4:
            valid = ", ".join(sorted(n for n, o in m.options.items() if o.type < 4 and n not in _MANAGED))
            raise UnsupportedScanSetting(
                f"Device {device} has no option '{name}'; valid options: {valid}",
                f"Máy quét {device} không có tùy chọn '{name}'; các tùy chọn hợp lệ: {valid}", field="option")
        if opt.name in _MANAGED:
            raise UnsupportedScanSetting(
                f"Option '{name}' is set by the station: use --source, --mode, --dpi or --paper",
                f"Tùy chọn '{name}' do trạm tự đặt: hãy dùng --source, --mode, --dpi hoặc --paper", field="option")
        if not opt.settable:
            raise UnsupportedScanSetting(f"Option '{name}' of {device} is read-only",
                                         f"Tùy chọn '{name}' của {device} chỉ đọc", field="option")
        if opt.name in m.blank_skip and not is_off(opt, value):
            raise UnsupportedScanSetting(
                f"Option '{name}' skips blank pages in the driver; the station never enables it (it must see "
                "every image to count sheets; blank backs are handled by QC)",
                f"Tùy chọn '{name}' bỏ trang trắng trong trình điều khiển; trạm không bao giờ bật (phải thấy mọi ảnh "
                "để đếm tờ; mặt sau trắng do bước kiểm tra xử lý)", field="option")
        try:
            return opt.name, coerce_value(opt, value)
        except ValueError as e:
            raise UnsupportedScanSetting(
                f"Option '{name}' of {device} does not take '{value}'; valid values: {e}",
                f"Tùy chọn '{name}' của {device} không nhận giá trị '{value}'; các giá trị hợp lệ: {e}",
                field="option") from None

    # --- scanning -------------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()
        dev = self._dev
        if dev is not None:
            with contextlib.suppress(Exception):   # sane_cancel is the one call SANE allows from another thread
                dev.cancel()

    def _set(self, dev, name: str, value: Any) -> None:
        dev.__setattr__(name.replace("-", "_"), value)

    def _configure(self, dev, request: ScanRequest, m: SaneMapping, events: list[ScanEvent]) -> None:
        dev_id = request.device
        if m.sources.get(request.source):
            self._set(dev, "source", m.sources[request.source])
        if m.duplex_switch:
            opt, val = m.duplex_switch
            o = dev.opt.get(opt.replace("-", "_"))
            if o is not None and o.is_active():
                on = val if request.duplex else ("Simplex" if o.type == 3 else False)
                self._set(dev, opt, True if (on == "true") else on)
        self._set(dev, "mode", m.modes[request.mode])
        if m.depth_option and 8 in m.depths:
            with contextlib.suppress(AttributeError):   # inactive in this mode
                self._set(dev, "depth", 8)
        if m.resolution_option:
            self._set(dev, m.resolution_option, request.dpi)
            if m.resolution_option == "x-resolution" and "y-resolution" in m.options:
                self._set(dev, "y-resolution", request.dpi)
        w, h = PAPER_SIZES_MM.get(request.paper, m.max_area_mm or (0, 0))
        if m.max_area_mm:
            w, h = min(w, m.max_area_mm[0]), min(h, m.max_area_mm[1])
        if m.page_size_options:
            for name, v in (("page-width", w), ("page-height", h)):
                with contextlib.suppress(AttributeError):   # inactive on the flatbed
                    self._set(dev, name, float(v))
        if m.max_area_mm:
            for name, v in (("tl-x", 0.0), ("tl-y", 0.0), ("br-x", float(w)), ("br-y", float(h))):
                self._set(dev, name, v)
        for name in m.blank_skip:
            opt = m.options[name]
            off = blank_skip_off_value(opt)
            if off is not None and opt.settable:
                with contextlib.suppress(AttributeError):
                    self._set(dev, name, off)
        if request.double_feed_detection and request.source != "flatbed":
            if m.double_feed:
                for name, v in m.double_feed.items():
                    with contextlib.suppress(AttributeError):
                        self._set(dev, name, v)
            else:
                events.append(ScanEvent("double-feed-detection-unavailable", None,
                                        f"{dev_id} has no double-feed sensor: count the sheets"))
        for ro in request.options:
            name, value = self._raw_value(m, ro.name, ro.value, dev_id)
            if name not in self._restore:
                # some backends (the test backend among them) keep option values across close/open:
                # remember what was there, put it back after the run
                with contextlib.suppress(Exception):
                    self._restore[name] = getattr(dev, name.replace("-", "_"))
            if ro.from_sheet <= 1:
                self._set(dev, name, value)

    def _stop(self, e: BaseException, status: str, sheet: int, side: str, image_no: int, feeder: bool,
              progress: Progress, events: list[ScanEvent], device: str) -> DeviceError | None:
        """What a failed start/read means: None for the normal end of a feeder batch, else the error to raise."""
        if status == "SANE_STATUS_NO_DOCS" and feeder and image_no > 1:
            events.append(ScanEvent("feeder-empty", sheet, "no more sheets in the feeder"))
            return None
        if status == "SANE_STATUS_CANCELLED" and (self._cancel.is_set() or progress.cancelled):
            return ScanCancelled(f"Scan cancelled at sheet {sheet}", f"Đã hủy quét ở tờ {sheet}")
        err = error_for_status(status, sheet=sheet, side=side, device=device, cause=str(e))
        events.append(ScanEvent(err.code.lower().removeprefix("device_"), sheet, err.message_en))
        err.details["events"] = events
        return err

    def scan(self, request: ScanRequest, on_page: PageCallback, progress: Progress) -> list[ScanEvent]:
        self._cancel.clear()
        _, m = self._mapping(request.device)
        events: list[ScanEvent] = []
        dev = self._open(request.device)
        self._dev = dev
        self._restore: dict[str, Any] = {}
        feeder = request.source != "flatbed"
        image_no = 0
        try:
            try:
                self._configure(dev, request, m, events)
            except (AttributeError, Exception) as e:
                if isinstance(e, DeviceError):
                    raise
                raise error_for_status(status_of(e), sheet=None, side=None, device=request.device,
                                       cause=str(e)) from e
            while True:
                image_no += 1
                if request.duplex:
                    sheet, side = (image_no + 1) // 2, ("front" if image_no % 2 else "back")
                else:
                    sheet, side = image_no, "front"
                if request.max_sheets and sheet > request.max_sheets:
                    break
                if self._cancel.is_set() or progress.cancelled:
                    raise ScanCancelled(f"Scan cancelled before sheet {sheet}", f"Đã hủy quét trước tờ {sheet}")
                if side == "front":
                    for ro in request.options:
                        if ro.from_sheet == sheet and sheet > 1:
                            name, value = self._raw_value(m, ro.name, ro.value, request.device)
                            self._set(dev, name, value)
                try:
                    dev.start()
                    frame = begin_frame(dev.dev, lambda: self._cancel.is_set() or progress.cancelled)
                    if frame is None:
                        data, width, height, samples, sample_size = dev.dev.snap(True, True, None)
                except Exception as e:
                    if (end := self._stop(e, status_of(e), sheet, side, image_no, feeder, progress, events,
                                          request.device)) is None:
                        break
                    raise end from e
                if frame is not None:
                    # streamed: the sink encodes and writes the first rows while the rest is read
                    img = CapturedImage(frame.pixels, sheet, side, request.dpi, arriving=frame.read())
                    try:
                        on_page(img)
                        img.complete()        # a sink that stopped reading early: finish the frame anyway
                    except SaneReadError as e:
                        if (end := self._stop(e, e.status, sheet, side, image_no, feeder, progress, events,
                                              request.device)) is None:
                            break
                        raise end from e
                    del img, frame
                else:
                    if not data:
                        raise error_for_status("SANE_STATUS_EOF", sheet=sheet, side=side, device=request.device)
                    if sample_size != 1:
                        raise DeviceError(f"{request.device} delivered {8 * sample_size}-bit samples; expected 8-bit",
                                          f"{request.device} trả về ảnh {8 * sample_size} bit; cần ảnh 8 bit")
                    px = np.frombuffer(data, np.uint8)
                    px = px.reshape(height, width, samples) if samples == 3 else px.reshape(height, width)
                    on_page(CapturedImage(px, sheet, side, request.dpi))
                    del px, data
                progress.report(image_no, 0, f"sheet {sheet} {side}")
                if not feeder:
                    break
        finally:
            self._dev = None
            with contextlib.suppress(Exception):
                dev.cancel()
            for name, value in self._restore.items():
                with contextlib.suppress(Exception):
                    self._set(dev, name, value)
            dev.close()
        return events
