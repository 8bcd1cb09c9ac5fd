"""Sticky notes: boxes and colour of each note on a page (yellow, pink, green, blue, orange).

A note is a flat, pastel, fairly saturated rectangle of one hue, at least ~15 mm a side, well
filled (handwriting on it is closed over). What is not a note: red seals (thin rings and text,
removed by the opening), coloured letterheads (dark, pale or page-wide bands), logos (round),
photos (many hues and tones), tinted paper (the paper's own colour is the reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from scanstation.qc.fast import chroma as chroma_of
from scanstation.qc.fast import halve, hist_percentile, hist_u8, ones

MIN_SIDE_MM = 12.0
MIN_AREA_MM2 = 300.0
MAX_SIDE_MM = 160.0
MIN_FILL = 0.85
MIN_NOTE_PX_PER_MM = 0.65   # notes are looked for at a quarter of the working scale when that keeps >= 16.5 dpi


@dataclass(frozen=True)
class StickyNote:
    x: int          # full-resolution pixels of the image file
    y: int
    w: int
    h: int
    color: str
    angle: float = 0.0

    def to_dict(self) -> dict:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h, "color": self.color}


def colour_name(hue: float, sat: float) -> str | None:
    """OpenCV hue (0-180) of a pastel note to its everyday name."""
    if hue >= 150 or hue < 4:
        return "pink"
    if hue < 19:
        return "orange"
    if hue < 36:
        return "yellow"
    if hue < 88:
        return "green"
    if hue < 132:
        return "blue"
    return None   # violet: not a sticky-note colour we know


def find_sticky_notes(bgr: np.ndarray, px_per_mm: float, factor: int,
                      paper_width_mm: float | None = None, *,
                      chroma: np.ndarray | None = None, chroma_max: int = 255) -> list[StickyNote]:
    """Notes on a working-scale page. ``chroma``: max - min of B, G, R at working size and ``chroma_max``
    its largest value, if the caller has them.

    Notes are large (12 mm a side at the very least), so they are looked for on a much smaller copy
    of the page: a quarter of the working scale (~19 dpi for a 300-dpi scan), half of it when the
    working scale is low. Boxes are therefore accurate to that copy's pixel (~1.4 mm)."""
    h0, w0 = bgr.shape[:2]
    scale = 4 if px_per_mm / 4 >= MIN_NOTE_PX_PER_MM else 2
    sppm = px_per_mm / scale
    min_px = MIN_AREA_MM2 * sppm * sppm
    # Most pages have no pastel colour at all: say so before converting to HSV. On the small copy a note
    # pixel has V >= 180 and S >= 60, so max - min >= 60 * 180 / 255 = 42 (41 after OpenCV's rounding,
    # 40 before the averaging's): at least one of the working pixels it averages has that much chroma.
    # Fewer such pixels than a note's area on the small copy: no note.
    if chroma is None:
        chroma = chroma_of(bgr)
    if chroma_max < 40 or cv2.countNonZero(cv2.compare(chroma, 40, cv2.CMP_GE)) < min_px:
        return []
    small = halve(halve(bgr)) if scale == 4 else halve(bgr)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hch, sch, vch = cv2.split(hsv)
    bright = cv2.compare(vch, 180, cv2.CMP_GE)      # notes are pastel; pen ink and seals are darker
    # the paper's saturation: median over bright pixels (every 4th pixel is plenty for a median)
    paper_s = hist_percentile(hist_u8(sch[::2, ::2], bright[::2, ::2]), 50) if cv2.countNonZero(bright) > 100 else 0.0
    raw = cv2.bitwise_and(cv2.compare(sch, math.ceil(max(60.0, paper_s + 40.0)), cv2.CMP_GE), bright)
    if cv2.countNonZero(raw) < min_px:
        return []
    notes: list[StickyNote] = []
    page_w = (paper_width_mm or w0 / px_per_mm) * sppm
    # One pass per colour family, so a note touching a red seal or a photo stays a clean rectangle.
    hue_counts = np.cumsum(cv2.calcHist([hch], [0], raw, [180], [0, 180]).ravel())
    h, w = raw.shape
    for lo, hi in HUE_BANDS:
        if hue_counts[hi - 1] - (hue_counts[lo - 1] if lo else 0) < min_px:
            continue
        band = cv2.bitwise_and(raw, cv2.inRange(hch, lo, hi - 1))
        # only around the band's pixels (4 px of margin keep the 3x3 closing and opening exact)
        bx, by, bw, bh = cv2.boundingRect(band)
        x0, y0, x1, y1 = max(bx - 4, 0), max(by - 4, 0), min(bx + bw + 4, w), min(by + bh + 4, h)
        roi = (slice(y0, y1), slice(x0, x1))
        for note in _notes_in(band[roi], hch[roi], sch[roi], vch[roi], sppm, page_w, scale * factor, (x0, y0)):
            if not any(_overlap(note, other) > 0.5 for other in notes):
                notes.append(note)
    return notes


