"""The target sheet: a printable PDF of the paper's size and a layout file that round-trips."""

from __future__ import annotations

import io
import json

import cv2
import pikepdf
import pytest

from scanstation.calibrate import TargetFileError, TargetLayout, load_layout, make_layout, make_target


def test_pdf_is_one_page_of_the_papers_exact_size():
    pdf, layout = make_target("A4")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        x0, y0, x1, y1 = (float(v) for v in doc.pages[0].mediabox)
    assert (x1 - x0) / 72 * 25.4 == pytest.approx(210, abs=0.05)
    assert (y1 - y0) / 72 * 25.4 == pytest.approx(297, abs=0.05)
    assert layout.paper == "A4" and len(layout.wedge) >= 12 and len(layout.colours) >= 6 and len(layout.edges) == 2


def test_layout_round_trips_through_json(tmp_path):
    layout = make_layout("Letter")
    (tmp_path / "t.json").write_text(json.dumps(layout.to_dict()))
    again = load_layout(tmp_path / "t.json")
    assert again.to_dict() == layout.to_dict()
    assert again.marker_ids == tuple(range(10, 16))          # a Letter target is told apart from an A4 one


def test_wedge_is_neutral_and_evenly_spaced_in_L():
    L = [p.lab[0] for p in make_layout().wedge]
    steps = [a - b for a, b in zip(L, L[1:])]
    assert all(4.5 < s < 7.0 for s in steps)
    assert all(abs(p.lab[1]) < 0.1 and abs(p.lab[2]) < 0.1 for p in make_layout().wedge)


def test_artwork_markers_are_where_the_layout_says(art, layout):
    grey = cv2.cvtColor(cv2.resize(art, (0, 0), fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    det = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50))
    corners, ids, _ = det.detectMarkers(grey)
    assert sorted(ids.ravel().tolist()) == list(layout.marker_ids)
    k = 150 / 25.4
    for c, i in zip(corners, ids.ravel()):
        cx, cy = layout.marker(int(i)).centre_mm
        assert c.reshape(4, 2).mean(axis=0) == pytest.approx([cx * k - 0.5, cy * k - 0.5], abs=0.3)


@pytest.mark.parametrize("content,match", [
    ({"kind": "something else"}, "not a scan station calibration target"),
    ({"kind": "scanstation-calibration-target", "version": 99}, "version 99"),
    ({"kind": "scanstation-calibration-target", "version": 1, "paper": "A4"}, "incomplete"),
])
def test_bad_target_files(tmp_path, content, match):
    (tmp_path / "t.json").write_text(json.dumps(content))
    with pytest.raises(TargetFileError, match=match):
        load_layout(tmp_path / "t.json")
    with pytest.raises(TargetFileError):
        load_layout(tmp_path / "missing.json")
    assert TargetLayout.from_dict(make_layout().to_dict()).paper == "A4"


def test_unknown_paper():
    with pytest.raises(TargetFileError, match="valid: A4, Letter"):
        make_layout("A3")
