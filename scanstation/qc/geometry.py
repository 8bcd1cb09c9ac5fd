"""Whole page and geometry: where the sheet lies on the scan, cut-off sides, corners, size, skew.

Works on a half-size copy of the working image (~37 dpi). The scanner background (usually the dark
backing of the feeder) is separated from the paper by Otsu's threshold; the sheet is the largest
bright region, its outline filled. Nothing here changes the archived image: skew is reported only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from scanstation.qc.fast import halve, ones, percentile_u8

PAPER_SIZES_MM: dict[str, tuple[float, float]] = {
    "A3": (297.0, 420.0), "A4": (210.0, 297.0), "A5": (148.0, 210.0), "A6": (105.0, 148.0),
    "B5": (176.0, 250.0), "Letter": (215.9, 279.4), "Legal": (215.9, 355.6),
}
SIDES = ("top", "right", "bottom", "left")
CORNERS = ("tl", "tr", "br", "bl")


@dataclass
class PageGeometry:
    edges_visible: bool = False             # scanner background seen around the sheet
    cut_sides: list[str] = field(default_factory=list)
    corners: dict[str, str] = field(default_factory=dict)   # corner -> "missing" | "folded"
    size_mm: tuple[float, float] = (0.0, 0.0)               # short side, long side
    landscape: bool = False
    skew_deg: float | None = None           # from the sheet's edges (None: edges not usable)
    paper_mask: np.ndarray | None = None    # working-scale mask of the sheet (255 = paper)
    paper_level: float = 0.0                # median luma of the paper
    background_level: float | None = None

    def problems(self, expected: tuple[float, float] | None, tolerance_mm: float) -> list[str]:
        out = [f"cut_{s}" for s in self.cut_sides]
        out += [f"corner_{kind}_{c}" for c, kind in self.corners.items()]
        if expected and self.size_mm[1] > 0:
            short, long_ = self.size_mm
            es, el = sorted(expected)
            long_visible = self.edges_visible or not self.cut_sides
            if long_visible and long_ > el * 1.15 and abs(short - es) <= max(tolerance_mm, es * 0.05):
                out.append("too_long")
            elif not self.cut_sides and (abs(short - es) > tolerance_mm or abs(long_ - el) > tolerance_mm):
                out.append("size_mismatch")
        return out


def nearest_paper(size_mm: tuple[float, float]) -> tuple[str, float]:
    """Name of the standard size closest to (short, long) and the distance in mm."""
    best = min(PAPER_SIZES_MM.items(), key=lambda kv: abs(kv[1][0] - size_mm[0]) + abs(kv[1][1] - size_mm[1]))
    return best[0], abs(best[1][0] - size_mm[0]) + abs(best[1][1] - size_mm[1])


def analyse_geometry(gray: np.ndarray, px_per_mm: float, gray2: np.ndarray | None = None) -> PageGeometry:
    """Find the sheet on the working-scale grey image (see module doc); ``gray2``: it at half size."""
    h0, w0 = gray.shape
    small = cv2.blur(halve(gray) if gray2 is None else gray2, (3, 3))
    sppm = px_per_mm / 2.0
    geo = PageGeometry()
    h, w = small.shape
    centre = small[h // 5:h - h // 5:4, w // 5:w - w // 5:4]
    paper = percentile_u8(centre, 75)
    geo.paper_level = paper
    ring = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    off = ring[np.abs(ring.astype(np.float32) - paper) > 8]
    if off.size < 0.03 * ring.size:
        return _no_edges(geo, gray, px_per_mm)
    level = percentile_u8(off, 50)
    if paper - level >= 50:
        # dark backing: Otsu separates it from the paper cleanly
        _, bg = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    else:
        delta = max(3.0, abs(paper - level) / 2.0 - 1.0)
        bg = cv2.inRange(small, math.ceil(level - delta), math.floor(level + delta))   # |small - level| <= delta
    # background = backing-like pixels connected to the image border, and flat (a feeder shadow is a ramp)
    bgmask = _border_regions(bg, 2 * sppm * sppm)
    if bgmask is None:
        return _no_edges(geo, gray, px_per_mm)
    # a backing is flat; a feeder shadow on the paper's edge is a ramp (look inside, off the outline)
    core = cv2.erode(bgmask, ones(3, 3))
    n_core = cv2.countNonZero(core)
    if n_core < 2 * sppm * sppm:
        return _no_edges(geo, gray, px_per_mm)
    flat = cv2.inRange(small, math.ceil(level - 12), math.floor(level + 12))
    if cv2.countNonZero(cv2.bitwise_and(flat, core)) < 0.75 * n_core:
        return _no_edges(geo, gray, px_per_mm)
    binar = cv2.bitwise_not(bgmask)
    contours, _ = cv2.findContours(binar, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return _no_edges(geo, gray, px_per_mm)
    cnt = max(contours, key=cv2.contourArea)
    if cv2.contourArea(cnt) < 0.2 * h * w:
        return _no_edges(geo, gray, px_per_mm)
    filled = np.zeros_like(binar)
    cv2.drawContours(filled, [cnt], -1, 255, -1)
    geo.edges_visible = True
    geo.background_level = level
    # Cut sides: the sheet runs along the image border for a good length (a skewed sheet's corner
    # grazing the border is not a cut side; a corner lost that way shows as a missing corner).
    # A sheet touching both opposite sides was cropped to the page by the scanner on that axis (no
    # evidence either way); touching one side while backing shows on the other means it ran off.
    touch_px = 25.0 * sppm
    touching = {side: np.count_nonzero(line) > touch_px
                for side, line in zip(SIDES, (filled[0], filled[:, -1], filled[-1], filled[:, 0]), strict=True)}
    opposite = {"top": "bottom", "bottom": "top", "left": "right", "right": "left"}
    geo.cut_sides = [s for s in SIDES if touching[s] and not touching[opposite[s]]]
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(cnt)
    ang = ((angle + 45.0) % 90.0) - 45.0
    wmm, hmm = rw / sppm, rh / sppm
    geo.size_mm = (min(wmm, hmm), max(wmm, hmm))
    box = cv2.boxPoints(((cx, cy), (rw, rh), angle))
    bw = max(box[:, 0]) - min(box[:, 0])
    bh = max(box[:, 1]) - min(box[:, 1])
    geo.landscape = bw > bh
    # the rectangle says nothing about the tilt when the sheet fills the image on an axis
    geo.skew_deg = None if any(touching.values()) else round(float(-ang), 2)
    geo.corners = _corners(filled, box, sppm, geo.cut_sides, small, paper)
    geo.paper_mask = cv2.resize(filled, (w0, h0), interpolation=cv2.INTER_NEAREST)
    if filled.shape[0] * 2 != h0 or filled.shape[1] * 2 != w0:   # odd size: the last row/column
        geo.paper_mask[filled.shape[0] * 2:, :] = 0
        geo.paper_mask[:, filled.shape[1] * 2:] = 0
    return geo


def _border_regions(mask: np.ndarray, min_area: float) -> np.ndarray | None:
    """The 4-connected regions of ``mask`` (0/255) that touch the image border and cover at least
    ``min_area`` pixels, as a 0/255 mask; None when there are none. Each region is flood-filled from
    the border (its area comes with the fill): no labelling of the whole image (text makes hundreds
    of regions) and no statistics for regions that do not matter."""
    work = mask.copy()
    found = False
    h, w = work.shape
    while True:
        seed = None
        for line, at in ((work[0], lambda i: (i, 0)), (work[-1], lambda i: (i, h - 1)),
                         (work[:, 0], lambda i: (0, i)), (work[:, -1], lambda i: (w - 1, i))):
            idx = np.flatnonzero(line == 255)
            if idx.size:
                seed = at(int(idx[0]))
                break
        if seed is None:
            break
        area = cv2.floodFill(work, None, seed, 128, flags=4)[0]
        if area >= min_area:
            found = True
        else:
            cv2.floodFill(work, None, seed, 64, flags=4)
    return cv2.compare(work, 128, cv2.CMP_EQ) if found else None


def _no_edges(geo: PageGeometry, gray: np.ndarray, px_per_mm: float) -> PageGeometry:
    """The sheet fills the image (auto-cropped scan): size is the image's, every pixel is paper."""
    h, w = gray.shape
    geo.edges_visible = False
    geo.size_mm = (min(w, h) / px_per_mm, max(w, h) / px_per_mm)
    geo.landscape = w > h
    geo.paper_mask = None
    geo.paper_level = percentile_u8(gray[::4, ::4], 75)
    return geo


