"""Issue 16: no false passes, no false blocks. Each case here failed before the fix it names."""

from __future__ import annotations

import pytest

from scanstation import samplepages as sp
from scanstation.qc.imageio import RawFrame
from scanstation.qc.page import PageChecker, PageContext
from tests.qc import synth

_ABBR = {"top-left": "tl", "top-right": "tr", "bottom-left": "bl", "bottom-right": "br"}


@pytest.fixture(scope="module")
def checker():
    return PageChecker("vn-2019-seeds", "A4")


def _check(ck, px, dpi, side="front"):
    return ck.finish(ck.analyse(RawFrame(px, (dpi, dpi))), PageContext(0, 1, side))


@pytest.mark.parametrize("border", [False, True], ids=["light-backing", "dark-backing"])
@pytest.mark.parametrize("skew", [0.0, 2.0, -3.0])
@pytest.mark.parametrize("kind", ["folded", "missing"])
def test_folded_corner_blocks_and_missing_corner_warns_on_any_backing(checker, kind, skew, border):
    """A fold hides part of the page (C5: block); a torn corner is a warning; both on a light feeder
    backing, where the flap is as light as the backing, and with the sheet skewed."""
    for seed, dpi in ((0, 100), (1, 150), (2, 200)):
        corner = sp.CORNERS[(seed + int(skew)) % 4]
        p = sp.front_page(seed=seed, dpi=dpi, corner=f"{kind}:{corner}", scanner_border=border, skew_deg=skew)
        r = _check(checker, p.image, dpi)
        assert [x for x in r.whole_page["problems"] if x.startswith("corner")] == \
            [f"corner_{kind}_{_ABBR[corner]}"], (seed, dpi, corner)
        codes = {f.code: f.severity.value for f in r.findings if f.code.startswith("CORNER")}
        assert codes == ({"CORNER_FOLDED": "block"} if kind == "folded" else {"CORNER_MISSING": "warn"})


@pytest.mark.parametrize(("seed", "dpi", "skew"), [(8, 150, 2.0), (13, 150, -1.0), (45, 300, -1.0), (50, 150, 0.0)])
def test_a_small_fold_on_a_dark_backing_is_a_fold_not_a_missing_corner(checker, seed, dpi, skew):
    """An ~18 mm flap: the fold line, measured 1.5 mm in from the sheet's edge, lies nearer the
    corner than at the edge; the flap's inside must be found from the legs at the edge, or the
    crease's shadow falls in it and the flap does not look like plain paper (these were missed)."""
    corner = sp.CORNERS[seed % 4]
    p = sp.front_page(seed, dpi=dpi, corner=f"folded:{corner}", scanner_border=True, skew_deg=skew)
    assert p.truth["corner"]["size_mm"] <= 20
    r = _check(checker, p.image, dpi)
    assert [x for x in r.whole_page["problems"] if x.startswith("corner")] == [f"corner_folded_{_ABBR[corner]}"]
    assert {f.code: f.severity.value for f in r.findings if f.code.startswith("CORNER")} == {"CORNER_FOLDED": "block"}


@pytest.mark.parametrize("skew", [1.6, -2.5, 3.0, 4.0])
def test_skew_alone_reports_no_missing_corner(checker, skew):
    """A skewed sheet on a scan cropped to the paper size: its corners leave the image along straight
    edges; that is skew (SKEWED), not four torn corners."""
    for seed, border in ((0, False), (1, True), (2, False)):
        p = sp.front_page(seed=seed, dpi=150, skew_deg=skew, scanner_border=border)
        r = _check(checker, p.image, 150)
        assert not [x for x in r.whole_page["problems"] if x.startswith("corner")], (seed, border)
        assert [f.code for f in r.findings if f.code != "DPI_TOO_LOW"] == ["SKEWED"]
        assert r.skew_deg == pytest.approx(skew, abs=0.3)


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("mark", synth.SMALL_MARKS)
def test_a_single_small_mark_on_a_back_is_content(checker, mark, dpi):
    """One 8-pt page number, initials, a tick or a pencilled digit alone on a back is kept."""
    for seed in range(8):
        r = _check(checker, synth.small_mark_back(seed, dpi, mark, border=seed % 2 == 0), dpi, "back")
        assert r.verdict == "content", (seed, r.blank, r.blank_reasons)
