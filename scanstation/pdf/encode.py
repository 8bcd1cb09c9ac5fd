"""Page image encodings — lossless (as captured), JPEG, MRC — with a fidelity guard against the lossless master.

MRC (mixed raster content), as document-capture products do it, but without transparency so it
stays simple PDF/A: the page's ink is found with a threshold against the local paper brightness;
it becomes one or more full-resolution **bilevel stencil masks** (``/ImageMask``, CCITT G4 — a
lossless code; lossy JBIG2 pattern matching, which can swap digits, is never used), one per ink
colour (dark, red, blue, other), each painted in its measured colour, so a red seal stays red and a
blue signature blue; under them a **colour background** with the ink removed, at a third of the
resolution, as JPEG. Text edges therefore keep the scanner's resolution while the paper costs little.

The **fidelity guard** renders the encoded page back to pixels exactly as it is drawn (background
upsampled, masks painted) and compares it with the master: structural similarity (SSIM, luminance)
around the ink, and the share of the paper area whose colour moved by more than a visible step
after both are smoothed (photos, gradients, colour forms lost to the low-resolution background). A
page that fails falls back to a safer encoding (mrc -> jpeg -> lossless) and the page's sidecar
entry records why, with the measured figures.
"""

from __future__ import annotations

import builtins
import io
import json
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from PIL import Image

from scanstation.pdf.images import PageImage

ENCODINGS = ("lossless", "jpeg", "mrc")
DEFAULT_JPEG_QUALITY = 70
JPEG_DENOISE_SIGMA = 0.6          # smooth the sensor noise first: -15 % bytes at q70, ink SSIM still ~0.98
MRC_BACKGROUND_QUALITY = 40
MRC_BACKGROUND_DPI = 100           # paper and pictures at 100 dpi; the ink keeps the scan's own resolution
INK_RATIO = 0.62                   # ink: darker than 62 % of the local paper brightness
COLOUR_CHROMA = 60                 # max - min of R, G, B above this: coloured ink (seal, signature)
# Guard limits, set from the virtual scanner's pages with margin (bench/pdf_encodings.py prints the
# measures): text pages score ink SSIM ~0.95 as MRC and ~0.99 as JPEG q75, with no changed paper;
# a portrait photo on the page leaves ~0.11 % of the page as flattened ("posterised") solid ink
# against ~0.015 % for a flat-colour letterhead logo and ~0.003 % for plain text.
MIN_INK_SSIM = {"mrc": 0.85, "jpeg": 0.90}
MAX_CHANGED_PAPER = {"mrc": 0.004, "jpeg": 0.002}
MAX_POSTERISED = {"mrc": 0.0005, "jpeg": 0.0005}
CHANGED_STEP = 24                  # levels (after smoothing away sensor noise) that count as a visible change
INK_SAMPLE = 50_000                # ink pixels looked at for a layer's colour
SOLID_MM = 1.1                     # ink wider than this in both directions is an area (logo, photo), not a stroke


@dataclass
class MaskLayer:
    colour: tuple[int, int, int]
    g4: bytes                       # CCITT G4 data: ink coded as white runs, so it decodes to 0 = paint
    pixels: int


