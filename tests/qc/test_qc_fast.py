"""The speed-ups must give the same answers as the plain way of computing the same thing."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.qc import blank as blank_mod
from scanstation.qc import fast
from scanstation.qc.imageio import RawFrame, _dpi_from_info, _jpeg_facts, load_page
from scanstation.qc.page import PageChecker


def test_percentiles_and_medians_by_counting_equal_numpy():
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 10, 11, 1001):
        for _ in range(20):
            x = rng.integers(0, int(rng.integers(1, 256)), n).astype(np.uint8)
            for q in (0, 10, 25, 50, 75, 90, 99.9, 100):
                assert fast.percentile_u8(x, q) == pytest.approx(float(np.percentile(x, q)), abs=1e-9)
            med, mad = fast.median_mad_u8(x)
            assert med == pytest.approx(float(np.median(x)))
            assert mad == pytest.approx(float(np.median(np.abs(x.astype(np.float64) - np.median(x)))))
    img = rng.integers(0, 256, (40, 30), dtype=np.uint8)
    mask = np.zeros_like(img)
    mask[5:30, 3:20] = 255
    assert np.array_equal(fast.hist_u8(img, mask), np.bincount(img[mask > 0], minlength=256))
    assert np.array_equal(fast.inner_hist(img, 3, fast.rect_mask(40, 30, 4), 4),
                          fast.inner_hist(img, 3, fast.rect_mask(40, 30, 4), None))


def _jpeg(mode: str, **kw) -> bytes:
    a = np.random.default_rng(0).integers(0, 255, (300, 400, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).convert(mode).save(buf, "JPEG", **kw)
    return buf.getvalue()


def test_jpeg_facts_from_markers_equal_pillows():
    exif = Image.Exif()
    exif[282], exif[283], exif[296] = 300, 300, 2
    cases = [_jpeg("RGB", dpi=(300, 300)), _jpeg("RGB"), _jpeg("L", dpi=(200, 200)), _jpeg("CMYK", dpi=(300, 300)),
             _jpeg("RGB", dpi=(150, 151), progressive=True), _jpeg("RGB", dpi=(299.6, 300.2)),
             _jpeg("RGB", exif=exif.tobytes(), dpi=(150, 150))]
    for data in cases:
        im = Image.open(io.BytesIO(data))
        assert _jpeg_facts(data) == (im.width, im.height, im.mode, _dpi_from_info(im.info))
    # a resolution only in EXIF, or not a JPEG: Pillow reads it
    exif_only = _jpeg("RGB", exif=exif.tobytes())
    assert _jpeg_facts(exif_only) is None
    assert load_page(exif_only).dpi == (300, 300)
    assert _jpeg_facts(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40) is None


def test_rectangle_edge_bands_equal_the_eroded_ones():
    h, w, m = 120, 90, 7
    inner = fast.rect_mask(h, w, m)
    framed = blank_mod._EdgeBands(inner, 2.95, m)._masks()
    eroded = blank_mod._EdgeBands(inner, 2.95, None)._masks()
    assert all(np.array_equal(a, b) for a, b in zip(framed, eroded, strict=True))


def test_row_copy_shift_equals_a_nearest_neighbour_warp():
    img = ((np.random.default_rng(2).random((40, 30)) > 0.7) * 255).astype(np.uint8)
    for dx in (-31.0, -6.9, -2.2, 0.0, 0.4, 3.6, 45.0):
        for dy in (-50.0, -5.3, -0.6, 0.0, 2.7, 4.1):
            ref = cv2.warpAffine(img, np.float32([[1, 0, dx], [0, 1, dy]]), (30, 40), flags=cv2.INTER_NEAREST)
            assert np.array_equal(blank_mod._shift(img, dx, dy), ref), (dx, dy)


@pytest.mark.parametrize("dpi", [110, 300])
def test_sticky_notes_found_on_small_and_smaller_copies(dpi):
    """300 dpi: notes looked for at a quarter of the working scale; 110 dpi (working scale 55 dpi): at half."""
    ck = PageChecker()
    for i, col in enumerate(sp.STICKY_COLOURS):
        page = sp.front_page(40 + i, dpi=dpi, sticky_note=col, letterhead=i % 2 == 0, photo=i % 3 == 0)
        a = ck.analyse(RawFrame(page.image, (dpi, dpi)))
        assert [n.color for n in a.notes] == [col]
        # the box is accurate to the small copy's pixel (under 1.5 mm a side)
        tol = 1.5 * dpi / 25.4
        truth = page.truth["sticky_notes"][0]["box"]
        n = a.notes[0]
        assert all(abs(got - want) <= tol for got, want in zip((n.x, n.y, n.x + n.w, n.y + n.h),
                                                              (truth[0], truth[1], truth[0] + truth[2],
                                                               truth[1] + truth[3]), strict=True)), (n, truth)
    plain = ck.analyse(RawFrame(sp.front_page(50, dpi=dpi, letterhead=True, photo=True).image, (dpi, dpi)))
    assert plain.notes == []


def test_border_regions_by_flood_fill_equal_labelling():
    from scanstation.qc.geometry import _border_regions

    rng = np.random.default_rng(4)
    for trial in range(20):
        mask = ((cv2.blur(rng.random((60, 80)).astype(np.float32), (5, 5)) > 0.55) * 255).astype(np.uint8)
        min_area = float(rng.integers(1, 60))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))) - {0}
        keep = [i for i in border if stats[i, 4] >= min_area]
        got = _border_regions(mask, min_area)
        if not keep:
            assert got is None, trial
        else:
            assert np.array_equal(got > 0, np.isin(labels, keep)), trial


def test_chroma_is_max_minus_min_of_the_channels():
    rng = np.random.default_rng(3)
    for shape in ((901, 644, 3), (7, 5, 3), (1, 1, 3)):
        bgr = rng.integers(0, 256, shape, dtype=np.uint8)
        want = (bgr.max(axis=2).astype(np.int16) - bgr.min(axis=2)).astype(np.uint8)
        assert np.array_equal(fast.chroma(bgr), want)