def _order_box(box: np.ndarray) -> dict[str, np.ndarray]:
    s = box.sum(1)
    d = box[:, 0] - box[:, 1]
    return {"tl": box[np.argmin(s)], "br": box[np.argmax(s)], "tr": box[np.argmax(d)], "bl": box[np.argmin(d)]}


def _corners(filled: np.ndarray, box: np.ndarray, sppm: float, cut: list[str], small: np.ndarray,
             paper: float) -> dict[str, str]:
    """Check a 14 mm triangle at each corner of the sheet's rectangle: is it paper?"""
    pts = _order_box(box)
    neighbours = {"tl": ("tr", "bl"), "tr": ("tl", "br"), "br": ("tr", "bl"), "bl": ("tl", "br")}
    on_side = {"tl": ("top", "left"), "tr": ("top", "right"), "br": ("bottom", "right"), "bl": ("bottom", "left")}
    out: dict[str, str] = {}
    leg = 14.0 * sppm
    for c in CORNERS:
        if any(s in cut for s in on_side[c]):
            continue
        p = pts[c]
        a, b = (pts[n] for n in neighbours[c])
        ua = (a - p) / (np.linalg.norm(a - p) or 1)
        ub = (b - p) / (np.linalg.norm(b - p) or 1)
        inset = ua * 1.0 * sppm + ub * 1.0 * sppm     # ignore the anti-aliased outline
        tri = np.round(np.array([p + inset, p + inset + ua * leg, p + inset + ub * leg], np.float32)).astype(np.int32)
        # within the triangle's bounding box (clipped to the image): same pixels as a whole-image mask
        x0, y0 = max(int(tri[:, 0].min()), 0), max(int(tri[:, 1].min()), 0)
        x1, y1 = min(int(tri[:, 0].max()) + 1, filled.shape[1]), min(int(tri[:, 1].max()) + 1, filled.shape[0])
        if x1 <= x0 or y1 <= y0:
            continue
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(m, [tri - (x0, y0)], 255)
        area = cv2.countNonZero(m)
        if area == 0:
            continue
        missing = cv2.countNonZero(cv2.bitwise_and(m, cv2.bitwise_not(filled[y0:y1, x0:x1]))) / area
        if missing < 0.18:
            continue
        kind = _corner_kind(filled, small, p, ua, ub, sppm, paper)
        if kind is not None:
            out[c] = kind
    return out


