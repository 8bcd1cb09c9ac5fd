"""Sharpness from a slanted edge (the ISO 12233 e-SFR method, simplified): MTF50 and MTF10 in cycles/pixel."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

OVERSAMPLE = 4


@dataclass(frozen=True)
class EdgeSFR:
    angle_deg: float          # of the edge from the ROI's vertical
    mtf50: float | None       # cycles per pixel, where the MTF first falls to 0.5
    mtf10: float | None


def _crossing(freq: np.ndarray, mtf: np.ndarray, level: float) -> float | None:
    below = np.nonzero(mtf < level)[0]
    if len(below) == 0 or below[0] == 0:
        return None
    i = int(below[0])
    f0, f1, m0, m1 = freq[i - 1], freq[i], mtf[i - 1], mtf[i]
    return float(f0 + (m0 - level) * (f1 - f0) / (m0 - m1)) if m0 != m1 else float(f1)


def slanted_edge_sfr(roi: np.ndarray) -> EdgeSFR | None:
    """MTF of a near-vertical edge crossing ``roi`` (2-D, linear light). None when no usable edge is there
    (too little contrast, too straight to oversample, or leaving the region)."""
    roi = np.asarray(roi, np.float64)
    h, w = roi.shape
    if h < 16 or w < 12:
        return None
    lo, hi = np.percentile(roi, 5), np.percentile(roi, 95)
    if hi - lo < 0.05 * max(hi, 1e-6):
        return None
    # edge position per row: centroid of the row's derivative. For finding the line only, rows are
    # smoothed along the column (a straight edge's average position is unchanged) and the derivative's
    # noise floor is taken off, so sensor noise does not pull the centroids towards the middle.
    sm = cv2.blur(roi, (1, 9), borderType=cv2.BORDER_REPLICATE)
    d = np.abs(np.diff(sm, axis=1))
    d = np.clip(d - np.median(d, axis=1, keepdims=True) * 3, 0, None)
    xs = np.arange(w - 1) + 0.5
    slope = icpt = 0.0
    rows = np.arange(h)
    mask = np.ones_like(d, bool)
    for _ in range(3):
        d2 = d * mask
        s2 = d2.sum(axis=1)
        ok = s2 > 0
        if ok.sum() < h * 0.8:
            return None
        cent = (d2 * xs).sum(axis=1)[ok] / s2[ok]
        slope, icpt = np.polyfit(rows[ok], cent, 1)
        mask = np.abs(xs[None, :] - (slope * rows[:, None] + icpt)) < max(3.0, w / 8)
    angle = math.degrees(math.atan(slope))
    if abs(angle) < 1.0 or abs(angle) > 30.0:
        return None
    pos = slope * np.arange(h) + icpt
    if pos.min() < 4 or pos.max() > w - 4:
        return None
    cosa = math.cos(math.atan(slope))
    dist = (np.arange(w)[None, :] - pos[:, None]) * cosa            # perpendicular distance to the edge
    half = min(pos.min(), w - 1 - pos.max()) * cosa
    nb = int(2 * half * OVERSAMPLE)
    if nb < 16:
        return None
    idx = np.floor((dist + half) * OVERSAMPLE).astype(np.int64)
    sel = (idx >= 0) & (idx < nb)
    sums = np.bincount(idx[sel], roi[sel], nb)
    cnts = np.bincount(idx[sel], minlength=nb)
    good = cnts > 0
    if good.sum() < nb * 0.9:
        return None
    centres = np.arange(nb)
    esf = np.interp(centres, centres[good], sums[good] / cnts[good])
    lsf = np.diff(esf)
    if abs(lsf.sum()) < 1e-9:
        return None
    lsf = lsf * np.sign(lsf.sum())
    peak = float((lsf * np.arange(len(lsf))).sum() / lsf.sum())
    n = len(lsf)
    window = 0.54 + 0.46 * np.cos(np.pi * (np.arange(n) - peak) / max(peak, n - 1 - peak, 1.0))
    lsf = lsf * np.clip(window, 0, None)
    nfft = max(256, 1 << (n - 1).bit_length())
    spec = np.abs(np.fft.rfft(lsf, nfft))
    if spec[0] <= 0:
        return None
    mtf = spec / spec[0]
    freq = np.arange(len(mtf)) * OVERSAMPLE / nfft                   # cycles per pixel
    # the finite difference over one bin is itself a filter: take it out (ISO 12233 derivative correction)
    corr = np.sinc(freq / OVERSAMPLE)
    keep = freq <= 1.0
    mtf, freq = mtf[keep] / np.maximum(corr[keep], 0.1), freq[keep]
    return EdgeSFR(angle, _crossing(freq, mtf, 0.5), _crossing(freq, mtf, 0.1))
