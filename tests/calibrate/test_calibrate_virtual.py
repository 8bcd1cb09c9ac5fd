"""The virtual scanner as a drifting scanner: printed target in the feeder, defects from --option defect=..."""

from __future__ import annotations

import numpy as np
import pytest

from scanstation.calibrate import measure
from scanstation.calibrate.target import ARTWORK_DPI, png_bytes
from scanstation.devices import RawOption, ScanRequest, capture
from scanstation.errors import UnsupportedScanSetting


@pytest.fixture(scope="module")
def target_png(art, tmp_path_factory):
    p = tmp_path_factory.mktemp("target") / "target.png"
    p.write_bytes(png_bytes(art, ARTWORK_DPI))
    return p


def req(*opts: str, **kw) -> ScanRequest:
    base = dict(device="virtual:demo", source="adf-duplex", dpi=300, mode="color", paper="A4",
                options=tuple(RawOption.parse(o) for o in opts))
    base.update(kw)
    return ScanRequest(**base)


def test_duplex_target_with_front_and_back_sensor_defects(workarea, target_png, layout):
    r = capture(req(f"sheet-image={target_png}", "defect=scale-y:-1.5,streak:900/3/-40", "defect-back=skew:0.8"),
                workarea, "cal")
    assert [p.side.value for p in r.pages] == ["front", "back"]          # one sheet unless told otherwise
    assert r.truths[0]["defects"]["scale_y_pct"] == -1.5 and r.truths[1]["defects"]["skew_deg"] == 0.8
    front = measure(workarea.root / r.pages[0].file, layout)
    back = measure(workarea.root / r.pages[1].file, layout)
    assert front.scale_error_y_pct == pytest.approx(-1.5, abs=0.1) and front.verdict == "fail"
    assert [abs(s.x_px - 900) <= 5 for s in front.streaks] == [True]
    assert back.skew_deg == pytest.approx(0.8, abs=0.05) and back.streaks == [] and back.verdict == "pass"


def test_defects_apply_to_dossier_pages_too(workarea):
    r = capture(req("sheets=1", "defect=streak:500/3/-60", source="adf"), workarea, "c")
    from PIL import Image

    px = np.asarray(Image.open(workarea.root / r.pages[0].file).convert("L"), np.int16)
    assert r.truths[0]["defects"]["streaks"] == [{"x_px": 500, "width_px": 3, "levels": -60.0}]
    # the streak darkens its columns all the way down the page
    assert (px[:, 499:502].mean(axis=1) < px[:, 490:495].mean(axis=1) - 20).mean() > 0.9


@pytest.mark.parametrize("opt,match", [
    ("defect=scale-x:abc", "bad or out-of-range"), ("defect=wobble:1", "not a defect"),
    ("defect=scale-x:50", "out-of-range"), ("sheet-image=/nonexistent/target.png", "no image file"),
])
def test_bad_defect_options_are_refused_before_scanning(workarea, opt, match):
    with pytest.raises(UnsupportedScanSetting, match=match):
        capture(req(opt), workarea, "c")
    assert not list(workarea.root.rglob("*.png"))
