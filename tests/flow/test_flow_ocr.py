"""OCR as part of capture: pages read in the background, cached by hash, turned pages found and fixed."""

from __future__ import annotations

import os
import signal

import pytest

from scanstation.errors import GateBlocked
from scanstation.flow import checking, open_dossier, pages, signing
from scanstation.flow.capture import CaptureAction, scan
from scanstation.flow.checking import Checker
from scanstation.flow.ocr import cache_dir, recognise

pytestmark = pytest.mark.e2e


def _one_paper_2025(s, sheets: int = 1):
    s.dossier.profile_id = "vn-2025"
    for c in s.dossier.components[1:]:
        c.digitisation_class = s.dossier.components[2].digitisation_class     # GCS is the one paper scanned
    gcs = s.component("GCS")
    gcs.declared_sheets = sheets
    s.save()
    scan(s, CaptureAction(component_id=gcs.id, device="virtual:demo", options=("seed=1", f"sheets={sheets}")))
    return gcs


def test_a_page_read_upside_down_blocks_until_turned_and_the_build_reads_nothing_twice(sample_session, monkeypatch):
    s = sample_session
    gcs = _one_paper_2025(s)
    front = gcs.kept_pages()[0]
    turned = pages.rotate(s, gcs, front, 180)           # as if the sheet went in upside down
    checking.check(s)                                   # a one-shot check waits for the background OCR
    [f] = [f for f in checking.blocking(s) if f.code == "PAGE_TURNED"]
    assert f.page_ids == (turned.id,) and f.fix == "rotate" and f.to_dict()["rotate"] == 180
    assert "upside down" in f.message_en and "lộn ngược" in f.message_vi
    with pytest.raises(GateBlocked) as e:
        signing.build(s)
    assert "PAGE_TURNED" in {x["code"] for x in e.value.findings}

    # What OCR found is journaled: reopening the dossier (another process, a restart) still shows it.
    s2 = open_dossier(s.station, s.dossier.receipt_code)
    assert "PAGE_TURNED" in {x.code for x in checking.blocking(s2)}

    upright = pages.rotate(s, gcs, turned, 180)         # the one-key fix
    checking.check(s)
    assert "PAGE_TURNED" not in {x.code for x in checking.findings(s)}
    for x in checking.blocking(s):
        checking.override(s, x.id, "đã đối chiếu bản gốc")
    assert {p.sha256 for p in gcs.kept_pages()} <= {f.stem for f in cache_dir(s).glob("*.json")}
    assert upright.id in {p.id for p in gcs.kept_pages()}

    import scanstation.ocr as ocr_pkg

    def no_second_reading(*a, **k):
        raise AssertionError("a page read during capture was read again at build time")

    monkeypatch.setattr(ocr_pkg, "ocr_page", no_second_reading)
    rep = signing.build(s)
    assert rep["files"] and not rep["ocr_warnings"]


def test_background_reading_during_the_scan_and_a_worker_killed_mid_page_costs_no_text(sample_session):
    s = sample_session
    s.dossier.profile_id = "vn-2025"
    s.save()
    gcs = s.component("GCS")
    with Checker(s.profile) as checker:
        arrived: list[str] = []
        scan(s, CaptureAction(component_id=gcs.id, device="virtual:demo", options=("seed=1", "sheets=1")),
             on_page=lambda p, _t, _preview: (arrived.append(p.id), checker.page_arrived(s, gcs, p)))
        assert arrived
        lane = checker.lane
        assert lane is not None
        checker.check_component(s, gcs)
        kept = gcs.kept_pages()
        # The lane has the kept pages (blank backs are not read) before anybody asked for a build.
        assert all(lane.pending(p.sha256) is not None or (cache_dir(s) / f"{p.sha256}.json").is_file()
                   for p in kept)
        for proc in list((lane._ex._processes or {}).values()):     # the OCR worker dies mid-page
            os.kill(proc.pid, signal.SIGKILL)
        out, warnings = recognise(s, lane=lane)                     # the build reads what the lane lost
        assert [r is not None and bool(r.words) for r in out[gcs.id]] == [True] * len(kept)
        assert not warnings


