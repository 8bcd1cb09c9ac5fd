"""Upload jobs on a shared PostgreSQL: each belongs to the station that holds the file; claims skip rows
another worker holds (FOR UPDATE SKIP LOCKED) instead of waiting for it (issue 14)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scanstation.store.db import engine_url, open_store
from scanstation.sync.outbox import JobState, Outbox, enqueue
from tests.sync.signed_pdf import signed_pdf, sync_ca_pem

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.pg


def _jobs(store, station: str, n: int, folder: Path | None = None) -> list[str]:
    ids = []
    with store.session() as s:
        for i in range(n):
            sha = hashlib.sha256(f"{station}{i}".encode()).hexdigest()
            ids.append(enqueue(s, dossier_code=f"{station}-{i}", path=(folder or Path("/nonexistent")) / f"{i}.pdf",
                               sha256=sha, size=10, station=station)[0])
    return ids


def _home(tmp_path: Path, name: str, url: str) -> Path:
    from scanstation.config import Settings

    home = tmp_path / name
    home.mkdir()
    old = os.environ["SCANSTATION_HOME"]
    os.environ["SCANSTATION_HOME"] = str(home)
    try:
        s = Settings()
        s.set("db.url", url, layer="station")
        s.set("station.id", name.upper(), layer="station")
        s.set("signing.trust_test_ca", [str(sync_ca_pem())], layer="station")   # the CA of signed_pdf()
    finally:
        os.environ["SCANSTATION_HOME"] = old
    return home


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SCANSTATION_HOME=str(home), SCANSTATION_PROVINCIAL_SECRET="k")
    return subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_another_counter_never_takes_a_stations_job(pg_db, tmp_path):
    """The reproducer of issue 14: B's `sync run` took A's job and marked it 'file missing'."""
    from scanstation.sync import queue_files
    from scanstation.sync.simulator import ProvincialSimulator

    a, b = _home(tmp_path, "a", pg_db), _home(tmp_path, "b", pg_db)
    (a / "signed").mkdir()
    f = signed_pdf(a / "signed" / "giay-khai-sinh.pdf", text="A's file")      # on A's disk only
    store = open_store(pg_db)
    [job] = queue_files(store, [f], dossier_code="HS-A-1", verifier=lambda _p: None, station="A")
    with ProvincialSimulator(tmp_path / "sim", "127.0.0.1", 0, secret="k") as sim:
        p = _cli(b, "sync", "run", "--until-empty", "--max-seconds", "20", "--endpoint", sim.url, "--json")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["attempts"] == 0
        got = Outbox(store).get(job["job"])
        assert (got.state, got.attempts, got.reason) == (JobState.PENDING, 0, None)
        assert json.loads(_cli(b, "queue", "status", "--json").stdout)["total"] == 0      # not B's to list
        for action in ("retry", "cancel"):
            r = _cli(b, "queue", action, job["job"])
            assert r.returncode == 2 and "No upload job" in r.stderr, r.stderr              # nor to change
        assert Outbox(store).get(job["job"]).state == JobState.PENDING
        p = _cli(a, "sync", "run", "--until-empty", "--max-seconds", "60", "--endpoint", sim.url, "--json")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["confirmed"] == 1
        [stored] = sim.received()["files"]
    assert stored["sha256"] == job["sha256"] and stored["dossier_code"] == "HS-A-1"
    assert Outbox(store).get(job["job"]).state == JobState.CONFIRMED
    st = json.loads(_cli(a, "queue", "status", "--json").stdout)
    assert st["total"] == 1 and st["counts"]["confirmed"] == 1
    store.dispose()


def test_a_claim_skips_rows_another_worker_has_locked_instead_of_waiting(pg_db):
    store = open_store(pg_db)
    ids = _jobs(store, "A", 3)
    ob = Outbox(store, "A")
    held = create_engine(engine_url(pg_db))
    got: list = []
    with held.connect() as other:
        tx = other.begin()
        # Another worker of the same counter is in the middle of claiming the oldest job.
        other.execute(text("SELECT id FROM outbox WHERE id = :i FOR UPDATE"), {"i": ids[0]})
        t = threading.Thread(target=lambda: got.extend(ob.claim("w2", time.time() + 1, 60, 3, set())), daemon=True)
        t.start()
        t.join(15)
        assert not t.is_alive(), "the claim waited for the other worker's lock"
        assert sorted(j.id for j in got) == sorted(ids[1:])
        tx.rollback()
    assert [j.id for j in ob.claim("w3", time.time() + 1, 60, 3, set())] == [ids[0]]
    held.dispose()
    store.dispose()


def test_many_workers_of_several_counters_never_share_a_job(pg_db):
    store = open_store(pg_db)
    mine = {st: set(_jobs(store, st, 60)) for st in ("A", "B")}
    claimed: dict[str, list[tuple[str, str]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def work(name: str, station: str) -> None:
        try:
            ob = Outbox(store, station)
            out = claimed.setdefault(name, [])
            start.wait()
            while True:
                jobs = ob.claim(name, time.time() + 1, 60, 4, set())
                if not jobs:
                    return
                out.extend((j.id, station) for j in jobs)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(f"w{i}", "AB"[i % 2])) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    every = [jid for got in claimed.values() for jid, _ in got]
    assert len(every) == len(set(every)) == 120                      # each job once, none left
    for got in claimed.values():
        for jid, station in got:
            assert jid in mine[station]                              # only its own counter's jobs
    assert sum(1 for got in claimed.values() if got) >= 4            # the workers really ran side by side
    store.dispose()


def test_on_sqlite_a_station_still_works_every_job_of_its_own_file(station):
    """One counter's own SQLite file: its jobs are its own whatever station.id was when they were queued."""
    _jobs(station.store, "OLD-NAME", 2)
    ob = Outbox(station.store, "NEW-NAME")
    assert len(ob.claim("w", time.time() + 1, 60, 5, set())) == 2
    assert ob.status()["total"] == 2


