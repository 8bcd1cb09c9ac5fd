"""Find and decode the QR code on a scanned ID card with zxing-cpp; OpenCV's detector is the measured alternative.

Measured in ``bench/cccd_qr.py`` on synthetic card scans (300/600 dpi, noise, blur, skew, JPEG):
OpenCV's ``QRCodeDetector`` never decoded a card zxing-cpp missed and took 10-50x as long (with the
whole-image tries 17-95 % of the cards a condition, with the crops below 80-100 %, up to 0.8 s a card,
where zxing-cpp reads 100 % in at most ~11 ms of CPU); so the station uses zxing-cpp alone
(``engines`` can still name "opencv"). Each engine tries the variants of :func:`_variants`, cheapest
first, and stops at the first that reads a code: the card at "300-dpi size"; then only the QR's region,
located by its edge density and upscaled (a small crop, 1-3 ms); only then the older whole-image retries
(full resolution, whole card upscaled 2x) for an image that is not a card as expected.
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
UPSCALE_BELOW = 1600     # pixels (long side): smaller is read as it is, larger is tried at half size first
QR_FRACTION = 0.133      # the QR's side over the long side of a card scan (13 mm of 85.6 mm + 2 x 6 mm margin)
CROP_QR_PX = 460         # the located QR is upscaled to about this many pixels (~10 px per module)
ENGINES = ("zxing",)
# Where the QR is read, cheapest first: (label, crop half-side in QR sides, scale over CROP_QR_PX / QR side,
# smoothing in output pixels per scale unit, binarizer). Chosen greedily on 360 synthetic 300-dpi cards that
# the first read missed (noise + blur + skew + JPEG): the first crop read 72 of 85, the four together all 85.
CROPS = (("crop-2x-smooth", 0.8, 0.67, 1.2, "local"),
         ("crop-3x-smooth", 1.0, 1.0, 1.2, "local"),
         ("crop-4x-global", 1.0, 1.33, 0.0, "global"),
         ("crop-3x-light-global", 0.8, 1.0, 0.6, "global"))


@dataclass(frozen=True)
class QrDecodeResult:
    texts: tuple[str, ...]
    engine: str = ""              # the engine that found them
    ms: float = 0.0
    tried: tuple[str, ...] = field(default=())
    variant: str = ""             # which of the tries found them (bench/cccd_qr.py counts them)

    def __repr__(self) -> str:    # the texts are personal data
        return (f"<QrDecodeResult {len(self.texts)} code(s) by {self.engine or '-'}"
                f"{'/' + self.variant if self.variant else ''} in {self.ms:.0f} ms>")


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


def _zxing(gray: np.ndarray, binarizer: str = "local", downscale: bool = True) -> list[str]:
    import zxingcpp

    fmt = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    b = zxingcpp.Binarizer.GlobalHistogram if binarizer == "global" else zxingcpp.Binarizer.LocalAverage
    # try_rotate only matters for 1D codes (a QR is found at any angle without it: measured on cards turned
    # 0/90/180/270 degrees); a card's QR is never light on dark. Leaving both out halves a read's cost.
    return [r.text for r in zxingcpp.read_barcodes(gray, formats=fmt, try_rotate=False, try_invert=False,
                                                   try_downscale=downscale, binarizer=b) if r.valid]


def _opencv(gray: np.ndarray, binarizer: str = "local", downscale: bool = True) -> list[str]:
    import cv2

    det = cv2.QRCodeDetector()
    text, _pts, _ = det.detectAndDecode(gray)
    return [text] if text else []


_DECODERS = {"zxing": _zxing, "opencv": _opencv}


@dataclass(frozen=True)
class _Try:
    label: str
    image: np.ndarray
    binarizer: str = "local"
    downscale: bool = True


def locate_qr(work: np.ndarray, qr_px: float) -> tuple[int, int]:
    """The centre of the likeliest QR in ``work``: the window of the QR's size with the most edges in BOTH
    directions (printed text lines have mostly horizontal edges, a photo or a fingerprint few sharp ones).

    Computed at half size (~1 ms for a 300-dpi card): the QR's modules are gone there but their edges
    are not."""
    import cv2

    small = cv2.resize(work, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    gx = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3))
    gy = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3))
    k = max(3, int(qr_px * 0.4))
    energy = cv2.min(cv2.boxFilter(gx, cv2.CV_32F, (k, k)), cv2.boxFilter(gy, cv2.CV_32F, (k, k)))
    _lo, _hi, _at_lo, (x, y) = cv2.minMaxLoc(energy)
    return 2 * int(x), 2 * int(y)


def _variants(gray: np.ndarray) -> Iterator[_Try]:
    """The image as the decoders try it, cheapest first (each made only when the previous try found nothing).

    1. The card as scanned, at "300-dpi size": a 600-dpi card (~2300 px) is read at half size (as sharp for
       the QR, ~3 px per module, 3-4x cheaper, the averaging removes scanner noise); a whole page is read
       shrunk to MAX_SIDE. This reads ~75 % of the hardest 300-dpi cards and all the others.
    2. The QR's region, found by :func:`locate_qr` and cut from the full-resolution image, upscaled to ~10 px
       per module (smoothed: a blurred, noisy, JPEG'd QR of 3 px modules binarises cleanly only then), with
       the two binarizers (:data:`CROPS`). A crop of ~300 px costs 1-3 ms where the whole card upscaled 2x
       cost 12-25 ms, and it read more cards (85 of 85 against 44 of 52).
    3. What the station did before, for an image that is not a card as expected (the QR elsewhere than the
       densest spot, or a page): the full-resolution image, then the whole image upscaled 2x (plain, then
       smoothed) when it is small.
    """
    import cv2

    side = max(gray.shape[:2])
    if side > MAX_SIDE:
        work = cv2.resize(gray, None, fx=MAX_SIDE / side, fy=MAX_SIDE / side, interpolation=cv2.INTER_AREA)
    elif side > UPSCALE_BELOW:
        work = cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    else:
        work = gray
    yield _Try("as-scanned" if work is gray else "downscaled", work)
    scale = gray.shape[1] / work.shape[1]
    qr_work = QR_FRACTION * max(work.shape[:2])
    x, y = locate_qr(work, qr_work)
    x, y, qr = int(x * scale), int(y * scale), qr_work * scale
    for label, half, times, smooth, binarizer in CROPS:
        h = int(qr * half)
        crop = gray[max(0, y - h):y + h, max(0, x - h):x + h]
        if min(crop.shape[:2]) < 16:
            continue
        f = CROP_QR_PX / qr * times
        up = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC) if abs(f - 1) > 0.05 else crop
        if smooth:
            up = cv2.GaussianBlur(up, (0, 0), smooth * f / 2)
        yield _Try(label, np.ascontiguousarray(up), binarizer, downscale=False)
    if work is not gray:
        yield _Try("full-resolution", gray)
    if side <= UPSCALE_BELOW:
        up = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        yield _Try("upscaled-2x", up)
        yield _Try("upscaled-2x-smooth", cv2.GaussianBlur(up, (0, 0), 1.2))


def decode_qr_image(image: str | Path | np.ndarray, engines: tuple[str, ...] = ENGINES) -> QrDecodeResult:
    """Every QR code the first engine that finds any reads in the image (empty when none does)."""
    gray = load_gray(image)
    t0 = time.perf_counter()
    tried: list[str] = []
    for name in engines:
        dec = _DECODERS[name]
        tried.append(name)
        for t in _variants(gray):
            try:
                texts = [x for x in dec(t.image, t.binarizer, t.downscale) if x]
            except Exception:  # noqa: BLE001 - a decoder crash on odd input is "not found", never a traceback
                texts = []
            if texts:
                return QrDecodeResult(tuple(texts), name, (time.perf_counter() - t0) * 1000, tuple(tried), t.label)
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