@dataclass
class EncodedPage:
    """How one page is drawn: ``base`` is the image img2pdf embeds; MRC adds ``masks`` over it."""

    encoding: str                   # what was used: lossless | jpeg | mrc
    base: bytes
    base_px: tuple[int, int]
    masks: list[MaskLayer] = field(default_factory=list)
    requested: str = "lossless"
    fallback: dict[str, Any] | None = None
    guard: dict[str, float] = field(default_factory=dict)
    source_sha256: str = ""         # the master it was made from (PageImage.sha256): a cached encoding
    quality: int = 0                # is reused only for the same master, encoding and JPEG quality

    @property
    def bytes(self) -> int:
        return len(self.base) + sum(len(m.g4) for m in self.masks)

    def to_bytes(self) -> builtins.bytes:      # (the property above shadows the name)
        """One file's worth: a JSON header line, then the base image and each mask's G4 data."""
        head = {"v": 1, "encoding": self.encoding, "base_px": list(self.base_px), "requested": self.requested,
                "fallback": self.fallback, "guard": self.guard, "source_sha256": self.source_sha256,
                "quality": self.quality, "base": len(self.base),
                "masks": [{"colour": list(m.colour), "pixels": m.pixels, "g4": len(m.g4)} for m in self.masks]}
        return b"".join([json.dumps(head).encode() + b"\n", self.base, *(m.g4 for m in self.masks)])

    @classmethod
    def from_bytes(cls, data: builtins.bytes) -> EncodedPage:
        """The page :meth:`to_bytes` wrote; ValueError for anything else (a damaged or foreign file)."""
        line, sep, rest = data.partition(b"\n")
        try:
            head = json.loads(line) if sep else None
            if not isinstance(head, dict) or head.get("v") != 1 or head.get("encoding") not in ENCODINGS:
                raise ValueError("not an encoded page")
            sizes = [int(head["base"]), *(int(m["g4"]) for m in head["masks"])]
            if min(sizes) < 0 or sum(sizes) != len(rest):
                raise ValueError("truncated encoded page")
            blobs, at = [], 0
            for n in sizes:
                blobs.append(rest[at:at + n])
                at += n
            masks = [MaskLayer(colour=(int(m["colour"][0]), int(m["colour"][1]), int(m["colour"][2])), g4=g,
                               pixels=int(m["pixels"])) for m, g in zip(head["masks"], blobs[1:], strict=True)]
            return cls(encoding=head["encoding"], base=blobs[0], base_px=(int(head["base_px"][0]),
                       int(head["base_px"][1])), masks=masks, requested=str(head["requested"]),
                       fallback=head["fallback"], guard=dict(head["guard"]), source_sha256=str(head["source_sha256"]),
                       quality=int(head["quality"]))
        except (KeyError, TypeError, IndexError, json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"damaged encoded page: {e}") from None


def _decode(page: PageImage) -> np.ndarray:
    """The master's pixels as RGB or grey uint8."""
    with Image.open(io.BytesIO(page.data)) as im:
        if im.mode in ("I;16", "I;16B", "I"):
            im = im.point(lambda v: v / 256).convert("L")
        elif im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        else:
            im.load()
        return np.asarray(im)


def _luma(a: np.ndarray) -> np.ndarray:
    return a if a.ndim == 2 else cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)


def _paper_level(lum: np.ndarray) -> np.ndarray:
    """Local paper brightness: text removed by a max filter at 1/8 scale, smoothed, brought back to size."""
    h, w = lum.shape
    small = cv2.resize(lum, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    small = cv2.dilate(small, np.ones((7, 7), np.uint8))
    small = cv2.GaussianBlur(small, (0, 0), 3)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


#: ceil(v * INK_RATIO) for every paper level v: for whole-number pixels, lum < v * INK_RATIO exactly
#: when lum < ceil(v * INK_RATIO), so the test runs on uint8 with no float copy of the page
_INK_LUT = np.ceil(np.arange(256, dtype=np.float64) * INK_RATIO).astype(np.uint8)


def ink_mask(lum: np.ndarray) -> np.ndarray:
    """Ink: darker than INK_RATIO of the local paper brightness."""
    return lum < cv2.LUT(_paper_level(lum), _INK_LUT)


def _ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The SSIM map (Wang et al.: 11 x 11 Gaussian window, sigma 1.5), computed in place: a full A4 page
    at 300 dpi is 8.7 M floats per temporary."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    ma, mb = blur(a), blur(b)
    ab = blur(cv2.multiply(a, b))
    a2 = blur(cv2.multiply(a, a, dst=a))            # a and b are not needed any more
    b2 = blur(cv2.multiply(b, b, dst=b))
    mab = cv2.multiply(ma, mb)
    ma2 = cv2.multiply(ma, ma, dst=ma)
    mb2 = cv2.multiply(mb, mb, dst=mb)
    # numerator (2 ma mb + c1)(2 (ab - ma mb) + c2); denominator (ma^2 + mb^2 + c1)(a2 - ma^2 + b2 - mb^2 + c2)
    cv2.subtract(ab, mab, dst=ab)
    cv2.addWeighted(ab, 2.0, ab, 0.0, c2, dst=ab)
    cv2.addWeighted(mab, 2.0, mab, 0.0, c1, dst=mab)
    num = cv2.multiply(mab, ab, dst=mab)
    cv2.add(a2, b2, dst=a2)
    cv2.subtract(a2, ma2, dst=a2)
    cv2.subtract(a2, mb2, dst=a2)
    cv2.add(a2, c2, dst=a2)
    cv2.add(ma2, mb2, dst=ma2)
    cv2.add(ma2, c1, dst=ma2)
    den = cv2.multiply(ma2, a2, dst=ma2)
    return cv2.divide(num, den, dst=num)


def _ink_bands(near: np.ndarray, pad: int = 8) -> list[slice]:
    """The runs of rows holding ink (text lines, a seal), padded by the SSIM window: the guard measures
    only there, so the paper between lines (most of a page) costs nothing."""
    rows = np.flatnonzero(near.any(axis=1))
    if rows.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(rows) > 2 * pad) + 1
    out = []
    for run in np.split(rows, cuts):
        out.append(slice(max(0, int(run[0]) - pad), min(near.shape[0], int(run[-1]) + pad + 1)))
    return out


