"""Small, fast building blocks for 8-bit images (QC runs on every page: its cost is counted in ms).

- Percentiles and medians of uint8 data from a 256-bin histogram: the same numbers as
  ``np.percentile`` / ``np.median`` (linear interpolation), without sorting.
- Exact halvings (``INTER_AREA`` by 2 is OpenCV's SIMD fast path; by 4 it is not: two halvings
  are ~8x cheaper).
- Structuring elements and rectangle masks built once and reused (never written to).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np


def hist_u8(u8: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Counts of each value 0..255 (int64), where ``mask`` is non-zero if given (OpenCV: 3x np.bincount)."""
    if u8.size == 0:
        return np.zeros(256, np.int64)
    if u8.ndim == 1:
        u8 = u8.reshape(1, -1)
    u8 = np.ascontiguousarray(u8)
    if mask is not None:
        mask = np.ascontiguousarray(mask).view(np.uint8).reshape(u8.shape)
    return cv2.calcHist([u8], [0], mask, [256], [0, 256]).ravel().astype(np.int64)


def hist_percentile(hist: np.ndarray, q: float) -> float:
    """``np.percentile(values, q)`` (linear method) from the values' histogram; 0.0 when empty."""
    cum = np.cumsum(hist)
    n = int(cum[-1])
    if n == 0:
        return 0.0
    p = q / 100.0 * (n - 1)
    j = int(np.floor(p))
    g = p - j
    lo = int(np.searchsorted(cum, j, side="right"))
    if g == 0.0:
        return float(lo)
    hi = int(np.searchsorted(cum, min(j + 1, n - 1), side="right"))
    return float(lo + (hi - lo) * g)


def percentile_u8(u8: np.ndarray, q: float) -> float:
    """``np.percentile(u8, q)`` for uint8 data, by counting."""
    return hist_percentile(hist_u8(u8), q)


def median_mad_u8(u8: np.ndarray) -> tuple[float, float]:
    """``np.median(x)`` and ``np.median(abs(x - median))`` of uint8 data, by counting."""
    return median_mad_hist(hist_u8(u8))


def median_mad_hist(hist: np.ndarray) -> tuple[float, float]:
    """Median and median absolute deviation of the values counted in ``hist`` (numpy's definitions)."""
    med = hist_percentile(hist, 50.0)
    dev = np.abs(np.arange(256, dtype=np.float64) - med)
    order = np.argsort(dev, kind="stable")
    cum = np.cumsum(hist[order])
    n = int(cum[-1])
    if n == 0:
        return 0.0, 0.0
    p = 0.5 * (n - 1)
    j = int(np.floor(p))
    lo = float(dev[order[np.searchsorted(cum, j, side="right")]])
    if p == j:
        return med, lo
    hi = float(dev[order[np.searchsorted(cum, j + 1, side="right")]])
    return med, (lo + hi) / 2.0


def inner_sample(img: np.ndarray, step: int, inner: np.ndarray, margin: int | None) -> np.ndarray:
    """``img[::step, ::step]`` at the points where ``inner`` is set: a 2-D view when ``inner`` is the
    image minus a ``margin`` (a rectangle), else a 1-D selection."""
    sub = img[::step, ::step]
    if margin is None:
        return sub[inner[::step, ::step] > 0]
    h, w = img.shape[:2]
    if h <= 2 * margin or w <= 2 * margin:
        return sub[:0, :0]
    first = -(-margin // step)
    return sub[first:-(-(h - margin) // step), first:-(-(w - margin) // step)]


def inner_hist(img: np.ndarray, step: int, inner: np.ndarray, margin: int | None) -> np.ndarray:
    """Histogram of ``inner_sample(...)`` without gathering the values."""
    if margin is None:
        return hist_u8(img[::step, ::step], inner[::step, ::step])
    return hist_u8(inner_sample(img, step, inner, margin))


def rank_u8(hist: np.ndarray, q: float) -> float:
    """The value below which ``q`` % of the counted values lie (lower rank, no interpolation)."""
    cum = np.cumsum(hist)
    if cum[-1] == 0:
        return 0.0
    return float(np.searchsorted(cum, q / 100.0 * cum[-1]))


def chroma(bgr: np.ndarray) -> np.ndarray:
    """max - min of B, G, R per pixel: how coloured it is (three channel extractions cost about a third
    of ``cv2.split``, which builds its three planes at once)."""
    b, g, r = (cv2.extractChannel(bgr, i) for i in range(3))
    hi = cv2.max(b, g)
    cv2.max(hi, r, dst=hi)
    lo = cv2.min(b, g)
    cv2.min(lo, r, dst=lo)
    return cv2.subtract(hi, lo, dst=hi)


def halve(img: np.ndarray) -> np.ndarray:
    """Area-average by 2 (an odd last row or column is dropped)."""
    h, w = img.shape[:2]
    hh, ww = max(h // 2, 1), max(w // 2, 1)
    return cv2.resize(img[:hh * 2, :ww * 2], (ww, hh), interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=64)
def ones(h: int, w: int) -> np.ndarray:
    """A rectangular structuring element (shared: do not modify)."""
    k = np.ones((h, w), np.uint8)
    k.flags.writeable = False
    return k


@lru_cache(maxsize=8)
def rect_mask(h: int, w: int, m: int) -> np.ndarray:
    """255 inside an ``m``-pixel margin of an ``h`` x ``w`` image, 0 on the margin (shared: do not modify)."""
    mask = np.zeros((h, w), np.uint8)
    mask[m:h - m, m:w - m] = 255
    mask.flags.writeable = False
    return mask


@lru_cache(maxsize=8)
def frame_mask(h: int, w: int, outer: int, inner: int) -> np.ndarray:
    """255 on the band between an ``outer`` and an ``inner`` margin (shared: do not modify)."""
    mask = np.zeros((h, w), np.uint8)
    mask[outer:h - outer, outer:w - outer] = 255
    if inner < h - inner and inner < w - inner:
        mask[inner:h - inner, inner:w - inner] = 0
    mask.flags.writeable = False
    return mask


@lru_cache(maxsize=8)
def zeros(h: int, w: int) -> np.ndarray:
    """An all-zero uint8 mask (shared: do not modify)."""
    mask = np.zeros((h, w), np.uint8)
    mask.flags.writeable = False
    return mask
