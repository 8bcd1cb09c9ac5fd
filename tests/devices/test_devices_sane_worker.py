"""The SANE worker process: a driver call that hangs is killed by the watchdog, a worker that dies mid-batch
takes only itself down, and in both cases every page captured before is kept, whole and journaled.

Faults are injected in the real worker (``SCANSTATION_SANE_WORKER_TEST``) in front of SANE's real `test`
backend; the watchdog's limits are shortened for the test.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time

import pytest

from scanstation.devices import RawOption, ScanRequest, _sane, capture, list_devices, open_scanner
from scanstation.devices._sane_worker import CRASH_EXIT_CODE, TEST_ENV
from scanstation.errors import DeviceHung, DriverCrashed, PaperJam, ScanCancelled
from scanstation.workarea import png_is_complete

DEV = "sane:test:0"
LIMIT = 3.0


@pytest.fixture
def short_watchdog(monkeypatch):
    monkeypatch.setattr(_sane, "TIMEOUTS", _sane.Timeouts(call=60.0, start=LIMIT, read=LIMIT, close=LIMIT))


@pytest.fixture
def fault(monkeypatch, short_watchdog):
    def inject(spec: str) -> None:
        monkeypatch.setenv(TEST_ENV, spec)

    return inject


def feeder(*options: str, dpi: int = 30) -> ScanRequest:
    return ScanRequest(DEV, source="adf", dpi=dpi, mode="color", paper="max", double_feed_detection=False,
                       options=tuple(RawOption.parse(o) for o in options))


def assert_kept(workarea, pages, sheets: list[int]) -> None:
    """Exactly these sheets are on disk, whole, journaled; no partial file of the page in flight."""
    assert [p.sheet for p in pages] == sheets
    rec = workarea.replay()
    assert [p.id for p in rec.pages.get("c", [])] == [p.id for p in pages]
    assert not rec.damaged and not rec.rejected and not rec.adopted
    d = workarea.pages_dir / "c"
    files = sorted(d.glob("*")) if d.exists() else []
    assert [f"pages/c/{f.name}" for f in files] == [p.file for p in pages]
    for p in pages:
        f = workarea.root / p.file
        assert png_is_complete(f) and hashlib.sha256(f.read_bytes()).hexdigest() == p.sha256


@pytest.mark.parametrize("call", ["start", "read"])
def test_a_hung_driver_call_is_killed_by_the_watchdog_and_earlier_pages_are_kept(workarea, fault, call):
    """sane_start of sheet 3 (or its sane_read, mid-page) never returns: the worker is killed after the limit."""
    fault(f"hang={call}@3")
    t0 = time.monotonic()
    with pytest.raises(DeviceHung) as ei:
        capture(feeder(), workarea, "c")
    elapsed = time.monotonic() - t0
    e = ei.value
    assert LIMIT <= elapsed < LIMIT + 15
    assert e.code == "DEVICE_HUNG" and isinstance(e, DriverCrashed)
    assert f"sane_{call}" in e.message_en and "không phản hồi" in e.message_vi
    assert e.details["sheet"] == 3 and any(ev.kind == "driver-hung" and ev.sheet == 3 for ev in e.details["events"])
    assert_kept(workarea, e.pages, [1, 2])


def test_a_worker_that_dies_mid_page_keeps_the_earlier_pages(workarea, fault):
    fault("crash=read@3")                  # os._exit while sheet 3 is arriving
    with pytest.raises(DriverCrashed) as ei:
        capture(feeder(), workarea, "c")
    e = ei.value
    assert type(e) is DriverCrashed and f"exit code {CRASH_EXIT_CODE}" in e.message_en
    assert any(ev.kind == "driver-crashed" and ev.sheet == 3 for ev in e.details["events"])
    assert_kept(workarea, e.pages, [1, 2])


def test_a_worker_that_dies_at_sane_start_keeps_the_earlier_pages(workarea, fault):
    fault("crash=start@4")
    result = capture(feeder(), workarea, "c", raise_on_stop=False)
    assert isinstance(result.error, DriverCrashed)
    assert_kept(workarea, result.pages, [1, 2, 3])


def test_a_hang_in_sane_cancel_after_a_jam_keeps_the_jam_and_the_pages(workarea, fault):
    """The reported hang: sane_cancel after a failed read never returns. The run's outcome stands."""
    fault("hang=close")
    t0 = time.monotonic()
    with pytest.raises(PaperJam) as ei:
        capture(feeder("read-return-value@3=SANE_STATUS_JAMMED"), workarea, "c")
    assert time.monotonic() - t0 < LIMIT + 15
    assert any(ev.kind == "driver-hung" for ev in ei.value.details["events"])
    assert_kept(workarea, ei.value.pages, [1, 2])


