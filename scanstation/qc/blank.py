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

CONTENT, BLANK, UNSURE = "content", "blank", "unsure"

MARGIN_MM = 3.0          # ignored band inside the sheet's edge (the edge itself, feeder shadows)
SPECK_MM = 1.6           # components smaller than this (both sides) are dust or noise
REAL_INK = 80            # darkness (grey levels below the paper) that only real ink reaches
COLOUR_EXCESS = 45       # chroma above the paper's that marks coloured ink (seal, blue pen, note)
FAINT_MIN_MM2 = 4.0      # structured faint marks below this area are ignored
SHOW_THROUGH_EXPLAINED = 0.8


@dataclass
class InkMaps:
    darkness: np.ndarray          # uint8, how much darker than the local paper tone
    colour: np.ndarray            # bool, coloured ink
    inner: np.ndarray             # uint8 mask of the sheet minus a margin
    strong_t: int
    faint_t: int
    ink: np.ndarray | None = None  # uint8 mask of strong or coloured ink (for skew, sharpness, match)


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


def ink_maps(bgr: np.ndarray, gray: np.ndarray, paper_mask: np.ndarray | None, px_per_mm: float) -> InkMaps:
    h, w = gray.shape
    f = 4
    sm = cv2.resize(gray, (max(w // f, 1), max(h // f, 1)), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(7.0 * px_per_mm / f)) | 1)
    bg = cv2.morphologyEx(sm, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    bg = cv2.blur(bg, (3, 3))
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    darkness = cv2.subtract(bg, gray)
    m = max(1, int(round(MARGIN_MM * px_per_mm)))
    if paper_mask is not None:
        inner = cv2.erode(paper_mask, np.ones((2 * m + 1, 2 * m + 1), np.uint8))
    else:
        inner = np.zeros_like(gray)
        inner[m:h - m, m:w - m] = 255
    sample = darkness[::3, ::3][inner[::3, ::3] > 0]
    if sample.size:
        med = float(np.median(sample))
        noise = 1.4826 * float(np.median(np.abs(sample.astype(np.float32) - med)))
    else:
        med, noise = 0.0, 2.0
    faint_t = int(max(14, med + 5 * noise + 4))
    strong_t = int(max(42, faint_t + 20))
    sat = cv2.subtract(bgr.max(axis=2), bgr.min(axis=2))
    ps = sat[::3, ::3][inner[::3, ::3] > 0]
    paper_sat = float(np.median(ps)) if ps.size else 0.0
    colour = (sat.astype(np.int16) >= paper_sat + COLOUR_EXCESS) & (inner > 0)
    return InkMaps(darkness, colour, inner, strong_t, faint_t)


def _components(mask: np.ndarray):
    return cv2.connectedComponentsWithStats(mask, connectivity=8)


def classify_blank(maps: InkMaps, px_per_mm: float, *, front_ink: np.ndarray | None = None,
                   front_loader=None) -> BlankResult:
    """Verdict from the ink maps. ``front_loader()`` returns the mirrored front's ink mask when asked."""
    ppm2 = px_per_mm * px_per_mm
    inner = maps.inner > 0
    strong = ((maps.darkness >= maps.strong_t) & inner) | maps.colour
    strong_u8 = strong.astype(np.uint8) * 255
    maps.ink = strong_u8
    n, labels, stats, _ = _components(strong_u8)
    speck = SPECK_MM * px_per_mm
    reasons: set[str] = set()
    real_px, weak_ids = 0, []
    coloured = False
    colour_lab = None
    h, w = strong.shape
    ys_inner = np.nonzero(inner.any(axis=1))[0]
    xs_inner = np.nonzero(inner.any(axis=0))[0]
    box = (xs_inner.min(), ys_inner.min(), xs_inner.max(), ys_inner.max()) if xs_inner.size else (0, 0, w, h)
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if (bw < speck and bh < speck) or (max(bw, bh) < 1.5 * speck and abs(bw - bh) <= 1 + 0.2 * max(bw, bh)
                                                 and area >= 0.45 * bw * bh):
            reasons.add("specks")     # dust, or a round dot of it: no digit or stroke looks like that
            continue
        if _punch_hole(x, y, bw, bh, area, box, px_per_mm, maps.darkness, labels, i):
            reasons.add("punch_holes")
            continue
        if _edge_shadow(x, y, bw, bh, area, box, px_per_mm):
            reasons.add("edge_shadow")
            continue
        if _streak(bw, bh, box, px_per_mm):
            reasons.add("streak")
            continue
        comp_slice = labels[y:y + bh, x:x + bw] == i
        if colour_lab is None:
            colour_lab = maps.colour
        if np.count_nonzero(colour_lab[y:y + bh, x:x + bw] & comp_slice) >= max(4, 0.2 * area):
            coloured = True
            real_px += area
            continue
        peak = int(maps.darkness[y:y + bh, x:x + bw][comp_slice].max())
        if peak >= REAL_INK:
            real_px += area
        else:
            weak_ids.append(i)
    faint = ((maps.darkness >= maps.faint_t) & inner & ~strong).astype(np.uint8) * 255
    faint = cv2.morphologyEx(faint, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    fn, flabels, fstats, _ = _components(faint)
    faint_ids = [i for i in range(1, fn)
                 if (fstats[i, 2] >= 1.5 * px_per_mm or fstats[i, 3] >= 1.5 * px_per_mm)
                 and not _edge_shadow(*(int(v) for v in fstats[i]), box, px_per_mm)
                 and not _streak(int(fstats[i, 2]), int(fstats[i, 3]), box, px_per_mm)]
    weak_px = int(sum(stats[i, 4] for i in weak_ids))
    faint_px = int(sum(fstats[i, 4] for i in faint_ids))
    if real_px / ppm2 >= 1.0:
        ink_mm2 = (real_px + weak_px) / ppm2
        return BlankResult(CONTENT, _content_score(ink_mm2), ink_mm2, faint_px / ppm2,
                           sorted(reasons | ({"colour_ink"} if coloured else {"ink"})), coloured)
    suspicious = weak_px / ppm2 >= 1.0 or faint_px / ppm2 >= FAINT_MIN_MM2
    if not suspicious:
        if maps.colour[inner].mean() < 0.001 and maps.darkness[inner].mean() < 1 and not reasons:
            reasons.add("clean")
        return BlankResult(BLANK, _blank_score(weak_px + faint_px, ppm2), 0.0, faint_px / ppm2, sorted(reasons))
    # Marks that might be show-through: ask the front of the sheet (costly: only here).
    explain = front_loader() if front_loader is not None else front_ink
    if explain is None:
        if weak_px / ppm2 >= 1.0:
            return BlankResult(CONTENT, _content_score(weak_px / ppm2) + 0.1, weak_px / ppm2, faint_px / ppm2,
                               sorted(reasons | {"light_ink"}))
        return BlankResult(UNSURE, 0.5, 0.0, faint_px / ppm2, sorted(reasons | {"faint_marks"}))
    un_weak = _unexplained(labels, stats, weak_ids, explain)
    un_faint = _unexplained(flabels, fstats, faint_ids, explain)
    reasons.add("show_through")
    if un_weak / ppm2 >= 1.0:
        return BlankResult(CONTENT, _content_score(un_weak / ppm2) + 0.1, un_weak / ppm2, un_faint / ppm2,
                           sorted((reasons - {"show_through"}) | {"light_ink"}), show_through_checked=True)
    if un_faint / ppm2 >= FAINT_MIN_MM2:
        return BlankResult(UNSURE, 0.5, 0.0, un_faint / ppm2, sorted(reasons | {"faint_marks"}),
                           show_through_checked=True)
    return BlankResult(BLANK, _blank_score(un_weak + un_faint, ppm2) - 0.05, 0.0, un_faint / ppm2,
                       sorted(reasons), show_through_checked=True)


def _unexplained(labels, stats, ids, explain: np.ndarray) -> int:
    """Pixels of the given components that the front's mirrored ink does not cover."""
    total = 0
    for i in ids:
        x, y, bw, bh, area = (int(v) for v in stats[i])
        comp = labels[y:y + bh, x:x + bw] == i
        covered = np.count_nonzero(comp & (explain[y:y + bh, x:x + bw] > 0))
        if covered < SHOW_THROUGH_EXPLAINED * area:
            total += area - covered
    return total


def _content_score(ink_mm2: float) -> float:
    return round(max(0.0, 0.3 * (1.0 - min(1.0, ink_mm2 / 60.0))), 3)


def _blank_score(residual_px: int, ppm2: float) -> float:
    return round(0.8 + 0.2 * (1.0 - min(1.0, residual_px / ppm2 / FAINT_MIN_MM2)), 3)


def _punch_hole(x, y, bw, bh, area, box, ppm, darkness, labels, i) -> bool:
    d_mm = max(bw, bh) / ppm
    if not (3.5 <= d_mm <= 9.0) or abs(bw - bh) > 0.3 * max(bw, bh):
        return False
    if area < 0.6 * bw * bh:
        return False
    x0, y0, x1, y1 = box
    near = 28 * ppm
    return (x - x0 < near) or (x1 - (x + bw) < near) or (y - y0 < near) or (y1 - (y + bh) < near)


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
    src = (front_maps.darkness >= max(40, front_maps.strong_t)).astype(np.float32)
    src = cv2.resize(src, (back_darkness.shape[1], back_darkness.shape[0]), interpolation=cv2.INTER_AREA)
    tgt = cv2.GaussianBlur(back_darkness.astype(np.float32), (0, 0), 1.5)
    best = None
    for flip in (1, 0):
        m = cv2.flip(src, flip)
        blurred = cv2.GaussianBlur(m, (0, 0), 1.5)
        (dx, dy), resp = cv2.phaseCorrelate(blurred, tgt)
        if best is None or resp > best[0]:
            best = (resp, flip, dx, dy, m)
    _, _, dx, dy, m = best
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(m, shift, (m.shape[1], m.shape[0]))
    k = max(3, int(round(2.0 * px_per_mm)) | 1)
    return cv2.dilate((moved > 0.2).astype(np.uint8) * 255, np.ones((k, k), np.uint8))
