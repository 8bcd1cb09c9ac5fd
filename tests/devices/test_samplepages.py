"""The sample page generator: deterministic, right sizes, and ground truth that matches the pixels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scanstation import samplepages as sp

DPI = 100  # small pages keep the suite fast; geometry scales with dpi


def _ink_fraction(img: np.ndarray, margin: float = 0.03) -> float:
    grey = img if img.ndim == 2 else img.mean(axis=2)
    h, w = grey.shape
    m = int(min(h, w) * margin)
    core = grey[m:h - m, m:w - m]
    return float((core < 150).mean())


def test_same_seed_same_pixels_other_seed_other_page():
    a = sp.front_page(7, dpi=DPI)
    b = sp.front_page(7, dpi=DPI)
    c = sp.front_page(8, dpi=DPI)
    assert np.array_equal(a.image, b.image)
    assert a.truth == b.truth
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("paper,mm", [("A4", (210, 297)), ("Letter", (215.9, 279.4))])
@pytest.mark.parametrize("dpi", [100, 200])
def test_page_size_follows_paper_and_dpi(paper, mm, dpi):
    p = sp.front_page(1, dpi=dpi, paper=paper, seal=False, signature=False)
    assert p.image.shape == (round(mm[1] / 25.4 * dpi), round(mm[0] / 25.4 * dpi), 3)
    assert p.image.dtype == np.uint8
    assert p.truth["paper"] == paper and p.truth["dpi"] == dpi
    assert (p.truth["width"], p.truth["height"]) == (p.image.shape[1], p.image.shape[0])


def test_gray_mode_is_single_channel():
    p = sp.front_page(1, dpi=DPI, mode="gray")
    assert p.image.ndim == 2 and p.truth["mode"] == "gray"
    assert p.to_pil().mode == "L"


def test_front_has_red_seal_and_blue_signature_where_truth_says():
    p = sp.front_page(3, dpi=150)
    els = {e["kind"]: e for e in p.truth["elements"]}
    img = p.image.astype(int)
    x, y, w, h = els["seal"]["box"]
    seal = img[y:y + h, x:x + w]
    red = (seal[..., 0] > 150) & (seal[..., 1] < 120) & (seal[..., 2] < 120)
    assert red.sum() > 200
    x, y, w, h = els["signature"]["box"]
    sig = img[y:y + h, x:x + w]
    blue = (sig[..., 2] > sig[..., 0] + 40) & (sig[..., 2] > 100)
    assert blue.sum() > 50
    # nowhere else on the page is there red ink
    elsewhere = img.copy()
    sx, sy, sw, sh = els["seal"]["box"]
    elsewhere[sy:sy + sh, sx:sx + sw] = 255
    assert ((elsewhere[..., 0] > 150) & (elsewhere[..., 1] < 100)).sum() == 0
    assert _ink_fraction(p.image) > 0.01


def test_vietnamese_font_is_a_real_truetype_with_diacritics():
    font = sp._font(sp._SERIF, 40)
    assert "Noto" in font.getname()[0]
    # precomposed Vietnamese letters have their own glyphs: different widths from the bare letters
    assert font.getlength("Ỷ") > 0 and font.getbbox("Ộ")[1] < font.getbbox("O")[1]


@pytest.mark.parametrize("kind", sp.BACK_KINDS)
def test_back_kinds_truth_and_ink(kind):
    p = sp.back_page(5, kind, dpi=DPI)
    assert p.truth["kind"] == kind and p.truth["side"] == "back"
    assert p.truth["is_blank"] == (kind in sp.BLANK_BACK_KINDS)
    if kind in ("blank", "tinted", "edge-shadows"):
        assert _ink_fraction(p.image) < 0.0005
    if kind in sp.CONTENT_BACK_KINDS:
        (el,) = p.truth["elements"]
        x, y, w, h = el["box"]
        assert p.image[y:y + h, x:x + w].min() < 200    # the content is really there
    json.dumps(p.truth)                                  # ground truth is JSON-able


def test_show_through_is_the_mirrored_front():
    front = sp.front_page(11, dpi=DPI, seal=False, signature=False)
    back = sp.back_page(11, "show-through", dpi=DPI)
    blank = sp.back_page(11, "blank", dpi=DPI)
    ghost = blank.image.astype(int).mean(axis=2) - back.image.astype(int).mean(axis=2)
    ink = 255 - front.image.astype(int).mean(axis=2)
    corr_mirror = np.corrcoef(ghost.ravel(), np.fliplr(ink).ravel())[0, 1]
    corr_plain = np.corrcoef(ghost.ravel(), ink.ravel())[0, 1]
    assert corr_mirror > 0.3 and corr_mirror > corr_plain + 0.1
    assert ghost.max() < 60                                # faint, not printed


def test_punch_holes_are_dark_discs():
    p = sp.back_page(2, "punch-holes", dpi=DPI)
    assert len(p.truth["punch_holes"]) == 2
    for x, y, w, h in p.truth["punch_holes"]:
        assert p.image[y + h // 2, x + w // 2].mean() < 120


@pytest.mark.parametrize("colour", sorted(sp.STICKY_COLOURS))
def test_sticky_note_box_and_colour(colour):
    p = sp.front_page(4, dpi=DPI, sticky_note=colour)
    (note,) = p.truth["sticky_notes"]
    assert note["colour"] == colour
    x, y, w, h = note["box"]
    centre = p.image[y + h // 3: y + h // 2, x + w // 4: x + 3 * w // 4].reshape(-1, 3)
    median = np.median(centre, axis=0)
    assert np.abs(median - np.array(sp.STICKY_COLOURS[colour])).max() < 25
    assert p.truth["is_blank"] is False


def test_skew_rotates_the_paper_and_truth_reports_it():
    p = sp.front_page(6, dpi=DPI, skew_deg=3.0)
    assert p.truth["skew_deg"] == 3.0
    (x0, y0), (x1, y1) = p.truth["paper_quad"][0], p.truth["paper_quad"][1]
    import math
    assert math.degrees(math.atan2(-(y1 - y0), x1 - x0)) == pytest.approx(3.0, abs=0.05)


def test_scanner_border_is_dark_around_the_paper():
    p = sp.front_page(6, dpi=DPI, scanner_border=True)
    assert p.image[:5].mean() < 60 and p.image[:, :5].mean() < 60
    qx0, qy0 = p.truth["paper_quad"][0]
    assert qx0 > 10 and qy0 > 10
    assert p.image[int(qy0) + 40, int(qx0) + 40].mean() > 200


@pytest.mark.parametrize("kind", ["folded", "missing"])
def test_corner_problem_leaves_background_in_the_corner(kind):
    p = sp.front_page(9, dpi=DPI, corner=f"{kind}:top-right", scanner_border=True)
    c = p.truth["corner"]
    assert c["kind"] == kind and c["corner"] == "top-right" and c["size_mm"] >= 18
    qx, qy = p.truth["paper_quad"][1]       # paper's top-right corner in image pixels
    assert p.image[int(qy) + 3, int(qx) - 3].mean() < 60


def test_cut_off_side_loses_the_margin():
    p = sp.front_page(9, dpi=DPI, cut_off="left")
    assert p.truth["cut_off"]["side"] == "left"
    qx0 = p.truth["paper_quad"][0][0]
    assert qx0 < -5                          # the paper starts left of the image


def test_dossier_plan_is_varied_and_deterministic():
    plan = sp.dossier_sheets(3, 40, dpi=DPI)
    assert plan == sp.dossier_sheets(3, 40, dpi=DPI)
    backs = {s.back.back_kind for s in plan}
    assert {"blank", "show-through", "punch-holes", "signature", "page-number"} <= backs
    assert any(s.front.sticky_note for s in plan) and any(s.front.skew_deg for s in plan)
    assert any(s.front.corner for s in plan)
    front, back = sp.render_sheet(plan[0])
    assert front.truth["side"] == "front" and back.truth["side"] == "back"


def test_bad_spec_names_the_valid_values():
    with pytest.raises(ValueError, match="blank"):
        sp.PageSpec(side="back", back_kind="nope")
    with pytest.raises(ValueError, match="A4"):
        sp.PageSpec(paper="A3")
