"""The outbox: one upload job per signed file, its states, and the queries the worker and the clerk use."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scanstation.errors import JobNotFound, JobStateError, ValidationError
from scanstation.model import new_id
from scanstation.store.db import Store
from scanstation.store.tables import OutboxRow, OutputFileRow


class JobState(StrEnum):
    PENDING = "pending"
    UPLOADING = "uploading"
    CONFIRMED = "confirmed"
    RETRY = "failed-will-retry"
    ATTENTION = "needs-attention"
    CANCELLED = "cancelled"


ACTIVE = (JobState.PENDING, JobState.UPLOADING, JobState.RETRY)      # work still to do
STATES = tuple(JobState)
TALLY_FOLD_AT = 2000      # PostgreSQL: fold a station's tally rows into one per state past this many

# Verifies a signed file before it is queued; raises (e.g. UnsignedFileError) when it is not.
Verifier = Callable[[Path], None]


def idempotency_key(station: str, dossier_code: str, component_id: str, sha256: str) -> str:
    """Stable key for one signed file of one dossier: the same file queued twice is one job,
    and every attempt (and an export/import on another machine) sends the same key."""
    raw = f"scanstation|{station}|{dossier_code}|{component_id}|{sha256}".encode()
    return hashlib.sha256(raw).hexdigest()[:40]


@dataclass(frozen=True)
class Job:
    id: str
    idempotency_key: str
    dossier_code: str
    component_id: str
    document_type: str
    file_name: str
    path: str
    sha256: str
    size: int
    metadata: dict[str, Any]
    state: JobState
    reason: str | None
    attempts: int
    failures: int
    hash_mismatches: int
    error_kind: str | None
    last_error: str | None
    next_attempt_at: float
    remote_id: str | None
    created_at: float
    confirmed_at: float | None
    exported_at: float | None
    purged_at: float | None
    source: str
    lease_owner: str | None = None
    lease_until: float | None = None

    @classmethod
    def from_row(cls, r: OutboxRow) -> Job:
        return cls(r.id, r.idempotency_key, r.dossier_code, r.component_id, r.document_type, r.file_name,
                   r.path, r.sha256, r.size, json.loads(r.meta or "{}"), JobState(r.state), r.reason,
                   r.attempts, r.failures, r.hash_mismatches, r.error_kind, r.last_error, r.next_attempt_at,
                   r.remote_id, r.created_at, r.confirmed_at, r.exported_at, r.purged_at, r.source,
                   r.lease_owner, r.lease_until)


def enqueue(session: Session, *, dossier_code: str, path: Path | str, sha256: str, size: int,
            component_id: str = "", document_type: str = "", file_name: str | None = None,
            metadata: dict[str, Any] | None = None, output_file_id: str | None = None,
            station: str = "", key: str | None = None, source: str = "station",
            now: float | None = None) -> tuple[str, bool]:
    """Add one upload job inside the caller's transaction (so "signed" and "queued" commit together).

    Returns ``(job_id, created)``; a file already queued (same idempotency key) is not queued twice.
    """
    if not dossier_code:
        raise ValidationError("A dossier code is required to queue a file", "Cần mã hồ sơ để đưa tệp vào hàng đợi",
                              field="dossier")
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValidationError(f"Not a SHA-256 hex digest: {sha256!r}", "Mã băm SHA-256 không hợp lệ", field="sha256")
    _refuse_revoked(session, output_file_id)
    key = key or idempotency_key(station, dossier_code, component_id, sha256)
    existing = session.scalar(select(OutboxRow.id).where(OutboxRow.idempotency_key == key))
    if existing:
        return existing, False
    now = time.time() if now is None else now
    job_id = new_id()
    session.add(OutboxRow(
        id=job_id, idempotency_key=key, output_file_id=output_file_id, dossier_code=dossier_code,
        component_id=component_id or "", document_type=document_type or "",
        file_name=file_name or Path(path).name, path=str(path), sha256=sha256, size=int(size),
        meta=json.dumps(metadata or {}, ensure_ascii=False, sort_keys=True, default=str),
        state=JobState.PENDING.value, attempts=0, failures=0, hash_mismatches=0, next_attempt_at=now,
        remote_offset=0, created_at=now, updated_at=now, source=source, station=station or ""))
    session.flush()
    return job_id, True


def _refuse_revoked(session: Session, output_file_id: str | None) -> None:
    """A revoked file (hủy hiệu lực) is never uploaded again: not queued, not retried."""
    if not output_file_id:
        return
    f = session.get(OutputFileRow, output_file_id)
    if f is not None and f.state == "revoked":
        raise JobStateError(f"{f.file_name} is revoked; a revoked file is never uploaded again",
                            f"{f.file_name} đã bị hủy hiệu lực; không tải lên lại", field="job")


def process_identity() -> str:
    """Who holds a lease: host and pid, so a restarted station recognises its own dead uploads."""
    return f"{socket.gethostname()}:{os.getpid()}:{new_id()[:8]}"


def lease_holder_dead(owner: str | None) -> bool:
    """True when the lease belongs to a process on this host that no longer runs."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_s = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_s.isdigit():
        return False
    pid = int(pid_s)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


