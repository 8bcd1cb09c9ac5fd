"""The virtual scanner: a sample dossier fed at the requested settings, scripted events, ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scanstation.devices import RawOption, ScanRequest, capture, open_scanner
from scanstation.devices.base import CapturedImage
from scanstation.devices.factory import Scanner
from scanstation.errors import DeviceGone, DoubleFeed, FeederEmpty, PaperJam, ScanCancelled
from scanstation.progress import Progress

DPI = 75   # small pages: the geometry scales, the logic does not care


def vreq(*opts: str, **kw) -> ScanRequest:
    base = dict(device="virtual:demo", source="adf-duplex", dpi=DPI, mode="color", paper="A4",
                options=tuple(RawOption.parse(o) for o in opts))
    base.update(kw)
    return ScanRequest(**base)


def test_duplex_feed_gives_front_and_back_of_every_sheet_with_truth(workarea):
    seen = []
    r = capture(vreq("sheets=4"), workarea, "c", on_page=seen.append)
    assert [(p.sheet, p.side.value) for p in r.pages] == [(s, side) for s in (1, 2, 3, 4) for side in ("front", "back")]
    assert all(t["sheet"] == p.sheet and t["side"] == p.side.value for p, t in zip(r.pages, r.truths))
    assert [pc.index for pc in seen] == list(range(1, 9))
    assert max(seen[0].preview.shape[:2]) == 256
    with Image.open(workarea.root / r.pages[0].file) as im:
        assert im.size == (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI)) and im.mode == "RGB"
    # ground truth is journaled beside each page
    lines = workarea.journal_path.read_text().splitlines()
    assert sum('"op":"truth"' in ln for ln in lines) == 8


def test_same_seed_same_images(tmp_path):
    from scanstation.workarea import WorkArea

    a = capture(vreq("sheets=2", "seed=5"), WorkArea(tmp_path / "a"), "c")
    b = capture(vreq("sheets=2", "seed=5"), WorkArea(tmp_path / "b"), "c")
    assert [p.sha256 for p in a.pages] == [p.sha256 for p in b.pages]


def test_simplex_grey_letter(workarea):
    r = capture(vreq("sheets=2", source="adf", mode="gray", paper="Letter"), workarea, "c")
    assert [p.side.value for p in r.pages] == ["front", "front"]
    with Image.open(workarea.root / r.pages[0].file) as im:
        assert im.mode == "L" and im.size == (round(215.9 / 25.4 * DPI), round(279.4 / 25.4 * DPI))


def test_flatbed_scans_one_page(workarea):
    r = capture(vreq("sheets=5", source="flatbed"), workarea, "c")
    assert len(r.pages) == 1 and r.events == []


def test_jam_keeps_the_sheets_before_it(workarea):
    with pytest.raises(PaperJam, match="sheet 3") as ei:
        capture(vreq("sheets=5", "jam=3"), workarea, "c")
    assert [(p.sheet, p.side.value) for p in ei.value.pages] == [(1, "front"), (1, "back"), (2, "front"), (2, "back")]
    assert len(workarea.replay().pages["c"]) == 4
    assert '"op":"scan-stopped"' in workarea.journal_path.read_text()


def test_double_feed_detected_stops_the_run(workarea):
    result = capture(vreq("sheets=5", "double-feed=2"), workarea, "c", raise_on_stop=False)
    assert isinstance(result.error, DoubleFeed) and len(result.pages) == 2
    assert result.events[-1].kind == "double_feed" and result.events[-1].sheet == 2


def test_double_feed_undetected_loses_a_sheet_silently_but_the_truth_knows(workarea):
    r = capture(vreq("sheets=4", "double-feed=2", double_feed_detection=False), workarea, "c")
    assert sorted({p.sheet for p in r.pages}) == [1, 2, 4]
    assert any(t.get("double_feed_hidden_sheet") == 3 for t in r.truths)


def test_feeder_empty(workarea):
    with pytest.raises(FeederEmpty):
        capture(vreq("feeder-empty=1"), workarea, "c")
    r = capture(vreq("sheets=9", "feeder-empty=3"), workarea, "c")
    assert len(r.pages) == 4 and r.events[-1].kind == "feeder-empty"


def test_device_gone_mid_scan_keeps_pages(workarea):
    with pytest.raises(DeviceGone) as ei:
        capture(vreq("sheets=4", "gone=2"), workarea, "c")
    assert len(ei.value.pages) == 2
    rec = workarea.replay()
    assert len(rec.pages["c"]) == 2 and not rec.damaged


def test_cancel_between_pages(workarea):
    progress = Progress()

    def stop_after_first(pc):
        progress.cancel()

    with pytest.raises(ScanCancelled) as ei:
        capture(vreq("sheets=4", source="adf"), workarea, "c", on_page=stop_after_first, progress=progress)
    assert len(ei.value.pages) == 1


def test_sample_dossier_shows_the_difficult_cases(workarea):
    r = capture(vreq("sheets=18", "seed=2", dpi=50), workarea, "c")
    kinds = {t["kind"] for t in r.truths}
    assert {"blank", "show-through", "punch-holes", "signature", "page-number"} <= kinds
    assert any(t["sticky_notes"] for t in r.truths)
    assert any(t["skew_deg"] for t in r.truths)
    assert any(t["corner"] for t in r.truths)


class _OrderSpy:
    """A driver that checks, before producing image k+1, that image k is on disk and in the journal."""

    name = "spy"

    def __init__(self, workarea):
        self.workarea = workarea
        self.checked = 0

    def list_devices(self):
        return open_scanner("virtual:demo").driver.list_devices()

    def capabilities(self, device_id):
        return open_scanner("virtual:demo").capabilities()

    def check_options(self, request):
        pass

    def cancel(self):
        pass

    def scan(self, request, on_page, progress):
        for k in range(1, 5):
            if k > 1:
                rec = self.workarea.replay()
                pages = rec.pages.get("c", [])
                assert len(pages) == k - 1 and (self.workarea.root / pages[-1].file).exists()
                self.checked += 1
            on_page(CapturedImage(np.full((40, 30, 3), 200, np.uint8), k, "front", 100))
        return []


def test_each_page_is_written_and_journaled_before_the_next_is_requested(workarea):
    spy = _OrderSpy(workarea)
    r = capture(vreq(source="adf"), workarea, "c", scanner=Scanner("virtual:demo", spy))
    assert len(r.pages) == 4 and spy.checked == 3
