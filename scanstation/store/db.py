"""Engine and sessions: SQLite in WAL mode by default, PostgreSQL by URL; schema via Alembic.

SQLite is one counter's own file and is upgraded when the station opens it. PostgreSQL is shared by
many counters: only ``scanstation db upgrade`` changes its schema (under an advisory lock), and a
station refuses to start on a schema other than the one its code knows."""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scanstation import paths
from scanstation.errors import StorageError


class SchemaError(StorageError):
    """The database's schema is not the one this station's code knows (not created, older, newer)."""

    code = "DB_SCHEMA"

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")      # a confirmed commit survives a power cut
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")     # another process (sync worker) may hold the lock briefly
    cur.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


class Store:
    """One database. ``session()`` is a unit of work: commit on success, roll back on error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._sessions()
        try:
            yield s
            s.commit()
        except OperationalError as e:
            s.rollback()
            raise StorageError(f"Database error: {e.orig}", "Lỗi cơ sở dữ liệu (có thể đang bị khóa), "
                               "vui lòng thử lại") from e
        except SQLAlchemyError as e:
            s.rollback()
            raise StorageError(f"Database error: {e}", "Lỗi cơ sở dữ liệu") from e
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @property
    def shared(self) -> bool:
        """Several counters use this database (PostgreSQL); SQLite is one counter's own file."""
        return self.engine.dialect.name != "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


#: pg_advisory_xact_lock key that serialises schema upgrades of one PostgreSQL database ("SCANSTA" + 1).
MIGRATION_LOCK_KEY = 0x5343414E535441_01

_PG_DRIVERS = {"psycopg": "psycopg", "psycopg2": "psycopg2", "pg8000": "pg8000", "asyncpg": "asyncpg"}


def engine_url(url: str) -> str:
    """The URL SQLAlchemy gets: ``postgresql://`` and ``postgres://`` mean psycopg 3 (the ``postgres`` extra)."""
    url = url.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: SQLite in the station home), or a clear error naming what is wrong:
    a malformed URL, or a PostgreSQL URL on a station without the PostgreSQL driver."""
    raw = url or paths.default_db_url()
    try:
        parsed = make_url(engine_url(raw))
    except ArgumentError as e:
        raise StorageError(f"db.url is not a database URL ({e}); expected sqlite:///PATH or "
                           "postgresql://USER@HOST/DATABASE", "Cài đặt db.url không phải là địa chỉ cơ sở dữ liệu "
                           "hợp lệ", field="db.url") from e
    if parsed.get_backend_name() == "postgresql":
        module = _PG_DRIVERS.get(parsed.get_driver_name(), parsed.get_driver_name())
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise StorageError(
                f"db.url points to PostgreSQL ({parsed.render_as_string(hide_password=True)}) but its driver "
                f"({module}) is not installed on this station; install it with: pip install 'scanstation[postgres]'",
                "Trạm chưa cài trình điều khiển PostgreSQL (psycopg); nhờ bộ phận CNTT cài đặt "
                "(pip install 'scanstation[postgres]')", field="db.url") from e
    try:
        engine = create_engine(parsed, future=True)
    except (ArgumentError, ImportError) as e:
        raise StorageError(f"Cannot use the database URL {parsed.render_as_string(hide_password=True)}: {e}",
                           "Không dùng được địa chỉ cơ sở dữ liệu trong cài đặt db.url", field="db.url") from e
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the station database at ``url`` (or the default SQLite file).

    SQLite (one counter, its own file): upgraded to the newest schema on open when ``migrate``.
    PostgreSQL (many counters on one server): never upgraded by a station. The schema must be exactly
    the one this code knows; otherwise a clear error says to run ``scanstation db upgrade`` (IT staff,
    once, for every counter) or to update this station. A schema newer than the code is refused on
    both (an older station must not write rows it does not understand)."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            current = _current_revision(conn)
            head = head_revision()
            if current == head:
                return Store(engine)      # already current: skip Alembic (a third of a second per CLI call)
            _refuse_unknown(current, engine)
            if engine.dialect.name != "sqlite":
                where = engine.url.render_as_string(hide_password=True)
                if current is None:
                    raise SchemaError(f"The database {where} has no station schema yet; IT staff create it once "
                                      "with: scanstation db upgrade", "Cơ sở dữ liệu dùng chung chưa được khởi tạo; "
                                      "nhờ bộ phận CNTT chạy lệnh: scanstation db upgrade", field="db.url")
                raise SchemaError(f"The database {where} has schema revision {current}; this station needs {head}. "
                                  "IT staff upgrade it once for every counter with: scanstation db upgrade",
                                  f"Cơ sở dữ liệu dùng chung đang ở phiên bản {current}, trạm cần {head}; nhờ bộ phận "
                                  "CNTT chạy lệnh: scanstation db upgrade", field="db.url")
            if migrate:
                _upgrade_on(conn, url or paths.default_db_url())
    except SQLAlchemyError as e:
        engine.dispose()
        raise StorageError(f"Cannot open the database {engine.url.render_as_string(hide_password=True)}: {e}",
                           "Không mở được cơ sở dữ liệu của trạm") from e
    except StorageError:
        engine.dispose()
        raise
    return Store(engine)


def upgrade(url: str | None = None) -> dict[str, Any]:
    """The admin command's work (``scanstation db upgrade``): bring the schema to this code's newest revision.

    On PostgreSQL the whole upgrade runs in one transaction holding an advisory lock, so several
    stations (or admins) starting it at once take turns: the first upgrades, the others find the
    schema current. PostgreSQL's DDL is transactional: a failed step leaves the previous schema."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            before = _current_revision(conn)
            head = head_revision()
            _refuse_unknown(before, engine)
            if before != head:
                _upgrade_on(conn, url or paths.default_db_url())
            after = _current_revision(conn)
    except SQLAlchemyError as e:
        raise StorageError(f"Cannot upgrade the database {engine.url.render_as_string(hide_password=True)}: {e}",
                           "Không nâng cấp được cơ sở dữ liệu") from e
    finally:
        engine.dispose()
    return {"database": engine.url.render_as_string(hide_password=True), "dialect": engine.dialect.name,
            "from": before, "to": after, "upgraded": before != after}


