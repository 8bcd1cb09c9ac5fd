"""Audit chains of several stations in one PostgreSQL database (a province's service centre), against a
real server this test starts (a temporary cluster, stopped at the end; run as the postgres account
when the tests run as root, as CI does)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    for v in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (v / "pg_ctl").exists():
            return v
    return None


@pytest.fixture(scope="module")
def pg_url():
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is an optional extra (pip install .[postgres])")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package postgresql)")
    # Not under pytest's temporary folder: as root that is 0700 and the postgres account cannot enter it.
    d = Path(tempfile.mkdtemp(prefix="scanstation-pg-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    as_root = os.geteuid() == 0

    def run(*cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if as_root else list(cmd)
        p = subprocess.run(full, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"{cmd[0]} failed: {p.stderr}"

    if as_root:
        shutil.chown(d, "postgres")
    run(str(bindir / "initdb"), "-D", str(d / "data"), "-A", "trust", "-U", "postgres")
    run(str(bindir / "pg_ctl"), "-D", str(d / "data"), "-l", str(d / "log"), "-w", "start", "-o",
        f"-p {port} -k {d} -c listen_addresses=127.0.0.1")
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        from scanstation.store.db import upgrade

        upgrade(url)                  # the admin step (`scanstation db upgrade`): stations never migrate a server
        yield url
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(d / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(d, ignore_errors=True)


_WRITER = """
import sys
from scanstation.audit import AuditLog
from scanstation.store.db import open_store
store = open_store(sys.argv[1])
log = AuditLog(store, station=sys.argv[2])
for i in range(int(sys.argv[3])):
    if i % 2:
        log.append("p", "plain", details={"i": i})
    else:
        with store.session() as s:
            log.append("p", "in-transaction", details={"i": i}, session=s)
store.dispose()
"""


def test_stations_append_concurrently_to_their_own_chains_on_postgresql(pg_url, tmp_path):
    from sqlalchemy import text

    from scanstation.audit import AuditLog
    from scanstation.store.db import open_store

    store = open_store(pg_url)                     # migrations 0001..0004 on PostgreSQL
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, pg_url, st, "30"], env=env, cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for st in ("QUAY-A", "QUAY-A", "QUAY-B", "QUAY-B")]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read()
    assert time.monotonic() - t0 < 300
    for st in ("QUAY-A", "QUAY-B"):
        log = AuditLog(store, tmp_path / f"{st}.head", station=st)
        assert [e.seq for e in log.events()] == list(range(1, 61))
        rep = log.verify()
        # The head files were written in the writers' home, not here: only that is reported.
        assert {p["problem"] for p in rep.problems} == {"head"}, rep.problems
    with store.engine.begin() as c:
        c.execute(text("UPDATE audit_event SET actor = 'x' WHERE station = 'QUAY-B' AND seq = 7"))
    assert AuditLog(store, tmp_path / "QUAY-A.head", station="QUAY-A").verify().problems[0]["problem"] == "head"
    probs = AuditLog(store, tmp_path / "QUAY-B.head", station="QUAY-B").verify().problems
    assert (7, "edited") in {(p["seq"], p["problem"]) for p in probs}
    store.dispose()
