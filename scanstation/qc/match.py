"""Is this image the same page as that one? (sticky-note pairs, accidental rescans)

A tiny thumbnail correlation is only a pre-filter. The decision is ORB feature matching with a
RANSAC similarity transform (a rescan is the same sheet shifted and slightly turned), followed by a
pixel test: after alignment, the ink of one must lie on the ink of the other. The pixel test is what
tells apart two copies of the same printed form filled in differently: their printed parts match
geometrically, their handwriting does not. Before it, :func:`quick_differs` settles most pages of one
layout on different papers from a low-resolution signature, without feature matching.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from scanstation.qc.fast import ones, rect_mask

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


# --- the cheap content signature ----------------------------------------------------------------
# Most pages that pass the thumbnail pre-filter are the same *layout* (one form filled many times,
# letters on one letterhead), not the same paper. Telling those apart does not need feature
# matching: the pages' own skew gives the rotation between them, a phase correlation of their ink at
# low resolution the shift, and then writing that lies on one page only, in one place, is seen on a
# ~37-dpi ink map. Only when that evidence is not clear-cut does the full match run.

QUICK_TOL_MM = 1.4         # alignment slack of the quick test (skew and shift estimated, not fitted)
QUICK_EDGE_MM = 4.0        # ink this close to the edge of the area both pages checked is not judged
QUICK_BORDER_MM = 12.0     # nor ink this close to the image's border (a backing strip, a shadow)
QUICK_DIFF_MM2 = 12.0      # one-sided writing in one place this large: surely a different paper
QUICK_OTHER_MISS = 0.2     # the other page's unmatched ink or dark pixels near a difference, at most this share
QUICK_LINE_MM = 2.5        # a difference thinner than this across is a straight line (an edge), not writing
QUICK_DARK = 40            # darker than the paper by this: not plain paper
QUICK_MIN_AGREE = 0.5      # share of the ink in the same places for the alignment to be trusted
QUICK_MIN_PEAK = 0.1       # phase-correlation response below this: no trusted shift
QUICK_ANGLES = (-2.0, -1.0, 0.0, 1.0, 2.0)   # tried when a page's skew is unknown


@dataclass
class Signature:
    """One page's content at half the working scale, made once from its ink mask."""

    ink: np.ndarray            # uint8 255 where a 2x2 cell of the working-scale ink mask has ink
    valid: np.ndarray          # uint8 255 where the page was checked (sticky notes and their pad left out)
    dens: np.ndarray           # float32 ink at a quarter of the working scale, for the phase correlation
    skew: float | None         # the page's skew in degrees (counter-clockwise positive), when known
    px_per_mm: float           # of ``ink``
    dark: np.ndarray | None = None   # uint8 255 where a 2x2 cell is clearly darker than the paper (ink or not)


