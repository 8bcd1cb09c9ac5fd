"""Issue 16, cost: pages of one layout (one form filled many times, letters on one letterhead) are told
apart by a cheap content signature, without feature matching; a rescan of the same sheet never is
judged different by it (the full match still decides "same"). Also the blank-back and skew cases
found while measuring: the palest show-through judged alone, text skew inside an ink frame."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.errors import UnreadableImageError
from scanstation.qc import match, run_batch
from scanstation.qc.imageio import RawFrame, load_page
from scanstation.qc.page import PageChecker, PageContext
from tests.qc import synth


@pytest.fixture(scope="module")
def checker():
    return PageChecker("vn-2019-seeds", "A4")


def _jpeg(px: np.ndarray, dpi: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG", quality=88, dpi=(dpi, dpi))
    return buf.getvalue()


def _filled_form(k: int, dpi: int = 300) -> np.ndarray:
    """bench.qc_trust's same-layout component: form 1 on a letterhead band, filled by hand for page k."""
    c = synth.front_page(np.random.default_rng(k), dpi, form_id=1, fill_seed=100 + k, letterhead="band")
    return np.ascontiguousarray(synth.scan(c, np.random.default_rng(k + 7), skew=0.3)[:, :, ::-1])


def test_one_form_filled_twice_is_told_apart_without_feature_matching(checker):
    for k in range(3):
        a = checker.analyse(_jpeg(_filled_form(2 * k), 300), key="a")
        b = checker.analyse(_jpeg(_filled_form(2 * k + 1), 300), key="b")
        m = checker.compare(a, b)
        assert m is not None and not m.same and m.reason == "content_differs", m
        assert a._features is None and b._features is None, "ORB features were computed"
        en, vi = m.why()
        assert "mm from the top" in en and m.differs_in in ("first", "second") and m.differs_mm2 >= 12
        assert "mm từ mép trên" in vi


def test_a_same_layout_component_has_no_duplicate_and_matches_no_features(checker):
    pages = [_jpeg(_filled_form(k), 300) for k in range(4)]
    rep = run_batch(pages, duplex=False)
    assert "DUPLICATE_PAGE" not in [c.code for c in rep.checks]
    assert all(p.duplicate_of is None for p in rep.pages)


def _rescans():
    """(name, first scan, second scan, dpi) of one sheet: moved, turned, another backing, noisier."""
    out = []
    for k in range(8):
        dpi = (150, 200, 300)[k % 3]
        lh = ("band", None, "logo", "pastel")[k % 4]
        c = synth.front_page(np.random.default_rng(700 + k), dpi, form_id=k % 4, fill_seed=700 + k,
                             letterhead=lh, photo=k % 3 == 0)
        rng = np.random.default_rng(k)
        s1, s2 = rng.uniform(-2.5, 2.5), rng.uniform(-2.5, 2.5)
        bg = ((40, 40, 40), (235, 235, 232))[k % 2]
        a = synth.scan(c, np.random.default_rng(1 + k), skew=s1, background=bg, margin_mm=rng.uniform(0, 8))
        b = synth.scan(c, np.random.default_rng(99 + k), skew=s2, background=bg, margin_mm=rng.uniform(0, 8),
                       noise=4.0)
        if k % 4 == 0:
            b = np.clip(b.astype(np.int16) + 12, 0, 255).astype(np.uint8)     # a lighter rescan
        out.append((f"synth-{k}-{lh}-{dpi}", a[:, :, ::-1].copy(), b[:, :, ::-1].copy(), dpi))
    # the cases that the first version of the quick test got wrong (a pale band, a photo's edge)
    for k in (3, 11, 24):
        dpi = (150, 200, 300)[k % 3]
        lh = ("band", None, "logo", "pastel")[k % 4]
        c = synth.front_page(np.random.default_rng(700 + k), dpi, form_id=k % 4, fill_seed=700 + k,
                             letterhead=lh, photo=k % 3 == 0)
        rng = np.random.default_rng(k)
        s1, s2 = rng.uniform(-2.5, 2.5), rng.uniform(-2.5, 2.5)
        bg = ((40, 40, 40), (235, 235, 232))[k % 2]
        a = synth.scan(c, np.random.default_rng(1 + k), skew=s1, background=bg, margin_mm=rng.uniform(0, 8))
        b = synth.scan(c, np.random.default_rng(99 + k), skew=s2, background=bg, margin_mm=rng.uniform(0, 8),
                       noise=4.0)
        out.append((f"regression-{k}", a[:, :, ::-1].copy(), b[:, :, ::-1].copy(), dpi))
    for w, r in (synth.make_note_pair(s, dpi=(100, 150, 200)[s % 3]) for s in range(3)):
        out.append((f"note-pair-{w.dpi}", w.rgb(), r.rgb(), w.dpi))
    return out


