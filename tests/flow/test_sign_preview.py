"""What the Sign screen shows before signing: each file's size (masters vs the built file) and page 1 with the
stamp drawn where the signing will put it."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image

from scanstation.flow import sign_preview
from scanstation.signing import stamps
from tests.ui.ui_pages import add_pages


def _scanned(s):
    d = s.dossier
    for c in d.components:
        if c.digitised:
            add_pages(s.station, d, s.workarea, c, c.declared_sheets)
    return d


def test_sizes_before_and_after_the_build(sample_session):
    s = sample_session
    d = _scanned(s)
    root = s.workarea.root
    before = sign_preview.file_sizes(d, root)
    digitised = [c for c in d.components if c.digitised]
    assert [f.component_id for f in before] == [c.id for c in digitised]
    for f, c in zip(before, digitised, strict=True):
        assert f.file is None and f.encoding == "" and f.pages == len(c.kept_pages())
        assert f.masters == sum((root / p.file).stat().st_size for p in c.kept_pages()) > 0
    s.station.assemble(d)
    after = sign_preview.file_sizes(d, root)
    for f, o in zip(after, d.outputs, strict=True):
        assert f.file is not None and f.file == (root / "out" / o.file_name).stat().st_size
        assert f.encoding == "lossless"
    assert [f.masters for f in after] == [f.masters for f in before]     # the sidecar counts the same pages


def test_the_clerk_stamp_is_drawn_in_the_box_the_signing_uses(sample_session):
    s = sample_session
    d = _scanned(s)
    comp, page = sign_preview.first_page(d)
    when = datetime(2026, 12, 5, 9, 30, 15, tzinfo=sign_preview.STAMP_ZONE)
    spec = sign_preview.stamp_spec("clerk", signer_name="Trần Văn Đức", org_name="", scan_time=when)
    assert spec.lines == ("Người số hóa: Trần Văn Đức", "Thời gian số hóa: 05/12/2026 09:30:15")
    prev = sign_preview.draw_stamp(s.workarea.root / page.file, page.dpi, spec, max_px=2000)
    img = Image.open(io.BytesIO(prev.png)).convert("RGB")
    assert img.size == prev.size == (827, 1169)                                  # never enlarged
    pw, ph = prev.page_pt
    assert abs(pw - 827 * 72 / 100) < 0.01 and abs(ph - 1169 * 72 / 100) < 0.01    # A4 at the page's dpi
    x1, y1, x2, y2 = stamps.stamp_box(spec, (0.0, 0.0, pw, ph))
    k = img.width / pw
    x, y, w, h = prev.box
    assert abs(x - x1 * k) <= 1 and abs(y - (ph - y2) * k) <= 1 and abs(w - (x2 - x1) * k) <= 1
    assert x < img.width / 2 and y < img.height / 10                            # top left of page 1
    inside = img.crop((x + 2, y + 2, x + w - 2, y + h - 2))
    colours = inside.getcolors(1 << 16)
    assert colours is not None
    fill = sum(n for n, c in colours if c == sign_preview.STAMP_FILL)
    ink = sum(n for n, c in colours if sum(c) < 450)
    assert fill > 0.5 * inside.width * inside.height and ink > 50                 # the fill, and text on it
    # the SAO Y copy goes top right
    copy = sign_preview.stamp_spec("copy", signer_name="", org_name="UBND xã Mẫu", scan_time=None, now=when)
    assert copy.lines[0] == "SAO Y" and copy.lines[1] == "UBND xã Mẫu"
    prev2 = sign_preview.draw_stamp(s.workarea.root / page.file, page.dpi, copy, max_px=600)
    assert prev2.box[0] > prev2.size[0] / 2
