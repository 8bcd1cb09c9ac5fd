"""Visible signature stamps: the clerk's stamp (top left) and the certified-copy text (top right).

Fonts: the stamp font is embedded (subset) through pyHanko's ``GlyphAccumulatorFactory``, which
writes glyph widths in the font's own units, so a font whose ``unitsPerEm`` is not 1000 (Times
New Roman, Liberation, DejaVu: 2048) would come out spaced about twice too wide. Such a font is
converted once to 1000 units per em with fontTools and cached under the station home. The subsets
pyHanko makes are kept in memory per glyph set (see the end of this module).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from scanstation import paths
from scanstation.errors import SigningError
from scanstation.fsio import atomic_write_bytes
from scanstation.resources import resource

VIETNAMESE_PROBE = "ĐđƯưƠơẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"

_WIN_FONTS = Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "Fonts"
SANS_CANDIDATES = (
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/noto/NotoSans-Regular.ttf",
    str(_WIN_FONTS / "arial.ttf"),
    str(_WIN_FONTS / "segoeui.ttf"),
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    str(resource("fonts", "NotoSans-Regular.ttf")),      # shipped by the Windows installer
)
# Nghị định 30/2020 asks for Times New Roman: use it where it exists (Windows), else the
# metric-compatible Liberation Serif, else Noto Serif.
SERIF_CANDIDATES = (
    str(_WIN_FONTS / "times.ttf"),
    "/usr/share/fonts/truetype/msttcorefonts/Times_New_Roman.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    str(resource("fonts", "NotoSerif-Regular.ttf")),     # shipped by the Windows installer
)

_font_lock = threading.Lock()


def _covers_vietnamese(path: Path) -> bool:
    from fontTools.ttLib import TTFont

    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as f:
            cmap = f.getBestCmap() or {}
    except Exception:   # noqa: BLE001 - any unreadable font is simply not a candidate
        return False
    return all(ord(ch) in cmap for ch in VIETNAMESE_PROBE)


@lru_cache(maxsize=8)
def find_font(kind: str, configured: str | None = None) -> Path:
    """A TrueType font with Vietnamese glyphs for ``kind`` "sans" or "serif"."""
    cands = ([configured] if configured else []) + list(SERIF_CANDIDATES if kind == "serif" else SANS_CANDIDATES)
    for c in cands:
        p = Path(c)
        if p.is_file() and _covers_vietnamese(p):
            return p
        if configured and c == configured:
            raise SigningError(f"Stamp font {c} is missing or lacks Vietnamese letters",
                               f"Phông chữ {c} không có hoặc thiếu chữ tiếng Việt", field="font")
    raise SigningError(f"No {kind} font with Vietnamese letters found (install fonts-noto-core)",
                       "Không tìm thấy phông chữ có dấu tiếng Việt để in dấu chữ ký. Hãy báo cán bộ CNTT.",
                       field="font")


# What a stamp can contain: Latin with all Vietnamese letters, digits, punctuation, the đồng sign.
STAMP_REPERTOIRE = (list(range(0x20, 0x7F)) + list(range(0xA0, 0x180)) + list(range(0x1A0, 0x1B1))
                    + list(range(0x300, 0x324)) + list(range(0x1EA0, 0x1EFA))
                    + [0x2013, 0x2014, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x20AB])


@lru_cache(maxsize=16)
def font_for_pdf(path: Path) -> Path:
    """A cached copy of ``path`` fit for pyHanko: 1000 units per em, cut to the stamp repertoire.

    The cut matters for speed: pyHanko subsets the font for every signature, and parsing the full
    layout tables of a font like Noto Sans costs about half a second each time; the cut font
    (Vietnamese + Latin, hinting dropped) takes a few milliseconds.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    st = path.stat()
    tag = hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|v4".encode()).hexdigest()[:12]
    out = paths.home() / "fonts" / f"{path.stem}-stamp-{tag}.ttf"
    with _font_lock:
        if not out.exists():
            font = TTFont(str(path))
            if font["head"].unitsPerEm != 1000:
                from fontTools.ttLib.scaleUpem import scale_upem

                scale_upem(font, 1000)
            opts = subset.Options()
            opts.hinting = False
            # No OpenType layout: the text is NFC and every Vietnamese letter has a precomposed glyph,
            # and the layout tables (kerning, marks) are most of what pyHanko would parse per signature.
            opts.layout_features = []
            opts.drop_tables += ["GSUB", "GPOS", "GDEF", "kern"]
            opts.name_IDs = ["*"]
            opts.notdef_outline = True
            opts.glyph_names = False
            sub = subset.Subsetter(opts)
            sub.populate(unicodes=STAMP_REPERTOIRE)
            sub.subset(font)
            if "post" in font:
                font["post"].formatType = 3.0    # no glyph names to parse on every signature
            buf = io.BytesIO()
            font.save(buf)
            atomic_write_bytes(out, buf.getvalue())
    return out


