"""Find and decode the QR code on a scanned ID card with zxing-cpp; OpenCV's detector is the measured alternative.

Measured in ``bench/cccd_qr.py`` on synthetic card scans (300/600 dpi, noise, blur, skew, JPEG):
OpenCV's ``QRCodeDetector`` decoded 17-95 % of the cards zxing-cpp decoded, never one zxing-cpp
missed, and took 100-1600 ms where zxing-cpp took 1-70 ms; so the station uses zxing-cpp alone
(``engines`` can still name "opencv"). Each engine tries the variants of :func:`_variants`: a small
image (a 300-dpi card, ~3 px per QR module) is retried upscaled 2x (that took the worst 300-dpi
condition, noise + blur + skew + JPEG, from 70 % to 95-100 %); a 600-dpi card is tried at half size
first (3-4x cheaper, same rate); a whole page is tried downscaled first.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scanstation.errors import ValidationError
from scanstation.identity.cccd import CccdCard, CccdQrError, parse_cccd_qr

MAX_SIDE = 2400          # pixels; a 600-dpi card (2022 x 1276) is decoded as it is
UPSCALE_BELOW = 1600     # pixels (long side): smaller is retried upscaled 2x, larger is tried at half size first
ENGINES = ("zxing",)


@dataclass(frozen=True)
class QrDecodeResult:
    texts: tuple[str, ...]
    engine: str = ""              # the engine that found them
    ms: float = 0.0
    tried: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:    # the texts are personal data
        return f"<QrDecodeResult {len(self.texts)} code(s) by {self.engine or '-'} in {self.ms:.0f} ms>"


def load_gray(image: str | Path | np.ndarray) -> np.ndarray:
    """An 8-bit greyscale array of the image (a file path is read without trusting its suffix)."""
    import cv2

    if isinstance(image, np.ndarray):
        a = image
    else:
        p = Path(image)
        try:
            raw = np.fromfile(p, dtype=np.uint8)        # works with non-ASCII paths on Windows too
        except OSError as e:
            raise ValidationError(f"Cannot read the image {p.name}: {e.strerror or e}",
                                  f"Không đọc được tệp ảnh {p.name}", field="image") from e
        dec = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
        if dec is None:
            raise ValidationError(f"{p.name} is not an image this station can read (PNG, JPEG, TIFF, BMP)",
                                  f"{p.name} không phải tệp ảnh đọc được (PNG, JPEG, TIFF, BMP)", field="image")
        a = np.asarray(dec)
    if a.dtype != np.uint8:
        a = (a / (a.max() or 1) * 255).astype(np.uint8) if a.dtype != bool else a.astype(np.uint8) * 255
    if a.ndim == 3:
        a = cv2.cvtColor(a, cv2.COLOR_BGRA2GRAY if a.shape[2] == 4 else cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(a)


def _zxing(gray: np.ndarray) -> list[str]:
    import zxingcpp

    fmt = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in zxingcpp.read_barcodes(gray, formats=fmt) if r.valid]


def _opencv(gray: np.ndarray) -> list[str]:
    import cv2

    det = cv2.QRCodeDetector()
    text, _pts, _ = det.detectAndDecode(gray)
    return [text] if text else []


_DECODERS = {"zxing": _zxing, "opencv": _opencv}


def _variants(gray: np.ndarray) -> Iterator[np.ndarray]:
    """The image as the decoders try it, cheapest first (made only when the previous try found nothing).

    A 600-dpi card (~2300 px) is tried at half size first: as sharp for the QR (~6 px per module becomes
    ~3) and 3-4x cheaper, the averaging removes scanner noise. A 300-dpi card (~1150 px) is tried as
    scanned, then upscaled 2x (plain, then smoothed) for a QR with ~3 px per module that is blurred or
    noisy. A larger image (a whole page) is tried downscaled to MAX_SIDE first.
    """
    import cv2

    side = max(gray.shape[:2])
    if side > MAX_SIDE:
        f = MAX_SIDE / side
        yield cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        yield gray
    elif side > UPSCALE_BELOW:
        yield cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        yield gray
    else:
        yield gray
        up = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        yield up
        yield cv2.GaussianBlur(up, (0, 0), 1.2)


def decode_qr_image(image: str | Path | np.ndarray, engines: tuple[str, ...] = ENGINES) -> QrDecodeResult:
    """Every QR code the first engine that finds any reads in the image (empty when none does)."""
    gray = load_gray(image)
    t0 = time.perf_counter()
    tried: list[str] = []
    for name in engines:
        dec = _DECODERS[name]
        tried.append(name)
        for img in _variants(gray):
            try:
                texts = [t for t in dec(img) if t]
            except Exception:  # noqa: BLE001 - a decoder crash on odd input is "not found", never a traceback
                texts = []
            if texts:
                return QrDecodeResult(tuple(texts), name, (time.perf_counter() - t0) * 1000, tuple(tried))
    return QrDecodeResult((), "", (time.perf_counter() - t0) * 1000, tuple(tried))


def find_cccd_in_image(image: str | Path | np.ndarray, engines: tuple[str, ...] = ENGINES) -> CccdCard:
    """The CCCD read from the QR on a scanned card; a clear error when there is none or it is something else."""
    res = decode_qr_image(image, engines)
    if not res.texts:
        raise CccdQrError("No readable QR code found in the image: the code may be damaged, cut off, too small "
                          "or blurred; scan the card again at 600 dpi, flat on the glass",
                          "Không tìm thấy mã QR đọc được trong ảnh: mã có thể bị hỏng, bị cắt, quá nhỏ hoặc "
                          "mờ; hãy quét lại thẻ ở 600 dpi, đặt phẳng trên mặt kính", field="image",
                          code="CCCD_QR_NOT_FOUND")
    first: CccdQrError | None = None
    for t in res.texts:
        try:
            return parse_cccd_qr(t)
        except CccdQrError as e:
            first = first or e
    assert first is not None
    raise first
