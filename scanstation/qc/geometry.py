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


def analyse_geometry(gray: np.ndarray, px_per_mm: float) -> PageGeometry:
    """Find the sheet on the working-scale grey image (see module doc)."""
    h0, w0 = gray.shape
    small = cv2.resize(gray, (max(w0 // 2, 1), max(h0 // 2, 1)), interpolation=cv2.INTER_AREA)
    sppm = px_per_mm / 2.0
    geo = PageGeometry()
    h, w = small.shape
    t, binar = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = small[binar > 0]
    dark = small[binar == 0]
    ring = np.concatenate([binar[0], binar[-1], binar[:, 0], binar[:, -1]])
    dark_border_share = float((ring == 0).mean())
    contrast = float(np.median(bright) - np.median(dark)) if dark.size and bright.size else 0.0
    geo.paper_level = float(np.median(bright)) if bright.size else float(np.median(small))
    # Background visible: a good share of the image border is dark and clearly darker than the paper.
    if dark_border_share < 0.15 or contrast < 50:
        return _no_edges(geo, gray, px_per_mm)
    closed = cv2.morphologyEx(binar, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return _no_edges(geo, gray, px_per_mm)
    cnt = max(contours, key=cv2.contourArea)
    if cv2.contourArea(cnt) < 0.2 * h * w:
        return _no_edges(geo, gray, px_per_mm)
    filled = np.zeros_like(binar)
    cv2.drawContours(filled, [cnt], -1, 255, -1)
    geo.edges_visible = True
    geo.background_level = float(np.median(dark))
    # Cut sides: the sheet runs into the image border over more than a few millimetres.
    touch_px = 5.0 * sppm
    for side, line in zip(SIDES, (filled[0], filled[:, -1], filled[-1], filled[:, 0]), strict=True):
        if np.count_nonzero(line) > touch_px:
            geo.cut_sides.append(side)
    (cx, cy), (rw, rh), angle = cv2.minAreaRect(cnt)
    if rw < rh:
        rw, rh, angle = rh, rw, angle + 90.0
    # OpenCV's angle convention changed across versions: bring it to the tilt of the long... edge.
    ang = ((angle + 45.0) % 90.0) - 45.0
    wmm, hmm = rw / sppm, rh / sppm
    geo.size_mm = (min(wmm, hmm), max(wmm, hmm))
    box = cv2.boxPoints(((cx, cy), (rw, rh), angle))
    bw = max(box[:, 0]) - min(box[:, 0])
    bh = max(box[:, 1]) - min(box[:, 1])
    geo.landscape = bw > bh
    geo.skew_deg = None if geo.cut_sides else round(float(-ang), 2)
    geo.corners = _corners(filled, box, sppm, geo.cut_sides, small)
    geo.paper_mask = cv2.resize(filled, (w0, h0), interpolation=cv2.INTER_NEAREST)
    return geo


def _no_edges(geo: PageGeometry, gray: np.ndarray, px_per_mm: float) -> PageGeometry:
    """The sheet fills the image (auto-cropped scan): size is the image's, every pixel is paper."""
    h, w = gray.shape
    geo.edges_visible = False
    geo.size_mm = (min(w, h) / px_per_mm, max(w, h) / px_per_mm)
    geo.landscape = w > h
    geo.paper_mask = None
    geo.paper_level = float(np.percentile(gray[:: 4, :: 4], 75))
    return geo


def _order_box(box: np.ndarray) -> dict[str, np.ndarray]:
    s = box.sum(1)
    d = box[:, 0] - box[:, 1]
    return {"tl": box[np.argmin(s)], "br": box[np.argmax(s)], "tr": box[np.argmax(d)], "bl": box[np.argmin(d)]}


def _corners(filled: np.ndarray, box: np.ndarray, sppm: float, cut: list[str], small: np.ndarray) -> dict[str, str]:
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
        tri = np.array([p + inset, p + inset + ua * leg, p + inset + ub * leg], np.float32)
        m = np.zeros_like(filled)
        cv2.fillPoly(m, [np.round(tri).astype(np.int32)], 255)
        area = np.count_nonzero(m)
        if area == 0:
            continue
        missing = np.count_nonzero((m > 0) & (filled == 0)) / area
        if missing < 0.18:
            continue
        out[c] = "folded" if _looks_folded(small, tri, ua, ub, sppm) else "missing"
    return out


def _looks_folded(small: np.ndarray, tri: np.ndarray, ua: np.ndarray, ub: np.ndarray, sppm: float) -> bool:
    """A folded corner leaves its flap on the page: a paper-bright triangle mirrored over a straight crease.

    Sample the luma along the diagonal from the corner inwards: background, then a crease, then the
    flap (paper) — versus a torn corner whose edge is ragged (the paper starts at different depths).
    """
    p = tri[0]
    depths = []
    for t in np.linspace(0.15, 0.85, 9):
        q0 = p + ua * 14 * sppm * t
        q1 = p + ub * 14 * sppm * (1 - t)
        n = np.array([ua[0] + ub[0], ua[1] + ub[1]]) / math.sqrt(2)
        # walk inwards from the hypotenuse-side point along the diagonal direction
        mid = (q0 + q1) / 2
        prof = []
        for k in range(-int(10 * sppm), int(10 * sppm)):
            x, y = mid + n * k
            xi, yi = int(round(x)), int(round(y))
            if 0 <= yi < small.shape[0] and 0 <= xi < small.shape[1]:
                prof.append(small[yi, xi])
            else:
                prof.append(0)
        prof = np.array(prof, np.float32)
        if prof.max() - prof.min() < 40:
            return False
        thr = (prof.max() + prof.min()) / 2
        idx = np.argmax(prof > thr)
        depths.append(idx)
    return float(np.std(depths)) < 0.8 * sppm + 0.5


def skew_from_text(ink: np.ndarray, px_per_mm: float) -> float | None:
    """Text-line angle from an ink mask: smear words into lines, fit each long line, take the median."""
    if np.count_nonzero(ink) < 50:
        return None
    k = max(3, int(round(4 * px_per_mm)))
    lines = cv2.dilate(ink, np.ones((1, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    angles, weights = [], []
    min_len = 30 * px_per_mm
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if w < min_len or h > w * 0.25:
            continue
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == i)
        if xs.size < 20:
            continue
        slope = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)[0]
        angles.append(math.degrees(math.atan(slope)))
        weights.append(w)
    if len(angles) < 2:
        return None
    order = np.argsort(angles)
    cum = np.cumsum(np.array(weights, np.float64)[order])
    med = float(np.array(angles)[order][np.searchsorted(cum, cum[-1] / 2)])
    return round(-med, 2)