def test_pages_encoded_during_the_scan_are_not_encoded_again_when_the_clerk_signs(sample_session, monkeypatch):
    s = sample_session
    gcs = s.component("GCS")
    s.dossier.profile_id = "vn-2025"                       # mrc with the fidelity guard, and a text layer
    for c in s.dossier.components[1:]:
        c.digitisation_class = s.dossier.components[2].digitisation_class
    gcs.declared_sheets = 1
    s.save()
    with Checker(s.profile) as checker:
        scan(s, CaptureAction(component_id=gcs.id, device="virtual:demo", options=("seed=1", "sheets=1")),
             on_page=lambda p, _t, _preview: checker.page_arrived(s, gcs, p))
        checker.check_component(s, gcs)
        for f in checking.blocking(s):
            checking.override(s, f.id, "đã đối chiếu bản gốc")
        lane = checker.lane
        assert lane is not None and lane.wait(600)

        import scanstation.ocr as ocr_pkg
        import scanstation.pdf.assemble as assemble

        def again(*a, **k):
            raise AssertionError("the page was done during the scan")

        monkeypatch.setattr(assemble, "encode_page", again)
        monkeypatch.setattr(ocr_pkg, "ocr_page", again)
        rep = signing.build(s, lane=lane)
    # The station closed and opened again (no lane, nothing in memory): the work area kept the text and
    # the encodings, so a rebuild reads and encodes nothing either.
    assert list(cache_dir(s).glob("*.mrc-q*.page")) or list(cache_dir(s).glob("*.jpeg-q*.page"))
    rep = signing.build(open_dossier(s.station, s.dossier.receipt_code))
    [f] = rep["files"]
    assert not rep["ocr_warnings"]
    import json
    from pathlib import Path

    from scanstation.pdf import sidecar_path

    side = json.loads(sidecar_path(Path(f["path"])).read_text("utf-8"))
    assert side["pages"] and all(p.get("ocr_words") for p in side["pages"])       # text layer on every page
    assert {p.get("encoding", "lossless") for p in side["pages"]} <= {"mrc", "jpeg"}  # compact, made in the scan


def test_printed_page_numbers_that_run_backwards_block_and_a_missing_number_warns(sample_session):
    from scanstation.flow.ocr import page_number

    s = sample_session
    gcs = _one_paper_2025(s, sheets=4)                  # fronts printed 2, 3, 4 from the second sheet on
    checking.check(s)
    fronts = [p for p in gcs.pages if p.side.value == "front"]
    assert [s.readings.get(p.id, {}).get("number") for p in fronts] == [None, 2, 3, 4]
    assert not {"PAGE_ORDER", "PAGE_NUMBER_GAP"} & {f.code for f in checking.findings(s)}

    # The applicant's sheets 3 and 4 went in before sheet 2 (a shuffled feed).
    by_sheet = {}
    for p in gcs.pages:
        by_sheet.setdefault(p.sheet, []).append(p.id)
    pages.reorder(s, gcs, by_sheet[1] + by_sheet[3] + by_sheet[4] + by_sheet[2])
    checking.check(s)
    [order] = [f for f in checking.blocking(s) if f.code == "PAGE_ORDER"]
    assert "printed '2' but comes after" in order.message_en and "đánh số 2" in order.message_vi
    with pytest.raises(GateBlocked):
        signing.build(s)

    # Sheet 3 left out altogether: page 3 may be missing — a warning for the clerk to ask, not a block.
    pages.reorder(s, gcs, by_sheet[1] + by_sheet[2] + by_sheet[3] + by_sheet[4])
    for pid in by_sheet[3]:
        pages.exclude(s, gcs, next(p for p in gcs.pages if p.id == pid), "không có trong hồ sơ")
    checking.check(s)
    codes = {f.code: f for f in checking.findings(s)}
    assert "PAGE_ORDER" not in codes and codes["PAGE_NUMBER_GAP"].severity == "warn"
    assert "page 3 may be missing" in codes["PAGE_NUMBER_GAP"].message_en

    class R:                                            # the margins only: a number in the body is not one
        height = 1000
        words = ()

    from scanstation.ocr import OcrWord
    R.words = (OcrWord("Trang", (400, 950, 460, 970), 90, line=3), OcrWord("7/9", (470, 950, 500, 970), 90, line=3))
    assert page_number(R) == 7
    R.words = (OcrWord("7", (400, 500, 420, 520), 90, line=1),)
    assert page_number(R) is None


