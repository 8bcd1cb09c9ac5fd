"""SANE driver: device list, capabilities through the name mapping, scanning with typed errors.

libsane runs in a worker process (``_sane_worker``) under a watchdog (``_proc``): a backend that
crashes or hangs (SANE's reader threads are cancelled asynchronously and can leave the process's
malloc locked) costs that process, never the station. Pages arrive in shared memory, row block by
row block, and are encoded and written here while the rest is still being read.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from scanstation.devices._proc import WorkerPool, WorkerProcess
from scanstation.devices._sane_map import (
    SaneMapping,
    SaneOption,
    blank_skip_off_value,
    coerce_value,
    describe_allowed,
    is_off,
    map_options,
)
from scanstation.devices._sane_read import SaneReadError, frame_view
from scanstation.devices._sane_worker import TEST_ENV, worker_main
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
    DeviceHung,
    DeviceNotFound,
    DriverCrashed,
    FeederEmpty,
    PaperJam,
    ScanCancelled,
    UnsupportedScanSetting,
)
from scanstation.progress import Progress

log = logging.getLogger(__name__)

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


@dataclass
class Timeouts:
    """How long the station waits for the SANE worker before it kills it (the watchdog), in seconds."""

    call: float = 60.0     # start-up, device list, options, open (network scanners answer slowly)
    start: float = 120.0   # sane_start: lamp warm-up, paper pick
    read: float = 60.0     # silence while a page is arriving
    close: float = 15.0    # sane_cancel + sane_close at the end of a run; a cancel to take effect


TIMEOUTS = Timeouts()
_POOL = WorkerPool(max_idle=2)


class _NoSane(Exception):
    """The worker could not load libsane (python-sane missing or broken)."""


class _StartFailed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status = status_of(self)


def _pool_key() -> tuple:
    """A worker reads its environment once (SANE_CONFIG_DIR at sane_init): only reuse one started alike."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("SANE_") or k == TEST_ENV))


def _new_shm(size: int) -> tuple[str, mmap.mmap]:
    """Shared memory the worker reads pages into. Registered with multiprocessing's resource tracker so
    that it is unlinked even if the station is killed. Never closed explicitly: the mapping lives as long
    as the pixel views on it (an unlinked segment is freed when the last one goes)."""
    import _posixshmem
    from multiprocessing import resource_tracker

    name = f"/scanstation-{os.getpid()}-{secrets.token_hex(6)}"
    fd = _posixshmem.shm_open(name, os.O_CREAT | os.O_EXCL | os.O_RDWR, mode=0o600)
    try:
        os.ftruncate(fd, size)
        mm = mmap.mmap(fd, size)
    except BaseException:
        _posixshmem.shm_unlink(name)
        raise
    finally:
        os.close(fd)
    resource_tracker.register(name, "shared_memory")
    return name, mm


def _free_shm(name: str) -> None:
    import _posixshmem
    from multiprocessing import resource_tracker

    with contextlib.suppress(OSError):
        _posixshmem.shm_unlink(name)
    resource_tracker.unregister(name, "shared_memory")


class _SaneWorker(WorkerProcess):
    """The SANE worker process and the shared memory its pages arrive in (created, grown and freed here).

    The buffer lives as long as the worker: a warm worker's pages are already mapped in both processes,
    so a new run does not pay ~4000 page faults per 300-dpi colour page again (about 10 ms)."""

    def __init__(self) -> None:
        super().__init__(worker_main, (), label="SANE", name="scanstation-sane", control=True)
        self.shm_name: str | None = None
        self.shm: mmap.mmap | None = None
        self.shm_size = 0
        msg = self.recv(TIMEOUTS.call, "sane_init")
        if msg[0] != "ready":
            self.close(2)
            raise _NoSane(msg[2])

    def buffer(self, need: int) -> tuple[str | None, int]:
        if self.shm is None or self.shm_size < need:
            self.free_buffer()
            try:
                self.shm_name, self.shm = _new_shm(need)
                self.shm_size = need
            except OSError as e:       # no room in /dev/shm: the worker falls back to snap()
                log.warning("no shared memory for SANE pages (%s): using snap()", e)
                return None, 0
        return self.shm_name, self.shm_size

    def free_buffer(self) -> None:
        if self.shm_name is not None:
            _free_shm(self.shm_name)
        self.shm_name, self.shm, self.shm_size = None, None, 0

    def kill(self) -> None:
        super().kill()
        self.free_buffer()

    def close(self, timeout: float = 5.0) -> None:
        super().close(timeout)
        self.free_buffer()


