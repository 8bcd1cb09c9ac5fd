"""TWAIN driver: the adapter in the station's process, the data source in a worker process (see _twain_worker)."""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

from scanstation.devices._proc import WorkerProcess
from scanstation.devices._twain_worker import worker_main
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
    DoubleFeed,
    DriverCrashed,
    FeederEmpty,
    PaperJam,
    ScanCancelled,
    UnsupportedScanSetting,
)
from scanstation.progress import Progress

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 120.0     # a source may take long to warm up its lamp; a dead one never answers

_ERRORS: dict[str, tuple[type[DeviceError], str, str]] = {
    "jam": (PaperJam, "Paper jam", "Kẹt giấy"),
    "double_feed": (DoubleFeed, "Double feed: two sheets went through together", "Nạp hai tờ cùng lúc"),
    "gone": (DeviceGone, "The scanner went offline", "Máy quét mất kết nối"),
    "no_docs": (FeederEmpty, "The document feeder is empty", "Khay nạp giấy trống"),
    "cover_open": (CoverOpen, "The scanner cover is open", "Nắp máy quét đang mở"),
    "busy": (DeviceBusy, "The scanner is busy", "Máy quét đang bận"),
    "cancelled": (ScanCancelled, "The scan was cancelled at the scanner", "Việc quét đã bị hủy trên máy quét"),
    "not_found": (DeviceNotFound, "No such TWAIN source", "Không có nguồn TWAIN này"),
    "unsupported": (UnsupportedScanSetting, "The TWAIN source refused a setting", "Nguồn TWAIN từ chối thiết lập"),
}


def _new_worker(backend: str) -> WorkerProcess:
    return WorkerProcess(worker_main, (backend,), label="TWAIN", name=f"scanstation-twain-{backend}")