def test_the_tally_matches_the_jobs_through_every_change_and_fold(pg_db, monkeypatch):
    """PostgreSQL's counts come from the trigger-kept tally (fast at 100,000 jobs); they must equal a real
    count after inserts, claims, outcomes, retries, cancels, deletes and folds."""
    import random

    from sqlalchemy import delete, func, select, update

    from scanstation.store.tables import OutboxRow
    from scanstation.sync import outbox as outbox_mod

    monkeypatch.setattr(outbox_mod, "TALLY_FOLD_AT", 25)
    store = open_store(pg_db)
    rng = random.Random(14)
    obs = {st: Outbox(store, st) for st in ("A", "B")}

    def real(station: str | None) -> dict[str, int]:
        with store.session() as s:
            q = select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
            if station:
                q = q.where(OutboxRow.station == station)
            got = dict(s.execute(q).all())
        return {st.value: got.get(st.value, 0) for st in JobState}

    for round_ in range(6):
        for st, ob in obs.items():
            ids = _jobs(store, f"{st}{round_}", 15)
            with store.session() as s:   # _jobs queued them for station "<st><round>": move them to st
                s.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(station=st))
            for j in ob.claim(f"w-{st}", time.time() + 1, 60, rng.randint(1, 10), set()):
                new = rng.choice(["confirmed", "failed-will-retry", "needs-attention"])
                with store.session() as s:
                    s.execute(update(OutboxRow).where(OutboxRow.id == j.id).values(state=new))
                if new == "needs-attention" and rng.random() < 0.5:
                    ob.retry(j.id)
                elif new != "confirmed" and rng.random() < 0.3:
                    ob.cancel(j.id)
            with store.session() as s:
                victim = s.scalar(select(OutboxRow.id).where(OutboxRow.station == st).limit(1))
                s.execute(delete(OutboxRow).where(OutboxRow.id == victim))
            assert ob.counts() == real(st), (round_, st)
        assert Outbox(store).counts() == real(None)
        assert Outbox(store, "A").status(limit=5)["counts"] == real("A")
    with store.engine.connect() as c:                       # folded: a few rows per state, not one per change
        assert c.execute(text("SELECT count(*) FROM outbox_tally WHERE station = 'A'")).scalar() <= 25 + 12
    store.dispose()
