"""Per-page QC: one image in, a :class:`PageResult` (plain, picklable, JSON-ready) out.

:class:`PageChecker` keeps the last few analysed pages in memory so that the checks that need a
neighbour (show-through needs the front of the same sheet, a sticky-note pair or a duplicate needs
the previous image) cost nothing extra when pages arrive in feed order.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from scanstation.compliance import ComplianceProfile, get_profile
from scanstation.errors import UnreadableImageError
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.qc import blank as blank_mod
from scanstation.qc.fast import inner_hist, ones, rank_u8
from scanstation.qc.findings import Finding, Severity, finding
from scanstation.qc.geometry import (
    PAPER_SIZES_MM,
    PageGeometry,
    analyse_geometry,
    nearest_paper,
    skew_from_text,
)
from scanstation.qc.imageio import LoadedPage, RawFrame, load_page
from scanstation.qc.match import (
    PREFILTER_MIN,
    MatchResult,
    Signature,
    features,
    quick_differs,
    same_page,
    signature,
    thumb_similarity,
    thumbnail,
)
from scanstation.qc.sticky import StickyNote, find_sticky_notes
from scanstation.qc.technical import technical_findings

SKEW_WARN_DEG = 1.5
Source = str | Path | bytes | RawFrame


@dataclass
class PageResult:
    index: int
    file: str
    sheet: int = 0
    side: str = "front"
    variant: str = "normal"
    readable: bool = True
    blank: dict[str, Any] = field(default_factory=lambda: {"verdict": "unsure", "score": 0.5})
    blank_reasons: list[str] = field(default_factory=list)
    sticky_notes: list[dict[str, Any]] = field(default_factory=list)
    whole_page: dict[str, Any] = field(default_factory=lambda: {"ok": False, "problems": []})
    skew_deg: float | None = None
    dpi: list[int] | None = None
    mode: str = ""
    bits: int = 0
    width: int = 0
    height: int = 0
    size_mm: list[float] | None = None
    sharpness: float | None = None
    duplicate_of: int | None = None
    same_as_previous: dict[str, Any] | None = None    # match with the previous image, when it was tested
    kept: bool = True
    excluded_reason: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return self.blank["verdict"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "file": self.file, "sheet": self.sheet, "side": self.side,
            "variant": self.variant, "blank": dict(self.blank), "blank_reasons": list(self.blank_reasons),
            "sticky_notes": list(self.sticky_notes), "whole_page": dict(self.whole_page),
            "skew_deg": self.skew_deg, "dpi": self.dpi, "mode": self.mode, "bits": self.bits,
            "width": self.width, "height": self.height, "size_mm": self.size_mm, "sharpness": self.sharpness,
            "duplicate_of": self.duplicate_of, "kept": self.kept, "excluded_reason": self.excluded_reason,
            "findings": [f.to_dict(with_pages=False) for f in self.findings],
        }


@dataclass
class PageAnalysis:
    """The heavy, in-memory side of one page (pixels and masks): never leaves the process."""

    loaded: LoadedPage
    geometry: PageGeometry | None = None
    maps: blank_mod.InkMaps | None = None
    blank: blank_mod.BlankResult | None = None
    notes: list[StickyNote] = field(default_factory=list)
    result: PageResult | None = None
    _thumb: np.ndarray | None = None
    _features: tuple | None = None
    _signature: Signature | None = None
    _skew: tuple[float | None] | None = None

    @property
    def skew(self) -> float | None:
        """Skew in degrees from the sheet's edges or, without them, the text lines (made once)."""
        if self._skew is None:
            skew = self.geometry.skew_deg if self.geometry is not None else None
            if skew is None and self.maps is not None and self.maps.ink is not None:
                skew = skew_from_text(self.maps.ink, self.loaded.px_per_mm)
            self._skew = (skew,)
        return self._skew[0]

    @property
    def signature(self) -> Signature | None:
        """The cheap content signature (ink at ~37 dpi), made when a comparison first asks for it."""
        m = self.maps
        if self._signature is None and m is not None and m.ink is not None:
            # colour that is not darker than the paper around it (a pale printed band, a tinted form)
            # flickers between scans at the colour threshold: it is layout, not writing
            ink = m.ink if not m.colour_px else cv2.bitwise_and(
                m.ink, cv2.threshold(m.dark_in, m.faint_t - 1, 255, cv2.THRESH_BINARY)[1])
            self._signature = signature(ink, m.inner, self.note_boxes_working(), self.loaded.px_per_mm, self.skew,
                                        self.loaded.gray, self.geometry.paper_level if self.geometry else None)
        return self._signature

    @property
    def features(self) -> tuple:
        """ORB features (sticky notes left out), made once: a page is matched with both its neighbours."""
        if self._features is None:
            self._features = features(self.loaded.gray, self.note_boxes_working(), self.loaded.px_per_mm)
        return self._features

    @property
    def thumb(self) -> np.ndarray | None:
        """The pre-filter thumbnail, made when a comparison first asks for it (blank pages never are)."""
        if self._thumb is None and self.maps is not None:
            self._thumb = thumbnail(self.maps.small if self.maps.small is not None else self.loaded.gray)
        return self._thumb

    def note_boxes_working(self) -> list[tuple[int, int, int, int]]:
        f = self.loaded.factor
        return [(n.x // f, n.y // f, n.w // f, n.h // f) for n in self.notes]


@dataclass
class PageContext:
    """Where a page sits in the feed; the checker does not guess what the caller knows."""

    index: int = 0
    sheet: int = 0
    side: str | None = "front"                  # None: unknown yet (the CLI decides after matching)
    variant: str = "normal"
    front: str | None = None                    # key (file) of the front of the same sheet, for a back
    previous: list[str] = field(default_factory=list)   # keys of earlier images to test for duplicates
    pair_of: str | None = None                  # key of the with-note page this image should pair with


class PageChecker:
    """Per-page checks with a small cache of recent analyses (keyed by file path or name)."""

    def __init__(self, profile: ComplianceProfile | str | None = None, paper: str | None = "A4",
                 cache_size: int = 6) -> None:
        self.profile = profile if isinstance(profile, ComplianceProfile) else get_profile(
            profile or "vn-2019-seeds")
        self.paper = paper
        self.expected_mm = PAPER_SIZES_MM.get(paper) if paper else None
        self._cache: OrderedDict[str, PageAnalysis] = OrderedDict()
        self._cache_size = cache_size
        self._sources: dict[str, Source] = {}

    # --- cache ---------------------------------------------------------------------------------
    def _remember(self, key: str, a: PageAnalysis, source: Source) -> None:
        self._cache[key] = a
        self._cache.move_to_end(key)
        self._sources[key] = source
        while len(self._cache) > self._cache_size:
            old, _ = self._cache.popitem(last=False)
            if not isinstance(self._sources.get(old), str | Path):
                self._sources.pop(old, None)

    def cached(self, key: str) -> PageAnalysis | None:
        a = self._cache.get(key)
        if a is None and isinstance(self._sources.get(key), str | Path):
            try:
                a = self.analyse(self._sources[key], key=key)
            except UnreadableImageError:
                return None
        return a

    def analyse_path_if_needed(self, key: str) -> PageAnalysis | None:
        """The analysis of an earlier image (from the cache, or decoded again from its path)."""
        a = self.cached(key)
        if a is None and Path(key).exists():
            try:
                a = self.analyse(key, key=key)
            except UnreadableImageError:
                return None
        return a

    # --- steps ---------------------------------------------------------------------------------
    def analyse(self, source: Source, *, key: str | None = None, name: str | None = None,
                loaded: LoadedPage | None = None) -> PageAnalysis:
        """Decode and run every check that needs only this image. Raises UnreadableImageError.
        ``loaded``: the image already decoded by :func:`load_page` (the caller read it ahead; its luma and
        chroma are made here if it was loaded without them)."""
        loaded = load_page(source, name=name) if loaded is None else loaded.derive()
        a = PageAnalysis(loaded)
        if loaded.usable:
            ppm = loaded.px_per_mm
            a.geometry = analyse_geometry(loaded.gray, ppm, loaded.gray2)
            a.maps = blank_mod.ink_maps(loaded.bgr, loaded.gray, a.geometry.paper_mask, ppm, gray4=loaded.gray4,
                                        chroma=loaded.chroma)
            a.blank = blank_mod.classify_blank(a.maps, ppm)
            a.notes = find_sticky_notes(loaded.bgr, ppm, loaded.factor,
                                        a.geometry.size_mm[0] if a.geometry.edges_visible else None,
                                        chroma=a.maps.chroma, chroma_max=a.maps.chroma_max)
        self._remember(key or loaded.name, a, source if isinstance(source, str | Path) else None)
        return a

    def explain_with_front(self, back: PageAnalysis, front: PageAnalysis) -> None:
        """Re-judge a back whose marks may be show-through, with the front of its sheet."""
        if back.maps is None or front.maps is None or back.blank is None:
            return
        if back.blank.verdict == blank_mod.BLANK or (back.blank.verdict == blank_mod.CONTENT and
                                                     "light_ink" not in back.blank.reasons):
            return
        ppm = back.loaded.px_per_mm

        def loader():
            return blank_mod.front_ink_mirrored(front.maps, back.maps.darkness, ppm)

        back.blank = blank_mod.classify_blank(back.maps, ppm, front_loader=loader)

    def compare(self, a: PageAnalysis, b: PageAnalysis, *, prefilter: bool = True) -> MatchResult | None:
        """Is ``b`` the same page as ``a``? None when the cheap pre-filter already says no."""
        if a.maps is None or b.maps is None:
            return None
        if prefilter and thumb_similarity(a.thumb, b.thumb) < PREFILTER_MIN:
            return None
        if a.maps.ink is None or b.maps.ink is None:
            return None
        sa, sb = a.signature, b.signature
        if sa is not None and sb is not None:
            quick = quick_differs(sa, sb)
            if quick is not None:       # writing on one page only, in one place: no feature matching needed
                return quick
        return same_page(a.loaded.gray, a.maps.ink, b.loaded.gray, b.maps.ink,
                         a.note_boxes_working(), b.note_boxes_working(), a.loaded.px_per_mm,
                         a.maps.inner, b.maps.inner, a.features, b.features)

    def finish(self, a: PageAnalysis, ctx: PageContext) -> PageResult:
        """Turn an analysis into the plain result with its page findings."""
        lp = a.loaded
        r = PageResult(index=ctx.index, file=lp.name, sheet=ctx.sheet, side=ctx.side or "front",
                       variant=ctx.variant, dpi=list(lp.dpi) if lp.dpi else None, mode=lp.mode, bits=lp.bits,
                       width=lp.width, height=lp.height)
        r.findings.extend(lp.findings)
        geo = a.geometry
        if geo is not None:
            r.size_mm = [round(geo.size_mm[0], 1), round(geo.size_mm[1], 1)]
        r.findings.extend(technical_findings(lp, self.profile, geo.size_mm if geo else None, self.expected_mm))
        if not lp.usable or geo is None or a.blank is None or a.maps is None:
            r.blank = {"verdict": "unsure", "score": 0.5}
            r.whole_page = {"ok": False, "problems": ["not_checked"]}
            a.result = r
            return r
        r.blank = a.blank.to_dict()
        r.blank_reasons = list(a.blank.reasons)
        r.sticky_notes = [n.to_dict() for n in a.notes]
        problems = geo.problems(self.expected_mm, self.profile.paper_size_tolerance_mm)
        if not geo.edges_visible:
            problems.append("edges_not_visible")
        r.whole_page = {"ok": not [p for p in problems if p != "edges_not_visible"], "problems": problems}
        skew = a.skew
        r.skew_deg = skew
        r.sharpness = _sharpness(lp.gray, a.maps, a.blank.verdict)
        r.findings.extend(_geometry_findings(lp.name, geo, problems, self.expected_mm))
        # "too light" only makes sense on a page with plenty of writing (a pencil note is light by nature)
        r.findings.extend(_tone_findings(lp.name, lp.gray, geo, a.maps,
                                         a.blank.verdict if a.blank.ink_mm2 >= blank_mod.FAST_CONTENT_MM2
                                         else "sparse"))
        if skew is not None and abs(skew) > SKEW_WARN_DEG:
            r.findings.append(finding(
                "SKEWED", Severity.WARN,
                f"{lp.name}: the page is skewed by {skew:.1f} degrees; straighten the sheet and rescan if it matters",
                f"{lp.name}: trang bị nghiêng {skew:.1f} độ; nếu cần, đặt thẳng giấy và quét lại"))
        if a.notes:
            cols = ", ".join(n.color for n in a.notes)
            r.findings.append(finding(
                "STICKY_NOTE", Severity.INFO,
                f"{lp.name}: {len(a.notes)} sticky note(s) ({cols}); scan the page again with the note removed",
                f"{lp.name}: có {len(a.notes)} giấy ghi chú dán ({_vi_colours(a.notes)}); hãy quét lại trang "
                "sau khi gỡ giấy ghi chú"))
        a.result = r
        return r

    # --- one shot (the worker's entry point) ---------------------------------------------------
    def check(self, source: Source, ctx: PageContext, progress: Progress = NULL_PROGRESS) -> PageResult:
        """Every per-page check of one image, with its neighbours from ``ctx``. Never raises on bad input."""
        progress.check("QC")
        key = str(source) if isinstance(source, str | Path) else None
        name = Path(source).name if isinstance(source, str | Path) else getattr(source, "name", None)
        try:
            a = self.analyse(source, key=key, name=name)
        except UnreadableImageError as e:
            return unreadable_result(ctx, name or "<image>", e)
        if ctx.side == "back" and ctx.front:
            front = self.analyse_path_if_needed(ctx.front)
            if front is not None:
                self.explain_with_front(a, front)
        r = self.finish(a, ctx)
        if ctx.pair_of:
            prev = self.analyse_path_if_needed(ctx.pair_of)
            if prev is not None:
                m = self.compare(prev, a, prefilter=False)
                r.same_as_previous = (m.to_dict() if m else {"same": False, "reason": "not_compared"}) | {
                    "of": ctx.pair_of, "note_gone": not a.notes}
        for k in ctx.previous:
            if a.blank is not None and a.blank.verdict == blank_mod.BLANK:
                break    # two blank backs look alike; that is not a duplicate
            prev = self.analyse_path_if_needed(k)
            if prev is None or prev.blank is None or prev.blank.verdict == blank_mod.BLANK:
                continue
            m = self.compare(prev, a)
            if m is not None and m.same:
                r.same_as_previous = m.to_dict() | {"of": k}
                break
        return r


def unreadable_result(ctx: PageContext, name: str, err: UnreadableImageError) -> PageResult:
    r = PageResult(index=ctx.index, file=name, sheet=ctx.sheet, side=ctx.side or "front", variant=ctx.variant,
                   readable=False)
    r.whole_page = {"ok": False, "problems": ["not_checked"]}
    r.findings.append(finding("IMAGE_UNREADABLE", Severity.BLOCK, err.message_en, err.message_vi,
                              overridable=False))
    return r


_VI_COLOURS = {"yellow": "vàng", "pink": "hồng", "green": "xanh lá", "blue": "xanh dương", "orange": "cam"}


def _vi_colours(notes: list[StickyNote]) -> str:
    return ", ".join(_VI_COLOURS.get(n.color, n.color) for n in notes)


_SIDE_VI = {"top": "trên", "right": "phải", "bottom": "dưới", "left": "trái"}
_CORNER_EN = {"tl": "top left", "tr": "top right", "br": "bottom right", "bl": "bottom left"}
_CORNER_VI = {"tl": "trên bên trái", "tr": "trên bên phải", "br": "dưới bên phải", "bl": "dưới bên trái"}


def _geometry_findings(name: str, geo: PageGeometry, problems: list[str],
                       expected: tuple[float, float] | None) -> list[Finding]:
    out: list[Finding] = []
    if geo.cut_sides:
        en = ", ".join(geo.cut_sides)
        vi = ", ".join(_SIDE_VI[s] for s in geo.cut_sides)
        out.append(finding("PAGE_CUT_OFF", Severity.BLOCK,
                           f"{name}: the page runs off the image at the {en} edge; part of it was not captured",
                           f"{name}: trang bị mất phần mép {vi}; một phần trang không được quét"))
    for c, kind in geo.corners.items():
        if kind == "folded":
            out.append(finding("CORNER_FOLDED", Severity.BLOCK,
                               f"{name}: the {_CORNER_EN[c]} corner is folded over and may hide content; "
                               "unfold it and rescan",
                               f"{name}: góc {_CORNER_VI[c]} bị gấp, có thể che nội dung; hãy vuốt phẳng và quét lại"))
        else:
            out.append(finding("CORNER_MISSING", Severity.WARN,
                               f"{name}: the {_CORNER_EN[c]} corner is missing on the image (torn original or "
                               "misfeed)",
                               f"{name}: góc {_CORNER_VI[c]} bị khuyết trên ảnh (bản gốc rách hoặc nạp giấy lệch)"))
    short, long_ = geo.size_mm
    if "too_long" in problems and expected:
        out.append(finding("PAGE_TOO_LONG", Severity.BLOCK,
                           f"{name}: the page is {long_:.0f} mm long, expected {max(expected):.0f} mm: two sheets "
                           "fed together (double feed)?",
                           f"{name}: trang dài {long_:.0f} mm, lẽ ra {max(expected):.0f} mm: có thể hai tờ bị kéo "
                           "cùng lúc"))
    if "size_mismatch" in problems and expected:
        near, _ = nearest_paper(geo.size_mm)
        out.append(finding("PAPER_SIZE_MISMATCH", Severity.WARN,
                           f"{name}: page measures {short:.0f} x {long_:.0f} mm (nearest {near}), expected "
                           f"{min(expected):.0f} x {max(expected):.0f} mm; check the paper size and the 100 % scale",
                           f"{name}: trang đo được {short:.0f} x {long_:.0f} mm (gần {near}), lẽ ra "
                           f"{min(expected):.0f} x {max(expected):.0f} mm; kiểm tra khổ giấy và tỷ lệ 100 %"))
    if not geo.edges_visible:
        out.append(finding("EDGES_NOT_VISIBLE", Severity.INFO,
                           f"{name}: the page edges are not visible (cropped scan); whole-page checks are limited",
                           f"{name}: không thấy mép trang (ảnh đã cắt sát); không kiểm tra được đầy đủ mép trang"))
    return out


def _tone_findings(name: str, gray: np.ndarray, geo: PageGeometry, maps: blank_mod.InkMaps,
                   verdict: str) -> list[Finding]:
    out: list[Finding] = []
    hist = inner_hist(gray, 4, maps.inner, maps.inner_margin)
    n = int(hist.sum())
    if n == 0:
        return out
    paper = geo.paper_level
    if paper < 150:
        out.append(finding("EXPOSURE_DARK", Severity.WARN,
                           f"{name}: the scan is too dark (paper at {paper:.0f}/255); check the scanner settings",
                           f"{name}: ảnh quét quá tối (nền giấy {paper:.0f}/255); kiểm tra cài đặt máy quét"))
    white = float(hist[254:].sum()) / n
    black = float(hist[:4].sum()) / n
    if white > 0.9 and verdict == blank_mod.CONTENT:
        out.append(finding("EXPOSURE_CLIPPED", Severity.WARN,
                           f"{name}: {white:.0%} of the page is pure white: too bright, faint marks may be lost",
                           f"{name}: {white:.0%} trang trắng tuyệt đối: ảnh quá sáng, nét mờ có thể bị mất"))
    elif black > 0.03:
        out.append(finding("EXPOSURE_CLIPPED", Severity.WARN,
                           f"{name}: {black:.0%} of the page is pure black: shadows are clipped",
                           f"{name}: {black:.0%} trang đen tuyệt đối: vùng tối bị mất chi tiết"))
    if verdict == blank_mod.CONTENT:
        peak = rank_u8(inner_hist(maps.dark_in, 4, maps.inner, maps.inner_margin), 99.9)
        if peak < 60:
            out.append(finding("EXPOSURE_LIGHT", Severity.WARN,
                               f"{name}: the writing is very faint (contrast {peak:.0f}/255): too light a scan?",
                               f"{name}: chữ rất mờ (độ tương phản {peak:.0f}/255): ảnh quét quá sáng?"))
    return out


def _sharpness(gray: np.ndarray, maps: blank_mod.InkMaps, verdict: str) -> float | None:
    """Edge steepness relative to ink contrast (only meaningful between pages of one batch)."""
    if verdict != blank_mod.CONTENT or maps.ink is None:
        return None
    g = np.ascontiguousarray(gray[::2, ::2])
    ink = np.ascontiguousarray(maps.ink[::2, ::2])
    grad = cv2.morphologyEx(g, cv2.MORPH_GRADIENT, ones(2, 2))
    edges = cv2.dilate(ink, ones(3, 3))
    if cv2.countNonZero(edges) < 100:
        return None
    dark = np.ascontiguousarray(maps.dark_in[::2, ::2])     # ink lies within the checked area
    contrast = rank_u8(cv2.calcHist([dark], [0], ink, [256], [0, 256]).ravel(), 90)
    if contrast < 20:
        return None
    return round(rank_u8(cv2.calcHist([grad], [0], edges, [256], [0, 256]).ravel(), 90) / contrast, 3)
