"""The shared database's schema: one admin command under an advisory lock, and stations that refuse a
schema they do not know (issue 14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from scanstation.store.db import engine_url, head_revision

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.pg


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SCANSTATION_HOME=str(home))
    env.update(extra)
    return env


def _cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT, env=_env(home),
                          capture_output=True, text=True, timeout=timeout)


def _station_home(tmp_path: Path, name: str, url: str, station_id: str | None = None) -> Path:
    from scanstation.config import Settings

    home = tmp_path / name
    home.mkdir()
    old = os.environ.get("SCANSTATION_HOME")
    os.environ["SCANSTATION_HOME"] = str(home)
    try:
        s = Settings()
        s.set("db.url", url, layer="station")
        s.set("station.id", station_id or name.upper(), layer="station")
    finally:
        os.environ["SCANSTATION_HOME"] = old or ""
    return home


def _revision(url: str) -> str | None:
    eng = create_engine(engine_url(url))
    try:
        with eng.connect() as c:
            if not inspect(c).has_table("alembic_version"):
                return None
            rows = c.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            assert len(rows) == 1, rows
            return rows[0]
    finally:
        eng.dispose()


# A driver that imports everything first and then waits for a common start time: the upgrades then
# begin within a few milliseconds of each other, not spread over each interpreter's start-up.
_GATED = """
import sys, time
from scanstation.cli import main
import scanstation.cli.cmd_db, scanstation.store.db, alembic.command, psycopg  # noqa: F401  (warm)
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
raise SystemExit(main(["db", "upgrade", "--url", sys.argv[2], "--json"]))
"""


def test_several_stations_upgrading_a_new_database_at_once_take_turns(pg_url, tmp_path):
    start = time.time() + 6.0
    procs = [subprocess.Popen([sys.executable, "-c", _GATED, str(start), pg_url], cwd=ROOT,
                              env=_env(tmp_path / f"h{i}"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    reps = [json.loads(o) for o, _ in outs]
    assert sum(r["upgraded"] for r in reps) == 1, reps            # one built the schema; the others waited
    assert all(r["to"] == head_revision() for r in reps)
    assert sorted(r["from"] is None for r in reps) == [False, False, False, True]
    assert _revision(pg_url) == head_revision()
    eng = create_engine(engine_url(pg_url))
    assert {"outbox", "dossier", "audit_event", "calibration"} <= set(inspect(eng).get_table_names())
    eng.dispose()


def test_a_station_refuses_a_database_nobody_has_upgraded(pg_url, tmp_path):
    home = _station_home(tmp_path, "a", pg_url)
    p = _cli(home, "queue", "status")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert "no station schema yet" in p.stderr and "scanstation db upgrade" in p.stderr
    assert _revision(pg_url) is None                                 # a station never migrates PostgreSQL
    st = _cli(home, "db", "status", "--json")
    assert st.returncode == 1 and json.loads(st.stdout)["state"] == "empty"
    up = _cli(home, "db", "upgrade")
    assert up.returncode == 0 and f"to {head_revision()}" in up.stdout, up.stderr
    ok = _cli(home, "queue", "status", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["total"] == 0, ok.stderr
    assert _cli(home, "db", "status").returncode == 0


def test_an_older_schema_waits_for_the_admin_command(pg_url, tmp_path):
    from alembic import command

    from scanstation.store.db import alembic_config

    command.upgrade(alembic_config(engine_url(pg_url)), "0003")       # the schema before this release
    home = _station_home(tmp_path, "a", pg_url)
    p = _cli(home, "queue", "status")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert f"schema revision 0003; this station needs {head_revision()}" in p.stderr
    assert _revision(pg_url) == "0003"
    assert _cli(home, "db", "upgrade").returncode == 0
    assert _revision(pg_url) == head_revision()
    eng = create_engine(engine_url(pg_url))
    assert "station" in {c["name"] for c in inspect(eng).get_columns("outbox")}
    eng.dispose()


def test_a_newer_schema_is_refused_by_stations_and_by_the_upgrade(pg_db, tmp_path):
    eng = create_engine(engine_url(pg_db))
    with eng.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0999'"))   # a later release upgraded it
    eng.dispose()
    home = _station_home(tmp_path, "a", pg_db)
    for args in (("queue", "status"), ("db", "upgrade")):
        p = _cli(home, *args)
        assert p.returncode == 2 and "Traceback" not in p.stderr, (args, p.stderr)
        assert "schema revision 0999, newer than this station knows" in p.stderr, p.stderr
        assert "update this station's software" in p.stderr
    assert _revision(pg_db) == "0999"                                  # nothing was touched
    from scanstation.flow import Station
    from scanstation.store.db import SchemaError

    os.environ["SCANSTATION_HOME"] = str(home)
    with pytest.raises(SchemaError) as e:
        Station()
    assert e.value.message_vi.startswith("Cơ sở dữ liệu có phiên bản 0999")


def test_a_sqlite_station_refuses_a_newer_schema_too(station_home):
    from scanstation.store.db import SchemaError, open_store

    store = open_store()
    with store.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    store.dispose()
    with pytest.raises(SchemaError, match="newer than this station knows"):
        open_store()


def test_postgresql_without_its_driver_is_a_clear_error(station_home):
    from scanstation.config import Settings

    Settings().set("db.url", "postgresql://clerk:s3cret@db.example/scanstation", layer="station")
    code = ("import sys; sys.modules['psycopg'] = None\n"        # as on a station installed without the extra
            "from scanstation.cli import main; raise SystemExit(main(['queue', 'status']))")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(station_home), capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and "ModuleNotFoundError" not in p.stderr
    assert "driver (psycopg) is not installed" in p.stderr and "pip install 'scanstation[postgres]'" in p.stderr
    assert "s3cret" not in p.stderr                                    # the password is never printed


def test_a_counter_without_its_own_station_id_is_refused_on_a_shared_database(pg_db, tmp_path):
    from scanstation.config import Settings

    home = tmp_path / "nameless"
    home.mkdir()
    os.environ["SCANSTATION_HOME"] = str(home)
    Settings().set("db.url", pg_db, layer="station")              # station.id left at its default
    p = _cli(home, "sync", "run", "--once")
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert "has no station.id of its own" in p.stderr
    Settings().set("station.id", "QUAY-07", layer="station")
    assert _cli(home, "queue", "status").returncode == 0
