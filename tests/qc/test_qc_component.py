"""Component rules: blank-back rule, sticky-note pairs, duplicates, counts, device events, overrides."""

from __future__ import annotations

import dataclasses
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.compliance import get_profile
from scanstation.errors import ValidationError
from scanstation.qc import DeviceEvent, override_finding, restore_page, run_batch
from scanstation.qc.imageio import RawFrame
from tests.qc import synth

DPI = 200


def jpeg(px: np.ndarray, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG", quality=88, dpi=(dpi, dpi))
    return buf.getvalue()


def sheet(seed: int, back: str = "blank", **front) -> list[bytes]:
    f, b = sp.render_sheet(sp.SheetSpec(sp.PageSpec(seed=seed, side="front", dpi=DPI, **front),
                                        sp.PageSpec(seed=seed, side="back", back_kind=back, dpi=DPI)))
    return [jpeg(f.image), jpeg(b.image)]


def codes(rep):
    return [c.code for c in rep.checks]


@pytest.fixture(scope="module")
def blank_backs():
    return sheet(1) + sheet(2, "show-through") + sheet(3, "punch-holes")


def test_all_blank_backs_are_excluded_listed_and_restorable(blank_backs):
    rep = run_batch(blank_backs, duplex=True, declared_sheets=3)
    assert [(p.sheet, p.side, p.kept) for p in rep.pages] == [
        (1, "front", True), (1, "back", False), (2, "front", True), (2, "back", False), (3, "front", True),
        (3, "back", False)]
    d = rep.to_dict()
    assert d["summary"] == {"images": 6, "sheets": 3, "declared_sheets": 3, "kept": 3, "excluded_blank_backs": 3,
                            "blocking": 0}
    assert [e["index"] for e in d["excluded"]] == [1, 3, 5]
    assert "BLANK_BACKS_EXCLUDED" in codes(rep)
    restore_page(rep, 3, by="Trần Văn Đức", reason="mặt sau có dấu giáp lai mờ")
    assert rep.pages[3].kept and rep.summary()["kept"] == 4 and rep.restorations[0]["by"] == "Trần Văn Đức"


def test_one_content_back_keeps_every_back_unless_drop_each(blank_backs):
    pages = blank_backs[:4] + sheet(4, "page-number")
    rep = run_batch(pages, duplex=True)
    assert all(p.kept for p in rep.pages)
    assert "BLANK_BACKS_KEPT" in codes(rep)
    drop_each = dataclasses.replace(get_profile("vn-2019-seeds"), blank_backs="drop-each")
    rep2 = run_batch(pages, duplex=True, profile=drop_each)
    assert [p.kept for p in rep2.pages] == [True, False, True, False, True, True]
    assert all(p.kept for p in rep2.pages if p.side == "front")     # fronts are never excluded


def test_counts_against_declared_sheets_and_sides(blank_backs):
    rep = run_batch(blank_backs[:5], duplex=True, declared_sheets=4)
    assert {"PAGE_COUNT_MISMATCH", "IMAGE_COUNT_MISMATCH"} <= set(codes(rep))
    assert rep.summary()["blocking"] == 2
    f = next(c for c in rep.checks if c.code == "PAGE_COUNT_MISMATCH")
    override_finding(f, "Trần Văn Đức", "tờ thứ tư là phong bì, không số hóa")
    assert rep.summary()["blocking"] == 1 and f.to_dict()["override"]["by"] == "Trần Văn Đức"
    with pytest.raises(ValidationError):
        override_finding(next(c for c in rep.checks if c.code == "IMAGE_COUNT_MISMATCH"), "x", " ")


def test_sticky_note_pair_is_verified_and_ordered():
    with_note = sp.front_page(20, dpi=DPI, sticky_note="pink", scanner_border=True).image
    removed = sp.front_page(20, dpi=DPI, scanner_border=True, skew_deg=0.7).image
    back = sp.back_page(20, "blank", dpi=DPI, scanner_border=True).image
    rep = run_batch([jpeg(with_note), jpeg(removed), jpeg(back)], duplex=True, declared_sheets=1)
    assert rep.pairs == [{"with_note": 0, "note_removed": 1, "verified": True,
                          "inliers": rep.pairs[0]["inliers"], "reason": "ok",
                          "why_en": rep.pairs[0]["why_en"], "why_vi": rep.pairs[0]["why_vi"]}]
    assert "matching details" in rep.pairs[0]["why_en"]
    assert rep.pairs[0]["inliers"] >= 100
    assert [(p.sheet, p.side, p.variant) for p in rep.pages] == [
        (1, "front", "normal"), (1, "front", "note_removed"), (1, "back", "normal")]
    assert rep.pages[0].sticky_notes[0]["color"] == "pink"
    assert rep.summary()["blocking"] == 0 and rep.pages[0].kept and rep.pages[1].kept


def test_unpaired_note_blocks():
    with_note = sp.front_page(21, dpi=DPI, sticky_note="yellow").image
    rep = run_batch([jpeg(with_note), jpeg(sp.back_page(21, dpi=DPI).image)], duplex=True)
    assert rep.pairs[0]["verified"] is False and rep.pairs[0]["note_removed"] is None
    assert "STICKY_NOTE_UNPAIRED" in codes(rep)


def test_same_printed_form_filled_differently_is_not_a_pair():
    """A different page of the same form after a note page is the next page, not the pair."""
    a, _ = synth.make_note_pair(31, DPI, "green")
    other, _ = synth.make_sheet(32, "blank", DPI)          # same form (form_id 0), other handwriting
    rep = run_batch([jpeg(a.rgb()), jpeg(other.rgb())], duplex=False)
    assert rep.pairs[0]["verified"] is False
    assert "STICKY_NOTE_UNPAIRED" in codes(rep)
    assert [p.sheet for p in rep.pages] == [1, 2]


def test_every_true_pair_verified_no_false_pair_accepted():
    from scanstation.qc.page import PageChecker

    ck = PageChecker()
    for s, col in enumerate(("yellow", "pink", "green", "blue", "orange", "yellow")):
        a, b = synth.make_note_pair(40 + s, 75, col)
        other, _ = synth.make_sheet(60 + s, "blank", 75)
        pa = ck.analyse(RawFrame(a.rgb(), (75, 75)), key="a")
        pb = ck.analyse(RawFrame(b.rgb(), (75, 75)), key="b")
        po = ck.analyse(RawFrame(other.rgb(), (75, 75)), key="o")
        assert ck.compare(pa, pb, prefilter=False).same
        m = ck.compare(pa, po, prefilter=False)
        assert m is not None and not m.same and m.reason == "content_differs"


def test_accidental_rescan_is_a_duplicate():
    f, b = sheet(50, "signature")
    rep = run_batch([f, b, f, b], duplex=True)
    dup = [c for c in rep.checks if c.code == "DUPLICATE_PAGE"]
    assert [c.pages for c in dup] == [[0, 2], [1, 3]]
    assert rep.pages[2].duplicate_of == 0 and rep.pages[3].duplicate_of == 1


def test_blank_backs_are_not_duplicates_of_each_other(blank_backs):
    rep = run_batch(blank_backs, duplex=True)
    assert "DUPLICATE_PAGE" not in codes(rep)


def test_device_events_block_until_resolved(blank_backs):
    rep = run_batch(blank_backs[:2], duplex=True, device_events=[DeviceEvent("double_feed", page=1),
                                                                 DeviceEvent("jam", resolved=True)])
    ev = [c for c in rep.checks if c.code == "DEVICE_EVENT"]
    assert len(ev) == 1 and ev[0].pages == [1] and ev[0].severity == "block"
    assert "kéo hai tờ" in ev[0].message_vi


def test_blurry_page_relative_to_the_batch():
    pages = []
    for s in range(4):
        img = sp.front_page(70 + s, dpi=DPI).image
        if s == 2:
            img = cv2.GaussianBlur(img, (0, 0), 4)
        pages.append(jpeg(img))
    rep = run_batch(pages, duplex=False)
    blurry = [p.index for p in rep.pages if any(f.code == "BLURRY" for f in p.findings)]
    assert blurry == [2]