CLIPPED_MAX_DEG = 12.0      # a notch whose edge is within this of the sheet's side is a tilted edge


def _corner_kind(filled, small, p, ua, ub, sppm, paper) -> str | None:
    """What a corner without paper is: "folded", "missing", or None when it is only the sheet's own
    straight edge, tilted, leaving the image (a skewed sheet on a scan cropped to the paper size).

    A torn or cut corner leaves a notch across the corner; skew leaves a long thin wedge along one
    side. A folded corner leaves its flap on the page: on a dark backing the flap is paper seen from
    the back (:func:`_looks_folded`); on a light backing the flap can be as light as the backing, and
    then the notch is the whole square (lost triangle + flap), not a triangle."""
    limit = 60 * sppm
    sa = _leg(filled, p + ub * 1.5 * sppm, ua, limit)
    sb = _leg(filled, p + ua * 1.5 * sppm, ub, limit)
    short, long_ = sorted((sa, sb))
    if long_ > 0 and math.degrees(math.atan2(short, long_)) < CLIPPED_MAX_DEG:
        return None
    if _looks_folded(filled, small, p, ua, ub, sppm, paper):
        return "folded"
    if short >= 6 * sppm and _square_notch(filled, p, ua, ub, sa, sb, sppm):
        return "folded"
    return "missing"


