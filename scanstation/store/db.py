"""Engine and sessions: SQLite in WAL mode by default, PostgreSQL by URL; schema via Alembic."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scanstation import paths
from scanstation.errors import StorageError

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

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open (and migrate to the newest schema) the station database at ``url`` or the default."""
    url = url or paths.default_db_url()
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if migrate:
        try:
            with engine.begin() as conn:
                if _current_revision(conn) == head_revision():
                    return Store(engine)      # already current: skip Alembic (a third of a second per CLI call)
                from alembic import command

                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as e:
            raise StorageError(f"Cannot open the database {engine.url!r}: {e}",
                               "Không mở được cơ sở dữ liệu của trạm") from e
    return Store(engine)


def head_revision() -> str:
    """The newest migration, read from the migration files (revision ids are plain literals there)."""
    revs, downs = set(), set()
    for f in (MIGRATIONS / "versions").glob("*.py"):
        src = f.read_text("utf-8")
        if m := re.search(r'^revision\s*=\s*["\']([^"\']+)', src, re.M):
            revs.add(m[1])
        if m := re.search(r'^down_revision\s*=\s*["\']([^"\']+)', src, re.M):
            downs.add(m[1])
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