@pytest.mark.parametrize("name,first,second,dpi", _rescans(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_quick_test_never_calls_a_rescan_of_one_sheet_a_different_paper(checker, name, first, second, dpi):
    a = checker.analyse(RawFrame(first, (dpi, dpi)), key="a")
    b = checker.analyse(RawFrame(second, (dpi, dpi)), key="b")
    assert a.signature is not None and b.signature is not None
    assert match.quick_differs(a.signature, b.signature) is None
    m = checker.compare(a, b, prefilter=False)
    assert m is not None and m.same, (name, m)


def test_text_skew_is_found_inside_an_ink_frame(checker):
    """The letterhead band joins the scanner's backing, the sheet's edges are not found, and the backing
    left around the sheet framed every text line: the page had no skew at all."""
    a = checker.analyse(_jpeg(_filled_form(0), 300), key="f")
    r = checker.finish(a, PageContext(0, 1, "front"))
    assert not a.geometry.edges_visible
    assert r.skew_deg == pytest.approx(0.3, abs=0.15)


@pytest.mark.parametrize("seed", [6, 11])
def test_the_palest_show_through_judged_alone_is_blank(checker, seed):
    """One ghost of ~5 mm2 barely past the faint threshold (16/255 against 14) made these backs 'unsure'."""
    p = sp.back_page(seed, "show-through", dpi=150, scanner_border=seed % 2 == 0)
    r = checker.finish(checker.analyse(RawFrame(p.image, (150, 150))), PageContext(0, 1, "back"))
    assert r.verdict == "blank", (r.blank, r.blank_reasons)


def test_read_ahead_keeps_feed_order_and_reports_the_unreadable_image_in_place():
    pages = [_jpeg(_filled_form(k, 150), 150) for k in range(3)]
    feed = [pages[0], pages[1], b"not an image at all", pages[2]]
    rep = run_batch(feed, duplex=False)
    assert [p.readable for p in rep.pages] == [True, True, False, True]
    assert [p.index for p in rep.pages] == [0, 1, 2, 3]
    assert rep.pages[2].findings[0].code == "IMAGE_UNREADABLE"
    assert rep.pages[3].width == rep.pages[0].width
    with pytest.raises(UnreadableImageError):
        run_batch(feed, duplex=False, strict=True)


def test_read_ahead_gives_the_same_report_as_checking_alone():
    """The read-ahead thread decodes only; luma and chroma are made on the checking thread: the
    pages and the component findings are the same either way, and a page loaded without them is
    the same page once derived."""
    feed = [_jpeg(_filled_form(k, 150), 150) for k in range(4)]
    ahead = run_batch(feed, duplex=True, declared_sheets=2).to_dict()
    alone = run_batch(feed, duplex=True, declared_sheets=2, read_ahead=False).to_dict()
    assert ahead == alone
    lazy = load_page(feed[0], derive=False)
    assert lazy.gray is None and lazy.bgr is not None
    full = load_page(feed[0])
    lazy.derive()
    assert np.array_equal(lazy.gray, full.gray) and np.array_equal(lazy.chroma, full.chroma)