class _IsoCache:
    """Local ISO-8601 times to the second, formatting each distinct minute only once."""

    def __init__(self) -> None:
        self._minutes: dict[int, tuple[str, str]] = {}

    def __call__(self, ts: float | None) -> str | None:
        if ts is None:
            return None
        sec = int(ts)
        minute, s = divmod(sec, 60)
        got = self._minutes.get(minute)
        if got is None:
            text = datetime.fromtimestamp(minute * 60).astimezone().isoformat(timespec="seconds")
            got = self._minutes[minute] = (text[:17], text[19:])   # "YYYY-MM-DDTHH:MM:" + offset
        return f"{got[0]}{s:02d}{got[1]}"


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds") if ts else None


class Outbox:
    """Read and change jobs. Every change is a short transaction; the worker owns scheduling.

    ``station`` (its station.id) scopes a shared database (PostgreSQL, many counters) to the jobs
    of that station: the files are on its disk, so only it lists, claims, retries or cancels them.
    SQLite is one counter's own file: every job in it is the station's, whatever its id."""

    def __init__(self, store: Store, station: str | None = None) -> None:
        self.store = store
        self.station = station if (station is not None and store.shared) else None
        self._postgres = store.engine.dialect.name == "postgresql"

    def mine_clauses(self) -> list[Any]:
        """WHERE clauses limiting a query to this station's jobs (none on SQLite or unscoped)."""
        return [] if self.station is None else [OutboxRow.station == self.station]

    # --- reading --------------------------------------------------------------------------------------
    def get(self, job_ref: str) -> Job:
        with self.store.session() as s:
            return Job.from_row(self._find(s, job_ref))

    def _find(self, s: Session, job_ref: str) -> OutboxRow:
        job_ref = (job_ref or "").strip().lower()
        row = s.get(OutboxRow, job_ref) if job_ref else None
        if row is not None and self.station is not None and row.station != self.station:
            row = None        # another counter's job: not ours to see or change
        if row is None and len(job_ref) >= 4:
            rows = list(s.scalars(select(OutboxRow).where(OutboxRow.id.like(f"{job_ref}%"), *self.mine_clauses()).limit(2)))
            if len(rows) > 1:
                raise JobNotFound(f"Job reference {job_ref} is ambiguous; give more characters",
                                  f"Mã công việc {job_ref} trùng nhiều công việc; hãy nhập thêm ký tự", field="job")
            row = rows[0] if rows else None
        if row is None:
            raise JobNotFound(f"No upload job {job_ref!r}", f"Không có công việc tải lên {job_ref!r}", field="job")
        return row

    def counts(self) -> dict[str, int]:
        if self._postgres:
            with self.store.engine.connect() as conn:
                got = self._tally(conn)
        else:
            with self.store.session() as s:
                got = dict(s.execute(select(OutboxRow.state, func.count()).where(*self.mine_clauses())
                                     .group_by(OutboxRow.state)).all())
        return {st.value: int(got.get(st.value, 0)) for st in STATES}

    def _tally(self, conn: Any) -> dict[str, int]:
        """Jobs per state on PostgreSQL, from the trigger-kept tally (migration 0005), not by counting
        every job (100,000 rows take ~80 ms to count; the tally's few rows well under 1 ms). When this
        station's tally has grown past TALLY_FOLD_AT rows, they are folded into one per state."""
        where, params = ("WHERE station = :st", {"st": self.station}) if self.station is not None else ("", {})
        rows = conn.execute(text(f"SELECT state, sum(n), count(*) FROM outbox_tally {where} GROUP BY state"),
                            params).all()
        conn.commit()                                    # end the read (autobegun) before the fold's own transaction
        if sum(r[2] for r in rows) > TALLY_FOLD_AT and self.station is not None:
            # Folding is housekeeping (the sums read above are already right): a failure changes nothing.
            with contextlib.suppress(SQLAlchemyError), conn.begin():
                conn.execute(text(
                    "WITH gone AS (DELETE FROM outbox_tally WHERE station = :st RETURNING state, n) "
                    "INSERT INTO outbox_tally (station, state, n) SELECT :st, state, sum(n) FROM gone "
                    "GROUP BY state"), params)
        return {state: int(n) for state, n, _ in rows}

    def status(self, *, limit: int | None = None) -> dict[str, Any]:
        """Counts per state and one line per job (plain data, ready for JSON).

        Written for speed (10,000 jobs well under 50 ms): the statement is compiled once by
        SQLAlchemy for whatever database this is and its rows read as plain tuples, and times are
        formatted through a per-minute cache (a long queue's times cluster in minutes)."""
        cols = (OutboxRow.id, OutboxRow.dossier_code, OutboxRow.file_name, OutboxRow.state, OutboxRow.attempts,
                OutboxRow.next_attempt_at, OutboxRow.last_error, OutboxRow.reason)
        counts = {st.value: 0 for st in STATES}
        iso_ = _IsoCache()
        waiting = ("pending", "failed-will-retry")
        q = select(*cols).where(*self.mine_clauses()).order_by(OutboxRow.created_at, OutboxRow.id)
        if limit:
            q = q.limit(limit)
        with self.store.engine.connect() as conn:
            compiled = q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
            rows = conn.exec_driver_sql(str(compiled)).fetchall()
            if limit and self._postgres:
                counts.update(self._tally(conn))
            elif limit:
                got = conn.execute(select(OutboxRow.state, func.count()).where(*self.mine_clauses())
                                   .group_by(OutboxRow.state)).all()
                counts.update({k: int(v) for k, v in got})
        gc_was_on = gc.isenabled()
        gc.disable()   # 10,000 small dicts would trigger several useless collections
        try:
            jobs = [{"id": jid, "dossier": dossier, "file": name, "state": state, "attempts": attempts,
                     "next_attempt": iso_(nxt) if state in waiting else None, "last_error": err, "reason": reason}
                    for jid, dossier, name, state, attempts, nxt, err, reason in rows]
        finally:
            if gc_was_on:
                gc.enable()
        if not limit:
            for j in jobs:
                counts[j["state"]] = counts.get(j["state"], 0) + 1
        return {"counts": counts, "total": sum(counts.values()), "jobs": jobs}

    def has_active(self) -> bool:
        with self.store.session() as s:
            return s.scalar(select(OutboxRow.id).where(OutboxRow.state.in_([a.value for a in ACTIVE]), *self.mine_clauses())
                            .limit(1)) is not None

    def next_due(self) -> float | None:
        with self.store.session() as s:
            return s.scalar(select(func.min(OutboxRow.next_attempt_at))
                            .where(OutboxRow.state.in_([JobState.PENDING.value, JobState.RETRY.value]),
                                   *self.mine_clauses()))

    def leased_elsewhere(self, owner: str) -> bool:
        """Another worker (process or thread) is uploading something right now."""
        with self.store.session() as s:
            return s.scalar(select(OutboxRow.id).where(OutboxRow.state == JobState.UPLOADING.value,
                                                       or_(OutboxRow.lease_owner.is_(None),
                                                           OutboxRow.lease_owner != owner),
                                                       *self.mine_clauses()).limit(1)) is not None

    def jobs(self, states: Iterable[JobState] | None = None) -> list[Job]:
        with self.store.session() as s:
            q = select(OutboxRow).where(*self.mine_clauses()).order_by(OutboxRow.created_at, OutboxRow.id)
            if states is not None:
                q = q.where(OutboxRow.state.in_([JobState(x).value for x in states]))
            return [Job.from_row(r) for r in s.scalars(q)]

    # --- the worker's side ------------------------------------------------------------------------------
    def recover_orphans(self, now: float) -> int:
        """Jobs left 'uploading' by a process that died (SIGKILL, power cut): make them due again."""
        n = 0
        with self.store.session() as s:
            rows = list(s.execute(select(OutboxRow.id, OutboxRow.lease_owner, OutboxRow.lease_until)
                                  .where(OutboxRow.state == JobState.UPLOADING.value, *self.mine_clauses())))
            for jid, owner, until in rows:
                if lease_holder_dead(owner) or (until or 0) < now:
                    n += s.execute(update(OutboxRow).where(OutboxRow.id == jid,
                                                           OutboxRow.state == JobState.UPLOADING.value,
                                                           OutboxRow.lease_owner == owner)
                                   .values(state=JobState.RETRY.value, lease_owner=None, lease_until=None,
                                           next_attempt_at=now, updated_at=now, error_kind="interrupted",
                                           last_error="upload interrupted (the station stopped during it); "
                                                      "it resumes from what the server holds")).rowcount
        return n

    def claim(self, owner: str, now: float, lease_s: float, limit: int, exclude: set[str]) -> list[Job]:
        """Take up to ``limit`` due jobs for this worker (atomic per job: two workers never share one).

        On a shared database only this station's jobs (its files), and the candidate rows are locked
        with ``FOR UPDATE SKIP LOCKED``: two workers claiming at once each get other jobs at once,
        neither waits for the other's transaction. SQLite serialises writers itself; there the
        conditional UPDATE below is what makes a claim atomic."""
        if limit <= 0:
            return []
        out: list[Job] = []
        with self.store.session() as s:
            due = or_(
                (OutboxRow.state.in_([JobState.PENDING.value, JobState.RETRY.value])
                 & (OutboxRow.next_attempt_at <= now)),
                (OutboxRow.state == JobState.UPLOADING.value) & (OutboxRow.lease_until < now),
            )
            q = (select(OutboxRow.id).where(due, *self.mine_clauses()).order_by(OutboxRow.next_attempt_at,
                                                                           OutboxRow.created_at))
            if self._postgres:
                if exclude:
                    q = q.where(OutboxRow.id.not_in(list(exclude)))
                q = q.limit(limit).with_for_update(skip_locked=True)
            else:
                q = q.limit(limit + len(exclude))
            ids = list(s.scalars(q))
            for jid in ids:
                if jid in exclude or len(out) >= limit:
                    continue
                n = s.execute(update(OutboxRow).where(OutboxRow.id == jid, due)
                              .values(state=JobState.UPLOADING.value, lease_owner=owner,
                                      lease_until=now + lease_s, attempts=OutboxRow.attempts + 1,
                                      updated_at=now)).rowcount
                if n:
                    out.append(Job.from_row(s.get(OutboxRow, jid)))
        return out

    def renew(self, owner: str, ids: Iterable[str], until: float) -> None:
        ids = list(ids)
        if ids:
            with self.store.session() as s:
                s.execute(update(OutboxRow).where(OutboxRow.id.in_(ids), OutboxRow.lease_owner == owner,
                                                  OutboxRow.state == JobState.UPLOADING.value)
                          .values(lease_until=until))

    def wake_offline(self, now: float) -> int:
        """The link is back: jobs that waited only because we were offline are due now."""
        with self.store.session() as s:
            return s.execute(update(OutboxRow).where(OutboxRow.state == JobState.RETRY.value,
                                                     OutboxRow.error_kind == "offline",
                                                     OutboxRow.next_attempt_at > now, *self.mine_clauses())
                             .values(next_attempt_at=now)).rowcount

    # --- the clerk's side -------------------------------------------------------------------------------
    def retry(self, job_ref: str, now: float | None = None, on_change=None) -> Job:
        now = time.time() if now is None else now
        with self.store.session() as s:
            row = self._find(s, job_ref)
            if row.state in (JobState.CONFIRMED.value, JobState.UPLOADING.value, JobState.PENDING.value):
                raise JobStateError(f"Job {row.id[:8]} is {row.state}; only failed, held or cancelled jobs can be "
                                    "retried", f"Công việc {row.id[:8]} đang ở trạng thái {row.state}; chỉ thử lại "
                                    "được công việc lỗi, cần xử lý hoặc đã hủy", field="job")
            _refuse_revoked(s, row.output_file_id)
            prev = row.state
            row.state, row.reason, row.failures, row.hash_mismatches = JobState.PENDING.value, None, 0, 0
            row.next_attempt_at, row.updated_at = now, now
            if on_change:
                on_change(s, row, prev)
            return Job.from_row(row)

    def cancel(self, job_ref: str, now: float | None = None, on_change=None) -> Job:
        now = time.time() if now is None else now
        with self.store.session() as s:
            row = self._find(s, job_ref)
            if row.state == JobState.CONFIRMED.value:
                raise JobStateError(f"Job {row.id[:8]} is already confirmed by the server; it cannot be cancelled",
                                    f"Công việc {row.id[:8]} đã được máy chủ xác nhận, không thể hủy", field="job")
            if row.state == JobState.UPLOADING.value and not (lease_holder_dead(row.lease_owner)
                                                              or (row.lease_until or 0) < now):
                raise JobStateError(f"Job {row.id[:8]} is being uploaded right now; pause the sync or try again",
                                    f"Công việc {row.id[:8]} đang được tải lên; hãy tạm dừng đồng bộ rồi thử lại",
                                    field="job")
            if row.state == JobState.CANCELLED.value:
                return Job.from_row(row)
            prev = row.state
            row.state, row.lease_owner, row.lease_until, row.updated_at = JobState.CANCELLED.value, None, None, now
            if on_change:
                on_change(s, row, prev)
            return Job.from_row(row)