def _square_notch(filled, p, ua, ub, sa, sb, sppm) -> bool:
    """Is the notch a square (a fold whose flap looks like the backing) rather than a triangle?
    Across the notch, parallel to its longer leg (the one a tilted edge may lengthen), a triangle
    narrows steadily (0.75 of its width at a quarter of the other leg, 0.4 at 60 %), a square
    keeps its width."""
    if sa < sb:                 # measure along the longer leg's direction, stepping along the shorter
        ua, ub, sa, sb = ub, ua, sb, sa
    limit = 60 * sppm
    near = _leg(filled, p + ub * 0.25 * sb, ua, limit)
    far = _leg(filled, p + ub * 0.6 * sb, ua, limit)
    return near >= 4 * sppm and far >= 0.8 * near


def _leg(filled: np.ndarray, p: np.ndarray, u: np.ndarray, limit: float) -> float:
    """Distance from corner ``p`` along ``u`` (just inside the sheet) to where the paper starts."""
    h, w = filled.shape
    for k in range(int(limit)):
        x, y = p + u * k
        xi, yi = int(round(x)), int(round(y))
        if 0 <= yi < h and 0 <= xi < w and filled[yi, xi]:
            return float(k)
    return float(limit)


def _looks_folded(filled, small, p, ua, ub, sppm, paper) -> bool:
    """A folded corner leaves its flap on the page: the triangle mirrored over the fold line is
    paper seen from the back (a little darker, no print), where a torn corner leaves normal paper."""
    nudge = 1.5 * sppm
    sa = _leg(filled, p + ub * nudge, ua, 60 * sppm)
    sb = _leg(filled, p + ua * nudge, ub, 60 * sppm)
    if min(sa, sb) < 4 * sppm:
        return False
    # each leg was measured ``nudge`` inside the sheet's edge, where the fold line is already nearer
    # the corner: extend it to the edge, or the flap's own fold line (the crease's shadow) falls
    # inside the triangle looked at on a small flap
    sa, sb = sa + nudge * sa / sb, sb + nudge * sb / sa
    q = p + ua * sa + ub * sb
    flap = np.array([p + ua * sa, p + ub * sb, q], np.float32)
    c = flap.mean(axis=0)
    flap = c + (flap - c) * 0.6                           # stay clear of the crease and the edges
    m = np.zeros_like(filled)
    cv2.fillPoly(m, [np.round(flap).astype(np.int32)], 255)
    vals = small[(m > 0) & (filled > 0)]
    if vals.size < 10:
        return False
    return float(np.median(vals)) < paper - 8 and float(np.percentile(vals, 90) - np.percentile(vals, 10)) < 20


def skew_from_text(ink: np.ndarray, px_per_mm: float) -> float | None:
    """Text-line angle from an ink mask: smear words into lines, fit each long line, take the median."""
    if cv2.countNonZero(ink) < 50:
        return None
    ink = cv2.compare(halve(ink), 40, cv2.CMP_GE)     # half size: lines are long, cost is area
    px_per_mm = px_per_mm / 2
    k = max(3, int(round(4 * px_per_mm)))
    lines = cv2.dilate(ink, ones(1, k))
    # every outline, not only the outer ones: a frame of ink around the page (the scanner's backing
    # seen around a sheet whose edges were not found, a border printed on a form) encloses the lines
    cnts, _ = cv2.findContours(lines, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    angles, weights = [], []
    min_len = 30 * px_per_mm
    for c in cnts:
        x, y, w, h = cv2.boundingRect(c)
        if w < min_len or h > w * 0.25:
            continue
        mo = cv2.moments(c)
        if mo["m00"] < 20:
            continue
        # orientation of the line blob from its second moments
        angles.append(math.degrees(0.5 * math.atan2(2 * mo["mu11"], mo["mu20"] - mo["mu02"])))
        weights.append(w)
    if len(angles) < 2:
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.array(weights, np.float64)[order])
    med = float(np.array(angles)[order][np.searchsorted(cum, cum[-1] / 2)])
    return round(-med, 2)
