"""What the Sign screen shows before the clerk signs: page 1 with the visible stamp drawn where and as pyHanko
will draw it, and each file's size (the lossless masters against the file that will be uploaded).

Qt-free; run off the GUI thread (the stamp needs the font and the page image, the sizes read sidecars).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from scanstation.model import Component, Dossier

#: Vietnamese legal time, as on the signed stamp (scanstation.signing.pades.SignOptions.utc_offset)
STAMP_ZONE = timezone(timedelta(hours=7))
#: the stamp's fill under its text (pyhanko_style: 0.98 0.98 0.96 rg)
STAMP_FILL = (250, 250, 245)


@dataclass(frozen=True)
class StampPreview:
    png: bytes                              # page 1, scaled, with the stamp drawn on it
    size: tuple[int, int]                   # of the png, pixels
    box: tuple[int, int, int, int]          # the stamp's rectangle in the png: x, y, width, height
    lines: tuple[str, ...]                  # the stamp's text, line by line
    page_pt: tuple[float, float]            # page 1's size in points, as the PDF will have it


def first_page(d: Dossier) -> tuple[Component, Any] | None:
    for c in d.components:
        kept = c.kept_pages() if c.digitised else []
        if kept:
            return c, kept[0]
    return None


def prepare_fonts(stamp_font: str | None = None, copy_font: str | None = None, *, copy: bool = True) -> None:
    """Find and cut the stamp fonts now (signing.stamps caches the cut font on disk and its metrics in the
    process): ~10 ms once cut, 150-550 ms the first time on a station. The window calls it before it is
    shown, so neither the first stamp preview nor the first signature pays it while the clerk works."""
    from scanstation.signing import stamps

    kinds = [("sans", stamp_font)] + ([("serif", copy_font)] if copy else [])
    for kind, configured in kinds:
        stamps.text_width(stamps.font_for_pdf(stamps.find_font(kind, configured)), "A", 8)


def stamp_spec(role: str, *, signer_name: str, org_name: str, scan_time: datetime | None,
               stamp_font: str | None = None, copy_font: str | None = None, now: datetime | None = None) -> Any:
    """The StampSpec the signing will use for ``role`` (clerk: who scanned and when; copy: SAO Y)."""
    from scanstation.signing import stamps

    if role == "copy":
        font = stamps.font_for_pdf(stamps.find_font("serif", copy_font))
        return stamps.copy_stamp(org_name, (now or datetime.now(STAMP_ZONE)).astimezone(STAMP_ZONE).replace(
            microsecond=0), font=font)
    font = stamps.font_for_pdf(stamps.find_font("sans", stamp_font))
    when = (scan_time or now or datetime.now(STAMP_ZONE)).astimezone(STAMP_ZONE)
    return stamps.clerk_stamp(signer_name, when, font=font)


def draw_stamp(page_path: Path, dpi: tuple[float, float] | None, spec: Any, *, max_px: int = 1000) -> StampPreview:
    """Page 1 scaled to at most ``max_px`` on its long side with ``spec`` drawn in its box: the box
    (signing.stamps.stamp_box on the page's size in points), the light fill, the border, and the lines in
    the stamp's font and size at pyHanko's leading, left-aligned and centred vertically in the padding."""
    from PIL import Image, ImageDraw, ImageFont

    from scanstation.signing import stamps

    with Image.open(page_path) as im:
        file_dpi = im.info.get("dpi")
        dx, dy = dpi if dpi and dpi[0] and dpi[1] else (file_dpi if file_dpi else (300.0, 300.0))
        w_px, h_px = im.size
        pw, ph = w_px * 72.0 / float(dx), h_px * 72.0 / float(dy)      # as scanstation.pdf sizes the page
        scale = min(1.0, max_px / max(w_px, h_px))
        page = im.convert("RGB").resize((max(1, round(w_px * scale)), max(1, round(h_px * scale))),
                                        Image.Resampling.BILINEAR)
    k = page.width / pw                                                # png pixels per point
    x1, y1, x2, y2 = stamps.stamp_box(spec, (0.0, 0.0, pw, ph))
    left, top, right, bottom = x1 * k, (ph - y2) * k, x2 * k, (ph - y1) * k
    draw = ImageDraw.Draw(page)
    draw.rectangle([left, top, right, bottom], fill=STAMP_FILL)
    if spec.border:
        draw.rectangle([left, top, right, bottom], outline=(0, 0, 0), width=max(1, round(spec.border * k)))
    font = ImageFont.truetype(str(spec.font), size=max(1, round(spec.font_size * k)))
    leading = round(spec.font_size * 1.25) * k
    text_h = leading * len(spec.lines)
    y = top + ((bottom - top) - text_h) / 2
    for line in spec.lines:
        # a line's box is its leading; the text sits on its baseline (ascender anchored, as a PDF text line)
        draw.text((left + spec.padding * k, y + (leading - spec.font_size * k) / 2), line, font=font,
                  fill=(0, 0, 0), anchor="la")
        y += leading
    buf = io.BytesIO()
    page.save(buf, "PNG")
    return StampPreview(png=buf.getvalue(), size=page.size,
                        box=(round(left), round(top), round(right - left), round(bottom - top)),
                        lines=tuple(spec.lines), page_pt=(pw, ph))


# --- sizes --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileSize:
    component_id: str
    masters: int                 # bytes of the lossless page images kept for the file
    pages: int
    file: int | None             # bytes of the built PDF/A (what is uploaded), None while not built
    encoding: str                # how its pages are embedded: lossless | jpeg | mrc | mixed ("" not built)


def file_sizes(d: Dossier, root: Path) -> list[FileSize]:
    """Per digitised component with pages: the masters' bytes and the built file's bytes.

    A built file's figures come from its sidecar (every page's master size and encoding, written by
    scanstation.pdf with the file); before the build, the masters are the kept pages' files in the work
    area and the file is not known yet."""
    from scanstation.pdf import sidecar_path

    outputs = {o.component_id: o for o in d.outputs if not o.revoked_at}
    out: list[FileSize] = []
    for c in d.components:
        if not c.digitised:
            continue
        o = outputs.get(c.id)
        pdf = None if o is None else Path(o.path) if o.path else root / "out" / o.file_name
        built = pdf if pdf is not None and pdf.is_file() else None
        side = None
        if built is not None:      # the sidecar is written beside the built file (a signed copy may lack one)
            side = _read_sidecar(sidecar_path(built)) or _read_sidecar(sidecar_path(root / "out" / built.name))
        pages = side.get("pages") if side is not None else None
        if isinstance(pages, list) and pages:
            masters = sum(int(p.get("size", 0)) for p in pages)
            kinds = {str(p.get("encoding", "lossless")) for p in pages}
            count = len(pages)
            encoding = kinds.pop() if len(kinds) == 1 else "mixed"
        else:
            kept = c.kept_pages()
            if not kept:
                continue
            masters, count, encoding = 0, len(kept), ""
            for p in kept:
                try:
                    masters += (root / p.file).stat().st_size
                except OSError:
                    continue
        out.append(FileSize(c.id, masters, count, built.stat().st_size if built is not None else None, encoding))
    return out


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
