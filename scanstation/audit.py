"""Append-only, hash-chained audit log: who did what, when, on which dossier, page or file."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from scanstation import paths
from scanstation.errors import StorageError
from scanstation.fsio import atomic_write_text
from scanstation.model import AuditEvent
from scanstation.store.db import Store
from scanstation.store.tables import AuditEventRow

GENESIS = "0" * 64
AUDIT_LOCK_KEY = 0x5343414E415544    # pg_advisory_xact_lock key of the audit chain ("SCANAUD")


def _digest(seq: int, at: datetime, actor: str, action: str, dossier: str | None, page: str | None,
            file: str | None, details: dict[str, Any], prev_hash: str) -> str:
    body = json.dumps(
        {"seq": seq, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), "actor": actor, "action": action,
         "dossier": dossier, "page": page, "file": file, "details": details, "prev": prev_hash},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


class AuditLog:
    """The station's audit log in its database, with the chain head anchored in a file beside it."""

    def __init__(self, store: Store, anchor: Path | None = None) -> None:
        self.store = store
        self.anchor = anchor or paths.audit_anchor_path()

    def append(self, actor: str, action: str, *, dossier: str | None = None, page: str | None = None,
               file: str | None = None, details: dict[str, Any] | None = None, session=None) -> AuditEvent:
        """Add one event. Pass ``session`` to make the event part of a larger transaction."""
        details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
        for _attempt in range(20):
            try:
                if session is not None:
                    ev = self._append_in(session, actor, action, dossier, page, file, details)
                else:
                    with self.store.session() as s:
                        ev = self._append_in(s, actor, action, dossier, page, file, details)
                break
            except IntegrityError:  # another process appended the same seq first: take the next one
                if session is not None:
                    raise
        else:
            raise StorageError("Audit log is busy: could not append", "Nhật ký kiểm tra đang bận")
        if session is None:
            self._write_anchor(ev)
        else:
            # Inside the caller's transaction: anchor the event only once it is committed
            # (a rolled-back event must not become the chain's head).
            event.listen(session, "after_commit", lambda _s: self._write_anchor(ev), once=True)
        return ev

    def _append_in(self, s, actor, action, dossier, page, file, details) -> AuditEvent:
        if s.get_bind().dialect.name == "postgresql":
            # Counters sharing one PostgreSQL append in turn (the lock ends with the transaction): without
            # it two of them read the same last event and one fails on the duplicate seq - in the middle of
            # an intake, a signing or an upload's outcome, whose transaction the event belongs to.
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
        last = s.execute(select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc())
                         .limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = datetime.now(UTC)
        h = _digest(seq, at, actor, action, dossier, page, file, details, prev)
        s.add(AuditEventRow(seq=seq, at=at, actor=actor, action=action, dossier=dossier, page=page, file=file,
                            details=json.dumps(details, ensure_ascii=False, sort_keys=True), prev_hash=prev, hash=h))
        s.flush()
        return AuditEvent(seq, at, actor, action, dossier, page, file, details, prev, h)

    def _write_anchor(self, ev: AuditEvent) -> None:
        # The anchor only strengthens verification; the event itself is already committed.
        with contextlib.suppress(StorageError):
            atomic_write_text(self.anchor, json.dumps({"seq": ev.seq, "hash": ev.hash}))

    def events(self, dossier: str | None = None) -> list[AuditEvent]:
        with self.store.session() as s:
            q = select(AuditEventRow).order_by(AuditEventRow.seq)
            if dossier:
                q = q.where(AuditEventRow.dossier == dossier)
            return [_to_event(r) for r in s.scalars(q)]

    def count(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(AuditEventRow)) or 0

    def verify(self) -> VerifyReport:
        """Recompute the chain; report every edited, removed or reordered event."""
        problems: list[dict[str, Any]] = []
        prev, expected_seq, n = GENESIS, 1, 0
        with self.store.session() as s:
            for r in s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)).yield_per(1000):
                n += 1
                if r.seq != expected_seq:
                    problems.append({"seq": r.seq, "problem": "missing",
                                     "detail": f"events {expected_seq}..{r.seq - 1} are missing"})
                if r.prev_hash != prev:
                    problems.append({"seq": r.seq, "problem": "chain",
                                     "detail": "does not follow the previous event (removed or reordered)"})
                details = json.loads(r.details or "{}")
                at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
                if _digest(r.seq, at, r.actor, r.action, r.dossier, r.page, r.file, details, r.prev_hash) != r.hash:
                    problems.append({"seq": r.seq, "problem": "edited",
                                     "detail": "content does not match its hash (edited)"})
                prev, expected_seq = r.hash, r.seq + 1
                last_hash_by_seq = (r.seq, r.hash)
        if self.anchor.exists():
            try:
                a = json.loads(self.anchor.read_text())
            except (OSError, json.JSONDecodeError):
                a = None
            if a and n == 0:
                problems.append({"seq": a["seq"], "problem": "missing", "detail": "the log is empty but the anchor "
                                 f"records event {a['seq']}"})
            elif a and expected_seq - 1 < a["seq"]:
                problems.append({"seq": a["seq"], "problem": "missing",
                                 "detail": f"the log ends at {expected_seq - 1} but the anchor records event {a['seq']}"
                                 " (events removed from the end)"})
            elif a and expected_seq - 1 == a["seq"] and last_hash_by_seq[1] != a["hash"]:
                problems.append({"seq": a["seq"], "problem": "edited", "detail": "last event differs from the anchor"})
        return VerifyReport(events=n, problems=problems)


@dataclass
class VerifyReport:
    events: int
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _to_event(r: AuditEventRow) -> AuditEvent:
    return AuditEvent(r.seq, r.at, r.actor, r.action, r.dossier, r.page, r.file, json.loads(r.details or "{}"),
                      r.prev_hash, r.hash)
