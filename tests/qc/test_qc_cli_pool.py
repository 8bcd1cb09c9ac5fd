"""The ``scanstation qc`` contract and the worker pool."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from scanstation import samplepages as sp
from scanstation.qc import QCPool, run_batch

DPI = 200


def _write(path, px):
    Image.fromarray(px).save(path, "JPEG", quality=88, dpi=(DPI, DPI))
    return path


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    d = tmp_path_factory.mktemp("feed")
    files = []
    f, b = sp.render_sheet(sp.SheetSpec(sp.PageSpec(seed=1, side="front", dpi=DPI, sticky_note="yellow"),
                                        sp.PageSpec(seed=1, side="back", dpi=DPI)))
    files.append(_write(d / "01.jpg", f.image))
    files.append(_write(d / "02.jpg", sp.front_page(1, dpi=DPI, skew_deg=0.5).image))
    files.append(_write(d / "03.jpg", b.image))
    f2, b2 = sp.render_sheet(sp.SheetSpec(sp.PageSpec(seed=2, side="front", dpi=DPI),
                                          sp.PageSpec(seed=2, side="back", back_kind="stamp", dpi=DPI)))
    files.append(_write(d / "04.jpg", f2.image))
    files.append(_write(d / "05.jpg", b2.image))
    return [str(p) for p in files]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "scanstation", "qc", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_prints_the_json_contract(feed):
    res = _cli("--duplex", "--sheets", "2", "--paper", "A4", "--profile", "vn-2019-seeds", "--json", *feed)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out) >= {"pages", "pairs", "checks", "summary"}
    p0 = out["pages"][0]
    assert set(p0) >= {"index", "file", "sheet", "side", "blank", "sticky_notes", "whole_page", "skew_deg", "dpi",
                       "mode", "duplicate_of", "findings"}
    assert set(p0["blank"]) == {"verdict", "score"} and set(p0["whole_page"]) == {"ok", "problems"}
    assert set(p0["sticky_notes"][0]) == {"x", "y", "w", "h", "color"} and p0["sticky_notes"][0]["color"] == "yellow"
    assert set(p0["findings"][0]) >= {"code", "severity", "message_vi", "message_en"}
    assert p0["file"] == "01.jpg" and p0["dpi"] == [DPI, DPI] and p0["mode"] == "RGB"
    assert [(p["sheet"], p["side"]) for p in out["pages"]] == [(1, "front"), (1, "front"), (1, "back"), (2, "front"),
                                                              (2, "back")]
    assert out["pairs"] == [{"with_note": 0, "note_removed": 1, "verified": True,
                             "inliers": out["pairs"][0]["inliers"], "reason": "ok",
                             "why_en": out["pairs"][0]["why_en"], "why_vi": out["pairs"][0]["why_vi"]}]
    assert "matching details" in out["pairs"][0]["why_en"]
    assert [p["blank"]["verdict"] for p in out["pages"]] == ["content", "content", "blank", "content", "content"]
    s = out["summary"]
    assert (s["images"], s["sheets"], s["kept"], s["excluded_blank_backs"], s["blocking"]) == (5, 2, 5, 0, 0)
    for c in out["checks"]:
        assert set(c) >= {"code", "severity", "message_vi", "message_en", "pages"}


def test_cli_text_output_and_findings_do_not_change_exit_code(feed):
    res = _cli("--sheets", "7", *feed[:1])
    assert res.returncode == 0
    assert "PAGE_COUNT_MISMATCH" in res.stdout and "STICKY_NOTE_UNPAIRED" in res.stdout


def test_cli_unreadable_image_is_a_clear_error(feed, tmp_path):
    bad = tmp_path / "cut.jpg"
    data = Path(feed[0]).read_bytes()
    bad.write_bytes(data[: len(data) // 3])
    res = _cli("--json", feed[0], str(bad))
    assert res.returncode == 2
    assert "cut.jpg" in res.stderr and "truncated" in res.stderr
    assert json.loads(res.stdout)["error"]["code"] == "IMAGE_UNREADABLE"
    res = _cli(str(tmp_path / "missing.jpg"))
    assert res.returncode == 2 and "missing.jpg" in res.stderr


def test_pool_checks_pages_as_they_arrive_like_the_batch(feed):
    batch = run_batch(feed, duplex=True, declared_sheets=2).to_dict()
    seen = []
    done = threading.Event()
    with QCPool("vn-2019-seeds") as pool:
        session = pool.component(duplex=True)
        plan = [(1, "front", "normal"), (1, "front", "note_removed"), (1, "back", "normal"), (2, "front", "normal"),
                (2, "back", "normal")]
        for path, (sheet, side, variant) in zip(feed, plan):
            session.add(path, sheet=sheet, side=side, variant=variant,
                        on_result=lambda r: (seen.append(r.index), len(seen) == 5 and done.set()))
        rep = session.finish(declared_sheets=2, timeout=120)
        assert done.wait(10)
        assert pool.pages_done == 5 and pool.cpu_seconds > 0
    got = rep.to_dict()
    assert sorted(seen) == [0, 1, 2, 3, 4]
    assert [p["blank"] for p in got["pages"]] == [p["blank"] for p in batch["pages"]]
    assert [p["sticky_notes"] for p in got["pages"]] == [p["sticky_notes"] for p in batch["pages"]]
    assert [(p["with_note"], p["note_removed"], p["verified"]) for p in got["pairs"]] == [(0, 1, True)]
    assert got["summary"] == batch["summary"]


def test_pool_reports_bad_input_as_a_finding(tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with QCPool() as pool:
        r = pool.submit(str(bad), __import__("scanstation.qc", fromlist=["PageContext"]).PageContext()).result(60)
    assert not r.readable and r.findings[0].code == "IMAGE_UNREADABLE"


def test_progress_and_cancel(feed):
    from scanstation.errors import Cancelled
    from scanstation.progress import Progress

    seen = []
    prog = Progress(lambda d, t, m: seen.append((d, t)))
    run_batch(feed[:2], progress=prog)
    assert seen[-1] == (2, 2)
    prog.cancel()
    with pytest.raises(Cancelled):
        run_batch(feed[:2], progress=prog)


def test_a_dead_worker_does_not_lose_pages(feed):
    import os
    import signal

    with QCPool() as pool:
        pool.warm_up()
        for pid in list(pool._ex._processes):      # the worker dies (killed, out of memory ...)
            os.kill(pid, signal.SIGKILL)
        session = pool.component(duplex=True)
        session.add(feed[3], sheet=1, side="front")
        session.add(feed[4], sheet=1, side="back")
        rep = session.finish(timeout=60)
    assert [p.blank["verdict"] for p in rep.pages] == ["content", "content"]
