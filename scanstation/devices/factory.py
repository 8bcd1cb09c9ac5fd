"""Picks the driver for a device id; drivers stay private behind it."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

from scanstation.devices.base import (
    Capabilities,
    DeviceInfo,
    PageCallback,
    ScanDriver,
    ScanEvent,
    ScanRequest,
)
from scanstation.errors import DeviceNotFound
from scanstation.progress import NULL_PROGRESS, Progress

#: SCANSTATION_TWAIN_WORKER=fake shows the TWAIN adapter with its fake data source on any OS (training, tests)
TWAIN_ENV = "SCANSTATION_TWAIN_WORKER"


def _driver_classes() -> dict[str, type]:
    from scanstation.devices._sane import SaneDriver
    from scanstation.devices._virtual import VirtualDriver

    classes: dict[str, type] = {"virtual": VirtualDriver, "sane": SaneDriver}
    if sys.platform == "win32" or os.environ.get(TWAIN_ENV):
        from scanstation.devices._twain import TwainDriver

        classes["twain"] = TwainDriver
    return classes


def _new_driver(kind: str) -> ScanDriver:
    return _driver_classes()[kind]()


def list_devices() -> list[DeviceInfo]:
    """Every device every available driver sees, the virtual scanner first."""
    out: list[DeviceInfo] = []
    for kind in _driver_classes():
        out.extend(_new_driver(kind).list_devices())
    return out


def _unknown(device_id: str) -> DeviceNotFound:
    valid = ", ".join(d.id for d in list_devices())
    return DeviceNotFound(f"Unknown scanner '{device_id}'; available devices: {valid}",
                          f"Không có máy quét '{device_id}'; các máy có sẵn: {valid}", field="device")


@dataclass
class Scanner:
    """One device behind its driver: capabilities, validation, scan, cancel."""

    device_id: str
    driver: ScanDriver
    _caps: Capabilities | None = field(default=None, repr=False)

    def capabilities(self) -> Capabilities:
        if self._caps is None:
            self._caps = self.driver.capabilities(self.device_id)
        return self._caps

    def validate(self, request: ScanRequest) -> None:
        from scanstation.devices.base import validate_request

        validate_request(request, self.capabilities())
        self.driver.check_options(request)

    def scan(self, request: ScanRequest, on_page: PageCallback, progress: Progress = NULL_PROGRESS
             ) -> list[ScanEvent]:
        return self.driver.scan(request, on_page, progress)

    def cancel(self) -> None:
        self.driver.cancel()


def open_scanner(device_id: str) -> Scanner:
    kind, sep, _ = device_id.partition(":")
    classes = _driver_classes()
    if not sep or kind not in classes:
        raise _unknown(device_id)
    return Scanner(device_id, _new_driver(kind))


def capabilities(device_id: str) -> Capabilities:
    return open_scanner(device_id).capabilities()
