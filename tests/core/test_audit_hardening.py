"""The audit log against someone who can write the database and the station home, but not read the
audit key (kept elsewhere): each attack of issue 14 is a test here; anchoring at the provincial side
is in tests/sync/test_audit_anchor.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from scanstation import audit as audit_mod
from scanstation.audit import GENESIS, AuditLog, key_path

ROOT = Path(__file__).resolve().parents[2]


def _log(station, n=6):
    for i in range(n):
        station.audit.append("Trần Văn Đức", "page.captured", dossier="HS-1", page=f"p{i}", details={"i": i})
    return station.audit


def _exec(station, sql, **params):
    with station.store.engine.begin() as c:
        c.execute(text(sql), params)


def _problems(rep):
    return {p["problem"] for p in rep.problems}


def _rewrite_from(station, seq, **changes):
    """What an attacker with the database (not the key) does: change event ``seq`` and recompute the
    hash of every event after it so the chain links up again; then put the new head in audit.head."""
    log = station.audit
    with station.store.engine.begin() as c:
        rows = c.execute(text("SELECT id, station, seq, at, actor, action, dossier, page, file, details, prev_hash "
                              "FROM audit_event WHERE station = :s ORDER BY seq"), {"s": log.station}).all()
        prev = GENESIS
        for r in rows:
            actor = changes.get("actor", r.actor) if r.seq == seq else r.actor
            if r.seq < seq:
                prev = c.execute(text("SELECT hash FROM audit_event WHERE id = :i"), {"i": r.id}).scalar()
                continue
            from datetime import UTC, datetime

            at = r.at if isinstance(r.at, datetime) else datetime.fromisoformat(str(r.at))
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            h = audit_mod._digest(r.station, r.seq, at, actor, r.action, r.dossier, r.page, r.file,
                                  json.loads(r.details), prev)
            c.execute(text("UPDATE audit_event SET actor = :a, prev_hash = :p, hash = :h WHERE id = :i"),
                      {"a": actor, "p": prev, "h": h, "i": r.id})
            prev, last = h, r.seq
    head = json.loads(log.anchor.read_text())
    log.anchor.write_text(json.dumps({**head, "seq": last, "hash": prev}))


def test_every_event_carries_the_station_and_a_mac(station):
    log = _log(station, 2)
    evs = log.events()
    assert [e.station for e in evs] == ["STATION-01"] * 2
    assert all(e.mac and len(e.mac) == 64 for e in evs)
    head = json.loads(log.anchor.read_text())
    assert head["station"] == "STATION-01" and head["seq"] == 2 and len(head["mac"]) == 64
    assert log.verify().ok


def test_station_id_setting_names_the_chain(station_home):
    from scanstation.flow import Station

    st = Station()
    st.settings.set("station.id", "QUAY-07", layer="station")
    st2 = Station()
    st2.audit.append("x", "dossier.created")
    assert st2.audit.events()[0].station == "QUAY-07"
    assert st2.audit.head()["station"] == "QUAY-07"
    st.store.dispose()
    st2.store.dispose()


def test_deleted_head_file_is_reported(station):
    log = _log(station)
    log.anchor.unlink()
    rep = log.verify()
    assert not rep.ok and _problems(rep) == {"head"}
    assert "missing" in rep.problems[0]["detail"]


def test_emptied_head_file_is_reported(station):
    log = _log(station)
    log.anchor.write_text("")
    rep = log.verify()
    assert not rep.ok and "empty" in rep.problems[0]["detail"]


def test_deleting_the_last_events_and_emptying_the_head_is_detected(station):
    log = _log(station)
    _exec(station, "DELETE FROM audit_event WHERE seq >= 4")
    log.anchor.write_text("")
    assert not log.verify().ok
    log.anchor.unlink()
    assert not log.verify().ok


def test_deleting_the_last_events_and_writing_an_older_head_is_detected(station):
    """The head file cannot be forged to match the shortened log: it carries a MAC."""
    log = _log(station)
    h3 = [e.hash for e in log.events() if e.seq == 3][0]
    _exec(station, "DELETE FROM audit_event WHERE seq >= 4")
    head = json.loads(log.anchor.read_text())
    log.anchor.write_text(json.dumps({**head, "seq": 3, "hash": h3}))
    rep = log.verify()
    assert not rep.ok and "forged" in rep.problems[0]["detail"]


def test_rewrite_with_recomputed_hashes_is_detected_without_the_key(station):
    log = _log(station)
    _rewrite_from(station, 2, actor="someone else")
    rep = log.verify()
    assert not rep.ok
    # The chain links up and the hashes match: only the MACs (and the head's MAC) give it away.
    assert "chain" not in _problems(rep) and "edited" not in _problems(rep)
    assert {p["seq"] for p in rep.problems if p["problem"] == "forged"} == {2, 3, 4, 5, 6}


def test_wrong_key_is_reported(station):
    log = _log(station)
    key_path(log.station).write_text(os.urandom(32).hex() + "\n")
    rep = AuditLog(station.store, station=log.station).verify()
    assert not rep.ok and "key" in _problems(rep)
    assert any("audit key" in p["detail"] for p in rep.problems)


def test_missing_key_is_reported(station):
    log = _log(station)
    key_path(log.station).unlink()
    rep = AuditLog(station.store, station=log.station).verify()
    assert not rep.ok and "key" in _problems(rep)


def test_key_lives_outside_the_home_and_the_database(station, station_home):
    log = _log(station, 1)
    p = key_path(log.station)
    assert p.is_file() and station_home not in p.parents
    key = p.read_text().strip()
    with station.store.engine.connect() as c:
        dump = "\n".join(str(tuple(r)) for r in c.execute(text("SELECT * FROM audit_event")))
    assert key not in dump and key not in log.anchor.read_text()
    if os.name == "posix":
        assert p.stat().st_mode & 0o077 == 0 and p.parent.stat().st_mode & 0o077 == 0


def test_stations_sharing_a_database_keep_separate_chains(station, tmp_path):
    a = AuditLog(station.store, tmp_path / "a.head", station="QUAY-A")
    b = AuditLog(station.store, tmp_path / "b.head", station="QUAY-B")
    for i in range(4):
        a.append("an", "x", details={"i": i})
        b.append("bình", "y", details={"i": i})
    assert [e.seq for e in a.events()] == [1, 2, 3, 4] and {e.station for e in a.events()} == {"QUAY-A"}
    assert [e.seq for e in b.events()] == [1, 2, 3, 4]
    assert a.verify().ok and b.verify().ok
    assert key_path("QUAY-A").read_text() != key_path("QUAY-B").read_text()
    _exec(station, "DELETE FROM audit_event WHERE station = 'QUAY-B' AND seq = 4")
    assert a.verify().ok and not b.verify().ok


_WRITER = """
import sys
from sqlalchemy import text
from scanstation.audit import AuditLog
from scanstation.store.db import open_store
store = open_store(sys.argv[1])
log = AuditLog(store, station=sys.argv[2])
for i in range(int(sys.argv[3])):
    if i % 2:
        log.append("p", "plain", details={"i": i})
    else:
        with store.session() as s:       # inside a caller's transaction, as the worker and signing do
            log.append("p", "in-transaction", details={"i": i}, session=s)
