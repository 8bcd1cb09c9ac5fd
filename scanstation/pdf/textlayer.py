"""The invisible OCR text layer of a page: each recognised word placed over its image, in render mode 3.

The caller passes plain data — per page, words with their pixel boxes (``text`` and ``box``
``(x0, y0, x1, y1)``, optionally ``baseline``) — so this package never depends on the OCR engine.

The technique is Tesseract's own PDF renderer (``pdfrenderer.cpp``), also used by OCRmyPDF: a
"glyphless" TrueType font whose one empty glyph is 500/1000 em wide, addressed as a Type0 font
with ``Identity-H`` so each 2-byte code is the character's Unicode value (BMP), every code mapped
to that one glyph (``CIDToGIDMap``) and back to its character by a ``ToUnicode`` CMap. Each word
is scaled horizontally (``Tz``) to its box, so selection and search highlight the word on the image,
and text extraction (``pdftotext``) returns the NFC text with its diacritics. We write it here
rather than take OCRmyPDF's renderer because that one arrives with OCRmyPDF's whole pipeline
(fpdf2, pypdfium2, pydantic, pdfminer) for ~150 lines of output; the font is built in memory with
fontTools (already a dependency of pyHanko), so no font file has to be shipped.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

CHAR_WIDTH = 500          # glyph advance in 1/1000 em: the font is "two characters per em"
FONT_NAME = "GlyphLessFont"
RESOURCE_NAME = "/FOcr"


def _get(word: Any, key: str, default: Any = None) -> Any:
    return word.get(key, default) if isinstance(word, dict) else getattr(word, key, default)


def words_of(page_text: Any) -> list[Any]:
    """The words of a page's OCR data: an object or dict with ``words``, or a list of words; None -> []."""
    if page_text is None:
        return []
    if isinstance(page_text, dict):
        return list(page_text.get("words", []))
    if hasattr(page_text, "words"):
        return list(page_text.words)
    return list(page_text)


