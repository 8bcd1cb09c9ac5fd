"""Load a page for QC: read the real image's facts and decode it at reduced scale (~75 dpi) once.

QC never needs full resolution: a JPEG is decoded straight to 1/2, 1/4 or 1/8 scale by libjpeg
(``cv2.IMREAD_REDUCED_*``, which costs about a third of a full decode), a raw scanner frame is
averaged down by exact halvings (``INTER_AREA`` has a fast path for 2x). Every check then works on
that small picture, in millimetres, so results do not depend on the scan resolution.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from scanstation.errors import UnreadableImageError
from scanstation.qc.fast import chroma as chroma_of
from scanstation.qc.fast import halve
from scanstation.qc.findings import Finding, Severity, finding

WORK_DPI = 75                      # the resolution the checks are tuned for
MIN_PIXELS = 256                   # shorter side below this: a thumbnail, not a scan
MAX_PIXELS = 200_000_000           # above this we refuse to decode (memory), e.g. A0 at 600 dpi
MAX_SIDE = 60_000

_REDUCED_COLOR = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                  8: cv2.IMREAD_REDUCED_COLOR_8}


@dataclass
class RawFrame:
    """A frame straight from a scanner driver: RGB (or grey) uint8 pixels plus what the driver said."""

    pixels: np.ndarray
    dpi: tuple[int, int] | None = None
    name: str = "<frame>"


@dataclass
class LoadedPage:
    """What QC knows about one image: its facts from the file and its reduced-scale pixels."""

    name: str
    format: str = ""
    width: int = 0                      # full-resolution pixels
    height: int = 0
    dpi: tuple[int, int] | None = None  # as recorded in the file (None: not recorded)
    mode: str = ""                      # PIL mode of the stored image (RGB, L, 1, I;16, RGBA, P ...)
    bits: int = 8                       # bits per channel
    transparency: bool = False          # a transparent colour (PNG tRNS) even without an alpha channel
    frames: int = 1                     # images in the file (a multi-page TIFF has several)
    factor: int = 1                     # full / working scale
    bgr: np.ndarray | None = None       # working-scale colour, uint8 BGR
    gray: np.ndarray | None = None      # working-scale luma, uint8
    findings: list[Finding] = field(default_factory=list)
    _gray2: np.ndarray | None = field(default=None, repr=False)
    _gray4: np.ndarray | None = field(default=None, repr=False)
    _chroma: np.ndarray | None = field(default=None, repr=False)

    # One shared pyramid for every check: each level is made once, by exact halvings (cheap).
    @property
    def gray2(self) -> np.ndarray:
        """Luma at half the working scale."""
        if self._gray2 is None:
            self._gray2 = halve(self.gray)
        return self._gray2

    @property
    def gray4(self) -> np.ndarray:
        """Luma at a quarter of the working scale."""
        if self._gray4 is None:
            self._gray4 = halve(self.gray2)
        return self._gray4

    @property
    def chroma(self) -> np.ndarray:
        """max - min of B, G, R at the working scale: how coloured each pixel is."""
        if self._chroma is None:
            self._chroma = chroma_of(self.bgr)
        return self._chroma

    def derive(self) -> LoadedPage:
        """Luma and chroma from the colour pixels, if :func:`load_page` was told to leave them."""
        if self.gray is None and self.bgr is not None:
            self.gray = cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)
            _ = self.chroma
        return self

    @property
    def usable(self) -> bool:
        """Pixels are there and big enough for the image checks."""
        return self.gray is not None and not any(f.code in ("IMAGE_TOO_SMALL", "IMAGE_TOO_LARGE")
                                                 for f in self.findings)

    @property
    def px_per_mm(self) -> float:
        """Working-scale pixels per millimetre; without a dpi, assume the long side is A4's 297 mm."""
        if self.dpi and self.dpi[0] > 0:
            return self.dpi[0] / self.factor / 25.4
        long_px = max(self.width, self.height) / max(self.factor, 1)
        return long_px / 297.0


def _factor_for(width: int, height: int, dpi: tuple[int, int] | None) -> int:
    if dpi and dpi[0] >= 20:
        f = 2 ** round(math.log2(max(dpi[0] / WORK_DPI, 1)))
    else:
        f = 1
        while f < 8 and max(width, height) / (f * 2) >= 640:
            f *= 2
    return int(min(max(f, 1), 8))


