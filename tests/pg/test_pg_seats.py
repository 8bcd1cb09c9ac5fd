"""One station.id, one counter PC, on a shared database: a PC image cloned with its station settings is
refused, naming the PC that holds the id, until IT staff release it (the old PC was replaced)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scanstation.errors import StationIdInUseError

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.pg


def _counter(station_home: Path, pg_db: str, station_id: str = "QUAY-03"):
    from scanstation.config import Settings

    s = Settings()
    s.set("db.url", pg_db, layer="station")
    s.set("station.id", station_id, layer="station")
    return s


def _other_pc(name: str = "QUAY-03-CLONE"):
    from scanstation.store.seats import Machine

    return Machine(fingerprint=name.lower().ljust(64, "0")[:64], host=name, home=r"C:\Users\motcua\AppData\Local\scanstation")


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SCANSTATION_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_same_pc_opens_its_station_again_and_again(station_home, pg_db):
    from scanstation.flow import Station
    from scanstation.store.seats import seats

    settings = _counter(station_home, pg_db)
    first = Station(settings)
    second = Station(settings)                       # the window and the upload worker, or a restart
    got = seats(second.store)
    first.store.dispose()
    second.store.dispose()
    assert [(s.station, s.mine, s.home) for s in got] == [("QUAY-03", True, str(station_home))]
    assert got[0].last_seen >= got[0].first_seen


def test_a_cloned_pc_with_the_same_station_id_is_refused_until_it_is_released(station_home, pg_db):
    from scanstation.flow import Station
    from scanstation.store.db import open_store
    from scanstation.store.seats import take_seat

    settings = _counter(station_home, pg_db)
    store = open_store(pg_db)
    take_seat(store, "QUAY-03", _other_pc())             # the PC this image was cloned from opened it first
    with pytest.raises(StationIdInUseError) as e:
        Station(settings)
    assert "QUAY-03-CLONE" in e.value.message_en and "scanstation db release-station QUAY-03" in e.value.message_en
    assert "QUAY-03-CLONE" in e.value.message_vi and e.value.field == "station.id"

    # every way in says the same, without a traceback: the upload worker, a dossier, the window's start
    for args in (("sync", "run", "--once"), ("dossier", "list")):
        p = _cli(station_home, *args)
        assert p.returncode == 2 and "Traceback" not in p.stderr, (args, p.stderr)
        assert "already used by another counter PC" in p.stderr and "QUAY-03-CLONE" in p.stderr, p.stderr

    # IT staff see who holds what, and release the id of the PC this one replaces
    p = _cli(station_home, "db", "stations", "--json")
    assert p.returncode == 0, p.stderr
    held = json.loads(p.stdout)["stations"]
    assert [(s["station"], s["host"], s["this_pc"]) for s in held] == [("QUAY-03", "QUAY-03-CLONE", False)]
    p = _cli(station_home, "db", "release-station", "QUAY-03")
    assert p.returncode == 0 and "released from QUAY-03-CLONE" in p.stdout, p.stderr
    p = _cli(station_home, "db", "release-station", "QUAY-03")          # nothing left to release: said so
    assert p.returncode == 2 and "No counter PC holds station.id QUAY-03" in p.stderr, p.stderr

    st = Station(settings)                                # this PC now holds it...
    st.store.dispose()
    with pytest.raises(StationIdInUseError, match="already used by another counter PC"):
        take_seat(store, "QUAY-03", _other_pc())          # ... and the old PC, switched on again, is refused
    store.dispose()


def test_two_pcs_taking_a_new_station_id_at_once_one_holds_it(pg_db):
    from scanstation.store.db import open_store
    from scanstation.store.seats import seats, take_seat

    store = open_store(pg_db)
    for round_ in range(5):
        sid = f"QUAY-NEW-{round_}"
        barrier = threading.Barrier(2)
        outcome: dict[str, str] = {}

        def take(name: str, sid: str = sid, barrier: threading.Barrier = barrier,
                 outcome: dict[str, str] = outcome) -> None:
            barrier.wait()
            try:
                take_seat(store, sid, _other_pc(name))
                outcome[name] = "holds"
            except StationIdInUseError as e:
                outcome[name] = e.message_en

        threads = [threading.Thread(target=take, args=(n,)) for n in ("PC-A", "PC-B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(v == "holds" for v in outcome.values()) == [False, True], outcome
        loser = next(v for v in outcome.values() if v != "holds")
        holder = [s.host for s in seats(store) if s.station == sid]
        assert len(holder) == 1 and holder[0] in ("PC-A", "PC-B") and holder[0] in loser
    store.dispose()


def test_station_ids_are_seats_only_on_a_shared_database(station_home):
    from scanstation.flow import Station

    st = Station()                                        # SQLite: one counter's own file, no seats
    st.store.dispose()
    p = _cli(station_home, "db", "stations")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "station ids are held only on a shared database" in p.stderr, p.stderr


def test_the_window_of_a_cloned_pc_says_which_pc_holds_its_id(station_home, pg_db, qtbot):
    from scanstation.store.db import open_store
    from scanstation.store.seats import take_seat
    from scanstation.ui import app as app_mod
    from tests.ui.ui_pages import read_message_box_later

    _counter(station_home, pg_db)
    store = open_store(pg_db)
    take_seat(store, "QUAY-03", _other_pc())
    store.dispose()
    seen: dict[str, str] = {}
    read_message_box_later(seen)
    assert app_mod.run() == 2
    assert seen["name"] == "startupRefusal"
    assert "Mã trạm QUAY-03 đang được máy QUAY-03-CLONE dùng" in seen["text"], seen["text"]
    assert "release-station QUAY-03" in seen["detail"]
    assert "Đồng ý" in seen["buttons"] and "Xem chi tiết" in seen["buttons"], seen["buttons"]   # Qt's own words too


def test_the_clone_given_its_own_id_as_the_refusal_says_opens_and_the_other_pc_keeps_its_own(station_home, pg_db):
    from scanstation.flow import Station
    from scanstation.store.db import open_store
    from scanstation.store.seats import seats, take_seat

    _counter(station_home, pg_db)
    store = open_store(pg_db)
    take_seat(store, "QUAY-03", _other_pc())
    p = _cli(station_home, "dossier", "list")
    assert p.returncode == 2 and "scanstation settings set station.id NAME --station --lock" in p.stderr, p.stderr
    p = _cli(station_home, "settings", "set", "station.id", "QUAY-04", "--station", "--lock")   # the advice
    assert p.returncode == 0, p.stderr
    assert _cli(station_home, "dossier", "list").returncode == 0
    st = Station()
    st.store.dispose()
    held = {s.station: (s.host, s.mine) for s in seats(store)}
    store.dispose()
    assert held["QUAY-03"] == ("QUAY-03-CLONE", False) and held["QUAY-04"][1] is True
