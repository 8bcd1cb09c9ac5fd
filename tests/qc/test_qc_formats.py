"""Issue 16: one format rule with the PDF/A assembly, true facts about huge images, and the true
resolution when the file's dpi disagrees with the page's measured size."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.errors import PageImageError
from scanstation.pdf.images import read_page_image
from scanstation.qc.imageio import _jpeg_facts
from scanstation.qc.page import PageChecker, PageContext

FORMAT_CODES = {"FILE_FORMAT_UNSUPPORTED", "MULTI_PAGE_FILE", "ALPHA_CHANNEL", "COLOUR_MODEL_UNSUPPORTED"}


def _page_rgb() -> np.ndarray:
    return sp.front_page(2, dpi=100).image


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, dpi=(300, 300), **kw)
    return buf.getvalue()


def _cases() -> dict[str, bytes]:
    rgb = Image.fromarray(_page_rgb())
    rgb = rgb.resize((rgb.width * 2, rgb.height * 2))          # about 200 dpi worth of pixels at 300 dpi
    trns = rgb.convert("P")
    return {
        "rgb-jpeg": _save(rgb, "JPEG"), "grey-png": _save(rgb.convert("L"), "PNG"),
        "cmyk-jpeg": _save(rgb.convert("CMYK"), "JPEG"), "cmyk-tiff": _save(rgb.convert("CMYK"), "TIFF"),
        "rgba-png": _save(rgb.convert("RGBA"), "PNG"), "la-png": _save(rgb.convert("LA"), "PNG"),
        "trns-png": _save(trns, "PNG", transparency=0), "bmp": _save(rgb, "BMP"),
        "two-page-tiff": _save(rgb, "TIFF", save_all=True, append_images=[rgb]),
    }


@pytest.fixture(scope="module")
def cases():
    return _cases()


def test_qc_blocks_at_capture_exactly_what_pdf_refuses(cases, tmp_path):
    """Whatever ``pdf`` cannot embed, QC blocks (not overridable) with the fix; what it embeds, QC lets pass."""
    for name, data in cases.items():
        path = tmp_path / f"{name}.img"
        path.write_bytes(data)
        try:
            read_page_image(path)
            pdf_ok = True
        except PageImageError:
            pdf_ok = False
        r = PageChecker("vn-2019-seeds", None).check(str(path), PageContext())
        fmt = [f for f in r.findings if f.code in FORMAT_CODES]
        assert pdf_ok == (not fmt), (name, pdf_ok, [f.code for f in r.findings])
        for f in fmt:
            assert f.blocking and not f.overridable
            assert "RGB" in f.message_en or "JPEG" in f.message_en or "one page per file" in f.message_en


def test_cmyk_and_rgba_name_the_fix(cases):
    cmyk = PageChecker().check(cases["cmyk-jpeg"], PageContext())
    f = next(f for f in cmyk.findings if f.code == "COLOUR_MODEL_UNSUPPORTED")
    assert "rescan in colour (RGB)" in f.message_en and "RGB" in f.message_vi
    rgba = PageChecker().check(cases["rgba-png"], PageContext())
    a = next(f for f in rgba.findings if f.code == "ALPHA_CHANNEL")
    assert a.severity.value == "block" and "flattened" not in a.message_en


def _png_header_claiming(w: int, h: int) -> bytes:
    small = io.BytesIO()
    Image.new("RGB", (1, 1)).save(small, "PNG", dpi=(300, 300))
    data = bytearray(small.getvalue())
    data[16:24] = struct.pack(">II", w, h)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def test_an_image_over_pillows_limit_is_reported_with_its_real_size():
    """It used to be '60001x60001 pixels (3600 MP)' with a spurious DPI_MISSING and COLOUR_REQUIRED."""
    r = PageChecker().check(_png_header_claiming(16000, 16000), PageContext())
    big = next(f for f in r.findings if f.code == "IMAGE_TOO_LARGE")
    assert "16000x16000" in big.message_en and "256 MP" in big.message_en
    assert (r.width, r.height, r.mode, r.dpi) == (16000, 16000, "RGB", [300, 300])
    assert not {"DPI_MISSING", "COLOUR_REQUIRED"} & {f.code for f in r.findings}


def test_a_jpeg_under_the_station_limit_but_over_pillows_keeps_its_real_size():
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buf, "JPEG", dpi=(600, 600))
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 13950, 14000)     # 195 MP: under 200 MP, over Pillow's 179
    assert _jpeg_facts(bytes(data)) == (14000, 13950, "RGB", (600, 600))


@pytest.mark.parametrize("border", [False, True])
def test_a_150_dpi_scan_labelled_300_reports_its_true_resolution(border):
    p = sp.front_page(3, dpi=150, scanner_border=border)
    buf = io.BytesIO()
    Image.fromarray(p.image).save(buf, "JPEG", dpi=(300, 300))
    r = PageChecker("vn-2019-seeds", "A4").check(buf.getvalue(), PageContext())
    f = next(f for f in r.findings if f.code == "DPI_SUSPECT")
    assert f.blocking and "about 150 dpi" in f.message_en and "khoảng 150 dpi" in f.message_vi
    right = io.BytesIO()
    Image.fromarray(p.image).save(right, "JPEG", dpi=(150, 150))
    assert "DPI_SUSPECT" not in {f.code for f in PageChecker().check(right.getvalue(), PageContext()).findings}