def text_width(font_path: Path, text: str, size: float) -> float:
    """Advance width of one line in points (no kerning: a slight over-estimate is harmless)."""
    metrics = _metrics(font_path)
    cmap, hmtx, upem = metrics
    total = 0
    for ch in text:
        g = cmap.get(ord(ch))
        total += hmtx[g][0] if g in hmtx else upem // 2
    return total * size / upem


@lru_cache(maxsize=16)
def _metrics(font_path: Path):
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path), lazy=True) as f:
        cmap = dict(f.getBestCmap())
        hmtx = {k: v for k, v in f["hmtx"].metrics.items()}
        return cmap, hmtx, f["head"].unitsPerEm


def nfc(s: str) -> str:
    """Vietnamese typed on some keyboards arrives decomposed; fonts shape precomposed letters best."""
    return unicodedata.normalize("NFC", s)


@dataclass(frozen=True)
class StampSpec:
    """What to draw and where: ``lines`` of text at ``font_size`` pt in ``corner`` of page 1."""

    lines: tuple[str, ...]
    font: Path
    font_size: float
    corner: str              # "top-left" | "top-right"
    border: float = 0.0
    margin: float = 14.0     # pt from the page edge (about 5 mm)
    padding: float = 3.0     # pt around the text inside the box


def clerk_stamp(scanner_name: str, scan_time: datetime, *, font: Path, font_size: float = 8) -> StampSpec:
    """Seed 002: the person who scanned and the time of scanning, top left of page 1."""
    return StampSpec(lines=(nfc(f"Người số hóa: {scanner_name}"),
                            f"Thời gian số hóa: {scan_time.strftime('%d/%m/%Y %H:%M:%S')}"),
                     font=font, font_size=font_size, corner="top-left", border=0.5)


def copy_stamp(org_name: str, signed_at: datetime, *, font: Path, font_size: float = 10) -> StampSpec:
    """Nghị định 30/2020 Phụ lục I: copy form, organisation, signing time; serif 10 pt, no image."""
    return StampSpec(lines=("SAO Y", nfc(org_name), f"Thời gian ký: {format_signing_time(signed_at)}"),
                     font=font, font_size=font_size, corner="top-right", border=0.0)


def format_signing_time(t: datetime) -> str:
    """dd/mm/yyyy HH:MM:SS ±hh:mm (the zone written out, ISO 8601 style)."""
    off = t.strftime("%z")
    zone = f"{off[:3]}:{off[3:]}" if off else ""
    return f"{t.strftime('%d/%m/%Y %H:%M:%S')} {zone}".strip()


def stamp_box(spec: StampSpec, page_box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """The stamp rectangle (x1, y1, x2, y2) in page coordinates, inside ``page_box``."""
    x0, y0, x1, y1 = page_box
    leading = spec.font_size * 1.25
    w = max(text_width(spec.font, line, spec.font_size) for line in spec.lines) + 2 * spec.padding + 2
    h = leading * len(spec.lines) + 2 * spec.padding
    pw, ph = x1 - x0, y1 - y0
    margin = min(spec.margin, pw * 0.05, ph * 0.05)
    if w + 2 * margin > pw or h + 2 * margin > ph:
        raise SigningError(f"Page 1 ({pw:.0f}x{ph:.0f} pt) is too small for the stamp",
                           "Trang 1 quá nhỏ để đặt dấu chữ ký", field="page")
    top = y1 - margin
    left = x0 + margin if spec.corner == "top-left" else x1 - margin - w
    # whole points, rounded inwards so the box stays inside the page
    import math

    return (math.ceil(left), math.ceil(top - h), math.floor(left + w) + (1 if spec.corner == "top-left" else 0),
            math.floor(top))


def pyhanko_style(spec: StampSpec):
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    font = _cached_factory_class()(str(spec.font), font_size=spec.font_size, bcp47_lang_code="vi")
    # pyHanko's text box adds 10 pt margins of its own by default; the stamp box already holds the
    # padding, so the text box gets none (otherwise the text is shrunk to ~60 % to fit).
    text_layout = layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MIN,
                                             y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins())
    text_style = TextBoxStyle(font=font, font_size=spec.font_size, leading=round(spec.font_size * 1.25),
                              text_color=(0, 0, 0), box_layout_rule=text_layout)
    inner = layout.SimpleBoxLayoutRule(
        x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MID,
        margins=layout.Margins(spec.padding, spec.padding, spec.padding, spec.padding),
        inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT)
    # An opaque light box under the text: a stamp over a dark scanner border or a photo stays
    # readable (black text on a near-white fill), whatever the page has under it.
    from pyhanko.pdf_utils.content import RawContent
    from pyhanko.pdf_utils.layout import BoxConstraints

    fill = RawContent(b"q 0.98 0.98 0.96 rg 0 0 100 100 re f Q", box=BoxConstraints(100, 100))
    fill_layout = layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MID,
                                             y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins(),
                                             inner_content_scaling=layout.InnerScaling.STRETCH_FILL)
    # The text is passed through a parameter so '%' in a name cannot break the template.
    return TextStampStyle(stamp_text="%(stamp_text)s", text_box_style=text_style, border_width=spec.border,
                          background=fill, background_layout=fill_layout, background_opacity=1.0,
                          inner_content_layout=inner)



