"""The driver protocol every scanner driver implements, and the plain data it speaks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from scanstation.errors import UnsupportedScanSetting
from scanstation.progress import Progress

SOURCES = ("flatbed", "adf", "adf-duplex")
MODES = ("color", "gray")
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MAX_AREA = "max"   # paper "size" meaning the whole scan area of the device


@dataclass(frozen=True)
class DeviceInfo:
    id: str                 # "<driver>:<driver's own name>", e.g. sane:fujitsu:fi-7160:123, virtual:demo
    name: str               # vendor and model as the driver reports them
    driver: str             # sane | twain | virtual

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "driver": self.driver}


@dataclass(frozen=True)
class Capabilities:
    """What a device can do, as the station understands it (driver vocabulary already mapped)."""

    device: DeviceInfo
    sources: tuple[str, ...]                      # subset of SOURCES
    resolutions: tuple[int, ...]                  # discrete list the station offers
    resolution_range: tuple[int, int] | None      # (min, max) when the device takes any value in it
    modes: tuple[str, ...]                        # subset of MODES
    bit_depths: dict[str, int] = field(default_factory=dict)   # mode -> bits per pixel delivered
    paper_sizes: tuple[str, ...] = ()             # named sizes that fit, plus "max"
    max_area_mm: tuple[float, float] | None = None
    double_feed_detection: bool = False
    feeder_loaded_sensing: bool = False
    raw_options: dict[str, Any] = field(default_factory=dict)  # driver option -> allowed values (or None)

    @property
    def duplex(self) -> bool:
        return "adf-duplex" in self.sources

    def dpi_allowed(self, dpi: int) -> bool:
        if dpi in self.resolutions:
            return True
        return bool(self.resolution_range and self.resolution_range[0] <= dpi <= self.resolution_range[1])

    def describe_resolutions(self) -> str:
        listed = ", ".join(str(r) for r in self.resolutions)
        if self.resolution_range:
            lo, hi = self.resolution_range
            return f"{lo}-{hi} (suggested {listed})" if listed else f"{lo}-{hi}"
        return listed

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.device.to_dict(),
            "sources": list(self.sources), "resolutions": list(self.resolutions),
            "resolution_range": list(self.resolution_range) if self.resolution_range else None,
            "modes": list(self.modes), "bit_depths": dict(self.bit_depths), "duplex": self.duplex,
            "double_feed_detection": self.double_feed_detection,
            "feeder_loaded_sensing": self.feeder_loaded_sensing, "paper_sizes": list(self.paper_sizes),
            "max_area_mm": list(self.max_area_mm) if self.max_area_mm else None,
        }


@dataclass(frozen=True)
class RawOption:
    """A driver option passed through untouched (``--option NAME=VALUE``); ``from_sheet`` > 1 applies it
    only from that sheet on (``NAME@3=VALUE``), which scripts a failure after some good pages."""

    name: str
    value: str
    from_sheet: int = 1

    @classmethod
    def parse(cls, text: str) -> RawOption:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UnsupportedScanSetting(
                f"--option must look like NAME=VALUE, not '{text}'",
                f"Tùy chọn phải có dạng TÊN=GIÁ_TRỊ, không phải '{text}'", field="option")
        from_sheet = 1
        if "@" in name:
            name, _, at = name.partition("@")
            if not at.isdigit() or int(at) < 1:
                raise UnsupportedScanSetting(
                    f"--option {text}: the sheet after '@' must be a whole number >= 1",
                    f"Tùy chọn {text}: số tờ sau '@' phải là số nguyên >= 1", field="option")
            from_sheet = int(at)
        return cls(name, value.strip(), from_sheet)

    def __str__(self) -> str:
        at = f"@{self.from_sheet}" if self.from_sheet > 1 else ""
        return f"{self.name}{at}={self.value}"


@dataclass(frozen=True)
class ScanRequest:
    """What the hardware gets: frozen, validated against the device's capabilities before scanning."""

    device: str
    source: str = "adf-duplex"
    dpi: int = 300
    mode: str = "color"
    paper: str = "A4"
    double_feed_detection: bool = True
    options: tuple[RawOption, ...] = ()
    max_sheets: int | None = None          # stop after this many sheets (None: until the feeder is empty)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise UnsupportedScanSetting(
                f"Unknown source '{self.source}'; valid sources: {', '.join(SOURCES)}",
                f"Nguồn quét '{self.source}' không hợp lệ; các giá trị hợp lệ: {', '.join(SOURCES)}",
                field="source")
        if self.mode not in MODES:
            raise UnsupportedScanSetting(
                f"Unknown colour mode '{self.mode}'; valid modes: {', '.join(MODES)}",
                f"Chế độ màu '{self.mode}' không hợp lệ; các giá trị hợp lệ: {', '.join(MODES)}", field="mode")

    @property
    def duplex(self) -> bool:
        return self.source == "adf-duplex"

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "source": self.source, "dpi": self.dpi, "mode": self.mode,
                "paper": self.paper, "double_feed_detection": self.double_feed_detection,
                "options": [str(o) for o in self.options], "max_sheets": self.max_sheets}