class SaneDriver:
    """SANE through a worker process (``_sane_worker``); this side maps options and statuses and keeps time."""

    name = "sane"

    def __init__(self) -> None:
        self._caps: dict[str, tuple[Capabilities, SaneMapping]] = {}
        self._cancel = threading.Event()
        self._cancel_at: float | None = None
        self._w: _SaneWorker | None = None      # the worker of the scan in progress
        self._in_frame = False                  # a page is arriving from the worker

    # --- talking to a worker -------------------------------------------------------------------
    @staticmethod
    def _request(msg: tuple, timeout: float, what: str) -> tuple:
        """One call on a pooled worker (device list, options). A worker that hangs or dies is not reused."""
        key = _pool_key()
        w = _POOL.acquire(key, _SaneWorker)
        try:
            w.send(msg)
            reply = w.recv(timeout, what)
        except BaseException:
            w.kill()
            raise
        _POOL.release(key, w)
        return reply

    # --- discovery ------------------------------------------------------------------------------
    def list_devices(self) -> list[DeviceInfo]:
        try:
            reply = self._request(("list",), TIMEOUTS.call, "sane_get_devices")
        except _NoSane as e:
            log.info("no SANE devices: %s", e)
            return []
        except DeviceError as e:   # a broken backend must not hide the other drivers' devices
            log.warning("SANE device discovery failed: %s", e.message_en)
            return []
        if reply[0] == "error":
            log.warning("SANE device discovery failed: %s", reply[2])
            return []
        return [DeviceInfo(f"sane:{name}", f"{vendor} {model}".strip(), "sane") for name, vendor, model, _t in reply[1]]

    def _open_failed(self, device_id: str, message: str) -> DeviceError:
        status = status_of(Exception(message))
        if status in ("SANE_STATUS_DEVICE_BUSY", "SANE_STATUS_ACCESS_DENIED"):
            return error_for_status(status, sheet=None, side=None, device=device_id)
        valid = ", ".join(d.id for d in self.list_devices()) or "none found"
        return DeviceNotFound(f"No SANE scanner '{device_id}' ({message}); available: {valid}",
                              f"Không tìm thấy máy quét SANE '{device_id}'; các máy có sẵn: {valid}", field="device")

    def _mapping(self, device_id: str) -> tuple[Capabilities, SaneMapping]:
        if device_id not in self._caps:
            try:
                reply = self._request(("describe", device_id.removeprefix("sane:")), TIMEOUTS.call,
                                      "sane_open/sane_get_option_descriptor")
            except _NoSane as e:
                raise DeviceNotFound(f"No SANE scanner '{device_id}': {e}",
                                     f"Không tìm thấy máy quét SANE '{device_id}': {e}", field="device") from None
            if reply[0] == "error":
                raise self._open_failed(device_id, reply[2])
            opts = [SaneOption.from_tuple(t) for t in reply[1]["options"]]
            vendor, model = reply[1]["model"]
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
        """Stop the scan in progress (any thread): the worker's control thread calls sane_cancel."""
        self._cancel.set()
        if self._cancel_at is None:
            self._cancel_at = time.monotonic()
        w = self._w
        if w is not None:
            w.control(("cancel",))

    def _configure_ops(self, request: ScanRequest, m: SaneMapping, events: list[ScanEvent]) -> list[tuple]:
        """The option values to set, in order, as (name, value, lenient, remember) for the worker."""
        ops: list[tuple[str, Any, bool, bool]] = []

        def put(name: str, value: Any, lenient: bool = False, remember: bool = False) -> None:
            ops.append((name, value, lenient, remember))

        if m.sources.get(request.source):
            put("source", m.sources[request.source])
        if m.duplex_switch:
            opt, val = m.duplex_switch
            o = m.options.get(opt)
            on = val if request.duplex else ("Simplex" if o is not None and o.type == 3 else False)
            put(opt, True if on == "true" else on, lenient=True)       # only if active in this source
        put("mode", m.modes[request.mode])
        if m.depth_option and 8 in m.depths:
            put("depth", 8, lenient=True)                               # inactive in some modes
        if m.resolution_option:
            put(m.resolution_option, request.dpi)
            if m.resolution_option == "x-resolution" and "y-resolution" in m.options:
                put("y-resolution", request.dpi)
        w, h = PAPER_SIZES_MM.get(request.paper, m.max_area_mm or (0, 0))
        if m.max_area_mm:
            w, h = min(w, m.max_area_mm[0]), min(h, m.max_area_mm[1])
        if m.page_size_options:
            for name, v in (("page-width", w), ("page-height", h)):
                put(name, float(v), lenient=True)                       # inactive on the flatbed
        if m.max_area_mm:
            for name, v in (("tl-x", 0.0), ("tl-y", 0.0), ("br-x", float(w)), ("br-y", float(h))):
                put(name, v)
        for name in m.blank_skip:
            opt = m.options[name]
            off = blank_skip_off_value(opt)
            if off is not None and opt.settable:
                put(name, off, lenient=True)
        if request.double_feed_detection and request.source != "flatbed":
            if m.double_feed:
                for name, v in m.double_feed.items():
                    put(name, v, lenient=True)
            else:
                events.append(ScanEvent("double-feed-detection-unavailable", None,
                                        f"{request.device} has no double-feed sensor: count the sheets"))
        for ro in request.options:
            name, value = self._raw_value(m, ro.name, ro.value, request.device)
            if ro.from_sheet <= 1:
                # remembered: some backends (the test backend among them) keep option values across close/open
                put(name, value, remember=True)
        return ops

    def _set(self, w: _SaneWorker, ops: list[tuple], device: str, progress: Progress) -> None:
        w.send(("set", ops))
        reply = w.recv(TIMEOUTS.call, "sane_control_option", self._deadline(progress))
        if reply[0] == "error":
            raise error_for_status(status_of(Exception(reply[2])), sheet=None, side=None, device=device,
                                   cause=reply[2])

    def _deadline(self, progress: Progress):
        """For the watchdog: once a cancel is asked for (here or through ``progress``), the worker has
        ``TIMEOUTS.close`` seconds to stop."""
        def limit() -> float | None:
            if progress.cancelled and not self._cancel.is_set():
                self.cancel()
            return None if self._cancel_at is None else self._cancel_at + TIMEOUTS.close
        return limit

    def _next_image(self, w: _SaneWorker, sheet: int, side: str, dpi: int, device: str,
                    progress: Progress) -> CapturedImage:
        """sane_start in the worker, and the image as it begins to arrive (raises _StartFailed)."""
        deadline = self._deadline(progress)
        w.send(("start", w.shm_name, w.shm_size))
        msg = w.recv(TIMEOUTS.start, "sane_start", deadline)
        if msg[0] == "need":
            name, size = w.buffer(msg[1])
            w.send(("buffer", name, size))
            msg = w.recv(TIMEOUTS.start, "sane_start", deadline)
        if msg[0] == "error":
            raise _StartFailed(msg[2])
        if msg[0] == "image":                 # read whole by python-sane's snap() (the fallback)
            meta = msg[1]
            data = w.recv_bytes(TIMEOUTS.read, "sane_read")
            if not data:
                raise error_for_status("SANE_STATUS_EOF", sheet=sheet, side=side, device=device)
            if meta["sample_size"] != 1:
                raise DeviceError(f"{device} delivered {8 * meta['sample_size']}-bit samples; expected 8-bit",
                                  f"{device} trả về ảnh {8 * meta['sample_size']} bit; cần ảnh 8 bit")
            px = np.frombuffer(data, np.uint8)
            height, width = meta["height"], meta["width"]
            px = px.reshape(height, width, meta["samples"]) if meta["samples"] == 3 else px.reshape(height, width)
            return CapturedImage(px, sheet, side, dpi)
        meta = msg[1]                         # ("frame", ...): arriving in the shared memory
        lines, width, bpl, channels = meta["lines"], meta["width"], meta["bpl"], meta["channels"]
        flat = np.frombuffer(w.shm, np.uint8, count=lines * bpl)
        pixels = frame_view(flat, lines, width, bpl, channels)

        def arriving() -> Iterator[tuple[int, np.ndarray]]:
            while True:
                m = w.recv(TIMEOUTS.read, "sane_read", deadline)
                if m[0] == "rows":
                    yield m[1], pixels
                elif m[0] == "end":
                    rows, extra = m[1], m[2]
                    if extra:                 # longer than announced: the rest came through the pipe
                        buf = np.concatenate((flat, np.frombuffer(extra, np.uint8)))
                        rows = buf.size // bpl
                        yield rows, frame_view(buf, rows, width, bpl, channels)
                    else:
                        yield rows, pixels[:rows]
                    return
                elif m[0] == "fail":
                    raise SaneReadError(m[1])
                else:
                    raise SaneReadError(status_of(Exception(m[2])))

        return CapturedImage(pixels, sheet, side, dpi, arriving=arriving())

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
        self._cancel_at = None
        self._in_frame = False
        _, m = self._mapping(request.device)
        events: list[ScanEvent] = []
        ops = self._configure_ops(request, m, events)        # refuses bad raw values before anything moves
        feeder = request.source != "flatbed"
        key = _pool_key()
        try:
            w = _POOL.acquire(key, _SaneWorker)
        except _NoSane as e:
            raise DeviceGone(f"SANE is not available for {request.device}: {e}",
                             f"Không dùng được SANE cho {request.device}: {e}") from None
        self._w = w
        clean = False
        image_no, sheet = 0, None
        try:
            w.send(("open", request.device.removeprefix("sane:")))
            reply = w.recv(TIMEOUTS.call, "sane_open")
            if reply[0] == "error":
                raise self._open_failed(request.device, reply[2])
            self._set(w, ops, request.device, progress)
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
                if side == "front" and sheet > 1:
                    later = [ro for ro in request.options if ro.from_sheet == sheet]
                    if later:
                        self._set(w, [(*self._raw_value(m, ro.name, ro.value, request.device), False, True)
                                      for ro in later], request.device, progress)
                try:
                    img = self._next_image(w, sheet, side, request.dpi, request.device, progress)
                    self._in_frame = img.arriving is not None
                    # streamed: the sink encodes and writes the first rows while the rest arrives
                    on_page(img)
                    img.complete()        # a sink that stopped reading early: finish the frame anyway
                    self._in_frame = False
                except (_StartFailed, SaneReadError) as e:
                    self._in_frame = False
                    if (end := self._stop(e, e.status, sheet, side, image_no, feeder, progress, events,
                                          request.device)) is None:
                        break
                    raise end from e
                del img
                progress.report(image_no, 0, f"sheet {sheet} {side}")
                if not feeder:
                    break
            clean = True
        except DriverCrashed as e:
            # the worker hung (killed by the watchdog) or died: the pages before this one are journaled
            kind = "driver-hung" if isinstance(e, DeviceHung) else "driver-crashed"
            events.append(ScanEvent(kind, sheet, e.message_en))
            if isinstance(e, DeviceHung) and self._cancel.is_set():
                err: DeviceError = ScanCancelled(f"Scan cancelled at sheet {sheet} (the driver had to be stopped)",
                                                 f"Đã hủy quét ở tờ {sheet} (trình điều khiển phải bị dừng)")
                err.details["events"] = events
                raise err from e
            e.details["sheet"] = sheet
            e.details["events"] = events
            raise
        finally:
            self._w = None
            self._end_session(w, key, clean, events)
        return events

    def _end_session(self, w: _SaneWorker, key: tuple, clean: bool, events: list[ScanEvent]) -> None:
        """sane_cancel + sane_close under the watchdog. A hang or crash here changes nothing about the run
        (its pages are journaled, its outcome decided): it is recorded as an event and the worker killed.
        Only a worker whose run ended normally goes back to the pool: after an error or a cancel mid-page
        a backend may have killed its reader thread at a bad moment, so that process is not trusted again."""
        if w.alive:
            try:
                if self._in_frame:
                    # the station gave up mid-page (an error on its side): stop the device feeding it,
                    # then skip what the worker still sends about that page until it answers the close
                    w.control(("cancel",))
                w.send(("close",))
                limit = time.monotonic() + TIMEOUTS.close
                while True:
                    reply = w.recv(max(0.0, limit - time.monotonic()), "sane_cancel/sane_close")
                    if reply[0] in ("ok", "error"):
                        break
                    if reply[0] == "image":
                        w.recv_bytes(max(0.0, limit - time.monotonic()), "sane_cancel/sane_close")
                if reply[0] == "error":
                    log.warning("SANE close failed: %s", reply[2])
                    clean = False
            except DriverCrashed as e:
                log.warning("SANE worker at the end of the run: %s", e.message_en)
                events.append(ScanEvent("driver-hung" if isinstance(e, DeviceHung) else "driver-crashed", None,
                                        e.message_en))
                clean = False
        if clean and w.alive:
            _POOL.release(key, w)
        else:
            w.kill()
