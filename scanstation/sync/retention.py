"""Retention: a confirmed file stays on the station for ``sync.retention_days``, then is purged."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scanstation import paths
from scanstation.store.db import Store
from scanstation.store.tables import OutboxRow
from scanstation.sync.outbox import Job, JobState, Outbox

log = logging.getLogger(__name__)

DAY = 86400.0


def purge_confirmed(store: Store, retention_days: int, now: float,
                    audit: Callable[[Any, str, Job, dict[str, Any]], None] | None = None,
                    home: Path | None = None, station: str | None = None) -> int:
    """Delete local copies of files the server confirmed more than ``retention_days`` ago.

    Only files inside the station's own storage are deleted (a file queued from elsewhere is the
    clerk's, not ours); either way the job is marked purged and an audit event records it.
    A negative retention keeps files forever. On a shared database only ``station``'s jobs (its files)."""
    if retention_days < 0:
        return 0
    home = (home or paths.home()).resolve()
    limit = now - retention_days * DAY
    n = 0
    with store.session() as s:
        rows = list(s.scalars(select(OutboxRow).where(OutboxRow.state == JobState.CONFIRMED.value,
                                                      OutboxRow.purged_at.is_(None),
                                                      OutboxRow.confirmed_at <= limit,
                                                      *Outbox(store, station).mine_clauses()).limit(500)))
        for row in rows:
            path = Path(row.path)
            inside = _inside(path, home)
            deleted = False
            if inside:
                try:
                    os.unlink(path)
                    deleted = True
                except FileNotFoundError:
                    pass
                except OSError as e:
                    log.warning("cannot purge %s: %s", path, e)
                    continue
            row.purged_at = now
            n += 1
            if audit:
                audit(s, "sync.file_purged", Job.from_row(row),
                      {"job": row.id, "sha256": row.sha256, "confirmed_at": row.confirmed_at,
                       "retention_days": retention_days, "deleted": deleted,
                       **({} if inside else {"kept": "outside the station's storage"})})
    return n


def _inside(path: Path, home: Path) -> bool:
    try:
        path.resolve().relative_to(home)
        return True
    except (ValueError, OSError):
        return False
