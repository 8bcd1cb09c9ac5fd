import subprocess
import sys

from sqlalchemy import text

from scanstation.audit import AuditLog


def _log(station, n=5):
    for i in range(n):
        station.audit.append("Trần Văn Đức", "page.captured", dossier="HS-1", page=f"p{i}", details={"i": i})
    return station.audit


def _exec(station, sql, **params):
    with station.store.engine.begin() as c:
        c.execute(text(sql), params)


def test_intact_chain_verifies(station):
    rep = _log(station).verify()
    assert rep.ok and rep.events == 5


def test_edited_event_detected(station):
    log = _log(station)
    _exec(station, "UPDATE audit_event SET actor='someone else' WHERE seq=3")
    rep = log.verify()
    assert not rep.ok
    assert {(p["seq"], p["problem"]) for p in rep.problems} == {(3, "edited")}


def test_edited_details_detected(station):
    log = _log(station)
    _exec(station, "UPDATE audit_event SET details='{\"i\": 99}' WHERE seq=2")
    assert [p["seq"] for p in log.verify().problems] == [2]


def test_removed_event_detected(station):
    log = _log(station)
    _exec(station, "DELETE FROM audit_event WHERE seq=2")
    problems = log.verify().problems
    assert any(p["problem"] == "missing" and p["seq"] == 3 for p in problems)


def test_removed_tail_detected_by_anchor(station):
    log = _log(station)
    _exec(station, "DELETE FROM audit_event WHERE seq=5")
    assert any(p["problem"] == "missing" for p in log.verify().problems)


def test_reordered_events_detected(station):
    log = _log(station)
    # Swap the contents of events 2 and 4 (keeping seq): the chain no longer links up.
    _exec(station, "UPDATE audit_event SET seq=-2 WHERE seq=2")
    _exec(station, "UPDATE audit_event SET seq=2 WHERE seq=4")
    _exec(station, "UPDATE audit_event SET seq=4 WHERE seq=-2")
    rep = log.verify()
    assert not rep.ok
    assert {p["seq"] for p in rep.problems} >= {2, 3, 4}


def test_audit_verify_cli_exit_codes(station, station_home):
    _log(station)
    ok = subprocess.run([sys.executable, "-m", "scanstation", "audit", "verify", "--json"], capture_output=True,
                        text=True)
    assert ok.returncode == 0, ok.stderr
    assert '"ok": true' in ok.stdout
    _exec(station, "UPDATE audit_event SET action='page.deleted' WHERE seq=1")
    bad = subprocess.run([sys.executable, "-m", "scanstation", "audit", "verify"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "TAMPERED" in bad.stdout and "event 1" in bad.stdout


def test_events_inside_a_transaction_roll_back_together(station):
    log = AuditLog(station.store)
    try:
        with station.store.session() as s:
            log.append("x", "dossier.created", session=s)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert log.count() == 0 and log.verify().ok


def test_event_inside_a_transaction_is_anchored_after_commit(station, station_home):
    import json

    log = AuditLog(station.store)
    log.append("x", "first")
    with station.store.session() as s:
        log.append("x", "dossier.created", session=s)
        assert json.loads((station_home / "audit.head").read_text())["seq"] == 1   # not before commit
    assert json.loads((station_home / "audit.head").read_text())["seq"] == 2
    _exec(station, "DELETE FROM audit_event WHERE seq=2")        # removing that last event is detected
    assert any(p["problem"] == "missing" for p in log.verify().problems)
