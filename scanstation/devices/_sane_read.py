"""Reading a SANE frame in pieces, straight into its pixel buffer, while the page is still being scanned.

python-sane's ``snap()`` returns only when the whole page is in: it reads one line per
``sane_read`` (a read() and a GIL round trip per line), copies the frame twice (line buffer, its
image buffer, then a bytearray) and gives the caller nothing to do meanwhile. Here ``sane_read``
is called through ctypes for up to 1 MiB at a time, straight into the final numpy buffer, and
the caller is told after every read how many rows are complete, so that it can encode and write
the first rows of a page while the scanner still delivers the rest (``CapturedImage.rows()``).
The next page is still not requested before this one has been written and journaled: the
overlap is within one page.

Option handling stays with python-sane: this only borrows the ``SANE_Handle`` of the device it
opened (the first field after the object header of its ``SaneDev``, checked against the object's
size, and then cross-checked: both views of ``sane_get_parameters`` must agree), and resolves
``sane_*`` through the ``_sane`` extension's own libsane. Anything unusual (three-pass colour,
1- or 16-bit samples, a height not known in advance, a python-sane whose object layout differs)
returns ``None`` and the driver falls back to ``snap()``.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

READ_MAX = 1 << 20   # bytes asked per sane_read; backends return what they have (often one pipe buffer)
_FRAME_GRAY, _FRAME_RGB = 0, 1
_STATUS_GOOD, _STATUS_EOF = 0, 5
STATUS_NAMES = ("SANE_STATUS_GOOD", "SANE_STATUS_UNSUPPORTED", "SANE_STATUS_CANCELLED", "SANE_STATUS_DEVICE_BUSY",
                "SANE_STATUS_INVAL", "SANE_STATUS_EOF", "SANE_STATUS_JAMMED", "SANE_STATUS_NO_DOCS",
                "SANE_STATUS_COVER_OPEN", "SANE_STATUS_IO_ERROR", "SANE_STATUS_NO_MEM", "SANE_STATUS_ACCESS_DENIED")


class SaneReadError(Exception):
    """sane_read ended a frame with something other than EOF; ``status`` is the SANE status name."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class _Params(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("last_frame", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("pixels_per_line", ctypes.c_int), ("lines", ctypes.c_int), ("depth", ctypes.c_int)]


_lib: Any = None
_lib_failed = False


def _libsane() -> Any:
    """libsane's functions as the loaded ``_sane`` extension sees them (same library, same state)."""
    global _lib, _lib_failed
    if _lib is None and not _lib_failed:
        try:
            import _sane

            lib = ctypes.CDLL(_sane.__file__)       # dlsym on it also searches its dependency, libsane
            lib.sane_read.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
            lib.sane_read.restype = ctypes.c_int
            lib.sane_get_parameters.argtypes = [ctypes.c_void_p, ctypes.POINTER(_Params)]
            lib.sane_get_parameters.restype = ctypes.c_int
            _lib = lib
        except (ImportError, OSError, AttributeError) as e:
            log.info("direct sane_read unavailable (%s): using python-sane's snap()", e)
            _lib_failed = True
    return _lib


def _handle(raw_dev: Any) -> int | None:
    """The SANE_Handle inside python-sane's SaneDev: ``{PyObject_HEAD; SANE_Handle h;}``, nothing else."""
    header, ptr = object.__basicsize__, ctypes.sizeof(ctypes.c_void_p)
    if type(raw_dev).__basicsize__ != header + ptr:
        return None
    return ctypes.c_void_p.from_address(id(raw_dev) + header).value or None


