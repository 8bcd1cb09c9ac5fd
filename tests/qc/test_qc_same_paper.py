"""Issue 16: "same paper", not "same layout". A rescan of one sheet is the same page; two letters on one
letterhead, one form filled twice, two documents sharing boilerplate paragraphs are not. Each finding
says why. Every case here was judged wrongly before (a false pass or a false block)."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.qc import run_batch
from scanstation.qc.imageio import RawFrame
from scanstation.qc.page import PageChecker
from tests.qc import synth

DPI = 150


def jpeg(px: np.ndarray, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG", quality=88, dpi=(dpi, dpi))
    return buf.getvalue()


def _dossier(seed: int, sheets: int) -> list:
    """The virtual scanner's own feed (fronts only): different documents of one dossier."""
    return [sp.render_page(s.front).image for s in sp.dossier_sheets(seed, sheets, dpi=DPI)]


def _form(form_id: int, fill: int, letterhead: str | None = None, *, skew: float = 0.0) -> np.ndarray:
    c = synth.front_page(np.random.default_rng(fill), DPI, form_id=form_id, fill_seed=fill, letterhead=letterhead)
    return synth.scan(c, np.random.default_rng(fill + 1), skew=skew)[:, :, ::-1].copy()


def _different_paper_pairs():
    """(name, first, second): pages of one layout that are different papers."""
    out = []
    for seed in (5, 7, 11):
        pages = _dossier(seed, 4)
        out += [(f"dossier{seed}-{i}-{j}", pages[i], pages[j]) for i in range(4) for j in range(i + 1, 4)]
    for k in range(4):
        out.append((f"form-filled-twice-{k}", _form(k, 100 + k), _form(k, 200 + k)))
        out.append((f"letterhead-{k}", _form(k, 300 + k, "band"), _form(k, 400 + k, "band", skew=0.4)))
    return out


@pytest.fixture(scope="module")
def checker():
    return PageChecker("vn-2019-seeds", "A4")


def _compare(ck, a_px, b_px):
    a = ck.analyse(RawFrame(a_px, (DPI, DPI)), key="a")
    b = ck.analyse(RawFrame(b_px, (DPI, DPI)), key="b")
    return ck.compare(a, b, prefilter=False)


def test_same_layout_different_paper_is_never_the_same_page(checker):
    wrong = []
    for name, a, b in _different_paper_pairs():
        m = _compare(checker, a, b)
        if m is not None and m.same:
            wrong.append((name, m.to_dict()))
    assert wrong == []


def test_a_rescan_of_the_same_sheet_is_the_same_page_and_says_why(checker):
    for k in range(3):
        m = _compare(checker, _form(k, 500 + k, "band"), synth.scan(
            synth.front_page(np.random.default_rng(500 + k), DPI, form_id=k, fill_seed=500 + k, letterhead="band"),
            np.random.default_rng(9), skew=-0.7, margin_mm=6.0)[:, :, ::-1].copy())
        assert m is not None and m.same, m
        en, vi = m.why()
        assert "matching details" in en and "chi tiết trùng khớp" in vi


def test_virtual_scanner_seed5_different_documents_are_not_duplicates():
    """The issue's report: 'Image 3 is the same page as image 1' on seed 5, 3 sheets, duplex."""
    pages = []
    for s in sp.dossier_sheets(5, 3, dpi=DPI):
        f, b = sp.render_sheet(s)
        pages += [jpeg(f.image), jpeg(b.image)]
    rep = run_batch(pages, duplex=True, declared_sheets=3)
    assert "DUPLICATE_PAGE" not in [c.code for c in rep.checks]
    assert all(p.duplicate_of is None for p in rep.pages)


def test_a_true_duplicate_is_blocked_with_the_reason():
    spec = sp.dossier_sheets(5, 2, dpi=DPI)[1].front
    f = sp.render_page(spec).image
    again = sp.render_page(dataclasses.replace(spec, skew_deg=0.6)).image
    rep = run_batch([jpeg(f), jpeg(again)], duplex=False)
    dup = [c for c in rep.checks if c.code == "DUPLICATE_PAGE"]
    assert len(dup) == 1 and dup[0].pages == [0, 1]
    assert "matching details" in dup[0].message_en and "chi tiết trùng khớp" in dup[0].message_vi


def test_a_different_document_as_the_note_removed_rescan_is_not_accepted():
    """A sticky-note page followed by another document of the dossier: not its pair (C4 not met), and the
    finding says where the content differs."""
    sheets = sp.dossier_sheets(5, 3, dpi=DPI)
    with_note = sp.render_page(sheets[0].front).image
    assert sp.render_page(sheets[0].front).truth["sticky_notes"], "seed 5 sheet 1 carries a note"
    other = sp.render_page(sheets[1].front).image
    rep = run_batch([jpeg(with_note), jpeg(other)], duplex=False)
    assert [p.variant for p in rep.pages] == ["normal", "normal"]
    assert rep.pairs[0]["verified"] is False and rep.pairs[0]["reason"] == "missing"
    unpaired = next(c for c in rep.checks if c.code == "STICKY_NOTE_UNPAIRED")
    assert "image 2 is not it" in unpaired.message_en and "content differs" in unpaired.message_en
    assert "nội dung khác nhau" in unpaired.message_vi


def test_pool_path_names_a_wrong_note_removed_page_a_mismatch(checker):
    """When the station says which image is the rescan (the pool path), a wrong page is a mismatch."""
    from scanstation.qc.component import check_component
    from scanstation.qc.page import PageContext

    sheets = sp.dossier_sheets(5, 3, dpi=DPI)
    a = checker.analyse(RawFrame(sp.render_page(sheets[0].front).image, (DPI, DPI)), key="n")
    b = checker.analyse(RawFrame(sp.render_page(sheets[1].front).image, (DPI, DPI)), key="r")
    ra = checker.finish(a, PageContext(0, 1, "front"))
    rb = checker.finish(b, PageContext(1, 1, "front", "note_removed"))
    rb.same_as_previous = checker.compare(a, b, prefilter=False).to_dict() | {"of": 0, "note_gone": True}
    rep = check_component([ra, rb], duplex=False, declared_sheets=1, profile=checker.profile)
    assert rep.pairs[0]["reason"] == "different_page" and rep.pairs[0]["verified"] is False
    mm = next(c for c in rep.checks if c.code == "STICKY_PAIR_MISMATCH")
    assert "mm from the top" in mm.message_en and "mm từ mép trên" in mm.message_vi
