"""Against SANE's real `test` backend: listing, flatbed and feeder, colour and grey, dpi, every error status."""

from __future__ import annotations

import pytest
from PIL import Image

from scanstation.devices import RawOption, ScanRequest, capture, list_devices, open_scanner
from scanstation.errors import (
    CoverOpen,
    DeviceBusy,
    DeviceError,
    DeviceGone,
    DeviceNotFound,
    FeederEmpty,
    PaperJam,
    ScanCancelled,
    UnsupportedScanSetting,
)

DEV = "sane:test:0"


def req(**kw) -> ScanRequest:
    base = dict(device=DEV, source="flatbed", dpi=50, mode="color", paper="max")
    base.update(kw)
    return ScanRequest(**base)


def test_test_backend_is_listed_with_its_capabilities():
    ids = [d.id for d in list_devices()]
    assert DEV in ids and "virtual:demo" in ids
    caps = open_scanner(DEV).capabilities()
    assert caps.sources == ("flatbed", "adf") and not caps.duplex
    assert caps.modes == ("color", "gray")
    assert caps.resolution_range == (1, 1200)
    assert caps.max_area_mm == (200.0, 200.0) and caps.paper_sizes == ("max",)   # A4 does not fit 200 mm
    assert "read-return-value" in caps.raw_options


@pytest.mark.parametrize("dpi", [50, 150, 300])
def test_flatbed_colour_page_has_the_requested_geometry(workarea, dpi):
    r = capture(req(dpi=dpi), workarea, "c")
    (page,) = r.pages
    side = round(200 / 25.4 * dpi)
    assert abs(page.width - side) <= 1 and abs(page.height - side) <= 1
    with Image.open(workarea.root / page.file) as im:
        assert im.mode == "RGB" and im.size == (page.width, page.height)
        assert round(im.info["dpi"][0]) == dpi
    assert r.events == []


def test_grey_pages_are_single_channel(workarea):
    r = capture(req(mode="gray", dpi=75), workarea, "c")
    with Image.open(workarea.root / r.pages[0].file) as im:
        assert im.mode == "L"
    assert r.pages[0].mode == "L"


def test_feeder_gives_ten_pages_then_reports_empty(workarea):
    r = capture(req(source="adf", dpi=30), workarea, "c")
    assert [p.sheet for p in r.pages] == list(range(1, 11))
    assert {p.side.value for p in r.pages} == {"front"}
    assert r.events[-1].kind == "feeder-empty" and r.events[-1].sheet == 11
    assert any(e.kind == "double-feed-detection-unavailable" for e in r.events)
    replayed = workarea.replay()
    assert len(replayed.pages["c"]) == 10 and not replayed.damaged


def test_max_sheets_stops_the_feeder(workarea):
    r = capture(req(source="adf", dpi=30, max_sheets=3), workarea, "c")
    assert len(r.pages) == 3


@pytest.mark.parametrize("status,err_cls", [
    ("SANE_STATUS_JAMMED", PaperJam),
    ("SANE_STATUS_COVER_OPEN", CoverOpen),
    ("SANE_STATUS_DEVICE_BUSY", DeviceBusy),
    ("SANE_STATUS_IO_ERROR", DeviceGone),
    ("SANE_STATUS_CANCELLED", ScanCancelled),
    ("SANE_STATUS_NO_MEM", DeviceError),
    ("SANE_STATUS_ACCESS_DENIED", DeviceError),
    ("SANE_STATUS_INVAL", DeviceError),
    ("SANE_STATUS_UNSUPPORTED", DeviceError),
    ("SANE_STATUS_EOF", DeviceError),
])
def test_every_read_status_is_typed_and_keeps_earlier_pages(workarea, status, err_cls):
    """The status starts at sheet 3 (NAME@3=VALUE): sheets 1-2 are scanned, then the scanner fails."""
    request = req(source="adf", dpi=30, options=(RawOption.parse(f"read-return-value@3={status}"),))
    with pytest.raises(DeviceError) as ei:
        capture(request, workarea, "c")
    e = ei.value
    assert type(e) is err_cls
    assert status in e.message_en and "sheet 3" in e.message_en
    assert "tờ 3" in e.message_vi
    assert [p.sheet for p in e.pages] == [1, 2]
    if err_cls is DeviceError:
        assert e.code == "DEVICE_" + status.removeprefix("SANE_STATUS_")
    # kept on disk and in the journal
    rec = workarea.replay()
    assert [p.id for p in rec.pages["c"]] == [p.id for p in e.pages] and not rec.damaged


def test_feeder_out_of_documents_after_pages_is_the_normal_end(workarea):
    request = req(source="adf", dpi=30, options=(RawOption.parse("read-return-value@3=SANE_STATUS_NO_DOCS"),))
    r = capture(request, workarea, "c")
    assert len(r.pages) == 2 and r.events[-1].kind == "feeder-empty" and r.events[-1].sheet == 3


def test_feeder_empty_at_the_start_is_an_error(workarea):
    request = req(source="adf", dpi=30, options=(RawOption.parse("read-return-value=SANE_STATUS_NO_DOCS"),))
    with pytest.raises(FeederEmpty, match="feeder is empty") as ei:
        capture(request, workarea, "c")
    assert ei.value.pages == []


def test_error_on_the_first_page_keeps_nothing_and_says_so(workarea):
    request = req(options=(RawOption.parse("read-return-value=SANE_STATUS_JAMMED"),))
    result = capture(request, workarea, "c", raise_on_stop=False)
    assert isinstance(result.error, PaperJam) and result.pages == []
    assert result.events[-1].kind == "jammed"


def test_raw_option_passes_through(workarea):
    white = capture(req(options=(RawOption.parse("test-picture=Solid white"),)), workarea, "w")
    black = capture(req(options=(RawOption.parse("test-picture=Solid black"),)), workarea, "b")
    with Image.open(workarea.root / white.pages[0].file) as w, Image.open(workarea.root / black.pages[0].file) as b:
        assert w.getextrema()[0][0] > 200 and b.getextrema()[0][1] < 50


@pytest.mark.parametrize("kw,field,listed", [
    (dict(dpi=5000), "dpi", "1-1200"),
    (dict(source="adf-duplex"), "source", "flatbed, adf"),
    (dict(paper="A4"), "paper", "max"),
    (dict(options=(RawOption.parse("no-such-option=1"),)), "option", "read-return-value"),
    (dict(options=(RawOption.parse("read-return-value=SANE_STATUS_BOGUS"),)), "option", "SANE_STATUS_JAMMED"),
    (dict(options=(RawOption.parse("resolution=300"),)), "option", "--dpi"),
])
def test_bad_input_is_refused_before_scanning(workarea, kw, field, listed):
    with pytest.raises(UnsupportedScanSetting) as ei:
        capture(req(**kw), workarea, "c")
    assert ei.value.field == field and listed in ei.value.message_en
    assert not (workarea.root / "pages").exists()
    assert not workarea.journal_path.exists()


def test_unknown_devices_list_the_valid_ones():
    with pytest.raises(DeviceNotFound, match=DEV):
        open_scanner("sane:no-such-scanner").capabilities()
    with pytest.raises(DeviceNotFound, match=DEV):
        open_scanner("bogus")


def test_bad_mode_names_valid_modes():
    with pytest.raises(UnsupportedScanSetting, match="color, gray"):
        req(mode="lineart")
