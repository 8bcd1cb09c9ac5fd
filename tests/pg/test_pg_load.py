"""Four counters on one PostgreSQL server, 25 dossiers each from intake to upload through the provincial
simulator with faults: nothing lost, nothing sent twice, every file uploaded by the counter that holds
it, every station's audit chain intact (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
COUNTERS = 4
DOSSIERS = 25
FAULTS = "5xx=0.08,429=0.04:0.2,timeout=0.02:3,reset=0.05,expired-token=0.04,wrong-hash=0.02"

pytestmark = pytest.mark.pg


def _setup_home(home: Path, url: str, station_id: str) -> None:
    from scanstation.config import Settings

    home.mkdir(parents=True)
    old = os.environ["SCANSTATION_HOME"]
    os.environ["SCANSTATION_HOME"] = str(home)
    try:
        s = Settings()
        for k, v in (("db.url", url), ("station.id", station_id), ("clerk.name", f"Clerk {station_id}"),
                     ("sync.chunk_kb", 16), ("sync.timeout_s", 2), ("sync.backoff_max_s", 1),
                     ("sync.concurrency", 2)):
            s.set(k, v, layer="station")
    finally:
        os.environ["SCANSTATION_HOME"] = old


def test_four_counters_on_one_server_lose_nothing_and_send_nothing_twice(pg_db, tmp_path):
    from scanstation.flow import Station
    from scanstation.store.db import open_store
    from scanstation.store.tables import DossierRow, OutboxRow
    from scanstation.sync.simulator import ProvincialSimulator

    homes = {f"QUAY-{i + 1}": tmp_path / f"counter{i + 1}" for i in range(COUNTERS)}
    for sid, home in homes.items():
        _setup_home(home, pg_db, sid)
    with ProvincialSimulator(tmp_path / "province", "127.0.0.1", 0, faults=FAULTS, seed=14,
                             secret="load-secret") as sim:
        procs = {}
        for sid, home in homes.items():
            env = dict(os.environ, PYTHONPATH=str(ROOT), SCANSTATION_HOME=str(home),
                       SCANSTATION_PROVINCIAL_SECRET="load-secret")
            env.pop("SOFTHSM2_CONF", None)           # each counter activates its own token
            procs[sid] = subprocess.Popen(
                [sys.executable, "-m", "tests.pg.counter", sid, str(DOSSIERS), sim.url, str(home / "result.json")],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        logs = {sid: p.communicate(timeout=280)[0] for sid, p in procs.items()}
        assert {sid: p.returncode for sid, p in procs.items()} == dict.fromkeys(homes, 0), logs
        received = sim.received()
    results = {sid: json.loads((home / "result.json").read_text()) for sid, home in homes.items()}

    # 0 lost: every signed file of every counter is stored at the province, byte for byte.
    sent = {code: f for r in results.values() for code, f in r["files"].items()}
    assert len(sent) == COUNTERS * DOSSIERS
    stored = received["files"]
    by_code = Counter(f["dossier_code"] for f in stored)
    assert set(by_code) == set(sent), set(sent) ^ set(by_code)
    # 0 duplicated: one stored file per dossier, under one key.
    assert max(by_code.values()) == 1 and len({f["idempotency_key"] for f in stored}) == len(stored)
    for f in stored:
        assert (f["sha256"], f["size"]) == (sent[f["dossier_code"]]["sha256"], sent[f["dossier_code"]]["size"])
        assert Path(f["path"]).read_bytes() == Path(sent[f["dossier_code"]]["path"]).read_bytes()
    assert not received["pending"] or all(p["idempotency_key"] in {f["idempotency_key"] for f in stored}
                                          for p in received["pending"])

    store = open_store(pg_db)
    try:
        with store.session() as s:
            jobs = list(s.scalars(select(OutboxRow)))
            dossiers = {d.receipt_code: d for d in s.scalars(select(DossierRow))}
        assert len(jobs) == COUNTERS * DOSSIERS
        for j in jobs:
            assert j.state == "confirmed", (j.dossier_code, j.state, j.reason, j.last_error)
            # each job belongs to, and was uploaded by, the counter whose disk holds the file
            assert j.station == j.dossier_code.rsplit("-", 1)[0]
            assert Path(j.path).is_relative_to(homes[j.station])
            assert dossiers[j.dossier_code].status == "uploaded"
            assert dossiers[j.dossier_code].station == j.station
        assert all(r["counts"]["confirmed"] == DOSSIERS for r in results.values()), results
    finally:
        store.dispose()

    # Every station's audit chain verifies, and each upload was confirmed once, by its own station's clerk.
    # (Events are collected over all stations by hash: one shared chain today, one chain per station later.)
    events = {}
    for sid, home in homes.items():
        os.environ["SCANSTATION_HOME"] = str(home)
        st = Station()
        try:
            rep = st.audit.verify()
            assert rep.ok, (sid, rep.problems[:5])
            assert rep.events >= 3 * DOSSIERS          # at least created, signed+queued, confirmed per dossier
            events.update({ev.hash: ev for ev in st.audit.events()})
        finally:
            st.store.dispose()
    confirmed: Counter[str] = Counter()
    for ev in events.values():
        if ev.action == "sync.confirmed":
            confirmed[ev.details["job"]] += 1
            assert ev.actor == "Clerk " + ev.dossier.rsplit("-", 1)[0], ev
    assert len(confirmed) == COUNTERS * DOSSIERS and set(confirmed.values()) == {1}
    assert Counter(ev.action for ev in events.values())["dossier.uploaded"] == COUNTERS * DOSSIERS