class TwainDriver:
    name = "twain"

    def __init__(self, backend: str | None = None) -> None:
        from scanstation.devices.factory import TWAIN_ENV

        self.backend = backend or os.environ.get(TWAIN_ENV) or "pytwain"
        self._cancel = threading.Event()
        self._caps: dict[str, Capabilities] = {}
        self._raw: dict[str, dict[str, str]] = {}
        self._w: WorkerProcess | None = None

    def _worker(self) -> WorkerProcess:
        """The driver's worker process, started on first use and replaced after a crash."""
        if self._w is None or not self._w.alive:
            self._w = _new_worker(self.backend)
        return self._w

    def close(self) -> None:
        if self._w is not None:
            self._w.close()
            self._w = None

    def _call(self, msg: tuple, whole: bool = False) -> Any:
        w = self._worker()
        try:
            w.send(msg)
            reply = w.recv(REPLY_TIMEOUT_S, msg[0])
        except DriverCrashed:
            self._w = None
            raise
        if reply[0] == "error":
            raise self._error(reply[1], reply[2], reply[3], msg[1] if len(msg) > 1 else "")
        return reply if whole else reply[1]

    @staticmethod
    def _error(kind: str, message: str, sheet: int | None, device: str) -> DeviceError:
        cls, en, vi = _ERRORS.get(kind, (DeviceError, "TWAIN source failure", "Lỗi nguồn TWAIN"))
        where_en = f" at sheet {sheet}" if sheet else ""
        where_vi = f" ở tờ {sheet}" if sheet else ""
        return cls(f"{en}{where_en} on {device} ({message})", f"{vi}{where_vi} trên {device} ({message})", sheet=sheet)

    def list_devices(self) -> list[DeviceInfo]:
        try:
            reply = self._call(("list",), whole=True)
        except DeviceError as e:
            log.warning("TWAIN device discovery failed: %s", e.message_en)
            return []
        names = reply[1]
        if len(reply) > 2 and reply[2]:      # no source manager: no TWAIN scanner, not a failure
            log.info("TWAIN: %s", reply[2])
        return [DeviceInfo(f"twain:{n}", n, "twain") for n in names]

    def capabilities(self, device_id: str) -> Capabilities:
        if device_id not in self._caps:
            name = device_id.removeprefix("twain:")
            try:
                c = self._call(("caps", name))
            except DeviceNotFound:
                valid = ", ".join(d.id for d in self.list_devices()) or "none found"
                raise DeviceNotFound(f"No TWAIN source '{device_id}'; available: {valid}",
                                     f"Không có nguồn TWAIN '{device_id}'; các nguồn có sẵn: {valid}",
                                     field="device") from None
            area = tuple(c["max_area_mm"]) if c.get("max_area_mm") else None
            papers = [p for p, (w, h) in PAPER_SIZES_MM.items() if area is None or (w <= area[0] + .5 and h <= area[1] + .5)]
            self._raw[device_id] = dict(c.get("raw") or {})
            self._caps[device_id] = Capabilities(
                device=DeviceInfo(device_id, name, "twain"), sources=tuple(c["sources"]),
                resolutions=tuple(c["resolutions"]), resolution_range=None, modes=tuple(c["modes"]),
                bit_depths={m: 24 if m == "color" else 8 for m in c["modes"]}, paper_sizes=(*papers, MAX_AREA),
                max_area_mm=area, double_feed_detection=bool(c["double_feed"]),
                feeder_loaded_sensing=bool(c["feeder_loaded"]), raw_options=self._raw[device_id])
        return self._caps[device_id]

    def check_options(self, request: ScanRequest) -> None:
        self.capabilities(request.device)
        raw = self._raw.get(request.device, {})
        for ro in request.options:
            if ro.name not in raw:
                valid = ", ".join(sorted(raw)) or "none"
                raise UnsupportedScanSetting(
                    f"Device {request.device} has no option '{ro.name}'; valid options: {valid}",
                    f"Máy quét {request.device} không có tùy chọn '{ro.name}'; các tùy chọn hợp lệ: {valid}",
                    field="option")

    def cancel(self) -> None:
        self._cancel.set()

    def scan(self, request: ScanRequest, on_page: PageCallback, progress: Progress) -> list[ScanEvent]:
        self._cancel.clear()
        name = request.device.removeprefix("twain:")
        req = {**request.to_dict(), "options": {o.name: o.value for o in request.options}}
        events: list[ScanEvent] = []
        w = self._worker()
        last_sheet: int | None = None
        try:
            w.send(("scan", name, req))
            while True:
                try:
                    msg = w.recv(REPLY_TIMEOUT_S, "acquire")
                except DriverCrashed as e:
                    self._w = None
                    e.details["sheet"] = (last_sheet or 0) + 1
                    events.append(ScanEvent("driver-crashed", e.details["sheet"], e.message_en))
                    e.details["events"] = events
                    raise
                if msg[0] == "page":
                    meta = msg[1]
                    data = w.recv_bytes(REPLY_TIMEOUT_S, "image transfer")
                    px = np.frombuffer(data, np.uint8).reshape(meta["shape"])
                    on_page(CapturedImage(px, meta["sheet"], meta["side"], meta["dpi"]))
                    last_sheet = meta["sheet"]
                    del px, data
                    stop = self._cancel.is_set() or progress.cancelled
                    w.send(("stop",) if stop else ("next",))
                elif msg[0] == "done":
                    events.extend(ScanEvent(e["kind"], e.get("sheet"), e.get("detail", "")) for e in msg[1])
                    if any(e.kind == "cancelled" for e in events):
                        err = ScanCancelled(f"Scan cancelled after sheet {last_sheet}",
                                            f"Đã hủy quét sau tờ {last_sheet}")
                        err.details["events"] = events
                        raise err
                    return events
                elif msg[0] == "error":
                    err = self._error(msg[1], msg[2], msg[3], request.device)
                    events.append(ScanEvent(err.code.lower().removeprefix("device_"), msg[3], err.message_en))
                    err.details["events"] = events
                    raise err
        except BaseException:
            # an interrupted exchange leaves the pipe mid-conversation: never reuse that worker
            if self._w is w:
                self._w = None
                w.close()
            raise
