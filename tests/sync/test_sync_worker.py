"""The worker against a real HTTP simulator on loopback: faults, idempotency, resume, hash checks."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from pathlib import Path

import pytest

from scanstation.errors import CredentialsError, SettingsError, StorageError
from scanstation.sync import (
    Backoff,
    FakeClock,
    JobState,
    Outbox,
    ProvincialConfig,
    UploadWindow,
    WorkerConfig,
    audit_hook,
    build_worker,
    get_secret,
    queue_files,
)


def _queue(station, files, dossier="D-1"):
    return queue_files(station.store, files, dossier_code=dossier, verifier=lambda p: None, station="S1",
                       audit=audit_hook(station.audit, "t"))


def _worker(station, sim, secret="s3cret", **kw):
    return build_worker(station.settings, station.store, audit=audit_hook(station.audit, "t"), endpoint=sim.url
                        if hasattr(sim, "url") else sim, secret=secret, **kw)


def _sha(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def test_uploads_through_every_fault_exactly_once(station, fast_settings, make_signed, sim_factory):
    station.settings.set("sync.timeout_s", 1, layer="station")
    files = [make_signed(f"f{i}.pdf", padding=20_000 + i * 7_000) for i in range(5)]
    _queue(station, files)
    sim = sim_factory("5xx=0.15,429=0.1:0.2,timeout=0.04:2,reset=0.15,slow=0.1:0.2,expired-token=0.15,"
                      "wrong-hash=0.1", seed=3)
    rep = _worker(station, sim).run(until_empty=True, max_seconds=90)
    got = sim.received()
    assert Outbox(station.store).counts()["confirmed"] == 5
    assert rep.confirmed == 5 and rep.retried > 0
    assert sorted(f["sha256"] for f in got["files"]) == sorted(_sha(f) for f in files)
    assert len({f["idempotency_key"] for f in got["files"]}) == 5
    for f in got["files"]:
        assert _sha(Path(f["path"])) == f["sha256"]
    # Which fault kinds fire depends on how the threads interleave (the simulator draws one random
    # number per request); what matters is that uploads went through many of them. Each kind is
    # exercised on its own in the simulator and adapter tests.
    assert sum(got["faults"].values()) >= 3
    actions = [e.action for e in station.audit.events()]
    assert actions.count("sync.confirmed") == 5


def test_lost_reply_then_retry_keeps_one_copy(station, fast_settings, make_signed, sim_factory):
    """The server stores the file, the answer is lost (timeout): the retry sends the same key."""
    f = make_signed("a.pdf", padding=20_000)
    _queue(station, [f])
    sim = sim_factory("timeout=1.0:3", seed=1)   # every request's reply is lost
    w = _worker(station, sim)
    w.run(once=True)
    job = Outbox(station.store).jobs()[0]
    assert job.state == JobState.RETRY and job.error_kind == "timeout"
    sim.state.faults = type(sim.state.faults)()        # the link heals
    w.run(until_empty=True, max_seconds=30)
    got = sim.received()
    assert len(got["files"]) == 1 and got["files"][0]["submissions"] >= 2
    assert Outbox(station.store).jobs()[0].state == JobState.CONFIRMED


def test_broken_transfer_resumes_from_server_offset(station, fast_settings, make_signed, sim_factory):
    f = make_signed("big.pdf", padding=150_000)
    size = f.stat().st_size
    _queue(station, [f])
    sim = sim_factory("reset=0.2", seed=5)
    w = _worker(station, sim)
    w.run(until_empty=True, max_seconds=60)
    assert sim.received()["faults"]["reset"] >= 2
    assert Outbox(station.store).jobs()[0].state == JobState.CONFIRMED
    # Resuming from the server's offset means we sent little more than the file once (not once per reset).
    assert w.bytes_sent < size + 16 * 1024 * (sim.received()["faults"]["reset"] + 1)


def test_wrong_hash_is_never_confirmed(station, fast_settings, make_signed, sim_factory):
    f = make_signed("a.pdf")
    _queue(station, [f])
    sim = sim_factory("wrong-hash=1.0")
    _worker(station, sim).run(until_empty=True, max_seconds=30)
    job = Outbox(station.store).jobs()[0]
    assert job.state == JobState.ATTENTION
    assert "different SHA-256" in job.reason and job.hash_mismatches == 3 and job.confirmed_at is None
    # Once the server confirms the right hash, a retry by the clerk confirms it.
    sim.state.faults = type(sim.state.faults)()
    Outbox(station.store).retry(job.id)
    _worker(station, sim).run(until_empty=True, max_seconds=30)
    assert Outbox(station.store).jobs()[0].state == JobState.CONFIRMED


def test_file_changed_after_signing_is_held_and_not_uploaded(station, fast_settings, make_signed, sim_factory):
    good, bad = make_signed("good.pdf"), make_signed("bad.pdf")
    _queue(station, [good, bad])
    data = bytearray(bad.read_bytes())
    data[-10] ^= 0x20
    bad.write_bytes(bytes(data))       # same size, different content
    sim = sim_factory()
    rep = _worker(station, sim).run(until_empty=True, max_seconds=30)
    jobs = {Path(j.path).name: j for j in Outbox(station.store).jobs()}
    assert jobs["good.pdf"].state == JobState.CONFIRMED
    assert jobs["bad.pdf"].state == JobState.ATTENTION
    assert "changed on disk after it was signed" in jobs["bad.pdf"].reason
    assert [f["file_name"] for f in sim.received()["files"]] == ["good.pdf"]
    assert not sim.received()["pending"]        # not a single byte of it went out
    assert rep.attention == 1
    assert any(e.action == "sync.needs_attention" for e in station.audit.events())


def test_retry_after_is_honoured(station, fast_settings, make_signed, sim_factory):
    _queue(station, [make_signed("a.pdf")])
    sim = sim_factory("429=1.0:120")
    clock = FakeClock()
    _worker(station, sim, clock=clock).run(once=True)
    job = Outbox(station.store).jobs()[0]
    assert job.state == JobState.RETRY and job.error_kind == "throttled"
    assert job.next_attempt_at - clock.now() == pytest.approx(120, abs=1)   # beyond our 1 s backoff cap


def test_backoff_grows_with_jitter_and_stops_at_the_cap():
    import random

    b, rng = Backoff(base=2, factor=2, cap=60), random.Random(1)
    delays = [b.delay(n, rng) for n in range(1, 12)]
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4
    assert all(30 <= d <= 60 for d in delays[6:])
    assert len({round(d, 3) for d in delays[6:]}) > 1        # jitter: not all the same
    assert b.delay(500, rng) <= 60
    assert b.delay(3, rng, retry_after=7) == 7


def test_upload_window():
    w = UploadWindow.parse("18:00-06:30")
    import datetime as dt

    def at(h, m):
        return dt.datetime(2025, 3, 3, h, m).timestamp()

    assert w.seconds_until_open(at(19, 0)) == 0 and w.seconds_until_open(at(5, 0)) == 0
    assert w.seconds_until_open(at(12, 0)) == pytest.approx(6 * 3600)
    assert UploadWindow.parse("").seconds_until_open(at(12, 0)) == 0
    with pytest.raises(SettingsError):
        UploadWindow.parse("25:00-1")


def test_outside_the_window_nothing_is_sent(station, fast_settings, make_signed, sim_factory):
    import datetime as dt

    _queue(station, [make_signed("a.pdf")])
    sim = sim_factory()
    noon = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(12, 0)).timestamp()
    clock = FakeClock(noon)
    cfg = WorkerConfig(window=UploadWindow.parse("18:00-22:00"), backoff=Backoff(cap=1), chunk_size=16384)
    rep = _worker(station, sim, clock=clock, config=cfg).run(until_empty=True, max_seconds=8 * 3600)
    assert rep.confirmed == 1
    assert sim.received()["files"][0]["stored_at"] > 0
    # It waited (virtually) until the window opened at 18:00.
    assert clock.now() - noon >= 6 * 3600 - 1


def test_bandwidth_limit(station, fast_settings, make_signed, sim_factory):
    f = make_signed("a.pdf", padding=200_000)
    _queue(station, [f])
    sim = sim_factory()
    cfg = WorkerConfig(bandwidth_bps=100_000, chunk_size=32768, backoff=Backoff(cap=1))
    t0 = time.monotonic()
    _worker(station, sim, config=cfg).run(until_empty=True, max_seconds=30)
    took = time.monotonic() - t0
    assert Outbox(station.store).jobs()[0].state == JobState.CONFIRMED
    assert took >= f.stat().st_size / 100_000 * 0.8


def test_pause_and_resume(station, fast_settings, make_signed, sim_factory):
    files = [make_signed(f"p{i}.pdf", padding=60_000) for i in range(3)]
    _queue(station, files)
    sim = sim_factory(rate=200_000)
    w = _worker(station, sim)
    w.pause()
    w.start()
    time.sleep(1.0)
    assert sim.received()["requests"] == 0          # paused from the start: nothing sent
    w.resume()
    deadline = time.monotonic() + 30
    while Outbox(station.store).counts()["confirmed"] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    w.pause()
    time.sleep(0.8)                                  # in-flight uploads stop at their next chunk
    frozen = sim.received()["requests"]
    time.sleep(0.8)
    assert sim.received()["requests"] == frozen
    assert Outbox(station.store).counts()["uploading"] == 0
    w.resume()
    while Outbox(station.store).counts()["confirmed"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    w.stop()
    w.join(10)
    assert Outbox(station.store).counts()["confirmed"] == 3
    assert len(sim.received()["files"]) == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_simulator_down_for_days_nothing_lost_then_resumes(station, fast_settings, make_signed, sim_factory):
    """Inject the clock: two virtual days offline, backoff capped, nothing given up, then instant resume."""
    import dataclasses

    station.settings.set("sync.backoff_max_s", 3600, layer="station")
    files = [make_signed(f"o{i}.pdf") for i in range(3)]
    _queue(station, files)
    port = _free_port()
    clock = FakeClock()
    w = _worker(station, f"http://127.0.0.1:{port}", clock=clock)
    w.config = dataclasses.replace(w.config, probe_s=1800.0)   # keeps the virtual offline stretch cheap
    t0 = clock.now()
    rep = w.run(until_empty=True, max_seconds=2 * 86400)
    assert rep.stopped_by == "time" and rep.confirmed == 0 and rep.attention == 0
    jobs = Outbox(station.store).jobs()
    assert all(j.state == JobState.RETRY and j.error_kind == "offline" for j in jobs)
    # Capped backoff: about one attempt per 30-60 minutes per job over two days, not a tight loop,
    # and never given up.
    assert all(2 * 86400 / 3600 < j.attempts < 2 * 86400 / 1800 + 20 for j in jobs), [j.attempts for j in jobs]
    assert all(j.next_attempt_at - clock.now() <= 3600 for j in jobs)
    assert clock.now() - t0 >= 2 * 86400
    # The link comes back: the worker notices within one probe and retries at once, without
    # waiting out a backoff of up to an hour.
    sim = sim_factory(port=port)
    w.config = dataclasses.replace(w.config, probe_s=5.0)
    t1 = clock.now()
    rep = w.run(until_empty=True, max_seconds=3600)
    assert rep.confirmed == 3
    assert clock.now() - t1 < 30
    assert len(sim.received()["files"]) == 3


def test_network_up_signal_wakes_the_worker_now(station, fast_settings, make_signed, sim_factory):
    station.settings.set("sync.backoff_max_s", 3600, layer="station")
    _queue(station, [make_signed("a.pdf")])
    port = _free_port()
    w = _worker(station, f"http://127.0.0.1:{port}")
    w.config = WorkerConfig(**{**w.config.__dict__, "probe_s": 3600.0})   # only the signal can wake it
    w.start()
    deadline = time.monotonic() + 10
    while Outbox(station.store).jobs()[0].state != JobState.RETRY and time.monotonic() < deadline:
        time.sleep(0.05)
    sim_factory(port=port)
    w._offline = True
    time.sleep(0.3)
    t0 = time.monotonic()
    w.network_up()
    while Outbox(station.store).jobs()[0].state != JobState.CONFIRMED and time.monotonic() < deadline:
        time.sleep(0.05)
    w.stop()
    w.join(10)
    assert Outbox(station.store).jobs()[0].state == JobState.CONFIRMED
    assert time.monotonic() - t0 < 5


def test_database_locked_during_upload_nothing_lost(station, fast_settings, make_signed, sim_factory):
    """Another process holds the write lock for a while: the worker waits it out and records the truth."""
    import sqlite3

    from scanstation import paths

    files = [make_signed(f"l{i}.pdf", padding=30_000) for i in range(3)]
    _queue(station, files)
    sim = sim_factory(rate=150_000)
    db = sqlite3.connect(paths.home() / "station.db", timeout=10, isolation_level=None)
    w = _worker(station, sim)
    w.start()
    time.sleep(0.4)
    db.execute("BEGIN EXCLUSIVE")     # a stuck writer (another counter, a backup tool...)
    time.sleep(2.5)
    db.execute("COMMIT")
    deadline = time.monotonic() + 40
    while Outbox(station.store).counts()["confirmed"] < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    w.stop()
    w.join(10)
    db.close()
    assert Outbox(station.store).counts()["confirmed"] == 3
    assert len(sim.received()["files"]) == 3


def test_database_locked_enqueue_fails_clearly_and_adds_nothing(station, make_signed, monkeypatch):
    import sqlite3

    from scanstation import paths
    from scanstation.store import db as dbmod

    orig = dbmod._sqlite_pragmas

    def short_busy(conn, rec):
        orig(conn, rec)
        conn.execute("PRAGMA busy_timeout=300")

    monkeypatch.setattr(dbmod, "_sqlite_pragmas", short_busy)
    store = dbmod.open_store()
    lock = sqlite3.connect(paths.home() / "station.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageError) as e:
            queue_files(store, [make_signed("a.pdf")], dossier_code="D", verifier=lambda p: None)
        assert "locked" in e.value.message_en
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert Outbox(store).counts()["pending"] == 0
    store.dispose()


def test_expired_tokens_and_wrong_secret(station, fast_settings, make_signed, sim_factory):
    _queue(station, [make_signed("a.pdf")])
    sim = sim_factory("expired-token=0.5", token_ttl=3600)
    w = _worker(station, sim, secret="wrong")
    w.run(once=True)
    job = Outbox(station.store).jobs()[0]
    assert job.state == JobState.RETRY and job.error_kind == "auth"     # not given up
    assert "rejected the station's credentials" in job.last_error
    assert "wrong" not in (job.last_error or "")                          # never the secret itself
    _worker(station, sim).run(until_empty=True, max_seconds=30)
    assert Outbox(station.store).jobs()[0].state == JobState.CONFIRMED
    assert sim.received()["faults"]["expired-token"] >= 1


def test_credentials_from_env_or_a_clear_error(monkeypatch):
    monkeypatch.delenv("SCANSTATION_PROVINCIAL_SECRET", raising=False)
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(CredentialsError) as e:
        get_secret("scanstation")
    assert "No OS keyring backend" in e.value.message_en and "SCANSTATION_PROVINCIAL_SECRET" in e.value.message_en
    monkeypatch.setenv("SCANSTATION_PROVINCIAL_SECRET", "from-env")
    assert get_secret("scanstation") == "from-env"


def test_tls_is_never_disabled():
    assert ProvincialConfig("https://igate.example.vn").verify is True
    with pytest.raises(SettingsError):
        ProvincialConfig("http://igate.example.vn")          # plain http only to this machine
    with pytest.raises(SettingsError):
        ProvincialConfig("https://igate.example.vn", ca_bundle="/nonexistent/ca.pem")


def test_retention_purges_confirmed_files_with_an_audit_event(station, fast_settings, sim_factory, station_home):
    from scanstation.sync import purge_confirmed
    from tests.sync.signed_pdf import signed_pdf

    out = station_home / "work" / "d1"
    out.mkdir(parents=True)
    f = signed_pdf(out / "x.pdf")
    _queue(station, [f])
    sim = sim_factory()
    _worker(station, sim).run(until_empty=True, max_seconds=30)
    job = Outbox(station.store).jobs()[0]
    hook = audit_hook(station.audit, "t")
    assert purge_confirmed(station.store, 30, job.confirmed_at + 29 * 86400, hook) == 0
    assert f.exists()
    assert purge_confirmed(station.store, 30, job.confirmed_at + 31 * 86400, hook) == 1
    assert not f.exists()
    ev = [e for e in station.audit.events() if e.action == "sync.file_purged"]
    assert len(ev) == 1 and ev[0].details["sha256"] == job.sha256 and ev[0].details["deleted"] is True
    assert Outbox(station.store).jobs()[0].purged_at is not None
    assert station.audit.verify().ok


def test_unconfirmed_files_are_never_purged(station, make_signed):
    from scanstation.sync import purge_confirmed

    f = make_signed("a.pdf")
    _queue(station, [f])
    assert purge_confirmed(station.store, 0, time.time() + 10 * 86400) == 0
    assert f.exists()


def test_two_workers_never_upload_one_job_twice(station, fast_settings, make_signed, sim_factory):
    files = [make_signed(f"t{i}.pdf", padding=20_000) for i in range(8)]
    _queue(station, files)
    sim = sim_factory(rate=300_000)
    w1, w2 = _worker(station, sim), _worker(station, sim)
    t = threading.Thread(target=w1.run, kwargs={"until_empty": True, "max_seconds": 30})
    t.start()
    w2.run(until_empty=True, max_seconds=30)
    t.join(35)
    got = sim.received()
    assert len(got["files"]) == 8 and all(f["submissions"] == 1 for f in got["files"])