def fidelity(master: np.ndarray, encoded: np.ndarray, ink: np.ndarray, dpi: float = 300.0) -> dict[str, float]:
    """Ink SSIM (around the ink), and the shares of the page whose colour changed visibly: on the paper,
    and inside solid inked areas (a photo's gradient flattened into one ink colour).

    SSIM is computed band by band over the rows that hold ink (identical to the whole-page map there:
    each band is padded by more than the filter's reach), the colour change at half resolution (it is
    a smoothed difference; sigma 2 at full size = sigma 1 at half)."""
    lm, le = _luma(master), _luma(encoded)
    ink8 = ink.astype(np.uint8)
    near8 = cv2.dilate(ink8, np.ones((5, 5), np.uint8))
    near = near8.astype(bool)
    bands = _ink_bands(near)
    if bands:
        # the bands stacked into one image: each is padded beyond the filter's reach, so a seam never
        # mixes rows that are measured
        rows = np.concatenate([np.arange(b.start, b.stop) for b in bands])
        if len(rows) < lm.shape[0]:
            lm_, le_, near_ = lm[rows], le[rows], near[rows]
        else:
            lm_, le_, near_ = lm, le, near
        ssim = float(_ssim_map(lm_, le_)[near_].mean(dtype=np.float64))
    else:
        ssim = 1.0
    h, w = lm.shape
    hs, ws = max(1, h // 2), max(1, w // 2)
    half = lambda x: cv2.resize(x, (ws, hs), interpolation=cv2.INTER_AREA)   # noqa: E731
    sm = cv2.GaussianBlur(half(master), (0, 0), 1.0).astype(np.int16)
    se = cv2.GaussianBlur(half(encoded), (0, 0), 1.0).astype(np.int16)
    diff = np.abs(sm - se)
    if diff.ndim == 3:
        diff = diff.max(axis=2)
    far = ~half(cv2.dilate(near8, np.ones((5, 5), np.uint8)) * 255).astype(bool)
    changed = float((diff[far] > CHANGED_STEP).mean()) if far.any() else 0.0
    k = max(3, round(SOLID_MM * dpi / 25.4))
    solid = half(cv2.erode(ink8, np.ones((k, k), np.uint8)) * 255) > 127
    posterised = float((diff[solid] > CHANGED_STEP).sum() / diff.size) if solid.any() else 0.0
    return {"ink_ssim": round(ssim, 4), "changed_paper": round(changed, 5), "posterised": round(posterised, 6)}


def _passes(kind: str, m: dict[str, float]) -> bool:
    return (m["ink_ssim"] >= MIN_INK_SSIM[kind] and m["changed_paper"] <= MAX_CHANGED_PAPER[kind]
            and m["posterised"] <= MAX_POSTERISED[kind])


def _jpeg_bytes(pixels: np.ndarray, quality: int, dpi: tuple[float, float]) -> bytes:
    out = io.BytesIO()
    im = Image.fromarray(pixels, "RGB" if pixels.ndim == 3 else "L")
    im.save(out, "JPEG", quality=quality, optimize=True, subsampling="4:2:0",
            dpi=(round(dpi[0]), round(dpi[1])))
    return out.getvalue()


def _g4(mask: np.ndarray) -> bytes:
    """CCITT G4 data of a bilevel mask (True = ink) as one strip.

    Pillow writes a "1" image as MinIsBlack, so libtiff codes the ink (value 0) as white runs; with
    /BlackIs1 false those decode to 0, which an /ImageMask paints. Checked by rendering in the tests.
    """
    h, w = mask.shape
    im = Image.frombytes("1", (w, h), np.packbits(mask, axis=1).tobytes())   # ink = 1 = "white" bits
    buf = io.BytesIO()
    im.save(buf, "TIFF", compression="group4", tiffinfo={278: h})
    with Image.open(io.BytesIO(buf.getvalue())) as t:
        offsets, counts = t.tag_v2[273], t.tag_v2[279]
    data = buf.getvalue()
    return b"".join(data[o:o + c] for o, c in zip(offsets, counts))


def _classes(rgb: np.ndarray, ink: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Split the ink by colour: dark (black/grey), red, blue, other; each a full-size boolean mask.

    The colour is judged at the ink pixels only (a few per cent of the page), on the page smoothed a
    little so an anti-aliased stroke edge does not decide."""
    if rgb.ndim == 2:
        return [("dark", ink)]
    idx = np.flatnonzero(ink)
    if idx.size == 0:
        return []
    smooth = cv2.GaussianBlur(rgb, (0, 0), 1.0)
    at = smooth.reshape(-1, 3)[idx].reshape(1, -1, 3)
    hsv = cv2.cvtColor(at, cv2.COLOR_RGB2HSV)[0]
    hue = hsv[:, 0]                                             # 0-179
    # max - min of R, G, B from OpenCV's S = 255 (max - min) / max and V = max
    chroma = hsv[:, 1].astype(np.uint16) * hsv[:, 2] // 255
    coloured = chroma > COLOUR_CHROMA
    red = coloured & ((hue < 15) | (hue > 160))
    blue = coloured & (hue >= 90) & (hue <= 140)
    other = coloured & ~red & ~blue
    out = []
    for name, sel in (("dark", ~coloured), ("red", red), ("blue", blue), ("other", other)):
        if sel.any():
            m = np.zeros(ink.shape, bool)
            m.flat[idx[sel]] = True
            out.append((name, m))
    return out


def _ink_colour(rgb: np.ndarray, m: np.ndarray) -> tuple[int, int, int]:
    px = rgb[m] if rgb.ndim == 3 else np.repeat(rgb[m][:, None], 3, axis=1)
    if len(px) > INK_SAMPLE:                    # a regular sample gives the same median, faster
        px = px[:: len(px) // INK_SAMPLE]
    lum = px.astype(np.int32).sum(axis=1)
    core = px[lum <= np.median(lum)]            # the stroke's core, not its anti-aliased edge
    c = np.median(core if len(core) else px, axis=0)
    return int(c[0]), int(c[1]), int(c[2])


def _mrc(page: PageImage, pixels: np.ndarray, quality: int) -> tuple[EncodedPage, np.ndarray, np.ndarray]:
    h, w = pixels.shape[:2]
    lum = _luma(pixels)
    ink = ink_mask(lum)
    f = max(1.0, page.dpi[0] / MRC_BACKGROUND_DPI)
    bw, bh = max(1, round(w / f)), max(1, round(h / f))
    keep8 = cv2.bitwise_not(cv2.dilate(ink.astype(np.uint8) * 255, np.ones((3, 3), np.uint8)))
    # the paper's mean colour per background pixel, ink left out: block sums of the kept pixels over
    # their count (uint8 area means; at most ~4 levels off where one pixel in a block is paper)
    weight = cv2.resize(keep8, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    masked = cv2.bitwise_and(pixels, pixels, mask=keep8)
    acc = cv2.resize(masked, (bw, bh), interpolation=cv2.INTER_AREA).astype(np.float32)
    wgt = weight[..., None] if pixels.ndim == 3 else weight
    bg = np.where(wgt > 0.05, acc / np.maximum(wgt, 1e-6), 0).clip(0, 255).astype(np.uint8)
    holes = (weight <= 0.05).astype(np.uint8)
    if holes.any():                                         # under solid ink: fill from the paper around it
        bg = cv2.inpaint(bg, holes, 3, cv2.INPAINT_TELEA)
    base = _jpeg_bytes(bg, quality, (page.dpi[0] / f, page.dpi[1] / f))
    with Image.open(io.BytesIO(base)) as j:
        shown = np.asarray(j.convert("RGB" if pixels.ndim == 3 else "L"))
    composite = cv2.resize(shown, (w, h), interpolation=cv2.INTER_LINEAR)
    masks = []
    for _name, m in _classes(pixels, ink):
        colour = _ink_colour(pixels, m)
        composite[m] = colour if pixels.ndim == 3 else round(sum(colour) / 3)
        masks.append(MaskLayer(colour=colour, g4=_g4(m), pixels=int(m.sum())))
    enc = EncodedPage(encoding="mrc", base=base, base_px=(bw, bh), masks=masks, requested="mrc")
    return enc, composite, ink


def _jpeg(page: PageImage, pixels: np.ndarray, quality: int) -> tuple[EncodedPage, np.ndarray]:
    data = _jpeg_bytes(cv2.GaussianBlur(pixels, (0, 0), JPEG_DENOISE_SIGMA), quality, page.dpi)
    with Image.open(io.BytesIO(data)) as j:
        shown = np.asarray(j)
    return EncodedPage(encoding="jpeg", base=data, base_px=(page.width, page.height), requested="jpeg"), shown


def _lossless(page: PageImage, requested: str, fallback: dict[str, Any] | None = None) -> EncodedPage:
    return EncodedPage(encoding="lossless", base=page.data, base_px=(page.width, page.height),
                       requested=requested, fallback=fallback)


def encode_page(page: PageImage, encoding: str = "lossless", *, jpeg_quality: int = DEFAULT_JPEG_QUALITY,
                guard: bool = True) -> EncodedPage:
    """Encode one page as asked, or as the safest encoding that passes the fidelity guard."""
    enc = _encode_page(page, encoding, jpeg_quality, guard)
    enc.source_sha256, enc.quality = page.sha256, int(jpeg_quality)
    return enc


def reusable(enc: Any, page: PageImage, encoding: str, jpeg_quality: int) -> bool:
    """Whether ``enc`` (made earlier, e.g. in the background while the scan went on) encodes ``page`` as asked."""
    return (isinstance(enc, EncodedPage) and enc.source_sha256 == page.sha256 and enc.requested == encoding
            and enc.quality == int(jpeg_quality))


def _encode_page(page: PageImage, encoding: str, jpeg_quality: int, guard: bool) -> EncodedPage:
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}")
    if encoding == "lossless":
        return _lossless(page, encoding)
    if page.mode == "1":          # already bilevel: its lossless G4/Flate form is the compact one
        return _lossless(page, encoding, {"from": encoding, "to": "lossless", "reason": "bilevel page"})
    if page.orientation != 1:     # keep the EXIF turn img2pdf applies to the master
        return _lossless(page, encoding, {"from": encoding, "to": "lossless", "reason": "EXIF orientation"})
    pixels = _decode(page)
    tried: list[dict[str, Any]] = []
    if encoding == "mrc":
        enc, composite, ink = _mrc(page, pixels, MRC_BACKGROUND_QUALITY)
        m = fidelity(pixels, composite, ink, page.dpi[0])
        if not guard or _passes("mrc", m):
            enc.guard = m
            return enc
        tried.append({"encoding": "mrc", **m})
    else:
        ink = ink_mask(_luma(pixels))
    enc, shown = _jpeg(page, pixels, jpeg_quality)
    m = fidelity(pixels, shown, ink, page.dpi[0])
    if not guard or _passes("jpeg", m):
        enc.guard, enc.requested = m, encoding
        if tried:
            enc.fallback = {"from": encoding, "to": "jpeg", "reason": "fidelity guard", "measured": tried}
        return enc
    tried.append({"encoding": "jpeg", **m})
    return _lossless(page, encoding, {"from": encoding, "to": "lossless", "reason": "fidelity guard",
                                      "measured": tried})