class Frame:
    """One frame being read: ``pixels`` is its final buffer, ``read()`` fills it."""

    def __init__(self, lib: Any, handle: int, p: _Params, cancelled: Callable[[], bool] = lambda: False,
                 buf: np.ndarray | None = None) -> None:
        self._lib, self._h, self._cancelled = lib, handle, cancelled
        self.channels = 3 if p.format == _FRAME_RGB else 1
        self.bpl, self.lines = p.bytes_per_line, p.lines
        size = self.lines * self.bpl
        self._buf = np.empty(size, np.uint8) if buf is None else buf[:size]   # buf: e.g. shared memory
        self.pixels = self._view(self._buf, self.lines, p.pixels_per_line)
        self.width = p.pixels_per_line
        self.extra = b""          # bytes beyond the announced size (a page longer than announced)

    def _view(self, buf: np.ndarray, lines: int, width: int) -> np.ndarray:
        return frame_view(buf, lines, width, self.bpl, self.channels)

    def read(self) -> Iterator[tuple[int, np.ndarray]]:
        """Read until EOF; yields (complete rows, pixels) after every read that completed rows.

        A partial last row is dropped (as snap() does); a page longer than announced is kept whole
        (the buffer grows once, at the end); a frame with no complete row raises EOF as an error.
        A frame cut short while the station was cancelling is not a short page but a cancelled one
        (backends answer a cancel mid-read with EOF, INVAL or CANCELLED alike).
        """
        lib, h, bpl = self._lib, self._h, self.bpl
        total = self._buf.size
        base = self._buf.ctypes.data
        got = ctypes.c_int(0)
        pos, rows = 0, 0
        extra: list[bytes] = []
        spill = None
        while True:
            if pos < total:
                st = lib.sane_read(h, base + pos, min(READ_MAX, total - pos), ctypes.byref(got))
            else:   # the buffer is full: the backend should say EOF now; anything more is a longer page
                if spill is None:
                    spill = ctypes.create_string_buffer(READ_MAX)
                st = lib.sane_read(h, spill, READ_MAX, ctypes.byref(got))
            if st == _STATUS_EOF:
                if pos < total and self._cancelled():
                    raise SaneReadError("SANE_STATUS_CANCELLED")
                break
            if st != _STATUS_GOOD:
                if self._cancelled():
                    raise SaneReadError("SANE_STATUS_CANCELLED")
                raise SaneReadError(STATUS_NAMES[st] if 0 <= st < len(STATUS_NAMES) else f"SANE_STATUS_{st}")
            if pos < total:
                pos += got.value
                if pos // bpl > rows:
                    rows = pos // bpl
                    yield rows, self.pixels
            elif got.value:
                extra.append(spill.raw[:got.value])
        if extra:
            more = self.extra = b"".join(extra)
            log.info("SANE frame longer than announced: %d more bytes", len(more))
            self._buf = np.concatenate((self._buf, np.frombuffer(more, np.uint8)))
            rows = self._buf.size // bpl
            self.pixels = self._view(self._buf, rows, self.width)
        if rows == 0:
            raise SaneReadError("SANE_STATUS_EOF")
        yield rows, self.pixels[:rows]


def frame_params(raw_dev: Any) -> tuple[Any, int, _Params] | None:
    """After ``start()``: (libsane, handle, parameters) to read the frame in pieces, or None when snap() must."""
    lib = _libsane()
    if lib is None:
        return None
    h = _handle(raw_dev)
    if h is None:
        log.info("python-sane's device object has an unknown layout: using snap()")
        return None
    p = _Params()
    if lib.sane_get_parameters(h, ctypes.byref(p)) != _STATUS_GOOD:
        return None
    fmt, _last, (ppl, lines), depth, bpl = raw_dev.get_parameters()
    if (ppl, lines, depth, bpl) != (p.pixels_per_line, p.lines, p.depth, p.bytes_per_line):
        log.warning("direct sane_read disagrees with python-sane about the frame: using snap()")
        return None
    channels = {_FRAME_GRAY: 1, _FRAME_RGB: 3}.get(p.format)
    if channels is None or p.depth != 8 or p.lines <= 0 or p.pixels_per_line <= 0 \
            or p.bytes_per_line < p.pixels_per_line * channels:
        return None
    return lib, h, p


def begin_frame(raw_dev: Any, cancelled: Callable[[], bool] = lambda: False) -> Frame | None:
    """After ``start()``: a Frame to read the page in pieces, or None when snap() must do it."""
    fp = frame_params(raw_dev)
    return None if fp is None else Frame(*fp, cancelled)


def frame_view(buf: np.ndarray, lines: int, width: int, bpl: int, channels: int) -> np.ndarray:
    """Pixels (lines, width[, 3]) of a frame stored line by line in ``buf`` (line padding dropped)."""
    rows = buf[:lines * bpl].reshape(lines, bpl)[:, :width * channels]
    return rows.reshape(lines, width, 3) if channels == 3 else rows