def _halve_to(img: np.ndarray, factor: int) -> np.ndarray:
    while factor > 1:
        h, w = img.shape[:2]
        img = cv2.resize(img[:h // 2 * 2 or 1, :w // 2 * 2 or 1], (max(w // 2, 1), max(h // 2, 1)),
                         interpolation=cv2.INTER_AREA)
        factor //= 2
    return img


def _dpi_from_info(info: dict) -> tuple[int, int] | None:
    dpi = info.get("dpi")
    if not dpi:
        return None
    try:
        x, y = (float(dpi[0]), float(dpi[1]))
    except (TypeError, ValueError, IndexError):
        return None
    if x < 1 or y < 1:
        return None
    return int(round(x)), int(round(y))


def _size_findings(page: LoadedPage) -> bool:
    """Add tiny/huge findings; return False when the pixels must not be decoded."""
    w, h = page.width, page.height
    if w * h > MAX_PIXELS or max(w, h) > MAX_SIDE:
        page.findings.append(finding(
            "IMAGE_TOO_LARGE", Severity.BLOCK,
            f"{page.name}: {w}x{h} pixels is too large to check ({w * h / 1e6:.0f} MP); rescan at a normal resolution",
            f"{page.name}: ảnh {w}x{h} điểm ảnh quá lớn ({w * h / 1e6:.0f} MP); hãy quét lại ở độ phân giải thông thường",
            overridable=False))
        return False
    if min(w, h) < MIN_PIXELS:
        page.findings.append(finding(
            "IMAGE_TOO_SMALL", Severity.BLOCK,
            f"{page.name}: {w}x{h} pixels is far too small for a scanned page",
            f"{page.name}: ảnh {w}x{h} điểm ảnh quá nhỏ, không phải trang quét đầy đủ", overridable=False))
    return True


def _unreadable(name: str, why_en: str, why_vi: str) -> UnreadableImageError:
    return UnreadableImageError(f"{name}: cannot read the image ({why_en})",
                                f"{name}: không đọc được ảnh ({why_vi})", field=name)


def load_page(source: str | Path | bytes | RawFrame, *, name: str | None = None,
              derive: bool = True) -> LoadedPage:
    """Read facts and reduced-scale pixels. Raises :class:`UnreadableImageError` when it cannot.
    ``derive=False``: a JPEG's luma and chroma are left for :meth:`LoadedPage.derive` (a read-ahead
    thread then does only the decode, and the checking thread the rest: the two lanes balance)."""
    if isinstance(source, RawFrame):
        return _load_frame(source)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        name = name or "<image>"
    else:
        path = Path(source)
        name = name or path.name
        try:
            data = path.read_bytes()
        except OSError as e:
            raise _unreadable(name, e.strerror or str(e), "không mở được tệp") from e
    if not data:
        raise _unreadable(name, "the file is empty", "tệp rỗng")
    facts = _jpeg_facts(data)
    if facts is not None:     # an ordinary JPEG: its markers say all Pillow would (and cost far less to read)
        width, height, mode, dpi = facts
        page = LoadedPage(name=name, format="JPEG", width=width, height=height, dpi=dpi, mode=mode)
        if not _size_findings(page):
            return page
        page.factor = _factor_for(page.width, page.height, page.dpi)
        _decode_jpeg(page, data, derive)
        return page
    try:
        im = _open_unlimited(data)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise _unreadable(name, "not a known image format", "không phải định dạng ảnh") from e
    page = LoadedPage(name=name, format=im.format or "", width=im.width, height=im.height,
                      dpi=_dpi_from_info(im.info), mode=im.mode, transparency="transparency" in im.info,
                      frames=int(getattr(im, "n_frames", 1) or 1))
    page.bits = _bits(im, data)
    if not _size_findings(page):
        return page
    page.factor = _factor_for(page.width, page.height, page.dpi)
    if im.format == "JPEG":
        _decode_jpeg(page, data, derive)
        return page
    page.bgr = _halve_to(_decode_other(im, data, name), page.factor)
    page.gray = cv2.cvtColor(page.bgr, cv2.COLOR_BGR2GRAY)
    return page


_PIL_LIMIT = threading.Lock()


def _open_unlimited(data: bytes) -> Image.Image:
    """``Image.open`` without Pillow's decompression-bomb limit (~179 MP): opening reads only the
    header, and the station applies its own limit (MAX_PIXELS) with the image's real size. Pillow
    keeps the limit in a module global, so it is lifted under a lock."""
    with _PIL_LIMIT, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            return Image.open(io.BytesIO(data))
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _decode_jpeg(page: LoadedPage, data: bytes, derive: bool = True) -> None:
    """One decode, in colour, straight at the working scale; luma is derived from it."""
    if not data[-64:].rstrip(b"\x00\r\n ").endswith(b"\xff\xd9") and \
            not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        raise _unreadable(page.name, "the JPEG file is truncated (no end marker)", "tệp JPEG bị cắt cụt")
    # QC sees the pixels as stored, like the PDF will (and OpenCV skips looking for an orientation)
    flags = _REDUCED_COLOR[page.factor] | cv2.IMREAD_IGNORE_ORIENTATION
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if arr is None:
        raise _unreadable(page.name, "corrupt JPEG data", "dữ liệu JPEG bị hỏng")
    page.bgr = arr
    if derive:
        page.derive()


_SOF = {0xC0, 0xC1, 0xC2}                    # baseline, extended, progressive (Huffman)
_JPEG_MODES = {1: "L", 3: "RGB", 4: "CMYK"}


def _jpeg_facts(data: bytes) -> tuple[int, int, str, tuple[int, int] | None] | None:
    """Size, mode and dpi of an ordinary JPEG from its markers, as Pillow would report them.

    None for anything out of the ordinary (not a JPEG, an unusual frame type or depth, a resolution
    only in EXIF, damaged markers): then Pillow reads the file.
    """
    if data[:3] != b"\xff\xd8\xff":
        return None
    n = len(data)
    i = 2
    dpi: tuple[float, float] | None = None
    exif = False
    sof: tuple[int, int, int] | None = None
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:          # fill byte
            i += 1
            continue
        if marker == 0xD8 or marker == 0x01 or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if length < 2 or i + 2 + length > n:
            return None
        seg = data[i + 4:i + 2 + length]
        if marker == 0xE0 and seg[:4] == b"JFIF" and len(seg) >= 12:
            unit = seg[7]
            density = ((seg[8] << 8) | seg[9], (seg[10] << 8) | seg[11])
            if unit == 1:
                dpi = (float(density[0]), float(density[1]))
            elif unit == 2:
                dpi = (density[0] * 2.54, density[1] * 2.54)
        elif marker == 0xE1 and seg[:6] == b"Exif\x00\x00":
            exif = True
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if marker not in _SOF or len(seg) < 6 or sof is not None:
                return None
            sof = ((seg[3] << 8) | seg[4], (seg[1] << 8) | seg[2], seg[5])
            if seg[0] != 8:
                return None
        elif marker == 0xDA:        # start of scan: the header is over
            break
        i += 2 + length
    else:
        return None
    if sof is None or sof[2] not in _JPEG_MODES or sof[0] < 1 or sof[1] < 1:
        return None
    if dpi is None and exif:        # Pillow would look for the resolution in EXIF
        return None
    return sof[0], sof[1], _JPEG_MODES[sof[2]], _dpi_from_info({"dpi": dpi} if dpi else {})


def _bits(im: Image.Image, data: bytes) -> int:
    if im.mode == "1":
        return 1
    if im.mode.startswith("I;16") or im.mode in ("I", "I;16B"):
        return 16
    if im.format == "PNG" and len(data) > 24:
        return int(data[24])   # IHDR bit depth: Pillow reads 48-bit RGB as 8-bit RGB
    if im.format == "TIFF":
        bps = getattr(im, "tag_v2", {}).get(258)
        if bps:
            return int(bps[0] if isinstance(bps, tuple) else bps)
    return 8


def _decode_other(im: Image.Image, data: bytes, name: str) -> np.ndarray:
    """PNG/TIFF/BMP...: decode fully (OpenCV keeps 16-bit), fall back to Pillow, then to 8-bit BGR."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION)
    if arr is None:
        try:
            im.load()
        except (OSError, ValueError, SyntaxError) as e:
            raise _unreadable(name, f"damaged or truncated {im.format or ''} data: {e}",
                              "dữ liệu ảnh bị hỏng hoặc bị cắt cụt") from e
        if im.mode == "1" or im.mode.startswith("I") or im.mode == "F":
            arr = np.asarray(im.convert("L"))
        else:
            arr = np.asarray(im.convert("RGB"))[:, :, ::-1]
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype != np.uint8:
        a = arr.astype(np.float64)
        rng = float(a.max() - a.min()) or 1.0
        arr = ((a - a.min()) * (255.0 / rng)).astype(np.uint8)
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    elif arr.shape[2] == 4:
        arr = cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR)
    elif arr.shape[2] == 2:
        arr = cv2.cvtColor(np.ascontiguousarray(arr[:, :, 0]), cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(arr)


def _load_frame(frame: RawFrame) -> LoadedPage:
    px = np.asarray(frame.pixels)
    if px.ndim not in (2, 3) or px.size == 0:
        raise _unreadable(frame.name, f"a frame of shape {px.shape} is not an image", "khung ảnh không hợp lệ")
    h, w = px.shape[:2]
    page = LoadedPage(name=frame.name, format="raw", width=w, height=h, dpi=frame.dpi,
                      mode="L" if px.ndim == 2 else "RGB", bits=16 if px.dtype == np.uint16 else 8)
    if not _size_findings(page):
        return page
    if px.dtype == np.uint16:
        px = (px >> 8).astype(np.uint8)
    elif px.dtype != np.uint8:
        raise _unreadable(frame.name, f"unsupported pixel type {px.dtype}", "kiểu điểm ảnh không hỗ trợ")
    page.factor = _factor_for(w, h, frame.dpi)
    small = _halve_to(px, page.factor)
    if small.ndim == 2:
        page.gray = np.ascontiguousarray(small)
        page.bgr = cv2.cvtColor(page.gray, cv2.COLOR_GRAY2BGR)
    else:
        page.bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
        page.gray = cv2.cvtColor(page.bgr, cv2.COLOR_BGR2GRAY)
    return page
