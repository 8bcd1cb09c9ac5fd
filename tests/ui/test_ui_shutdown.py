"""The station's processes end with the window: SIGTERM closes it cleanly, SIGKILL leaves no orphan.

A real window process (``scanstation.ui.app.run``, offscreen) is started with its workers running:
the QC pool (warmed up at start), a SANE driver worker (SANE's real ``test`` backend) and a TWAIN
worker (its fake data source: no TWAIN on Linux). Every descendant process is noted, the window is
sent SIGTERM or SIGKILL, and none of them may be left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = r"""
import sys, threading
from PySide6.QtCore import QTimer
from scanstation.ui import app as appmod

def start_workers():
    def go():
        from scanstation.devices._sane import SaneDriver
        from scanstation.devices._twain import TwainDriver
        SaneDriver().list_devices()          # a SANE worker, kept warm in the driver pool
        tw = TwainDriver("fake")
        tw.list_devices()                    # a TWAIN worker, kept by the driver
        started.append(tw)
        print("READY", flush=True)
    threading.Thread(target=go, daemon=True).start()

started = []
appmod.ensure_app()
QTimer.singleShot(0, start_workers)
sys.exit(appmod.run(demo=True))
"""


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(ppid, state, start time) of a process, None when it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[19])


def _descendants(root: int) -> dict[int, int]:
    """pid -> start time of every live descendant of ``root``."""
    table = {}
    for d in os.listdir("/proc"):
        if d.isdigit() and (st := _stat(int(d))) is not None and st[1] != "Z":
            table[int(d)] = st
    out, todo = {}, [root]
    while todo:
        p = todo.pop()
        for pid, (ppid, _state, start) in table.items():
            if ppid == p and pid not in out:
                out[pid] = start
                todo.append(pid)
    return out


def _alive(procs: dict[int, int]) -> list[int]:
    left = []
    for pid, start in procs.items():
        st = _stat(pid)
        if st is not None and st[1] != "Z" and st[2] == start:      # same process, not a reused pid
            left.append(pid)
    return left


@pytest.fixture
def sane_env(tmp_path):
    d = tmp_path / "sane-config"
    d.mkdir()
    (d / "dll.conf").write_text("test\n")
    (d / "test.conf").write_text("number_of_devices 1\n")
    return d


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (the Windows path is a job object)")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_no_station_process_outlives_the_window(tmp_path, sane_env, sig):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SCANSTATION_HOME": str(tmp_path / "home"),
           "SANE_CONFIG_DIR": str(sane_env)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        line = ""
        deadline = time.monotonic() + 120
        while "READY" not in line and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
        assert "READY" in line, proc.stderr.read() if proc.poll() is not None else "no READY line"
        # the QC pool warms up on a task thread: wait until its worker (an OpenCV import) is there too
        kids: dict[int, int] = {}
        while time.monotonic() < deadline:
            kids = _descendants(proc.pid)
            cmds = [Path(f"/proc/{p}/cmdline").read_bytes() for p in kids if Path(f"/proc/{p}").exists()]
            if sum(b"multiprocessing" in c for c in cmds) >= 3:      # QC + SANE + TWAIN (spawned workers)
                break
            time.sleep(0.2)
        cmds = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ") for p in kids}
        assert sum(b"spawn_main" in c for c in cmds.values()) >= 3, cmds
        os.kill(proc.pid, sig)
        code = proc.wait(30)
        if sig == signal.SIGTERM:
            err = proc.stderr.read()
            assert code == 0, err[-3000:]                  # closed cleanly, not killed by the signal
            assert "closing the window" in err
        else:
            assert code == -signal.SIGKILL
        end = time.monotonic() + 10
        while _alive(kids) and time.monotonic() < end:
            time.sleep(0.1)
        assert not _alive(kids), {p: cmds.get(p) for p in _alive(kids)}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for p in _alive(locals().get("kids", {}) or {}):
            os.kill(p, signal.SIGKILL)