def signature(ink: np.ndarray, area: np.ndarray | None, ignore: list[tuple[int, int, int, int]],
              px_per_mm: float, skew: float | None, gray: np.ndarray | None = None,
              paper_level: float | None = None) -> Signature:
    """The page's :class:`Signature` from its working-scale ink mask and checked ``area``; with the
    page's ``gray`` and ``paper_level``, also where it is darker than its paper at all."""
    h, w = ink.shape
    hh, ww = h // 2, w // 2
    ink2 = _above(cv2.resize(ink[:hh * 2, :ww * 2], (ww, hh), interpolation=cv2.INTER_AREA), 0)
    keep = _keep_mask(ink.shape, ignore, note_pad(px_per_mm)) if ignore else None
    if area is not None:
        keep = area if keep is None else cv2.bitwise_and(keep, area)
    if keep is None:
        valid = np.full((hh, ww), 255, np.uint8)
    else:
        valid = _above(cv2.resize(keep[:hh * 2, :ww * 2], (ww, hh), interpolation=cv2.INTER_AREA), 254)
        cv2.bitwise_and(ink2, valid, dst=ink2)
    dens = cv2.resize(ink2[:hh // 2 * 2, :ww // 2 * 2], (ww // 2, hh // 2), interpolation=cv2.INTER_AREA)
    dark = None
    if gray is not None and paper_level is not None:
        # below the level: at most the integer under it
        d = cv2.threshold(gray[:hh * 2, :ww * 2], math.ceil(max(0.0, paper_level - QUICK_DARK)) - 1, 255,
                          cv2.THRESH_BINARY_INV)[1]
        dark = _above(cv2.resize(d, (ww, hh), interpolation=cv2.INTER_AREA), 0)
    return Signature(ink2, valid, dens.astype(np.float32), skew, px_per_mm / 2, dark)


def _dft_size(h: int, w: int) -> tuple[int, int]:
    return cv2.getOptimalDFTSize(h), cv2.getOptimalDFTSize(w)


def _shift(a: Signature, b: Signature, angle: float, size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """The half-scale transform that puts b on a (b turned by ``angle``, then shifted), and its peak."""
    hb, wb = b.dens.shape
    rot4 = cv2.getRotationMatrix2D((wb / 2, hb / 2), angle, 1.0)
    fa = np.zeros(size, np.float32)
    fa[:a.dens.shape[0], :a.dens.shape[1]] = a.dens
    fb = cv2.warpAffine(b.dens, rot4, (size[1], size[0]), flags=cv2.INTER_LINEAR)
    (dx, dy), peak = cv2.phaseCorrelate(fa, fb)
    rot2 = cv2.getRotationMatrix2D((b.ink.shape[1] / 2, b.ink.shape[0] / 2), angle, 1.0)
    rot2[0, 2] -= 2 * dx
    rot2[1, 2] -= 2 * dy
    return rot2, float(peak)


def quick_differs(a: Signature, b: Signature) -> MatchResult | None:
    """A different paper, decided cheaply (writing on one page only, in one place, with the layout of
    both pages in register); None when that is not clear-cut (then the full match decides)."""
    if abs(a.px_per_mm - b.px_per_mm) > 0.02 * a.px_per_mm:
        return None
    size = _dft_size(max(a.dens.shape[0], b.dens.shape[0]), max(a.dens.shape[1], b.dens.shape[1]))
    if a.skew is not None and b.skew is not None:
        tf, peak = _shift(a, b, a.skew - b.skew, size)
    else:
        tf, peak = max((_shift(a, b, ang, size) for ang in QUICK_ANGLES), key=lambda r: r[1])
    if peak < QUICK_MIN_PEAK:
        return None
    h, w = a.ink.shape
    ink_b = cv2.warpAffine(b.ink, tf, (w, h), flags=cv2.INTER_NEAREST)
    valid = cv2.bitwise_and(cv2.warpAffine(b.valid, tf, (w, h), flags=cv2.INTER_NEAREST), a.valid)
    ppm = a.px_per_mm
    valid = cv2.erode(valid, ones_k(max(3, int(round(2 * QUICK_EDGE_MM * ppm)) | 1)))
    # the scanner's backing around a sheet whose outline was not found lies along the image's border,
    # where the sheet was, not where its writing is: it does not move with the paper
    cv2.bitwise_and(valid, rect_mask(h, w, int(round(QUICK_BORDER_MM * ppm))), dst=valid)
    k = ones_k(max(3, int(round(2 * QUICK_TOL_MM * ppm)) | 1))
    a_on = cv2.bitwise_and(a.ink, valid)
    b_on = cv2.bitwise_and(ink_b, valid)
    n_a, n_b = cv2.countNonZero(a_on), cv2.countNonZero(b_on)
    if n_a + n_b == 0:
        return None
    miss_a = cv2.bitwise_and(a_on, cv2.threshold(cv2.dilate(b_on, k), 0, 255, cv2.THRESH_BINARY_INV)[1])
    miss_b = cv2.bitwise_and(b_on, cv2.threshold(cv2.dilate(a_on, k), 0, 255, cv2.THRESH_BINARY_INV)[1])
    m_a, m_b = cv2.countNonZero(miss_a), cv2.countNonZero(miss_b)
    agree = 1.0 - (m_a + m_b) / (n_a + n_b)
    if agree < QUICK_MIN_AGREE or m_a + m_b == 0:
        return None
    need = QUICK_DIFF_MM2 * ppm * ppm
    g = ones_k(max(3, int(round(DIFF_GROUP_MM * ppm)) | 1))
    best = None
    dark_b = None
    for own, other, which in ((miss_a, miss_b, "first"), (miss_b, miss_a, "second")):
        if cv2.countNonZero(own) < need:
            continue
        grouped = cv2.dilate(own, g)
        cnts, _ = cv2.findContours(grouped, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in cnts:
            x, y, cw, ch = cv2.boundingRect(c)
            if cw * ch < need:
                continue
            roi = (slice(y, y + ch), slice(x, x + cw))
            n_own = cv2.countNonZero(own[roi])
            if n_own < need:
                continue
            # misregistration leaves unmatched ink on both pages side by side
            if cv2.countNonZero(cv2.dilate(other[roi], g)) > QUICK_OTHER_MISS * n_own:
                continue
            # a straight thin line is an edge (of the sheet, a photo, a band) caught on one scan, not writing
            if min(cv2.minAreaRect(cv2.findNonZero(own[roi]))[1]) < QUICK_LINE_MM * ppm:
                continue
            # writing on one page only has plain paper under it on the other (a photo or a dark area
            # is ink on one scan and shaded paper on the next: the ink map follows the local tone)
            if which == "first":
                if b.dark is None:
                    continue
                if dark_b is None:
                    dark_b = cv2.warpAffine(b.dark, tf, (w, h), flags=cv2.INTER_NEAREST)
                other_dark = dark_b
            else:
                if a.dark is None:
                    continue
                other_dark = a.dark
            if cv2.countNonZero(cv2.bitwise_and(other_dark[roi], grouped[roi])) > QUICK_OTHER_MISS * n_own:
                continue
            if best is None or n_own > best[0]:
                best = (n_own, x + cw / 2, y + ch / 2, which)
    if best is None:
        return None
    res = MatchResult(False, 0, (m_a + m_b) / (n_a + n_b), "content_differs")
    res.differs_mm2 = best[0] / (ppm * ppm)
    res.differs_at_mm = (best[1] / ppm, best[2] / ppm)
    res.differs_in = best[3]
    return res


def _above(u8: np.ndarray, t: int) -> np.ndarray:
    """255 where ``u8`` is above ``t``, else 0."""
    return cv2.threshold(u8, t, 255, cv2.THRESH_BINARY)[1]


def ones_k(k: int) -> np.ndarray:
    return ones(k, k)
