"""The TWAIN adapter against a fake data source at the worker-process boundary; the real one on Windows."""

from __future__ import annotations

import sys

import pytest

from scanstation.devices import RawOption, ScanRequest, capture, list_devices, open_scanner
from scanstation.errors import DeviceGone, DoubleFeed, DriverCrashed, PaperJam, UnsupportedScanSetting

DEV = "twain:Fake TWAIN Scanner"


@pytest.fixture
def fake_twain(monkeypatch):
    monkeypatch.setenv("SCANSTATION_TWAIN_WORKER", "fake")

    def script(text: str = "") -> None:
        monkeypatch.setenv("SCANSTATION_TWAIN_FAKE", text)

    script()
    return script


def treq(**kw) -> ScanRequest:
    base = dict(device=DEV, source="adf-duplex", dpi=100, mode="color", paper="A4")
    base.update(kw)
    return ScanRequest(**base)


def test_fake_source_is_listed_with_capabilities(fake_twain):
    assert DEV in [d.id for d in list_devices()]
    caps = open_scanner(DEV).capabilities()
    assert caps.duplex and caps.double_feed_detection and caps.feeder_loaded_sensing
    assert caps.device.driver == "twain" and 300 in caps.resolutions and "A4" in caps.paper_sizes


def test_duplex_scan_negotiates_and_streams_pages(fake_twain, workarea):
    fake_twain("sheets=2")
    r = capture(treq(), workarea, "c")
    assert [(p.sheet, p.side.value) for p in r.pages] == [(1, "front"), (1, "back"), (2, "front"), (2, "back")]
    assert r.pages[0].width == round(210 / 25.4 * 100)
    negotiated = next(e.detail for e in r.events if e.kind == "negotiated")
    for expected in ("CAP_DUPLEXENABLED=True", "ICAP_PIXELTYPE=TWPT_RGB", "ICAP_XRESOLUTION=100", "CAP_FEEDERENABLED=True",
                     "CAP_DOUBLEFEEDDETECTION=", "CAP_INDICATORS=False", "ICAP_XFERMECH=TWSX_NATIVE",
                     "ICAP_AUTODISCARDBLANKPAGES=TWBP_DISABLE"):
        assert expected in negotiated
    assert r.events[-1].kind == "feeder-empty"


def test_grey_simplex(fake_twain, workarea):
    r = capture(treq(source="adf", mode="gray", max_sheets=2), workarea, "c")
    assert [p.mode for p in r.pages] == ["L", "L"]


@pytest.mark.parametrize("script,err", [("jam=2", PaperJam), ("doublefeed=2", DoubleFeed), ("offline=2", DeviceGone)])
def test_source_errors_are_typed_and_keep_pages(fake_twain, workarea, script, err):
    fake_twain(f"sheets=4,{script}")
    with pytest.raises(err) as ei:
        capture(treq(), workarea, "c")
    assert len(ei.value.pages) == 2 and "sheet 2" in ei.value.message_en
    assert len(workarea.replay().pages["c"]) == 2


def test_driver_crash_kills_only_the_worker_and_keeps_pages(fake_twain, workarea):
    fake_twain("sheets=4,crash=3")
    with pytest.raises(DriverCrashed) as ei:
        capture(treq(), workarea, "c")
    assert len(ei.value.pages) == 4 and "exit code 70" in ei.value.message_en
    assert len(workarea.replay().pages["c"]) == 4


def test_unknown_raw_option_lists_valid_ones(fake_twain, workarea):
    with pytest.raises(UnsupportedScanSetting, match="ICAP_BRIGHTNESS"):
        capture(treq(options=(RawOption.parse("ICAP_GAMMA=2"),)), workarea, "c")


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="needs Windows with a TWAIN data source")
def test_real_twain_source_scans_one_page(workarea):  # pragma: no cover - Windows only
    devices = [d for d in list_devices() if d.driver == "twain"]
    assert devices, "no TWAIN data source installed"
    caps = open_scanner(devices[0].id).capabilities()
    source = "flatbed" if "flatbed" in caps.sources else caps.sources[0]
    r = capture(ScanRequest(devices[0].id, source=source, dpi=200, mode="color", paper=caps.paper_sizes[0],
                            max_sheets=1), workarea, "c")
    assert r.pages and r.pages[0].dpi == (200, 200)
