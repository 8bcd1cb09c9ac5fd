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
DIFF_GROUP_MM = 3.0        # mismatched ink this close together is one difference (a word, a seal)
MAX_LOCAL_DIFF_MM2 = 4.0
NOTE_PAD_MM = 4.0          # around a sticky note: its shadow and curled edge are not the page   # one place with this much ink on one page only: a different paper


@dataclass
class MatchResult:
    same: bool
    inliers: int = 0
    mismatch: float = 1.0          # share of ink (outside ignored regions) not found on the other page
    reason: str = ""
    differs_at_mm: tuple[float, float] | None = None   # (x, y) on the first page of the largest difference
    differs_mm2: float = 0.0                           # ink area of that difference
    differs_in: str = ""           # "first", "second" or "both": which page has the ink there

    def to_dict(self) -> dict:
        en, vi = self.why()
        d = {"same": self.same, "inliers": self.inliers, "ink_mismatch": round(self.mismatch, 3),
             "reason": self.reason, "why_en": en, "why_vi": vi}
        if self.differs_at_mm is not None:
            d |= {"differs_at_mm": [round(self.differs_at_mm[0]), round(self.differs_at_mm[1])],
                  "differs_mm2": round(self.differs_mm2, 1), "differs_in": self.differs_in}
        return d

    def why(self) -> tuple[str, str]:
        """Why the pages were judged the same or different, in English and Vietnamese."""
        if self.same:
            agree = max(0.0, 1.0 - self.mismatch)
            return (f"{self.inliers} matching details, {agree:.0%} of the ink in the same places",
                    f"{self.inliers} chi tiết trùng khớp, {agree:.0%} nét mực ở cùng vị trí")
        if self.differs_at_mm is not None:
            x, y = self.differs_at_mm
            where_en = {"first": "only on the first", "second": "only on the second"}.get(
                self.differs_in, "different on each")
            where_vi = {"first": "chỉ có ở ảnh trước", "second": "chỉ có ở ảnh sau"}.get(
                self.differs_in, "khác nhau giữa hai ảnh")
            return (f"the content differs about {y:.0f} mm from the top and {x:.0f} mm from the left "
                    f"({self.differs_mm2:.0f} mm2 of writing {where_en} page), although the layout matches",
                    f"nội dung khác nhau ở khoảng {y:.0f} mm từ mép trên, {x:.0f} mm từ mép trái "
                    f"({self.differs_mm2:.0f} mm2 nét chữ {where_vi}), dù bố cục giống nhau")
        if self.reason == "content_differs":
            return (f"{self.mismatch:.0%} of the ink is not in the same places",
                    f"{self.mismatch:.0%} nét mực không trùng vị trí")
        return ("no common details were found", "không tìm thấy chi tiết chung")


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


Features = tuple  # (keypoints, descriptors or None) of one page


def note_pad(px_per_mm: float) -> int:
    return max(4, int(round(NOTE_PAD_MM * px_per_mm)))


def features(gray: np.ndarray, ignore: list[tuple[int, int, int, int]] = (),
             px_per_mm: float = 75 / 25.4) -> Features:
    """ORB keypoints and descriptors of one working-scale page, sticky notes (``ignore``) left out."""
    return _orb().detectAndCompute(gray, _keep_mask(gray.shape, ignore, note_pad(px_per_mm)))


def same_page(gray_a: np.ndarray, ink_a: np.ndarray, gray_b: np.ndarray, ink_b: np.ndarray,
              ignore_a: list[tuple[int, int, int, int]] = (), ignore_b: list[tuple[int, int, int, int]] = (),
              px_per_mm: float = 75 / 25.4, area_a: np.ndarray | None = None,
              area_b: np.ndarray | None = None, feats_a: Features | None = None,
              feats_b: Features | None = None) -> MatchResult:
    """Compare two working-scale pages; ``ignore_*`` are boxes (working px) to leave out (sticky notes).

    Same layout is not same paper: two letters on one letterhead or one form filled twice share
    most of their ink. After alignment the pages are the same only if no *place* has writing on
    one page and not on the other (a name, a title, a seal, a signature), whatever the share.
    ``area_*``: where each page's ink was looked for (the sheet inside its margin); only the part
    both pages checked is compared. ``feats_*``: :func:`features` of a page made earlier with the same
    ``ignore`` boxes (a page in feed order is compared with the one before and the one after it)."""
    mask_a = _keep_mask(gray_a.shape, ignore_a, note_pad(px_per_mm))
    mask_b = _keep_mask(gray_b.shape, ignore_b, note_pad(px_per_mm))
    ka, da = feats_a if feats_a is not None else features(gray_a, ignore_a, px_per_mm)
    kb, db = feats_b if feats_b is not None else features(gray_b, ignore_b, px_per_mm)
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
    if area_b is not None:
        mask_b = cv2.bitwise_and(mask_b, area_b)
    if area_a is not None:
        mask_a = cv2.bitwise_and(mask_a, area_a)
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
    res = MatchResult(bool(mismatch <= MAX_INK_MISMATCH), inliers, float(mismatch), "")
    _largest_difference(res, miss, a_on, px_per_mm)
    if res.differs_mm2 >= MAX_LOCAL_DIFF_MM2:
        res.same = False
    res.reason = "ok" if res.same else "content_differs"
    return res


def _largest_difference(res: MatchResult, miss: np.ndarray, a_on: np.ndarray, ppm: float) -> None:
    """The place where the most ink is on one page only (mismatched ink grouped within a few mm)."""
    if not miss.any():
        return
    k = max(3, int(round(DIFF_GROUP_MM * ppm)) | 1)
    groups = cv2.dilate(miss, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(groups, connectivity=8)
    if n <= 1:
        return
    counts = np.bincount(labels[miss > 0], minlength=n)
    best = int(np.argmax(counts[1:]) + 1)
    sel = (labels == best) & (miss > 0)
    ys, xs = np.nonzero(sel)
    in_a = int(np.count_nonzero(sel & a_on))
    res.differs_mm2 = float(counts[best]) / (ppm * ppm)
    res.differs_at_mm = (float(xs.mean()) / ppm, float(ys.mean()) / ppm)
    res.differs_in = "first" if in_a >= 0.8 * counts[best] else "second" if in_a <= 0.2 * counts[best] else "both"


def _keep_mask(shape, boxes, pad: int = 4) -> np.ndarray:
    m = np.full(shape, 255, np.uint8)
    for x, y, w, h in boxes:
        m[max(0, y - pad):y + h + pad, max(0, x - pad):x + w + pad] = 0
    return m
