"""Is this image the same page as that one? (sticky-note pairs, accidental rescans)

A tiny thumbnail correlation is only a pre-filter. The decision is ORB feature matching with a
RANSAC similarity transform (a rescan is the same sheet shifted and slightly turned), followed by a
pixel test: after alignment, the ink of one must lie on the ink of the other. The pixel test is what
tells apart two copies of the same printed form filled in differently: their printed parts match
geometrically, their handwriting does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_INLIERS = 25
MAX_INK_MISMATCH = 0.06
PREFILTER_MIN = 0.75


@dataclass
class MatchResult:
    same: bool
    inliers: int = 0
    mismatch: float = 1.0          # share of ink (outside ignored regions) not found on the other page
    reason: str = ""

    def to_dict(self) -> dict:
        return {"same": self.same, "inliers": self.inliers, "ink_mismatch": round(self.mismatch, 3),
                "reason": self.reason}


def thumbnail(gray: np.ndarray) -> np.ndarray:
    """48x64 normalised thumbnail for the cheap pre-filter."""
    h, w = gray.shape
    f = max(1, min(h // 64, w // 48))
    small = cv2.resize(gray[:h // f * f, :w // f * f], (w // f, h // f), interpolation=cv2.INTER_AREA)
    t = cv2.resize(small, (48, 64), interpolation=cv2.INTER_AREA)
    mean, sd = cv2.meanStdDev(t)                      # one pass in C (numpy's mean and norm cost ~5x more)
    n = float(sd[0, 0]) * float(np.sqrt(t.size))      # the norm of t - mean
    c = t.astype(np.float32) - np.float32(mean[0, 0])
    return (c * np.float32(1.0 / n) if n > 1e-6 else c).astype(np.float16)


def thumb_similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float((a.astype(np.float32) * b.astype(np.float32)).sum())


_ORB = None


def _orb():
    global _ORB
    if _ORB is None:
        _ORB = cv2.ORB_create(nfeatures=1500, scaleFactor=1.3, nlevels=4, fastThreshold=12)
    return _ORB


def same_page(gray_a: np.ndarray, ink_a: np.ndarray, gray_b: np.ndarray, ink_b: np.ndarray,
              ignore_a: list[tuple[int, int, int, int]] = (), ignore_b: list[tuple[int, int, int, int]] = ()
              ) -> MatchResult:
    """Compare two working-scale pages; ``ignore_*`` are boxes (working px) to leave out (sticky notes)."""
    mask_a = _keep_mask(gray_a.shape, ignore_a)
    mask_b = _keep_mask(gray_b.shape, ignore_b)
    orb = _orb()
    ka, da = orb.detectAndCompute(gray_a, mask_a)
    kb, db = orb.detectAndCompute(gray_b, mask_b)
    if da is None or db is None or len(ka) < 8 or len(kb) < 8:
        return MatchResult(False, 0, 1.0, "no_features")
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(da, db, k=2)
    good = [m for m, *rest in pairs if rest and m.distance < 0.8 * rest[0].distance]
    if len(good) < 8:
        return MatchResult(False, len(good), 1.0, "few_matches")
    src = np.float32([kb[m.trainIdx].pt for m in good])
    dst = np.float32([ka[m.queryIdx].pt for m in good])
    tf, inl = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0,
                                          maxIters=2000, confidence=0.995)
    inliers = int(inl.sum()) if inl is not None else 0
    if tf is None or inliers < MIN_INLIERS:
        return MatchResult(False, inliers, 1.0, "geometry")
    scale = float(np.hypot(tf[0, 0], tf[1, 0]))
    if not 0.9 < scale < 1.1:
        return MatchResult(False, inliers, 1.0, "scale")
    h, w = gray_a.shape
    warped = cv2.warpAffine(ink_b, tf, (w, h), flags=cv2.INTER_NEAREST)
    valid = cv2.warpAffine(mask_b, tf, (w, h), flags=cv2.INTER_NEAREST) > 0
    valid &= mask_a > 0
    k = np.ones((5, 5), np.uint8)
    a_on = (ink_a > 0) & valid
    b_on = (warped > 0) & valid
    miss = (a_on & (cv2.dilate(warped, k) == 0)) | (b_on & (cv2.dilate(ink_a, k) == 0))
    # registration slivers are thin; a word written on one page and not the other is not
    miss = cv2.morphologyEx(miss.astype(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    total = np.count_nonzero(a_on) + np.count_nonzero(b_on)
    mismatch = np.count_nonzero(miss) / total if total else 0.0
    same = bool(mismatch <= MAX_INK_MISMATCH)
    return MatchResult(same, inliers, float(mismatch), "ok" if same else "content_differs")


def _keep_mask(shape, boxes) -> np.ndarray:
    m = np.full(shape, 255, np.uint8)
    for x, y, w, h in boxes:
        pad = 4
        m[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = 0
    return m