def test_a_hang_at_the_end_of_a_complete_batch_loses_nothing(workarea, fault):
    fault("hang=close")
    r = capture(feeder(), workarea, "c")
    assert r.error is None and len(r.pages) == 10
    assert r.events[-1].kind == "driver-hung" and any(e.kind == "feeder-empty" for e in r.events)
    assert_kept(workarea, r.pages, list(range(1, 11)))


def test_a_cancel_the_driver_does_not_honour_is_enforced(workarea, fault):
    """The clerk cancels mid-page; sane_cancel hangs in the worker: the worker is killed within the limit."""
    fault("hang=cancel")
    scanner = open_scanner(DEV)
    slow = ("read-limit=yes", "read-limit-size=4096", "read-delay=yes", "read-delay-duration=200000")   # ~13 s a page
    pages_dir = workarea.pages_dir / "c"
    asked: list[float] = []

    def cancel_when_writing():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if pages_dir.exists() and any(f.stat().st_size > 0 for f in pages_dir.glob("*.png")):
                asked.append(time.monotonic())
                scanner.cancel()
                return
            time.sleep(0.01)

    t = threading.Thread(target=cancel_when_writing)
    t.start()
    try:
        with pytest.raises(ScanCancelled) as ei:
            capture(feeder(*slow, dpi=150), workarea, "c", scanner=scanner)
    finally:
        t.join()
    assert asked and time.monotonic() - asked[0] < LIMIT + 10
    assert any(ev.kind == "driver-hung" for ev in ei.value.details["events"])
    assert_kept(workarea, ei.value.pages, [])


def test_after_a_hang_the_next_scan_gets_a_fresh_worker(workarea, fault, monkeypatch):
    fault("hang=start@2")
    with pytest.raises(DeviceHung):
        capture(feeder(), workarea, "c")
    monkeypatch.delenv(TEST_ENV)
    r = capture(feeder(), workarea, "d")
    assert len(r.pages) == 10 and r.error is None


def test_a_warm_worker_serves_clean_sessions_and_is_retired_after_a_stop(workarea, monkeypatch):
    used: list[int] = []
    acquire = _sane._POOL.acquire

    def spy(key, start):
        w = acquire(key, start)
        used.append(w.proc.pid)
        return w

    monkeypatch.setattr(_sane._POOL, "acquire", spy)
    scanner = open_scanner(DEV)
    scanner.capabilities()
    capture(feeder(), workarea, "a", scanner=scanner)
    capture(feeder(), workarea, "b", scanner=scanner)
    with pytest.raises(PaperJam):
        capture(feeder("read-return-value@2=SANE_STATUS_JAMMED"), workarea, "c", scanner=scanner)
    capture(feeder(), workarea, "d", scanner=scanner)
    assert used[1] == used[2] == used[3]      # capabilities and the clean runs share one warm worker
    assert used[4] != used[3]                 # the one that saw a backend stop mid-page is not reused


def test_libsane_never_loads_in_the_station_process(workarea):
    assert DEV in [d.id for d in list_devices()]
    capture(feeder(), workarea, "c")
    assert "_sane" not in sys.modules and "sane" not in sys.modules


def test_a_station_side_error_mid_page_stops_the_worker_cleanly(workarea, monkeypatch):
    """The disk refuses page 2 while it arrives: no partial file, the device is cancelled, the next run works."""
    from scanstation.devices import pngio
    from scanstation.errors import StorageError

    add_rows, calls = pngio.PngEncoder.add_rows, []

    def failing(self, rows):
        calls.append(rows.shape[0])
        if len(calls) == 25:                       # mid-page, a few pages in (~10 blocks a page at 150 dpi)
            raise StorageError("disk full (test)", "đầy đĩa (kiểm thử)")
        return add_rows(self, rows)

    monkeypatch.setattr(pngio.PngEncoder, "add_rows", failing)
    t0 = time.monotonic()
    with pytest.raises(StorageError):
        capture(feeder(dpi=150), workarea, "c")
    assert time.monotonic() - t0 < 30
    rec = workarea.replay()
    assert not rec.rejected and not rec.damaged and len(rec.pages["c"]) >= 2
    assert sorted(f"pages/c/{f.name}" for f in (workarea.pages_dir / "c").glob("*")) == \
        [p.file for p in rec.pages["c"]]
    monkeypatch.setattr(pngio.PngEncoder, "add_rows", add_rows)
    assert len(capture(feeder(), workarea, "d").pages) == 10