@pytest.mark.parametrize(("numbers", "slips"), [
    ([11, 12, 15, 14, 16], {2}),        # '13' read as '15' between 12 and 14: a slip, not a shuffle
    ([12, 14, 13, 15], set()),          # two sheets swapped: no room between 12 and 13 for the '14'
    ([12, 15, 14, 13, 16], set()),      # a reversed run: its neighbours are out of step too
    ([1, 2, 3, 4], set()),
    ([2, 9, 4], {1}),
])
def test_one_misread_page_number_is_not_a_shuffled_feed(numbers, slips):
    known = [(k, k + 1, None, n) for k, n in enumerate(numbers)]
    assert checking._misread(known) == slips


def test_a_blank_back_kept_by_the_all_or_none_rule_is_not_read(sample_session, monkeypatch):
    """Sheet 1's back carries a pencil note, so every back stays in the file; sheet 2's back is blank:
    it is encoded like any page but never read (no text to find; ~0.3 s of OCR per back saved)."""
    from pathlib import Path

    import scanstation.ocr as ocr_pkg
    from scanstation.flow.ocr import judged_blank

    s = sample_session
    s.dossier.profile_id = "vn-2025"
    for c in s.dossier.components[1:]:
        c.digitisation_class = s.dossier.components[2].digitisation_class
    gcs = s.component("GCS")
    gcs.declared_sheets = 2
    s.save()
    scan(s, CaptureAction(component_id=gcs.id, device="virtual:demo", options=("seed=2", "sheets=2")))
    checking.check(s)
    blank = [p for p in gcs.kept_pages() if judged_blank(p)]
    assert len(gcs.kept_pages()) == 4 and len(blank) == 1          # all backs kept, one of them blank
    read: list[str] = []
    real = ocr_pkg.ocr_page
    monkeypatch.setattr(ocr_pkg, "ocr_page", lambda path, *a, **k: (read.append(Path(path).name), real(path, *a, **k))[1])
    out, warnings = recognise(s)
    assert not warnings and Path(blank[0].file).name not in read
    by_page = dict(zip([p.id for p in gcs.kept_pages()], out[gcs.id], strict=True))
    assert by_page[blank[0].id] is None
    assert all(by_page[p.id] is not None for p in gcs.kept_pages() if p is not blank[0])


LANE_CLOSE_CHILD = r"""
import sys, time
from scanstation.flow.ocr import PageLane
lane = PageLane(workers=1)
fut = lane._executor().submit(time.sleep, 120)     # a page the low-priority worker is still on
while not fut.running():
    time.sleep(0.05)
print("BUSY", list(lane._ex._processes), flush=True)
lane.close()
print("CLOSED", flush=True)
"""


def test_closing_the_page_lane_does_not_wait_for_the_page_its_worker_is_on():
    """A station whose window closed lived on while its low-priority OCR worker finished a page (on a busy
    PC, minutes): the interpreter's exit joined the pool. The lane's work is a head start only."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    proc = subprocess.Popen([sys.executable, "-c", LANE_CLOSE_CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        busy = proc.stdout.readline()
        assert busy.startswith("BUSY"), proc.stderr.read() if proc.poll() is not None else busy
        worker = int(busy.split("[", 1)[1].split("]", 1)[0])
        t = time.monotonic()
        code = proc.wait(60)                           # the sleeping page would hold it 120 s
        assert code == 0, proc.stderr.read()
        assert time.monotonic() - t < 30
        end = time.monotonic() + 10                    # and the worker is gone with it
        while os.path.exists(f"/proc/{worker}") and time.monotonic() < end:
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{worker}") or " Z " in Path(f"/proc/{worker}/stat").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
