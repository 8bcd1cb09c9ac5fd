"""A throw-away PostgreSQL server for the tests and benchmarks (Debian's ``postgresql`` package).

initdb refuses to run as root, and CI runs as root: there the cluster is made and run by the
``postgres`` OS user (``runuser``), in a temporary folder that user owns. It listens on a unix
socket in that folder only (no TCP port to collide with), fsync off (a test cluster need not
survive a power cut), and is stopped and deleted by :meth:`TempPostgres.stop`.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

INSTALL_HINT = "install Debian's postgresql package (make sysdeps does; apt-get install -y postgresql)"


def bindir() -> Path:
    """The newest installed server's binaries (Debian keeps initdb off PATH, in /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(f"PostgreSQL server binaries (initdb, pg_ctl) not found: {INSTALL_HINT}")


class TempPostgres:
    def __init__(self, user: str = "scanstation") -> None:
        self.user = user
        self.bin = bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="scanstation-pg-"))   # under /tmp: reachable by 'postgres'
        self.data = self.dir / "data"
        self.port = 5432                                               # the socket lives in self.dir: no clash
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as e:
                raise RuntimeError(f"running as root and there is no 'postgres' OS user to run the test server: "
                                   f"{INSTALL_HINT}") from e
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.run_as = ["runuser", "-u", "postgres", "--"]
        os.chmod(self.dir, 0o700)
        self.started = False

    def _run(self, *args: str, timeout: float = 120) -> None:
        p = subprocess.run([*self.run_as, *args], cwd=self.dir, capture_output=True, text=True, timeout=timeout,
                           env={**os.environ, "LC_ALL": "C", "LANG": "C"})
        if p.returncode != 0:
            log = ""
            with contextlib.suppress(OSError):
                log = (self.dir / "server.log").read_text()[-3000:]
            raise RuntimeError(f"{' '.join(args[:2])} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}\n{log}")

    def start(self) -> TempPostgres:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8",
                  "--no-locale", "--no-sync")
        opts = (f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                  "-t", "60", "-o", opts, "start")
        self.started = True
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        if self.started:
            self.started = False
            with contextlib.suppress(Exception):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, database: str) -> str:
        """What a clerk's station gets as db.url (postgresql:// means psycopg 3)."""
        return f"postgresql://{self.user}@/{database}?host={self.dir}&port={self.port}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.dir), port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