HUE_BANDS = ((145, 178), (5, 22), (16, 40), (33, 92), (84, 135))   # pink, orange, yellow, green, blue; pure red (seals) is in none


def _overlap(a: StickyNote, b: StickyNote) -> float:
    ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    return ix * iy / max(1, min(a.w * a.h, b.w * b.h))


def _notes_in(raw, hch, sch, vch, sppm, page_w, f, origin=(0, 0)) -> list[StickyNote]:
    """Notes in one colour family's mask; ``origin``: where these (cropped) planes sit in the small copy,
    ``f``: the small copy's pixel in pixels of the image file."""
    k3 = ones(3, 3)
    mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, k3)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, k3)
    cnts, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    notes: list[StickyNote] = []
    for cnt in cnts:
        x, y, bw, bh = cv2.boundingRect(cnt)
        if bw * bh < MIN_AREA_MM2 * sppm * sppm:
            continue
        comp = np.zeros((bh, bw), np.uint8)
        cv2.drawContours(comp, [cnt - (x, y)], -1, 1, -1)
        comp &= (mask[y:y + bh, x:x + bw] > 0).view(np.uint8)
        area = int(comp.sum())
        if area < MIN_AREA_MM2 * sppm * sppm:
            continue
        (_, _), (rw, rh), ang = cv2.minAreaRect(cnt)
        short, long_ = sorted((rw / sppm, rh / sppm))
        if short < MIN_SIDE_MM or long_ > MAX_SIDE_MM or long_ > 5 * short:
            continue
        if max(rw, rh) > 0.75 * page_w and long_ > 120:
            continue     # a band across the page: letterhead, not a note
        if area < MIN_FILL * rw * rh:
            continue
        sel = (comp > 0) & (raw[y:y + bh, x:x + bw] > 0)    # the note's paper, not the writing on it
        hues = hch[y:y + bh, x:x + bw][sel].astype(np.float32)
        sats = sch[y:y + bh, x:x + bw][sel].astype(np.float32)
        vals = vch[y:y + bh, x:x + bw][sel].astype(np.float32)
        # circular hue statistics (red/pink wraps around 0/180)
        a = hues * (np.pi / 90.0)
        c, s = float(np.cos(a).mean()), float(np.sin(a).mean())
        spread = np.sqrt(max(0.0, -2.0 * np.log(max(np.hypot(c, s), 1e-6)))) * 90.0 / np.pi
        q1, q3 = np.percentile(vals, (10, 90))
        if spread > 9.0 or q3 - q1 > 45.0 or float(np.median(vals)) < 170:
            continue
        hue = (np.degrees(np.arctan2(s, c)) / 2.0) % 180.0
        name = colour_name(hue, float(np.median(sats)))
        if name is None:
            continue
        notes.append(StickyNote((x + origin[0]) * f, (y + origin[1]) * f, bw * f, bh * f, name, round(float(ang), 1)))
    return notes
