"""Blank-page verdict: content / blank / unsure, with a score and the reasons behind it.

A whole-page ink threshold (what common scanner software does) calls a back with only a signature,
a stamp or a page number blank, and a blank back with punch holes or show-through content. Here:

1. The paper's own tone is estimated by a morphological closing at low resolution (keeps tinted
   paper, edge shadows and uneven light; removes strokes), and ink is what is darker than that.
2. Ink is split by strength: *strong* (real ink, pencil), *faint* (show-through, smudges), and
   *colour* (chroma well above the paper's: red seals and blue ink are always content).
3. Connected components are classified: specks (dust, sensor noise), punch holes (round, dark,
   near an edge), edge shadows (long thin bands along the sheet's border) are ignored.
4. Marks that are left but could be show-through are compared with the mirrored front of the
   same sheet (only then: it costs a registration); what the front explains is show-through.

The score is how blank the page looks: 1.0 surely blank, 0.0 surely content, 0.5 unsure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from scanstation.qc.fast import chroma as chroma_of
from scanstation.qc.fast import (
    frame_mask,
    halve,
    hist_percentile,
    inner_hist,
    median_mad_hist,
    ones,
    rect_mask,
    zeros,
)

CONTENT, BLANK, UNSURE = "content", "blank", "unsure"

MARGIN_MM = 3.0          # ignored band inside the sheet's edge (the edge itself, feeder shadows)
SPECK_MM = 1.0           # components smaller than this (both sides) are dust or noise
DOT_MM = 1.8             # a solid blob shorter than this is a dot of dust, not a character
MARK_MM = 1.8            # a real-ink mark this long is something written (a page number, an initial)
REAL_INK = 80            # darkness (grey levels below the paper) that only real ink reaches
COLOUR_EXCESS = 45       # chroma above the paper's that marks coloured ink (seal, blue pen, note)
FAINT_MIN_MM2 = 4.0      # structured faint marks below this area are ignored
FAINT_RISE = 4           # a faint mark is darker than the faint threshold by this somewhere
SHOW_THROUGH_EXPLAINED = 0.8


@dataclass
class InkMaps:
    dark_in: np.ndarray           # uint8, how much darker than the local paper tone, within ``inner`` (0 outside)
    colour: np.ndarray            # uint8 mask (255) of coloured ink, within ``inner``
    inner: np.ndarray             # uint8 mask of the sheet minus a margin (shared: do not modify)
    strong_t: int
    faint_t: int
    ink: np.ndarray | None = None  # uint8 mask of strong or coloured ink (for skew, sharpness, match)
    small: np.ndarray | None = None  # the grey page at 1/4 of the working scale (thumbnails)
    colour_px: int = 0                   # pixels of coloured ink
    inner_margin: int | None = None      # ``inner`` is the image minus this margin (no sheet outline seen)
    inner_box: tuple[int, int, int, int] = (0, 0, 0, 0)   # bounding rectangle of ``inner``
    marks: _Marks | None = field(default=None, repr=False)   # what classify_blank found before the front
    chroma: np.ndarray | None = field(default=None, repr=False)   # max - min of B, G, R (sticky notes reuse it)
    chroma_max: int = 255
    dark_max: int = 255                  # the largest value of ``dark_in``
    bg: np.ndarray | None = field(default=None, repr=False)       # the paper tone, at working scale
    gray: np.ndarray | None = field(default=None, repr=False)
    _darkness: np.ndarray | None = field(default=None, repr=False)

    @property
    def darkness(self) -> np.ndarray:
        """Darkness over the whole image (margin and scanner background too): made when first asked."""
        if self._darkness is None:
            self._darkness = (cv2.subtract(self.bg, self.gray) if self.bg is not None and self.gray is not None
                              else self.dark_in)
        return self._darkness


@dataclass
class BlankResult:
    verdict: str
    score: float
    ink_mm2: float = 0.0            # unexplained ink area
    faint_mm2: float = 0.0          # unexplained faint marks
    reasons: list[str] = field(default_factory=list)   # what was explained away, or what was found
    coloured: bool = False
    show_through_checked: bool = False

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "score": round(self.score, 3)}


def ink_maps(bgr: np.ndarray, gray: np.ndarray, paper_mask: np.ndarray | None, px_per_mm: float, *,
             gray4: np.ndarray | None = None, chroma: np.ndarray | None = None) -> InkMaps:
    """Darkness against the local paper tone, the checked area, the colour mask and the thresholds.

    ``gray4`` is ``gray`` at a quarter size if the caller has it (the page's shared pyramid)."""
    h, w = gray.shape
    f = 4
    sm = gray4 if gray4 is not None else halve(halve(gray))
    k = max(3, int(round(7.0 * px_per_mm / f)) | 1)
    bg = cv2.morphologyEx(sm, cv2.MORPH_CLOSE, ones(k, k))
    bg = cv2.blur(bg, (3, 3))
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    m = max(1, int(round(MARGIN_MM * px_per_mm)))
    if paper_mask is not None:
        inner = cv2.erode(paper_mask, ones(2 * m + 1, 2 * m + 1))
        margin = None
        box = cv2.boundingRect(inner)
    else:
        inner = rect_mask(h, w, m)
        margin = m
        box = (m, m, max(0, w - 2 * m), max(0, h - 2 * m)) if h > 2 * m and w > 2 * m else (0, 0, 0, 0)
    dark_in = np.zeros_like(gray)
    if margin is None:
        cv2.subtract(bg, gray, dst=dark_in, mask=inner)
    elif box[2]:        # a rectangle: subtract inside it only (OpenCV writes into the view)
        roi = (slice(m, h - m), slice(m, w - m))
        cv2.subtract(bg[roi], gray[roi], dst=dark_in[roi])
    hist = inner_hist(dark_in, 6, inner, margin)
    if hist.any():
        med, mad = median_mad_hist(hist)
        noise = 1.4826 * mad
    else:
        med, noise = 0.0, 2.0
    faint_t = int(max(14, med + 5 * noise + 4))
    strong_t = int(max(42, faint_t + 20))
    if chroma is None:
        chroma = chroma_of(bgr)
    sat = chroma
    sat_max = int(cv2.minMaxLoc(sat)[1])
    # the threshold is at least COLOUR_EXCESS: below that anywhere, the paper's own chroma does not matter
    colour_t = (min(255, int(hist_percentile(inner_hist(sat, 6, inner, margin), 50)) + COLOUR_EXCESS)
                if sat_max >= COLOUR_EXCESS else 255)
    if sat_max >= colour_t:
        if margin is None:
            colour = cv2.bitwise_and(cv2.compare(sat, colour_t, cv2.CMP_GE), inner)
        else:
            colour = np.zeros_like(gray)
            if box[2]:
                roi = (slice(m, h - m), slice(m, w - m))
                cv2.compare(sat[roi], colour_t, cv2.CMP_GE, dst=colour[roi])
        colour_px = cv2.countNonZero(colour)
    else:                               # no coloured pixel anywhere (most backs): nothing to mark
        colour, colour_px = zeros(h, w), 0
    return InkMaps(dark_in, colour, inner, strong_t, faint_t, small=sm, colour_px=colour_px,
                   inner_margin=margin, inner_box=box, chroma=sat, chroma_max=sat_max, bg=bg, gray=gray,
                   dark_max=int(cv2.minMaxLoc(dark_in)[1]))


class _Comp:
    """One blob of a binary mask: its bounding box and outline (its area is counted when asked)."""

    __slots__ = ("x", "y", "w", "h", "cnt", "_full", "_area")

    def __init__(self, x: int, y: int, w: int, h: int, cnt: np.ndarray, full: np.ndarray) -> None:
        self.x, self.y, self.w, self.h, self.cnt, self._full = x, y, w, h, cnt, full
        self._area = -1

    @property
    def area(self) -> int:
        if self._area < 0:
            w, h = self.w, self.h
            self._area = (cv2.countNonZero(self._full[self.y:self.y + h, self.x:self.x + w]) if w * h > 4
                          else w * h)
        return self._area

    def mask(self, full: np.ndarray) -> np.ndarray:
        """This component's pixels (bbox-sized bool) within ``full`` (its binary mask)."""
        m = np.zeros((self.h, self.w), np.uint8)
        cv2.drawContours(m, [self.cnt - (self.x, self.y)], -1, 255, -1)
        return (m > 0) & (full[self.y:self.y + self.h, self.x:self.x + self.w] > 0)


def _components(mask: np.ndarray, grouped: np.ndarray | None = None) -> list[_Comp]:
    """Blobs of a sparse binary mask by their outer contours: much cheaper than labelling with stats.
    ``grouped``: the mask with nearby blobs joined; its outlines group the pixels of ``mask``."""
    cnts, _ = cv2.findContours(mask if grouped is None else grouped, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [_Comp(*cv2.boundingRect(c), c, mask) for c in cnts]


FAST_CONTENT_MM2 = 400.0   # real ink over this area: content, whatever holes, shadows or dust add


@dataclass
class _Marks:
    """Marks left unexplained by the page alone, kept for the front's verdict on show-through."""

    strong: np.ndarray
    faint: np.ndarray
    weak: list[_Comp]
    faint_comps: list[_Comp]
    reasons: set[str]


def classify_blank(maps: InkMaps, px_per_mm: float, *, front_ink: np.ndarray | None = None,
                   front_loader=None) -> BlankResult:
    """Verdict from the ink maps. ``front_loader()`` returns the mirrored front's ink mask when asked.

    Called again with the front, it reuses what the first call found (``maps.marks``)."""
    ppm2 = px_per_mm * px_per_mm
    marks = maps.marks
    if marks is None:
        first = _page_marks(maps, px_per_mm)
        if isinstance(first, BlankResult):
            return first
        marks = maps.marks = first
    strong_u8, faint, weak, faint_comps = marks.strong, marks.faint, marks.weak, marks.faint_comps
    reasons = set(marks.reasons)
    weak_px = int(sum(c.area for c in weak))
    faint_px = int(sum(c.area for c in faint_comps))
    # Marks that might be show-through: ask the front of the sheet (costly: only here).
    explain = front_loader() if front_loader is not None else front_ink
    if explain is None:
        if weak_px / ppm2 >= 1.0:
            return BlankResult(CONTENT, _content_score(weak_px / ppm2) + 0.1, weak_px / ppm2, faint_px / ppm2,
                               sorted(reasons | {"light_ink"}))
        return BlankResult(UNSURE, 0.5, 0.0, faint_px / ppm2, sorted(reasons | {"faint_marks"}))
    un_weak = _unexplained(weak, strong_u8, explain)
    un_faint = _unexplained(faint_comps, faint, explain)
    reasons.add("show_through")
    if un_weak / ppm2 >= 1.0:
        return BlankResult(CONTENT, _content_score(un_weak / ppm2) + 0.1, un_weak / ppm2, un_faint / ppm2,
                           sorted((reasons - {"show_through"}) | {"light_ink"}), show_through_checked=True)
    if un_faint / ppm2 >= FAINT_MIN_MM2:
        return BlankResult(UNSURE, 0.5, 0.0, un_faint / ppm2, sorted(reasons | {"faint_marks"}),
                           show_through_checked=True)
    return BlankResult(BLANK, _blank_score(un_weak + un_faint, ppm2) - 0.05, 0.0, un_faint / ppm2,
                       sorted(reasons), show_through_checked=True)


def _page_marks(maps: InkMaps, px_per_mm: float) -> BlankResult | _Marks:
    """What the page alone says: a verdict, or the marks only the front can explain."""
    ppm2 = px_per_mm * px_per_mm
    dk = maps.dark_in
    if maps.dark_max < maps.faint_t and not maps.colour_px:
        # nothing darker than the paper's noise and no colour (a clean blank page): nothing to look at
        maps.ink = zeros(*dk.shape)
        return BlankResult(BLANK, _blank_score(0, ppm2), 0.0, 0.0, ["clean"])
    strong_u8 = cv2.compare(dk, maps.strong_t, cv2.CMP_GE)
    n_strong = cv2.countNonZero(strong_u8)
    if maps.colour_px:
        strong_u8 = cv2.bitwise_or(strong_u8, maps.colour)
    maps.ink = strong_u8
    # Fast path (an ordinary text page): plenty of real ink or colour, no need to look closer.
    # (Real ink is strong ink too unless the paper is noisy: then too little strong ink says no.)
    if maps.strong_t > REAL_INK or (n_strong + maps.colour_px) / ppm2 >= FAST_CONTENT_MM2:
        real_area = (cv2.countNonZero(cv2.compare(dk, REAL_INK, cv2.CMP_GE)) + maps.colour_px) / ppm2
        if real_area >= FAST_CONTENT_MM2:
            return BlankResult(CONTENT, _content_score(real_area), real_area, 0.0,
                               ["ink"], maps.colour_px / ppm2 >= 10)
    # strokes of one small character can break apart at the working scale (a pencilled 5): a 1-pixel
    # closing joins them, so they are judged as one mark and not as dust (areas stay the mask's own)
    comps = _components(strong_u8, cv2.morphologyEx(strong_u8, cv2.MORPH_CLOSE, ones(3, 3))) \
        if n_strong or maps.colour_px else []
    speck = SPECK_MM * px_per_mm
    dot = DOT_MM * px_per_mm
    mark = MARK_MM * px_per_mm
    reasons: set[str] = set()
    real_px, weak = 0, []
    coloured = written = False
    bx, by, bw_, bh_ = maps.inner_box
    box = (bx, by, bx + bw_ - 1, by + bh_ - 1) if bw_ else (0, 0, *strong_u8.shape[::-1])
    bands = _EdgeBands(maps.inner, px_per_mm, maps.inner_margin)
    for c in comps:
        x, y, bw, bh = c.x, c.y, c.w, c.h
        # dust, or a solid dot of it (an 8-pt digit is ~2 mm tall: longer than any dot)
        if (bw < speck and bh < speck) or (max(bw, bh) < dot and c.area >= 0.45 * bw * bh):
            reasons.add("specks")
            continue
        area = c.area
        if _punch_hole(x, y, bw, bh, area, box, px_per_mm):
            reasons.add("punch_holes")
            continue
        if _edge_shadow(x, y, bw, bh, area, box, px_per_mm):
            reasons.add("edge_shadow")
            continue
        if _streak(bw, bh, box, px_per_mm):
            reasons.add("streak")
            continue
        comp_slice = c.mask(strong_u8)
        if bands.shadow(c, comp_slice, dk):
            reasons.add("edge_shadow")
            continue
        if maps.colour_px and np.count_nonzero(maps.colour[y:y + bh, x:x + bw][comp_slice]) >= max(4, 0.2 * area):
            coloured = True
            real_px += area
            written = written or max(bw, bh) >= mark
            continue
        peak = int(dk[y:y + bh, x:x + bw][comp_slice].max(initial=0))
        if peak >= REAL_INK:
            real_px += area
            if max(bw, bh) >= mark:
                written = True      # one digit or initial is content, however little ink it has
        else:
            weak.append(c)
    weak_px = int(sum(c.area for c in weak))
    if real_px / ppm2 >= 1.0 or written:
        ink_mm2 = (real_px + weak_px) / ppm2
        return BlankResult(CONTENT, _content_score(ink_mm2), ink_mm2, 0.0,
                           sorted(reasons | ({"colour_ink"} if coloured else {"ink"})), coloured)
    # faint: darker than the paper's noise, not strong, not coloured (all within ``inner``)
    faint = cv2.inRange(dk, maps.faint_t, maps.strong_t - 1)
    if maps.colour_px:
        faint = cv2.subtract(faint, maps.colour)
    faint_comps: list[_Comp] = []
    faint_any = cv2.countNonZero(faint) > 0
    if faint_any:
        faint = cv2.morphologyEx(faint, cv2.MORPH_OPEN, ones(2, 2))
        faint_any = cv2.countNonZero(faint) > 0
    if faint_any:
        for c in _components(faint):
            if (c.w >= 1.5 * px_per_mm or c.h >= 1.5 * px_per_mm) \
                    and not _edge_shadow(c.x, c.y, c.w, c.h, 0, box, px_per_mm) \
                    and not _streak(c.w, c.h, box, px_per_mm):
                if bands.shadow(c, None, dk, faint):
                    reasons.add("edge_shadow")
                elif int(dk[c.y:c.y + c.h, c.x:c.x + c.w][c.mask(faint)].max(initial=0)) >= \
                        maps.faint_t + FAINT_RISE:
                    faint_comps.append(c)
                # else: nowhere more than a grey level or two past the paper's noise (the palest
                # show-through, paper grain): no mark a person could read, on this page or the front
    faint_px = int(sum(c.area for c in faint_comps))
    suspicious = weak_px / ppm2 >= 1.0 or faint_px / ppm2 >= FAINT_MIN_MM2
    if not suspicious:
        if not reasons and not faint_any:
            reasons.add("clean")
        return BlankResult(BLANK, _blank_score(weak_px + faint_px, ppm2), 0.0, faint_px / ppm2, sorted(reasons))
    return _Marks(strong_u8, faint, weak, faint_comps, reasons)


def _unexplained(comps: list[_Comp], full: np.ndarray, explain: np.ndarray) -> int:
    """Pixels of the given components that the front's mirrored ink does not cover."""
    total = 0
    for c in comps:
        comp = c.mask(full)
        area = int(np.count_nonzero(comp))
        covered = np.count_nonzero(comp & (explain[c.y:c.y + c.h, c.x:c.x + c.w] > 0))
        if covered < SHOW_THROUGH_EXPLAINED * area:
            total += area - covered
    return total


def _content_score(ink_mm2: float) -> float:
    return round(max(0.0, 0.3 * (1.0 - min(1.0, ink_mm2 / 60.0))), 3)


def _blank_score(residual_px: int, ppm2: float) -> float:
    return round(0.8 + 0.2 * (1.0 - min(1.0, residual_px / ppm2 / FAINT_MIN_MM2)), 3)


def _punch_hole(x, y, bw, bh, area, box, ppm) -> bool:
    d_mm = max(bw, bh) / ppm
    if not (3.5 <= d_mm <= 9.0) or abs(bw - bh) > 0.3 * max(bw, bh):
        return False
    if area < 0.6 * bw * bh:
        return False
    x0, y0, x1, y1 = box
    near = 28 * ppm
    return (x - x0 < near) or (x1 - (x + bw) < near) or (y - y0 < near) or (y1 - (y + bh) < near)


class _EdgeBands:
    """Feeder shadows hug the sheet's edge: marks that touch the checked area's border and stay within
    a few millimetres of it, and are not dark ink, are shadow residue (strong ink there is kept)."""

    def __init__(self, inner: np.ndarray, ppm: float, margin: int | None = None) -> None:
        self.inner = inner
        self.ppm = ppm
        self.margin = margin        # ``inner`` is a plain rectangle inside this margin: bands are frames
        self._band = self._touch = None

    def _masks(self):
        if self._band is None:
            k6 = max(3, int(round(6 * self.ppm)) | 1)
            k1 = 5
            if self.margin is not None:
                h, w = self.inner.shape
                m = self.margin
                self._band = frame_mask(h, w, m, m + k6 // 2)
                self._touch = frame_mask(h, w, m, m + k1 // 2)
            else:
                self._band = cv2.subtract(self.inner, cv2.erode(self.inner, ones(k6, k6)))
                self._touch = cv2.subtract(self.inner, cv2.erode(self.inner, ones(k1, k1)))
        return self._band, self._touch

    def shadow(self, c: _Comp, comp: np.ndarray | None, darkness: np.ndarray,
               full: np.ndarray | None = None) -> bool:
        """Is component ``c`` (its pixels ``comp``, or drawn from ``full`` when needed) a shadow band?"""
        band, touch = self._masks()
        sl = (slice(c.y, c.y + c.h), slice(c.x, c.x + c.w))
        t = touch[sl]
        if not t.any():
            return False
        if comp is None:
            comp = c.mask(full)
        if not np.any(comp & (t > 0)):
            return False
        n = int(np.count_nonzero(comp & (self.inner[sl] > 0)))
        if np.count_nonzero(comp & (band[sl] > 0)) < 0.9 * n:
            return False
        return int(darkness[sl][comp].max(initial=0)) < REAL_INK


def _edge_shadow(x, y, bw, bh, area, box, ppm) -> bool:
    x0, y0, x1, y1 = box
    touch = 1.5 * ppm
    long_ = max(bw, bh)
    thin = min(bw, bh)
    if long_ < 4 * thin or thin > 12 * ppm:
        return False
    if bh >= bw:   # vertical band: along the left or right edge
        return x - x0 <= touch or x1 - (x + bw) <= touch
    return y - y0 <= touch or y1 - (y + bh) <= touch


def _streak(bw, bh, box, ppm) -> bool:
    """A thin line along the feed direction over most of the page: dirt on the scanner glass."""
    x0, y0, x1, y1 = box
    if bw <= 1.0 * ppm + 1 and bh >= 0.5 * (y1 - y0):
        return True
    return bh <= 1.0 * ppm + 1 and bw >= 0.5 * (x1 - x0)


def front_ink_mirrored(front_maps: InkMaps, back_darkness: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The front's ink as it would show through on the back: mirrored, registered, widened a little.

    Duplex scanners capture both sides in one pass, so the back is the front mirrored left-right
    (long-edge flip) or top-bottom (short-edge flip); the flip that correlates better is used, and
    a translation found by phase correlation absorbs the offset between the two cameras.
    """
    src = cv2.compare(front_maps.darkness, max(40, front_maps.strong_t), cv2.CMP_GE)
    if src.shape != back_darkness.shape:
        src = cv2.resize(src, (back_darkness.shape[1], back_darkness.shape[0]), interpolation=cv2.INTER_NEAREST)
    # registration at half size (a shift is all we need), applied at full size
    tgt = cv2.GaussianBlur(halve(back_darkness).astype(np.float32), (0, 0), 1.0)
    best = None
    for flip in (1, 0):
        m = cv2.flip(src, flip)
        small = cv2.GaussianBlur(halve(m).astype(np.float32), (0, 0), 1.0)
        (dx, dy), resp = cv2.phaseCorrelate(small, tgt)
        if best is None or resp > best[0]:
            best = (resp, dx * 2, dy * 2, m)
    _, dx, dy, m = best
    moved = _shift(m, dx, dy)
    k = max(3, int(round(2.0 * px_per_mm)) | 1)
    return cv2.dilate(moved, ones(k, k))


def _shift(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``img`` moved by (dx, dy) rounded to whole pixels, zeros where nothing moved in: what a nearest-
    neighbour warp does, by copying rows (a warp costs ~10x more)."""
    h, w = img.shape
    sx, sy = int(np.floor(dx + 0.5)), int(np.floor(dy + 0.5))
    out = np.zeros_like(img)
    if abs(sx) >= w or abs(sy) >= h:
        return out
    out[max(sy, 0):h + min(sy, 0), max(sx, 0):w + min(sx, 0)] = img[max(-sy, 0):h - max(sy, 0),
                                                                    max(-sx, 0):w - max(sx, 0)]
    return out