@dataclass
class CapturedImage:
    """One image as a driver delivers it, before it is written. ``pixels`` is RGB (H, W, 3) or grey (H, W).

    A streaming driver hands the image over while the device is still delivering it: ``arriving``
    is then set, ``pixels`` is the buffer being filled, and iterating ``rows()`` reads the device,
    yielding how many rows are filled so far, so that the first rows can be encoded and written
    while the rest of the page arrives. ``complete()`` just waits for the whole image.
    """

    pixels: np.ndarray
    sheet: int
    side: str                          # front | back
    dpi: int
    truth: dict[str, Any] | None = None   # ground truth (virtual scanner only)
    arriving: Iterator[tuple[int, np.ndarray]] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[int]:
        """Rows of ``pixels`` filled so far, growing until the image is whole (the last value is its height).

        The driver may swap ``pixels`` while this runs (a page shorter or longer than announced): read
        ``self.pixels`` afresh after each step and use only the rows it says are filled.
        """
        if self.arriving is None:
            yield self.pixels.shape[0]
            return
        arriving, self.arriving = self.arriving, None
        for filled, pixels in arriving:
            self.pixels = pixels
            yield filled

    def complete(self) -> np.ndarray:
        """The whole image (reads the rest of it from the device if it is still arriving)."""
        for _ in self.rows():
            pass
        return self.pixels


@dataclass
class ScanEvent:
    """Something that happened during a run (jam, double feed, feeder empty, ...), for the manifest."""

    kind: str
    sheet: int | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sheet": self.sheet, "detail": self.detail}


PageCallback = Callable[[CapturedImage], None]


class ScanDriver(Protocol):
    """Three verbs and a cancel. ``scan`` calls ``on_page`` for each image in feeder order and does not
    ask the device for the next image until ``on_page`` has returned (that is where the page is
    written and journaled). It returns the run's events, or raises a DeviceError subclass."""

    name: str

    def list_devices(self) -> list[DeviceInfo]: ...

    def capabilities(self, device_id: str) -> Capabilities: ...

    def check_options(self, request: ScanRequest) -> None:
        """Refuse raw options the device does not have or values it does not take (before scanning)."""

    def scan(self, request: ScanRequest, on_page: PageCallback, progress: Progress) -> list[ScanEvent]: ...

    def cancel(self) -> None: ...


def validate_request(request: ScanRequest, caps: Capabilities) -> None:
    """Refuse what the device does not offer, naming the valid values. Raw options are the driver's job."""
    dev = caps.device.id
    if request.source not in caps.sources:
        valid = ", ".join(caps.sources)
        raise UnsupportedScanSetting(
            f"Device {dev} has no source '{request.source}'; valid sources: {valid}",
            f"Máy quét {dev} không có nguồn '{request.source}'; các nguồn hợp lệ: {valid}", field="source")
    if not caps.dpi_allowed(request.dpi):
        valid = caps.describe_resolutions()
        raise UnsupportedScanSetting(
            f"Device {dev} does not scan at {request.dpi} dpi; valid resolutions: {valid}",
            f"Máy quét {dev} không quét được {request.dpi} dpi; các độ phân giải hợp lệ: {valid}", field="dpi")
    if request.mode not in caps.modes:
        valid = ", ".join(caps.modes)
        raise UnsupportedScanSetting(
            f"Device {dev} has no colour mode '{request.mode}'; valid modes: {valid}",
            f"Máy quét {dev} không có chế độ màu '{request.mode}'; các chế độ hợp lệ: {valid}", field="mode")
    if request.paper not in caps.paper_sizes:
        valid = ", ".join(caps.paper_sizes)
        raise UnsupportedScanSetting(
            f"Device {dev} cannot scan paper size '{request.paper}'; valid sizes: {valid}",
            f"Máy quét {dev} không quét được khổ giấy '{request.paper}'; các khổ hợp lệ: {valid}",
            field="paper")
