"""Reliability: SIGKILL the sync process at random moments while it uploads through a faulty simulator."""

from __future__ import annotations

import hashlib
import json
import random
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from scanstation.sync import Outbox, audit_hook, queue_files
from tests.sync.conftest import ROOT, cli_env, spawn_sim

FAULTS = "5xx=0.05,429=0.03:0.5,timeout=0.02:3,reset=0.06,slow=0.03:0.3,expired-token=0.03,wrong-hash=0.05"


@pytest.mark.kill
def test_sigkill_30_times_every_file_arrives_exactly_once(station, fast_settings, make_signed, tmp_path):
    files = [make_signed(f"c{i:02d}.pdf", padding=60_000 + 8_000 * i) for i in range(12)]
    jobs = queue_files(station.store, files, dossier_code="000.00.00.H00-250101-0001",
                       verifier=lambda p: None, station="S1", audit=audit_hook(station.audit, "t"))
    want = {j["sha256"] for j in jobs}
    total = sum(j["size"] for j in jobs)
    sim, url = spawn_sim(tmp_path / "sim", "--faults", FAULTS, "--seed", "7", "--secret", "k",
                         "--rate", "100000")
    env = cli_env(SCANSTATION_PROVINCIAL_SECRET="k")
    rng = random.Random(20240607)
    outbox = Outbox(station.store)
    kills = kills_with_work_left = 0
    try:
        t0 = time.monotonic()
        while kills < 30:
            p = subprocess.Popen([sys.executable, "-m", "scanstation", "sync", "run", "--endpoint", url],
                                 cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.4, 1.3))
            p.send_signal(signal.SIGKILL)
            p.wait(10)
            assert p.returncode == -signal.SIGKILL, p.stderr.read().decode()[-2000:]
            kills += 1
            kills_with_work_left += outbox.has_active()
        assert kills_with_work_left >= 20, "the queue emptied too early: kills did not hit uploads"
        killing = time.monotonic() - t0
        done = subprocess.run([sys.executable, "-m", "scanstation", "sync", "run", "--until-empty",
                               "--max-seconds", "40", "--endpoint", url, "--json"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, done.stdout + done.stderr
        with urllib.request.urlopen(url + "/_sim/received", timeout=10) as r:
            got = json.load(r)
    finally:
        sim.terminate()
        sim.wait(10)

    counts = outbox.counts()
    assert counts["confirmed"] == 12 and sum(counts.values()) == 12, counts
    stored = got["files"]
    keys = [f["idempotency_key"] for f in stored]
    assert len(keys) == len(set(keys)) == 12, "a file was stored twice or is missing"
    assert {f["sha256"] for f in stored} == want
    assert sorted(j.idempotency_key for j in outbox.jobs()) == sorted(keys)
    for f in stored:  # what is on the simulator's disk is byte for byte the signed file
        assert hashlib.sha256(Path(f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert not got["pending"]
    assert sum(got["faults"].values()) > 10, got["faults"]
    assert station.audit.verify().ok
    print(f"\n30 kills ({kills_with_work_left} with work left) in {killing:.1f}s, {total} bytes, faults {got['faults']}")
