"""Per-page checks: whole page, skew, technical parameters, bad input (never a crash)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.errors import UnreadableImageError
from scanstation.qc.imageio import RawFrame, load_page
from scanstation.qc.page import PageChecker, PageContext

DPI = 75


def _check(px: np.ndarray, dpi=(DPI, DPI), **kw):
    ck = PageChecker(kw.pop("profile", None), kw.pop("paper", "A4"))
    return ck.check(RawFrame(px, dpi), PageContext(), **kw)


def _codes(r):
    return {f.code for f in r.findings}


@pytest.mark.parametrize("border", [True, False])
@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_cut_off_side_is_found_and_blocks(border, side):
    p = sp.front_page(3, dpi=DPI, scanner_border=border, cut_off=side)
    r = _check(p.image)
    assert f"cut_{side}" in r.whole_page["problems"] and not r.whole_page["ok"]
    f = next(f for f in r.findings if f.code == "PAGE_CUT_OFF")
    assert f.severity == "block" and f.overridable


@pytest.mark.parametrize("corner,code", [("top-left", "tl"), ("top-right", "tr"), ("bottom-left", "bl"),
                                         ("bottom-right", "br")])
def test_folded_and_missing_corners(corner, code):
    folded = _check(sp.front_page(4, dpi=DPI, scanner_border=True, corner=f"folded:{corner}").image)
    assert folded.whole_page["problems"] == [f"corner_folded_{code}"]
    assert "CORNER_FOLDED" in _codes(folded)
    missing = _check(sp.front_page(4, dpi=DPI, scanner_border=True, corner=f"missing:{corner}").image)
    assert missing.whole_page["problems"] == [f"corner_missing_{code}"]
    # on a light feeder backing the flap hardly differs from the backing: still a corner problem
    light = _check(sp.front_page(4, dpi=DPI, corner=f"folded:{corner}").image)
    assert any(p.startswith("corner_") and p.endswith(code) for p in light.whole_page["problems"])


def test_clean_page_is_whole_and_sized():
    r = _check(sp.front_page(5, dpi=DPI, scanner_border=True).image)
    assert r.whole_page == {"ok": True, "problems": []}
    assert abs(r.size_mm[0] - 210) < 3 and abs(r.size_mm[1] - 297) < 3
    assert r.dpi == [DPI, DPI] and r.mode == "RGB"


@pytest.mark.parametrize("angle", [-3.0, -1.0, 2.5])
def test_skew_is_measured_counter_clockwise_positive(angle):
    r = _check(sp.front_page(6, dpi=DPI, scanner_border=True, skew_deg=angle).image)
    assert r.skew_deg == pytest.approx(angle, abs=0.35)
    assert ("SKEWED" in _codes(r)) == (abs(angle) > 1.5)
    # without visible edges the text lines give the angle
    r2 = _check(sp.front_page(6, dpi=DPI, skew_deg=angle).image)
    assert r2.skew_deg == pytest.approx(angle, abs=0.5)


def test_long_page_is_a_possible_double_feed():
    a = sp.front_page(7, dpi=DPI, scanner_border=True).image
    b = sp.front_page(8, dpi=DPI, scanner_border=True).image
    overlap = a.shape[0] // 3      # two sheets fed overlapping: one long image
    long_img = np.concatenate([a[:-overlap], b[overlap // 2:]], axis=0)
    r = _check(long_img)
    assert "too_long" in r.whole_page["problems"]
    assert "PAGE_TOO_LONG" in _codes(r)


def test_other_paper_size_is_flagged():
    p = sp.front_page(9, dpi=DPI, scanner_border=True, paper="Letter")
    r = _check(p.image)
    assert "size_mismatch" in r.whole_page["problems"]
    assert _check(p.image, paper="Letter").whole_page["ok"]


def test_exposure_too_dark():
    img = (sp.front_page(10, dpi=DPI, scanner_border=True).image.astype(np.float32) * 0.5).astype(np.uint8)
    assert "EXPOSURE_DARK" in _codes(_check(img))


# --- technical parameters from the real file ---------------------------------------------------
def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def page_rgb():
    return Image.fromarray(sp.front_page(11, dpi=150, scanner_border=True).image)


def test_dpi_below_the_profile_blocks_without_override(page_rgb):
    r = PageChecker().check(_save(page_rgb, "JPEG", dpi=(150, 150)), PageContext())
    f = next(f for f in r.findings if f.code == "DPI_TOO_LOW")
    assert f.severity == "block" and not f.overridable and r.dpi == [150, 150]


def test_missing_dpi_is_a_finding_with_an_estimate(page_rgb):
    r = PageChecker().check(_save(page_rgb, "PNG"), PageContext())
    f = next(f for f in r.findings if f.code == "DPI_MISSING")
    assert "150 dpi" in f.message_en and f.severity == "block"
    assert r.dpi is None


def test_grey_and_bitonal_images_fail_the_colour_rule(page_rgb):
    grey = PageChecker().check(_save(page_rgb.convert("L"), "PNG", dpi=(300, 300)), PageContext())
    assert "COLOUR_REQUIRED" in _codes(grey) and grey.mode == "L"
    vi = next(f.message_vi for f in grey.findings if f.code == "COLOUR_REQUIRED")
    assert "chế độ L" not in vi and "ảnh xám" in vi and "chế độ màu" in vi     # a clerk's words, not PIL's
    bw = PageChecker().check(_save(page_rgb.convert("1"), "PNG", dpi=(300, 300)), PageContext())
    assert "BITONAL_IMAGE" in _codes(bw) and bw.bits == 1
    assert bw.blank["verdict"] == "content"      # the page is still checked


def test_16_bit_png_is_read_and_flagged(page_rgb):
    arr = (np.asarray(page_rgb.convert("L")).astype(np.uint16) * 257)
    data = _save(Image.fromarray(arr), "PNG", dpi=(300, 300))
    r = PageChecker().check(data, PageContext())
    assert r.bits == 16 and "BIT_DEPTH_16" in _codes(r)
    assert r.blank["verdict"] == "content"


def test_truncated_and_corrupt_images_are_findings_not_crashes(page_rgb):
    jpeg = _save(page_rgb, "JPEG", dpi=(300, 300))
    for bad in (jpeg[: len(jpeg) // 2], b"not an image at all", jpeg[:200] + b"\x00" * 5000,
                _save(page_rgb, "PNG")[:3000], b""):
        r = PageChecker().check(bad, PageContext())
        assert not r.readable and [f.code for f in r.findings] == ["IMAGE_UNREADABLE"]
        assert r.findings[0].severity == "block"
    with pytest.raises(UnreadableImageError) as e:
        load_page(jpeg[: len(jpeg) // 2], name="p.jpg")
    assert "truncated" in e.value.message_en and "p.jpg" in e.value.message_en


def test_tiny_and_huge_images():
    tiny = PageChecker().check(_save(Image.new("RGB", (120, 90), "white"), "PNG", dpi=(300, 300)), PageContext())
    assert "IMAGE_TOO_SMALL" in _codes(tiny) and tiny.whole_page["problems"] == ["not_checked"]
    # a PNG whose header claims 40000 x 40000 pixels: refused before any decoding
    small = io.BytesIO()
    Image.new("L", (1, 1)).save(small, "PNG")
    data = bytearray(small.getvalue())
    import struct
    import zlib
    data[16:24] = struct.pack(">II", 40000, 40000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    huge = PageChecker().check(bytes(data), PageContext())
    assert "IMAGE_TOO_LARGE" in _codes(huge)


def test_raw_frame_grey_16bit_and_odd_shapes():
    frame = np.full((900, 640), 60000, np.uint16)
    r = PageChecker().check(RawFrame(frame, (75, 75)), PageContext())
    assert r.bits == 16 and "COLOUR_REQUIRED" in _codes(r)
    bad = PageChecker().check(RawFrame(np.zeros((5,), np.uint8)), PageContext())
    assert not bad.readable


@pytest.mark.parametrize("kind", sp.BACK_KINDS)
def test_back_kinds_raise_no_whole_page_false_alarm(kind):
    for border in (True, False):
        r = _check(sp.back_page(31, kind, dpi=DPI, scanner_border=border).image)
        assert r.whole_page["ok"], (kind, border, r.whole_page)
        assert not [f.code for f in r.findings if f.severity != "info" and f.code != "DPI_TOO_LOW"], (kind, border)


@pytest.mark.parametrize("dpi", [150, 300])
def test_feeder_shadows_are_blank_at_any_resolution(dpi):
    """Shadows along the sheet's edge leave faint bands at the border of the checked area."""
    for seed in (504, 505, 507):
        b = sp.back_page(seed, "edge-shadows", dpi=dpi)
        r = _check(b.image, dpi=(dpi, dpi))
        assert r.blank["verdict"] == "blank", (seed, r.blank_reasons)
        assert "edge_shadow" in r.blank_reasons
