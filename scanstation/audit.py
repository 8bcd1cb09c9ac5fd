"""Append-only, hash-chained, keyed audit log: who did what, when, on which dossier, page or file.

Each station has its own chain in the (possibly shared) database, numbered 1, 2, ... Every event's
``hash`` covers its content, its station and the previous event's hash; its ``mac`` is an HMAC of that
hash with the station's **audit key**, kept outside the database and outside the station home
(:func:`scanstation.paths.audit_key_dir`). Someone who can write the database but not read the key
can edit an event and recompute every hash after it, but not the MACs: :meth:`AuditLog.verify`
reports it. The chain's head (station, seq, hash, MAC) is written to ``audit.head`` in the station
home after every append: deleting the last events is reported, and so is deleting or emptying the
head file itself. With each upload the head is also sent to the provincial system, which keeps it;
``verify(anchors=...)`` checks the chain against those copies (``audit verify --against-server``).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable
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
DEFAULT_STATION = "STATION-01"
LEGACY = ""          # events from before per-station keyed chains (migration 0004)
MAX_LISTED = 50      # problems of one kind listed one by one; the rest are counted


def _digest_v1(seq: int, at: datetime, actor: str, action: str, dossier: str | None, page: str | None,
               file: str | None, details: dict[str, Any], prev_hash: str) -> str:
    body = json.dumps(
        {"seq": seq, "at": at.astimezone(UTC).isoformat(timespec="microseconds"), "actor": actor, "action": action,
         "dossier": dossier, "page": page, "file": file, "details": details, "prev": prev_hash},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _digest(station: str, seq: int, at: datetime, actor: str, action: str, dossier: str | None, page: str | None,
            file: str | None, details: dict[str, Any], prev_hash: str) -> str:
    if station == LEGACY:
        return _digest_v1(seq, at, actor, action, dossier, page, file, details, prev_hash)
    body = json.dumps(
        {"v": 2, "station": station, "seq": seq, "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
         "actor": actor, "action": action, "dossier": dossier, "page": page, "file": file, "details": details,
         "prev": prev_hash}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _mac(key: bytes, what: str) -> str:
    return hmac.new(key, what.encode("utf-8"), hashlib.sha256).hexdigest()


def _head_mac(key: bytes, station: str, seq: int, h: str) -> str:
    return _mac(key, f"head|{station}|{seq}|{h}")


# --- the audit key --------------------------------------------------------------------------------------
def key_path(station: str, folder: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", station) or "_"
    return (folder or paths.audit_key_dir()) / f"{safe}.key"


def load_key(station: str, folder: Path | None = None, *, create: bool = False) -> bytes | None:
    """The station's audit key (32 random bytes, hex in a 0600 file); created on first use when
    ``create``. Several processes of one station may race to create it, and one may be killed while
    doing so: the key is written whole to a temporary file and hard-linked into place, which fails
    if another process got there first (then its key is used)."""
    p = key_path(station, folder)
    for _ in range(2):
        try:
            raw = p.read_text("ascii").strip()
        except FileNotFoundError:
            if not create:
                return None
            _create_key(p)
            continue
        except OSError as e:
            raise StorageError(f"Cannot read the audit key {p}: {e.strerror or e}",
                               f"Không đọc được khóa của nhật ký kiểm tra {p}") from e
        if re.fullmatch(r"[0-9a-f]{64}", raw):
            return bytes.fromhex(raw)
        raise StorageError(f"The audit key {p} is damaged (expected 64 hex digits)",
                           f"Khóa của nhật ký kiểm tra {p} bị hỏng")
    raise StorageError(f"Cannot read the audit key {p}", f"Không đọc được khóa của nhật ký kiểm tra {p}")


def _create_key(p: Path) -> None:
    tmp = p.with_name(f".{p.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, p)
    except OSError as e:
        raise StorageError(f"Cannot create the audit key {p}: {e.strerror or e}",
                           f"Không tạo được khóa của nhật ký kiểm tra {p}") from e
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


class AuditLog:
    """One station's audit chain in its database, with the chain head anchored in a file beside it."""

    def __init__(self, store: Store, anchor: Path | None = None, *, station: str | None = None,
                 key_dir: Path | None = None) -> None:
        self.store = store
        self.anchor = anchor or paths.audit_anchor_path()
        self.station = station or DEFAULT_STATION
        self.key_dir = key_dir
        self._key: bytes | None = None

    # --- writing ---
    def _get_key(self) -> bytes:
        if self._key is None:
            self._key = load_key(self.station, self.key_dir, create=True)
        assert self._key is not None
        return self._key

    def append(self, actor: str, action: str, *, dossier: str | None = None, page: str | None = None,
               file: str | None = None, details: dict[str, Any] | None = None, session=None) -> AuditEvent:
        """Add one event. Pass ``session`` to make the event part of a larger transaction.

        Settings changes are events like any other, e.g. ``append(actor, "settings.set",
        details={"key": k, "old": old, "new": new, "os_user": ...})`` (see :meth:`settings_changed`)."""
        details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
        key = self._get_key()
        ev: AuditEvent | None = None
        for _attempt in range(50):
            try:
                if session is not None:
                    ev = self._append_in(session, key, actor, action, dossier, page, file, details)
                else:
                    with self.store.session() as s:
                        ev = self._append_in(s, key, actor, action, dossier, page, file, details)
                break
            except IntegrityError:
                raise    # only inside the caller's transaction (the lock below makes it unexpected)
            except StorageError as e:   # another process appended the same seq first: take the next one
                if session is not None or not isinstance(e.__cause__, IntegrityError):
                    raise
        if ev is None:
            raise StorageError("Audit log is busy: could not append", "Nhật ký kiểm tra đang bận")
        if session is None:
            self._write_anchor(ev, key)
        else:
            # Inside the caller's transaction: anchor the event only once it is committed
            # (a rolled-back event must not become the chain's head).
            done = ev
            event.listen(session, "after_commit", lambda _s: self._write_anchor(done, key), once=True)
        return ev

    def settings_changed(self, actor: str, key: str, old: Any, new: Any, *, action: str = "settings.set",
                         **details: Any) -> AuditEvent:
        """Record a settings change: who (the clerk or IT person), the OS account, the old and new value."""
        return self.append(actor, action, details={"key": key, "old": old, "new": new, "os_user": _os_user(),
                                                   **details})

    def _append_in(self, s, key: bytes, actor, action, dossier, page, file, details) -> AuditEvent:
        # Take the chain's lock before reading its last event, held until the transaction ends, so two
        # processes (the window and `sync run`, or stations sharing a server) never pick the same seq.
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            # Per station: stations sharing a server do not wait for each other.
            lock = int.from_bytes(hashlib.sha256(f"audit:{self.station}".encode()).digest()[:8], "big",
                                  signed=True)
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        elif dialect == "sqlite":
            # A write statement takes SQLite's (database-wide) write lock now, waiting out busy_timeout,
            # instead of at the INSERT, after the read below could have gone stale.
            s.execute(text("UPDATE audit_event SET seq = seq WHERE id = -1"))
        last = s.execute(select(AuditEventRow.seq, AuditEventRow.hash).where(AuditEventRow.station == self.station)
                         .order_by(AuditEventRow.seq.desc()).limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = datetime.now(UTC)
        h = _digest(self.station, seq, at, actor, action, dossier, page, file, details, prev)
        m = _mac(key, h)
        s.add(AuditEventRow(station=self.station, seq=seq, at=at, actor=actor, action=action, dossier=dossier,
                            page=page, file=file, details=json.dumps(details, ensure_ascii=False, sort_keys=True),
                            prev_hash=prev, hash=h, mac=m))
        s.flush()
        return AuditEvent(seq, at, actor, action, dossier, page, file, details, prev, h, self.station, m)

    def _write_anchor(self, ev: AuditEvent, key: bytes) -> None:
        # The anchor only strengthens verification; the event itself is already committed. Another
        # process of this station may have written a newer head meanwhile: never go backwards.
        with contextlib.suppress(StorageError, OSError, ValueError):
            cur = self._read_anchor()
            if isinstance(cur, dict) and cur.get("station") == self.station and isinstance(cur.get("seq"), int) \
                    and cur["seq"] > ev.seq:
                return
            atomic_write_text(self.anchor, json.dumps({
                "station": self.station, "seq": ev.seq, "hash": ev.hash,
                "mac": _head_mac(key, self.station, ev.seq, ev.hash)}))

    def _read_anchor(self) -> dict[str, Any] | str | None:
        """The head file's content; None when there is no file; "empty"/"unreadable" otherwise broken."""
        try:
            raw = self.anchor.read_text("utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            return "unreadable"
        if not raw.strip():
            return "empty"
        try:
            a = json.loads(raw)
        except json.JSONDecodeError:
            return "unreadable"
        if not isinstance(a, dict) or not isinstance(a.get("seq"), int) or not isinstance(a.get("hash"), str):
            return "unreadable"
        return a

    # --- reading ---
    def head(self) -> dict[str, Any] | None:
        """This station's newest event as (station, seq, hash): what is anchored at the provincial side."""
        with self.store.session() as s:
            r = s.execute(select(AuditEventRow.seq, AuditEventRow.hash).where(AuditEventRow.station == self.station)
                          .order_by(AuditEventRow.seq.desc()).limit(1)).first()
        return {"station": self.station, "seq": int(r[0]), "hash": str(r[1])} if r else None

    def events(self, dossier: str | None = None, *, all_stations: bool = False) -> list[AuditEvent]:
        with self.store.session() as s:
            q = select(AuditEventRow).order_by(AuditEventRow.station, AuditEventRow.seq)
            if not all_stations:
                q = q.where(AuditEventRow.station.in_([self.station, LEGACY]))
            if dossier:
                q = q.where(AuditEventRow.dossier == dossier)
            return [_to_event(r) for r in s.scalars(q)]

    def count(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(AuditEventRow)
                            .where(AuditEventRow.station.in_([self.station, LEGACY]))) or 0

    # --- verifying ---
    def verify(self, anchors: Iterable[dict[str, Any]] | None = None,
               conflicts: Iterable[dict[str, Any]] | None = None) -> VerifyReport:
        """Recompute this station's chain (and the legacy one); report every edited, removed, reordered
        or forged event, a missing or damaged head file, and — given the provincial side's ``anchors``
        (``[{"seq", "hash", ...}]``) — every anchored point the chain no longer reaches or matches."""
        problems: list[dict[str, Any]] = []
        anchors = list(anchors or [])
        key = load_key(self.station, self.key_dir)
        wanted: set[int] = set()
        head = self._read_anchor()
        if isinstance(head, dict):
            wanted.add(int(head["seq"]))
        for a in anchors:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                wanted.add(int(a["seq"]))
        legacy = self._verify_chain(LEGACY, None, problems, wanted)
        mine = self._verify_chain(self.station, key, problems, wanted)
        if mine.keyed and key is None:
            problems.append({"seq": 0, "problem": "key",
                             "detail": f"the audit key {key_path(self.station, self.key_dir)} is missing: the "
                                       "keyed chain cannot be checked (restore the key from the station's backup)"})
        self._verify_head(legacy, mine, key, problems)
        anchored = 0
        for a in anchors:
            anchored += 1
            self._verify_anchor(a, mine, problems)
        for c in conflicts or []:
            problems.append({"seq": c.get("seq", 0), "problem": "anchor-conflict",
                             "detail": f"the provincial system received two different hashes for event {c.get('seq')}"
                                       " (the chain was rewritten after it had been anchored)"})
        return VerifyReport(events=legacy.n + mine.n, problems=problems, station=self.station,
                            anchors_checked=anchored)

    def _verify_chain(self, station: str, key: bytes | None, problems: list[dict[str, Any]],
                      wanted: set[int]) -> _Chain:
        ch = _Chain()
        prev, expected_seq = GENESIS, 1
        bad_macs: list[int] = []
        with self.store.session() as s:
            q = select(AuditEventRow).where(AuditEventRow.station == station).order_by(AuditEventRow.seq)
            for r in s.scalars(q).yield_per(1000):
                ch.n += 1
                if r.seq != expected_seq:
                    problems.append({"seq": r.seq, "problem": "missing",
                                     "detail": f"events {expected_seq}..{r.seq - 1} are missing"})
                if r.prev_hash != prev:
                    problems.append({"seq": r.seq, "problem": "chain",
                                     "detail": "does not follow the previous event (removed or reordered)"})
                details = json.loads(r.details or "{}")
                at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
                if _digest(station, r.seq, at, r.actor, r.action, r.dossier, r.page, r.file, details,
                           r.prev_hash) != r.hash:
                    problems.append({"seq": r.seq, "problem": "edited",
                                     "detail": "content does not match its hash (edited)"})
                if station != LEGACY:
                    if not r.mac:
                        problems.append({"seq": r.seq, "problem": "forged",
                                         "detail": "has no MAC (every event of a station chain is keyed)"})
                    else:
                        ch.keyed += 1
                        if key is not None and not hmac.compare_digest(_mac(key, r.hash), r.mac):
                            bad_macs.append(r.seq)
                prev, expected_seq = r.hash, r.seq + 1
                if r.seq in wanted:
                    ch.hashes[r.seq] = r.hash
                ch.last = (r.seq, r.hash)
        if bad_macs and len(bad_macs) == ch.keyed:
            problems.append({"seq": bad_macs[0], "problem": "key",
                             "detail": f"none of the {len(bad_macs)} keyed events matches this station's audit key "
                                       f"{key_path(self.station, self.key_dir)} (a wrong key, or the whole chain "
                                       "was rewritten)"})
        else:
            for seq in bad_macs[:MAX_LISTED]:
                problems.append({"seq": seq, "problem": "forged",
                                 "detail": "its MAC does not match (rewritten without the station's audit key)"})
            if len(bad_macs) > MAX_LISTED:
                problems.append({"seq": bad_macs[MAX_LISTED], "problem": "forged",
                                 "detail": f"and {len(bad_macs) - MAX_LISTED} more events with a wrong MAC"})
        return ch

    def _verify_head(self, legacy: _Chain, mine: _Chain, key: bytes | None, problems: list[dict[str, Any]]) -> None:
        a = self._read_anchor()
        name = self.anchor.name
        if a is None:
            if mine.n:
                problems.append({"seq": mine.last[0], "problem": "head",
                                 "detail": f"the head file {name} is missing (deleted?): events removed from the "
                                           "end of the log could not be noticed"})
            return
        if isinstance(a, str):
            problems.append({"seq": mine.last[0] if mine.n else 0, "problem": "head",
                             "detail": f"the head file {name} is {a} (truncated or overwritten?)"})
            return
        if "station" not in a:        # written before per-station chains: the legacy chain's head
            if mine.n:
                problems.append({"seq": mine.last[0], "problem": "head",
                                 "detail": f"the head file {name} predates this station's keyed chain "
                                           "(replaced by an old copy?)"})
            self._check_head_against(a, legacy, "", problems)
            return
        if a.get("station") != self.station:
            problems.append({"seq": int(a["seq"]), "problem": "head",
                             "detail": f"the head file {name} belongs to station {a.get('station')!r}, not "
                                       f"{self.station!r}"})
            return
        if key is not None and not hmac.compare_digest(_head_mac(key, self.station, int(a["seq"]), str(a["hash"])),
                                                       str(a.get("mac", ""))):
            problems.append({"seq": int(a["seq"]), "problem": "head",
                             "detail": f"the head file {name} was not written with this station's audit key "
                                       "(forged)"})
            return
        self._check_head_against(a, mine, " in the head file", problems)

    @staticmethod
    def _check_head_against(a: dict[str, Any], ch: _Chain, where: str, problems: list[dict[str, Any]]) -> None:
        seq, h = int(a["seq"]), str(a["hash"])
        if ch.n == 0:
            problems.append({"seq": seq, "problem": "missing",
                             "detail": f"the log is empty but the anchor{where} records event {seq}"})
        elif ch.last[0] < seq:
            problems.append({"seq": seq, "problem": "missing",
                             "detail": f"the log ends at {ch.last[0]} but the anchor{where} records event {seq}"
                                       " (events removed from the end)"})
        elif ch.hashes.get(seq) != h:
            problems.append({"seq": seq, "problem": "edited",
                             "detail": f"event {seq} differs from the anchor{where} (rewritten)"})

    def _verify_anchor(self, a: dict[str, Any], mine: _Chain, problems: list[dict[str, Any]]) -> None:
        try:
            seq, h = int(a["seq"]), str(a["hash"])
        except (KeyError, TypeError, ValueError):
            problems.append({"seq": 0, "problem": "anchor", "detail": f"unreadable anchor from the server: {a!r}"})
            return
        when = f" (anchored {a['received_at']})" if a.get("received_at") else ""
        if mine.last[0] < seq:
            problems.append({"seq": seq, "problem": "missing",
                             "detail": f"the provincial system holds event {seq} of this chain{when} but the log "
                                       f"ends at {mine.last[0]} (events deleted)"})
        elif mine.hashes.get(seq) != h:
            problems.append({"seq": seq, "problem": "rewritten",
                             "detail": f"event {seq} differs from the copy anchored at the provincial system{when}"
                                       " (the chain was rewritten)"})


@dataclass
class _Chain:
    n: int = 0
    keyed: int = 0
    last: tuple[int, str] = (0, GENESIS)
    hashes: dict[int, str] = field(default_factory=dict)   # only at the seqs the head and anchors name


@dataclass
class VerifyReport:
    events: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    station: str = ""
    anchors_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:   # no login name (a service without USER/LOGNAME and no passwd entry)
        return ""


def _to_event(r: AuditEventRow) -> AuditEvent:
    return AuditEvent(r.seq, r.at, r.actor, r.action, r.dossier, r.page, r.file, json.loads(r.details or "{}"),
                      r.prev_hash, r.hash, r.station, r.mac)