store.dispose()
"""


def test_concurrent_appends_from_several_processes_keep_one_chain(station, station_home):
    url = f"sqlite:///{station_home / 'station.db'}"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, url, "STATION-01", "25"], env=env, cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    log = station.audit
    assert [e.seq for e in log.events()] == list(range(1, 101))
    rep = log.verify()
    assert rep.ok, rep.problems


def test_settings_change_helper_records_who_and_the_os_account(station):
    import getpass

    ev = station.audit.settings_changed("IT Nguyễn", "sync.window", "", "18:00-06:00")
    assert ev.action == "settings.set"
    assert ev.details == {"key": "sync.window", "old": "", "new": "18:00-06:00", "os_user": getpass.getuser()}
    assert station.audit.verify().ok


def test_events_from_before_the_keyed_chain_still_verify(station_home):
    """A station database from before migration 0004: its events become the legacy chain."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import create_engine

    from scanstation.store.db import alembic_config, open_store

    url = f"sqlite:///{station_home / 'old.db'}"
    command.upgrade(alembic_config(url), "0003")
    prev = GENESIS
    eng = create_engine(url)
    with eng.begin() as c:
        for seq in (1, 2, 3):
            at = datetime(2026, 1, seq, tzinfo=UTC)
            h = audit_mod._digest_v1(seq, at, "cũ", "dossier.created", "HS-9", None, None, {"n": seq}, prev)
            c.execute(text("INSERT INTO audit_event (seq, at, actor, action, dossier, details, prev_hash, hash) "
                           "VALUES (:s, :at, 'cũ', 'dossier.created', 'HS-9', :d, :p, :h)"),
                      {"s": seq, "at": at, "d": json.dumps({"n": seq}), "p": prev, "h": h})
            prev = h
    eng.dispose()
    anchor = station_home / "old.head"
    anchor.write_text(json.dumps({"seq": 3, "hash": prev}))      # the head file of that version
    store = open_store(url)
    log = AuditLog(store, anchor, station="STATION-01")
    assert log.verify().ok and log.count() == 3
    log.append("mới", "dossier.created")
    assert [(e.station, e.seq) for e in log.events()] == [("", 1), ("", 2), ("", 3), ("STATION-01", 1)]
    assert log.verify().ok
    with store.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'x' WHERE station = '' AND seq = 2"))
    assert {(p["seq"], p["problem"]) for p in log.verify().problems} == {(2, "edited")}
    store.dispose()