@functools.cache
def glyphless_font_program() -> bytes:
    """A TrueType font with .notdef and one empty glyph, both 500 units wide on a 1000-unit em."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "space"])
    fb.setupCharacterMap({0x20: "space"})
    empty = TTGlyphPen(None).glyph()
    fb.setupGlyf({".notdef": empty, "space": TTGlyphPen(None).glyph()})
    fb.setupHorizontalMetrics({".notdef": (CHAR_WIDTH, 0), "space": (CHAR_WIDTH, 0)})
    fb.setupHorizontalHeader(ascent=1000, descent=0)
    fb.setupNameTable({"familyName": FONT_NAME, "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=1000, sTypoDescender=0, usWinAscent=1000, usWinDescent=0)
    fb.setupPost()
    out = io.BytesIO()
    fb.save(out)
    return out.getvalue()


@functools.cache
def to_unicode_cmap() -> bytes:
    """Code = Unicode (BMP), excluding controls and surrogates: 2-byte ranges within one high byte each."""
    ranges = []
    for hi in range(0x00, 0x100):
        if 0xD8 <= hi <= 0xDF:
            continue
        lo = 0x20 if hi == 0 else 0x00
        top = 0xFD if hi == 0xFF else 0xFF      # U+FFFE/U+FFFF are not characters
        ranges.append(f"<{hi:02X}{lo:02X}> <{hi:02X}{top:02X}> <{hi:02X}{lo:02X}>")
    blocks = []
    for i in range(0, len(ranges), 100):
        chunk = ranges[i:i + 100]
        blocks.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    return ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
            "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            + "\n".join(blocks) +
            "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n").encode("ascii")


def add_font(pdf) -> Any:
    """The glyphless Type0 font as an indirect object of ``pdf`` (make it once per file, share it)."""
    import pikepdf

    Name = pikepdf.Name
    gidmap = b"\x00\x01" * 65536
    descriptor = pdf.make_indirect(pikepdf.Dictionary(
        Type=Name.FontDescriptor, FontName=Name("/" + FONT_NAME), Flags=4,
        FontBBox=[0, 0, CHAR_WIDTH, 1000], ItalicAngle=0, Ascent=1000, Descent=0, CapHeight=1000, StemV=80,
        FontFile2=pdf.make_stream(glyphless_font_program())))
    cidfont = pdf.make_indirect(pikepdf.Dictionary(
        Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/" + FONT_NAME),
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                                         Supplement=0),
        FontDescriptor=descriptor, DW=CHAR_WIDTH, CIDToGIDMap=pdf.make_stream(gidmap)))
    return pdf.make_indirect(pikepdf.Dictionary(
        Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/" + FONT_NAME), Encoding=Name("/Identity-H"),
        DescendantFonts=[cidfont], ToUnicode=pdf.make_stream(to_unicode_cmap())))


def _encode(text: str) -> bytes:
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        cp = ord(ch)
        if cp < 0x20 or 0xD800 <= cp <= 0xDFFF or cp > 0xFFFD:
            cp = 0xFFFD                          # outside the font's codes: the replacement character
        out += cp.to_bytes(2, "big")
    return bytes(out)


def _hex(b: bytes) -> str:
    return "<" + b.hex().upper() + ">"


def content_stream(words: Iterable[Any], image_px: tuple[int, int], page_pt: tuple[float, float]) -> bytes:
    """PDF operators drawing ``words`` invisibly over an image of ``image_px`` filling a page of ``page_pt``.

    Each word (with a trailing space when another word follows on its line) is stretched to span
    from its left edge to the next word's, so extraction keeps word breaks and highlights line up.
    """
    iw, ih = image_px
    pw, ph = page_pt
    sx, sy = pw / iw, ph / ih
    ws: list[Any] = [w for w in words if str(_get(w, "text", "")).strip() and _get(w, "box")]
    ops = ["BT", "3 Tr"]
    for i, w in enumerate(ws):
        text = unicodedata.normalize("NFC", str(_get(w, "text")).strip())
        x0, y0, x1, y1 = (float(v) for v in _get(w, "box"))
        if x1 <= x0 or y1 <= y0:
            continue
        nxt = ws[i + 1] if i + 1 < len(ws) else None
        same_line = nxt is not None and _get(nxt, "line", None) == _get(w, "line", None) \
            and float(_get(nxt, "box")[0]) > x1
        if same_line:
            text += " "
            x1 = float(_get(nxt, "box")[0])
        bl = _get(w, "baseline")
        base_y = float(bl[1]) if bl and y0 <= float(bl[1]) <= y1 + (y1 - y0) else y1
        size = max((base_y - y0) * sy, 1.0)          # cap height ~ the glyphs above the baseline
        width_pt = (x1 - x0) * sx
        natural = len(text) * size * CHAR_WIDTH / 1000.0
        tz = 100.0 * width_pt / natural if natural > 0 else 100.0
        ops.append(f"{RESOURCE_NAME} {size:.2f} Tf {tz:.2f} Tz "
                   f"1 0 0 1 {x0 * sx:.2f} {ph - base_y * sy:.2f} Tm {_hex(_encode(text))} Tj")
    ops.append("ET")
    return ("\n".join(ops) + "\n").encode("ascii")


def add_text_layer(pdf, page, words: Sequence[Any], image_px: tuple[int, int], font) -> int:
    """Append the invisible words to ``page`` (drawn after the image); returns how many words it holds."""
    import pikepdf

    ws = [w for w in words if str(_get(w, "text", "")).strip() and _get(w, "box")]
    if not ws:
        return 0
    box = [float(v) for v in page.mediabox]
    stream = content_stream(ws, image_px, (box[2] - box[0], box[3] - box[1]))
    res = page.obj.get("/Resources")
    if res is None:
        page.obj.Resources = res = pikepdf.Dictionary()
    fonts = res.get("/Font")
    if fonts is None:
        res.Font = fonts = pikepdf.Dictionary()
    fonts[RESOURCE_NAME] = font
    page.contents_add(pdf.make_stream(b"q\n" + stream + b"Q\n"), prepend=False)
    return len(ws)