def schema_status(url: str | None = None) -> dict[str, Any]:
    """Where the schema stands: current (this code's newest), behind, newer (unknown here) or empty."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = _current_revision(conn)
    except SQLAlchemyError as e:
        raise StorageError(f"Cannot read the database {engine.url.render_as_string(hide_password=True)}: {e}",
                           "Không đọc được cơ sở dữ liệu") from e
    finally:
        engine.dispose()
    head = head_revision()
    state = ("current" if current == head else "empty" if current is None
             else "newer" if current not in known_revisions() else "behind")
    return {"database": engine.url.render_as_string(hide_password=True), "dialect": engine.dialect.name,
            "revision": current, "code_revision": head, "state": state}


def _upgrade_on(conn: Connection, url: str) -> None:
    from alembic import command

    cfg = alembic_config(url)
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _refuse_unknown(current: str | None, engine: Engine) -> None:
    if current is not None and current not in known_revisions():
        raise SchemaError(
            f"The database {engine.url.render_as_string(hide_password=True)} has schema revision {current}, newer "
            f"than this station knows (its newest is {head_revision()}); update this station's software before "
            "it uses this database", f"Cơ sở dữ liệu có phiên bản {current} mới hơn phần mềm của trạm; cần cập nhật "
            "phần mềm trạm trước khi dùng", field="db.url")


def _revisions() -> tuple[set[str], set[str]]:
    revs, downs = set(), set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        src = f.read_text("utf-8")
        if m := re.search(r'^revision\s*=\s*["\']([^"\']+)', src, re.M):
            revs.add(m[1])
        if m := re.search(r'^down_revision\s*=\s*["\']([^"\']+)', src, re.M):
            downs.add(m[1])
    return revs, downs


def known_revisions() -> set[str]:
    return _revisions()[0]


def head_revision() -> str:
    """The newest migration, read from the migration files (revision ids are plain literals there)."""
    revs, downs = _revisions()
    heads = revs - downs
    if len(heads) != 1:
        raise StorageError(f"Database migrations have {len(heads)} heads: {sorted(heads)}",
                           "Các bản nâng cấp cơ sở dữ liệu không nhất quán")
    return heads.pop()


def _current_revision(conn) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def store_from_settings(settings) -> Store:
    return open_store(settings.get("db.url") or None)