# --- embedded font subsets, made once per glyph set -----------------------------------------------
# pyHanko subsets and re-serialises the stamp font for every signature (fontTools compiles every
# glyph again: ~10 ms per file). A stamp of one dossier uses the same glyphs file after file (the
# name, the fixed words, the digits of the times), so the compressed subset is kept per
# (font file, glyph ids) and embedded as is: the same bytes pyHanko would embed for that glyph set
# (same subsetter options, same zlib call). Only TrueType outlines take this path (the fonts
# :func:`font_for_pdf` makes; their file names carry the source font's size and mtime, so a
# replaced font gets a new key).
_SUBSET_CACHE_SIZE = 64
_subset_cache: dict[tuple[str, tuple[int, ...]], bytes] = {}
_subset_lock = threading.Lock()


def _subset_cached(key: tuple[str, tuple[int, ...]], make) -> bytes:
    with _subset_lock:
        hit = _subset_cache.get(key)
    if hit is not None:
        return hit
    data = make()
    with _subset_lock:
        if len(_subset_cache) >= _SUBSET_CACHE_SIZE:
            _subset_cache.pop(next(iter(_subset_cache)))     # oldest first
        _subset_cache[key] = data
    return data


@lru_cache(maxsize=8)
def _font_bytes(path: str) -> bytes:
    return Path(path).read_bytes()


@lru_cache(maxsize=1)
def _cached_factory_class():
    """pyHanko's glyph accumulator (factory) with the subset cache above."""
    import zlib
    from dataclasses import dataclass as _dc

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator, GlyphAccumulatorFactory

    def embed_bytes(cidfont, compressed: bytes):
        def set_font_file(writer):
            stream = generic.StreamObject({generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
                                          encoded_data=compressed)
            ref = writer.add_object(stream)
            cidfont._font_descriptor[generic.pdf_name("/FontFile2")] = ref
            return ref
        return set_font_file

    class CachedGlyphAccumulator(GlyphAccumulator):
        font_key = ""

        def prepare_write(self) -> None:
            if self._write_prepared or self._subset_created or type(self.cidfont_obj) is not CIDFontType2:
                return super().prepare_write()

            def make() -> bytes:
                self._extract_subset()            # destructive on this accumulator's own TTFont
                buf = io.BytesIO()
                self.tt.save(buf)
                return zlib.compress(buf.getvalue())

            compressed = _subset_cached((self.font_key, tuple(sorted(self._glyphs))), make)
            self._subset_created = True
            self.cidfont_obj.set_font_file = embed_bytes(self.cidfont_obj, compressed)
            return super().prepare_write()

    @_dc(frozen=True)
    class CachedGlyphAccumulatorFactory(GlyphAccumulatorFactory):
        def create_font_engine(self, writer, obj_stream=None):
            # as pyHanko's, but reading the font from memory (pyHanko leaves a file handle open per call)
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            eng = CachedGlyphAccumulator(
                writer=writer, font_handle=io.BytesIO(_font_bytes(self.font_file)), font_size=self.font_size,
                ot_script_tag=self.ot_script_tag, ot_language_tag=self.ot_language_tag,
                writing_direction=self.writing_direction, bcp47_lang_code=self.bcp47_lang_code,
                obj_stream=obj_stream)
            eng.font_key = self.font_file
            return eng

    return CachedGlyphAccumulatorFactory
