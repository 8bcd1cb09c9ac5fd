"""Measurement of the target against simulated truth: every figure moves with the defect that should move it."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from scanstation import samplepages as sp
from scanstation.calibrate import (
    Reference,
    TargetIncomplete,
    TargetMirrored,
    TargetNotFound,
    TargetRotated,
    Tolerances,
    WrongTarget,
    make_layout,
    measure,
    render_target,
)
from scanstation.errors import SettingsError, UnreadableImageError

ISSUE_KEYS = {"file", "markers_found", "dpi_x", "dpi_y", "scale_error_x_pct", "scale_error_y_pct", "skew_deg", "tone",
              "white_balance_delta_ab", "noise_L_rms", "mtf50_cycles_per_px", "uniformity_pct", "streaks", "checks",
              "verdict"}


def verdicts(m) -> dict[str, str]:
    return {c.name: c.verdict for c in m.checks}


def test_clean_scan_passes_with_true_figures(scan, layout):
    m = measure(scan(), layout, dpi=300)
    assert m.markers_found == 6 and m.verdict == "pass"
    assert abs(m.scale_error_x_pct) < 0.03 and abs(m.scale_error_y_pct) < 0.03 and abs(m.skew_deg) < 0.01
    assert m.streaks == [] and m.noise_L_rms < 0.3 and m.uniformity_pct < 0.5
    assert m.mtf50_cycles_per_px > 0.45 and m.sampling_efficiency_pct == 100.0
    d = m.to_dict()
    assert set(d) >= ISSUE_KEYS and set(d["tone"]) >= {"steps", "delta_L_max"}
    assert len(d["tone"]["steps"]) == 16 and all(set(c) >= {"name", "value", "limit", "verdict"} for c in d["checks"])
    L = [s["L"] for s in d["tone"]["steps"]]
    assert all(a > b for a, b in zip(L, L[1:]))            # the wedge reads as 16 distinct, falling steps


@pytest.mark.parametrize("sx,sy,skew", [(1.5, 0, 0), (0, -1.5, 0), (-2, 2, 0), (0.3, -0.7, 1.2), (0, 0, -2),
                                        (2, -2, 2)])
def test_scale_and_skew_match_the_truth(scan, layout, sx, sy, skew):
    m = measure(scan(f"scale-x:{sx},scale-y:{sy},skew:{skew}"), layout, dpi=300)
    assert m.scale_error_x_pct == pytest.approx(sx, abs=0.1)
    assert m.scale_error_y_pct == pytest.approx(sy, abs=0.1)
    assert m.skew_deg == pytest.approx(skew, abs=0.05)
    assert m.dpi_x == pytest.approx(300 * (1 + sx / 100), abs=0.3)
    assert verdicts(m)["scale_x_pct"] == ("fail" if abs(sx) > 1 else "pass")
    assert verdicts(m)["scale_y_pct"] == ("fail" if abs(sy) > 1 else "pass")
    assert verdicts(m)["skew_deg"] == ("fail" if abs(skew) > 1 else "pass")


def test_tone_against_the_scanners_baseline(scan, layout):
    base = measure(scan(), layout, dpi=300)
    ref = Reference.from_dict(base.to_dict(), layout)
    assert ref.source == "baseline"
    same = measure(scan(), layout, dpi=300, reference=ref)
    assert same.delta_L_max < 0.2 and verdicts(same)["tone_delta_L"] == "pass"
    dark = measure(scan("gamma:1.5"), layout, dpi=300, reference=ref)
    # gamma > 1 darkens the mid-tones: every middle step reads lower than the baseline, by well over 4 L*
    mid = [s["delta_L"] for s in dark.tone_steps[4:12]]
    assert all(d < -2 for d in mid) and dark.delta_L_max > 4
    assert verdicts(dark)["tone_delta_L"] == "fail" and dark.verdict == "fail"
    # without a reference tone is reported, not judged
    assert verdicts(measure(scan("gamma:1.5"), layout, dpi=300))["tone_delta_L"] == "skip"


def test_nominal_reference_compares_colours_too(scan, layout):
    m = measure(scan(), layout, dpi=300, reference=Reference.nominal(layout))
    # the virtual scanner puts paper white at 245, so the light steps read a little darker than the design
    assert m.colour_delta_e_mean is not None and m.colour_delta_e_mean < 5
    assert verdicts(m)["colour_delta_e_mean"] == "pass"


def test_colour_cast_is_white_balance(scan, layout):
    assert measure(scan(), layout, dpi=300).white_balance_delta_ab < 0.5
    yellow = measure(scan("cast:0/0/-20"), layout, dpi=300)          # a yellowed lamp: less blue
    assert yellow.white_balance_delta_ab > 5 and verdicts(yellow)["white_balance_delta_ab"] == "fail"
    assert np.mean([s["b"] for s in yellow.tone_steps[2:10]]) > 3     # b* > 0: yellow, not blue


def test_noise_is_measured_in_L_and_grows_with_the_sensor_noise(scan, layout):
    figs = [measure(scan(f"noise:{n}"), layout, dpi=300).noise_L_rms for n in (0, 2, 4, 8)]
    assert figs == sorted(figs) and figs[0] < 0.1
    # dL*/dv of paper white near level 245 is ~0.25 L* per level
    assert figs[2] == pytest.approx(4 * 0.26, rel=0.2)
    assert verdicts(measure(scan("noise:10"), layout, dpi=300))["noise_L_rms"] == "fail"


@pytest.mark.parametrize("sigma", [1.5, 2.5])
def test_mtf50_follows_a_gaussian_blur(scan, layout, sigma):
    m = measure(scan(f"blur:{sigma}"), layout, dpi=300)
    # Gaussian MTF exp(-2 pi^2 s^2 f^2) is 0.5 at f = sqrt(ln2 / (2 pi^2)) / s; the pixel aperture lowers it a bit
    expected = math.sqrt(math.log(2) / (2 * math.pi ** 2)) / sigma
    assert m.mtf50_cycles_per_px == pytest.approx(expected, rel=0.12)
    assert all(e["mtf50_cycles_per_px"] for e in m.edges)
    assert verdicts(m)["sampling_efficiency_pct"] == "fail"


def test_uniformity_sees_lamp_falloff(scan, layout):
    m = measure(scan("falloff:10"), layout, dpi=300)
    assert 6 < m.uniformity_pct < 10 and verdicts(m)["uniformity_pct"] == "fail"
    assert verdicts(measure(scan("falloff:3"), layout, dpi=300))["uniformity_pct"] == "pass"


@pytest.mark.parametrize("spec,truth", [
    ("streak:1200/3/-30", [1200]),
    ("streak:300/1/-12,streak:2000/4/25", [300, 2000]),
    ("noise:3,skew:1.5,streak:800/2/-10", [800]),
    ("gamma:1.3,cast:5/0/-5,streak:1700/2/-8", [1700]),
])
def test_streaks_are_found_where_they_are(scan, layout, spec, truth):
    m = measure(scan(spec), layout, dpi=300)
    found = sorted(s.x_px for s in m.streaks)
    assert len(found) == len(truth) and all(abs(f - t) <= 5 for f, t in zip(found, sorted(truth)))
    assert verdicts(m)["streak_delta_L"] == "fail"


@pytest.mark.parametrize("spec", ["", "noise:6", "noise:3,blur:1.5", "falloff:8,noise:2", "skew:2,noise:4"])
def test_no_streak_on_a_clean_feed(scan, layout, spec):
    assert measure(scan(spec, seed=7), layout, dpi=300).streaks == []


def test_grey_scan_measures_geometry_and_skips_colour(scan, layout):
    m = measure(scan("scale-y:-1.2", mode="gray"), layout, dpi=300)
    assert m.scale_error_y_pct == pytest.approx(-1.2, abs=0.1)
    assert m.white_balance_delta_ab is None and verdicts(m)["white_balance_delta_ab"] == "skip"


def test_150_dpi_still_measures_with_a_warning(scan, layout):
    m = measure(scan("scale-x:1.2", dpi=150), layout, dpi=150)
    assert m.scale_error_x_pct == pytest.approx(1.2, abs=0.15)
    assert "LOW_DPI" in [w["code"] for w in m.warnings]


def test_dpi_from_the_file_and_from_a_guess(scan, layout, tmp_path):
    from PIL import Image

    img = scan("scale-x:-1")
    Image.fromarray(img).save(tmp_path / "s.png", dpi=(300, 300))
    m = measure(tmp_path / "s.png", layout)
    assert m.nominal_dpi == 300 and m.file == str(tmp_path / "s.png")
    assert m.scale_error_x_pct == pytest.approx(-1, abs=0.1)
    guessed = measure(img, layout)
    assert guessed.nominal_dpi == 300 and "NO_DPI" in [w["code"] for w in guessed.warnings]


def test_a_document_page_is_not_the_target(layout):
    page = sp.front_page(3, dpi=300).image
    with pytest.raises(TargetNotFound) as ei:
        measure(page, layout, dpi=300)
    assert "no marker" in ei.value.message_en and "không tìm thấy" in ei.value.message_vi
    with pytest.raises(TargetNotFound):
        measure(sp.back_page(3, "blank", dpi=300).image, layout, dpi=300)


def test_upside_down_and_sideways_are_named(scan, layout):
    with pytest.raises(TargetRotated, match="upside down") as ei:
        measure(np.ascontiguousarray(scan()[::-1, ::-1]), layout, dpi=300)
    assert ei.value.details["rotation_deg"] == 180 and "ĐẦU TRANG" in ei.value.message_vi
    with pytest.raises(TargetRotated, match="sideways"):
        measure(np.ascontiguousarray(np.rot90(scan())), layout, dpi=300)


def test_mirrored_scan_says_turn_the_sheet_over(scan, layout):
    with pytest.raises(TargetMirrored, match="face down"):
        measure(np.ascontiguousarray(scan()[:, ::-1]), layout, dpi=300)


def test_cut_off_target(scan, layout):
    img = scan().copy()
    img[img.shape[0] // 2:] = 40                       # bottom half missing: 4 markers left, both axes spanned
    m = measure(img, layout, dpi=300)
    assert m.markers_found == 4 and "MARKERS_MISSING" in [w["code"] for w in m.warnings]
    assert abs(m.scale_error_y_pct) < 0.1
    img[img.shape[0] // 4:] = 40                       # only the top row: no Y axis to measure
    with pytest.raises(TargetIncomplete) as ei:
        measure(img, layout, dpi=300)
    assert "bottom-left" in ei.value.message_en and ei.value.details["found"] == ["top-left", "top-right"]


def test_letter_target_against_the_a4_layout(layout):
    import scanstation.samplepages as s

    letter = make_layout("Letter")
    img = s.scan_printed_sheet(render_target(letter, 300), 300, dpi=300, paper="Letter")
    with pytest.raises(WrongTarget, match="Letter"):
        measure(img, layout, dpi=300)
    assert measure(img, letter, dpi=300).verdict == "pass"


def test_unreadable_file(tmp_path, layout):
    (tmp_path / "x.png").write_bytes(b"not a png")
    with pytest.raises(UnreadableImageError):
        measure(tmp_path / "x.png", layout)
    with pytest.raises(UnreadableImageError):
        measure(tmp_path / "missing.png", layout)


def test_tolerances_from_settings(scan, layout):
    m = measure(scan("scale-y:-1.5"), layout, Tolerances.from_overrides({"scale_y_pct": 2}), dpi=300)
    assert verdicts(m)["scale_y_pct"] == "pass"
    with pytest.raises(SettingsError, match="valid: scale_x_pct"):
        Tolerances.from_overrides({"scael": 1})
    with pytest.raises(SettingsError):
        Tolerances.from_overrides({"skew_deg": -1})
    assert all(lim.source for lim in Tolerances().limits.values())


def test_reference_file_errors(layout):
    from scanstation.calibrate import TargetFileError

    with pytest.raises(TargetFileError):
        Reference.from_dict({"wedge": [[50, 0, 0]]}, layout)
    with pytest.raises(TargetFileError):
        Reference.from_dict({"nothing": 1}, layout)


def test_600_dpi_scan_is_measured_from_a_reduced_copy(scan, layout):
    # markers are found on a ~150-dpi copy and mapped back; the time it takes is bench/calibrate.py's business
    m = measure(cv2.resize(scan(), (0, 0), fx=2, fy=2, interpolation=cv2.INTER_CUBIC), layout, dpi=600)
    assert m.markers_found == 6 and abs(m.scale_error_x_pct) < 0.05


def test_top_cut_off_keeps_geometry_and_reports_no_invented_tone(scan, layout):
    import json

    img = np.ascontiguousarray(scan()[int(scan().shape[0] * 0.16):])   # the scanner started late: top 47 mm lost
    m = measure(img, layout, dpi=300, reference=Reference.nominal(layout))
    assert m.markers_found == 4 and abs(m.scale_error_x_pct) < 0.1 and abs(m.scale_error_y_pct) < 0.1
    codes = [w["code"] for w in m.warnings]
    assert "PATCHES_MISSING" in codes and "MARKERS_MISSING" in codes
    assert all(s["L"] is None for s in m.tone_steps) and m.delta_L_max is None
    json.dumps(m.to_dict(), allow_nan=False)            # no NaN reaches the JSON
