"""The background uploader: takes due jobs from the outbox, uploads them, records the outcome.

One dispatcher thread owns every database write (claim, outcome, lease renewal); a pool of
upload threads ("sync-upload") only reads files and talks HTTP, and hands its outcome back
through a queue. So a slow or locked database never corrupts an upload, and a killed process
leaves at worst a job marked 'uploading' whose lease the next start recovers.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import update

from scanstation.errors import HashMismatch, ScanStationError, StorageError, UploadRejected, UploadRetryable
from scanstation.fsio import sha256_file
from scanstation.progress import Progress
from scanstation.store.db import Store
from scanstation.store.tables import OutboxRow
from scanstation.sync.adapter import ProvincialClient
from scanstation.sync.outbox import Job, JobState, Outbox, process_identity
from scanstation.sync.pacing import Backoff, Bandwidth, Clock, SystemClock, UploadWindow

log = logging.getLogger(__name__)

MAX_HASH_MISMATCHES = 3       # the server confirmed a different hash this often: a person must look
LEASE_S = 120.0               # a job 'uploading' longer than this without renewal is taken back
PROBE_S = 2.0                 # while offline, how often to check whether the link is back


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int = 2
    bandwidth_bps: int = 0            # bytes per second, 0 = unlimited
    window: UploadWindow = field(default_factory=UploadWindow)
    backoff: Backoff = field(default_factory=Backoff)
    retention_days: int = 30
    chunk_size: int = 1024 * 1024
    probe_s: float = PROBE_S
    lease_s: float = LEASE_S

    @classmethod
    def from_settings(cls, settings) -> WorkerConfig:
        return cls(concurrency=max(1, int(settings.get("sync.concurrency"))),
                   bandwidth_bps=max(0, int(settings.get("sync.bandwidth_kbps"))) * 1024,
                   window=UploadWindow.parse(settings.get("sync.window")),
                   backoff=Backoff(cap=max(1.0, float(settings.get("sync.backoff_max_s")))),
                   retention_days=int(settings.get("sync.retention_days")),
                   chunk_size=max(4, int(settings.get("sync.chunk_kb"))) * 1024)


# Outcomes an upload thread hands back to the dispatcher.
@dataclass
class Outcome:
    job: Job
    kind: str                        # confirmed | retry | mismatch | attention | interrupted
    message: str = ""
    error_kind: str | None = None
    retry_after: float | None = None
    remote_id: str | None = None
    sent: int = 0                    # bytes sent in this attempt


class _Interrupted(Exception):
    pass


@dataclass
class RunReport:
    confirmed: int = 0
    retried: int = 0
    attention: int = 0
    attempts: int = 0
    bytes_sent: int = 0
    purged: int = 0
    seconds: float = 0.0
    stopped_by: str = ""             # empty | time | once | stop

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# An audit hook: (session, action, job, details) -> None; the caller binds its AuditLog and actor.
AuditHook = Callable[[Any, str, Job, dict[str, Any]], None]


class SyncWorker:
    """Uploads due jobs with a concurrency limit, backoff, bandwidth limit, window, pause/resume."""

    def __init__(self, store: Store, client: ProvincialClient, config: WorkerConfig | None = None, *,
                 clock: Clock | None = None, audit: AuditHook | None = None, rng: random.Random | None = None,
                 on_purge: Callable[[float], int] | None = None,
                 pre_upload: Callable[[Path, str, float], None] | None = None,
                 audit_head: Callable[[], dict[str, Any] | None] | None = None, station: str | None = None) -> None:
        self.store = store
        # (path, sha256, queued_at) -> None, raises ScanStationError: the station's signature check, run just
        # before each upload (this package cannot import signing; the flow layer passes it in).
        self.pre_upload = pre_upload
        self.outbox = Outbox(store, station)     # on a shared database: only this station's jobs (its files)
        self.client = client
        self.config = config or WorkerConfig()
        self.clock = clock or SystemClock()
        self.audit = audit
        self.rng = rng or random.Random()
        self.on_purge = on_purge
        # The station's audit chain head, read by the dispatcher and sent with each upload (anchored
        # at the provincial side); upload threads only read the value.
        self.audit_head = audit_head
        self._head: dict[str, Any] | None = None
        self.owner = process_identity()
        self.bandwidth = Bandwidth(self.config.bandwidth_bps)
        self._inbox: queue.Queue = queue.Queue()
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._inflight: dict[str, Job] = {}
        self._offline = False
        self._last_probe = 0.0
        self._last_purge: float | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._sent_lock = threading.Lock()
        self.bytes_sent = 0                  # over this worker's life, every attempt
        self._thread: threading.Thread | None = None

    # --- control (any thread) -------------------------------------------------------------------------
    def pause(self) -> None:
        """Stop starting uploads; uploads in flight stop after their current chunk and resume later."""
        self._paused.set()
        self.wake()

    def resume(self) -> None:
        self._paused.clear()
        self.wake()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def stop(self) -> None:
        self._stop.set()
        self.wake()

    def wake(self) -> None:
        self._inbox.put(("wake",))

    def network_up(self) -> None:
        """Tell the worker the link is back (e.g. from the OS network-change signal): retry at once."""
        self._inbox.put(("network-up",))

    def start(self) -> threading.Thread:
        """Run in a background thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self.run, name="sync-dispatcher", daemon=True)
        self._thread.start()
        return self._thread

    def join(self, timeout: float | None = None) -> None:
        if self._thread:
            self._thread.join(timeout)

    # --- the dispatcher ---------------------------------------------------------------------------------
    def run(self, *, until_empty: bool = False, once: bool = False, max_seconds: float | None = None,
            progress: Progress | None = None) -> RunReport:
        """Upload until stopped; ``until_empty``: until no job is pending/retrying/uploading;
        ``once``: one attempt at every job due now; ``max_seconds``: by the worker's clock."""
        rep = RunReport()
        t0 = self.clock.now()
        sent0 = self.bytes_sent
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.config.concurrency, thread_name_prefix="sync-upload")
        tried: set[str] = set()
        last_renew = t0
        try:
            self._db(lambda: self.outbox.recover_orphans(self.clock.now()))
            self._offline = bool(self._offline_jobs())
            while True:
                now = self.clock.now()
                if progress is not None and progress.cancelled:
                    self._stop.set()
                if self._stop.is_set():
                    rep.stopped_by = rep.stopped_by or "stop"
                    break
                if max_seconds is not None and now - t0 >= max_seconds:
                    rep.stopped_by = "time"
                    break
                self._maybe_purge(now, rep)
                if self._offline and now - self._last_probe >= self.config.probe_s:
                    self._probe(now)
                free = self.config.concurrency - len(self._inflight)
                window_wait = self.config.window.seconds_until_open(now)
                if free > 0 and not self.paused and window_wait == 0:
                    exclude = set(self._inflight) | (tried if once else set())
                    jobs = self._db(lambda n=now, f=free, x=exclude:
                                    self.outbox.claim(self.owner, n, self.config.lease_s, f, x))
                    if jobs and self.audit_head is not None:
                        self._head = self._db(self.audit_head, default=self._head)
                    for job in jobs or []:
                        self._inflight[job.id] = job
                        tried.add(job.id)
                        rep.attempts += 1
                        self._pool.submit(self._upload_safe, job)
                if now - last_renew > self.config.lease_s / 3 and self._inflight:
                    self._db(lambda n=now: self.outbox.renew(self.owner, list(self._inflight), n + self.config.lease_s))
                    last_renew = now
                if not self._inflight:
                    if until_empty and not self._db(self.outbox.has_active, default=True):
                        break
                    if once and not self._due_untried(now, tried):
                        rep.stopped_by = "once"
                        break
                msg = self._wait(now, window_wait, max_seconds, t0)
                self._handle(msg, rep, progress)
                while True:  # drain whatever else arrived
                    try:
                        self._handle(self._inbox.get_nowait(), rep, progress)
                    except queue.Empty:
                        break
        finally:
            self._stop.set()
            # In-flight uploads stop at their next chunk; record their outcome so nothing stays leased.
            deadline = time.monotonic() + 30
            while self._inflight and time.monotonic() < deadline:
                with contextlib.suppress(queue.Empty):
                    self._handle(self._inbox.get(timeout=0.5), rep, progress)
            self._pool.shutdown(wait=False, cancel_futures=True)
            rep.seconds = round(self.clock.now() - t0, 3)
            rep.bytes_sent = self.bytes_sent - sent0
        return rep

    def _wait(self, now: float, window_wait: float, max_seconds: float | None, t0: float):
        if self._inflight:
            # Uploads are real work in real time: wait for one of them (or a control message).
            try:
                return self._inbox.get(timeout=min(1.0, self.config.lease_s / 3))
            except queue.Empty:
                return None
        due = self._db(self.outbox.next_due)
        timeout = 3600.0 if due is None else max(0.0, due - now)
        if self.paused:
            timeout = 3600.0
        if window_wait > 0:
            timeout = max(timeout, window_wait)
        if self._offline:
            timeout = min(timeout, self.config.probe_s)
        if timeout > 2.0 and self._db(lambda: self.outbox.leased_elsewhere(self.owner), default=False):
            timeout = 2.0   # another worker holds jobs: see soon whether it finished or died
        if max_seconds is not None:
            timeout = min(timeout, max(0.0, t0 + max_seconds - now))
        timeout = min(timeout, 3600.0)
        if timeout <= 0:
            return None
        return self.clock.wait(self._inbox, timeout)

    def _handle(self, msg, rep: RunReport, progress: Progress | None) -> None:
        if not msg:
            return
        if msg[0] == "network-up":
            self._offline = False
            self._db(lambda: self.outbox.wake_offline(self.clock.now()))
        elif msg[0] == "outcome":
            out: Outcome = msg[1]
            self._inflight.pop(out.job.id, None)
            self._record(out, rep)
            if progress is not None:
                progress.report(rep.confirmed, 0, f"{out.job.file_name}: {out.kind}")

    def _due_untried(self, now: float, tried: set[str]) -> bool:
        for j in self._db(lambda: self.outbox.jobs([JobState.PENDING, JobState.RETRY]), default=[]):
            if j.id not in tried and j.next_attempt_at <= now:
                return True
        return False

    def _offline_jobs(self) -> int:
        from sqlalchemy import func, select

        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxRow)
                            .where(OutboxRow.state == JobState.RETRY.value, OutboxRow.error_kind == "offline",
                                   *self.outbox.mine_clauses())) or 0

    def _probe(self, now: float) -> None:
        self._last_probe = now
        if self.client.health():
            log.info("provincial system reachable again; resuming uploads")
            self._offline = False
            self._db(lambda: self.outbox.wake_offline(self.clock.now()))

    def _maybe_purge(self, now: float, rep: RunReport) -> None:
        if self.on_purge is None:
            return
        if self._last_purge is not None and now - self._last_purge < 3600:
            return
        self._last_purge = now
        rep.purged += self._db(lambda: self.on_purge(now), default=0) or 0

    def _db(self, fn, default=None):
        """Run a database step; a locked or failing database is waited out, never fatal to uploads."""
        for attempt in range(5):
            try:
                return fn()
            except StorageError as e:
                log.warning("database busy (%s); retrying", e.message_en)
                if self._stop.is_set() and attempt >= 1:
                    break
                time.sleep(0.2 * (attempt + 1))
        return default

    # --- recording outcomes (dispatcher thread only) ------------------------------------------------------
    def _record(self, out: Outcome, rep: RunReport) -> None:
        job, now = out.job, self.clock.now()
        vals: dict[str, Any] = {"lease_owner": None, "lease_until": None, "updated_at": now}
        if out.remote_id:
            vals["remote_id"] = out.remote_id
        audit: tuple[str, dict[str, Any]] | None = None
        if out.kind == "confirmed":
            vals.update(state=JobState.CONFIRMED.value, confirmed_at=now, failures=0, error_kind=None,
                        last_error=None, reason=None)
            audit = ("sync.confirmed", {"job": job.id, "sha256": job.sha256, "size": job.size,
                                        "remote_id": out.remote_id, "idempotency_key": job.idempotency_key})
            rep.confirmed += 1
        elif out.kind == "interrupted":
            vals.update(state=JobState.PENDING.value, next_attempt_at=now)
        elif out.kind == "attention":
            vals.update(state=JobState.ATTENTION.value, reason=out.message, last_error=out.message,
                        error_kind=out.error_kind)
            audit = ("sync.needs_attention", {"job": job.id, "reason": out.message})
            rep.attention += 1
        elif out.kind == "mismatch" and job.hash_mismatches + 1 >= MAX_HASH_MISMATCHES:
            reason = (f"the server confirmed a different SHA-256 {MAX_HASH_MISMATCHES} times ({out.message}); "
                      "not marked as uploaded")
            vals.update(state=JobState.ATTENTION.value, reason=reason, last_error=out.message,
                        hash_mismatches=job.hash_mismatches + 1, error_kind="hash")
            audit = ("sync.needs_attention", {"job": job.id, "reason": reason})
            rep.attention += 1
        else:  # retry or mismatch below the limit
            failures = job.failures + 1
            delay = self.config.backoff.delay(failures, self.rng, out.retry_after)
            vals.update(state=JobState.RETRY.value, failures=failures, next_attempt_at=now + delay,
                        error_kind=out.error_kind or ("hash" if out.kind == "mismatch" else "network"),
                        last_error=out.message)
            if out.kind == "mismatch":
                vals["hash_mismatches"] = job.hash_mismatches + 1
            if out.error_kind == "offline":
                self._offline = True
            rep.retried += 1

        def write():
            with self.store.session() as s:
                n = s.execute(update(OutboxRow).where(OutboxRow.id == job.id,
                                                      OutboxRow.state == JobState.UPLOADING.value,
                                                      OutboxRow.lease_owner == self.owner).values(**vals)).rowcount
                if n and audit and self.audit:
                    self.audit(s, audit[0], job, audit[1])
            return n

        if self._db(write) is None:
            log.error("could not record the outcome of job %s; it stays leased and is re-checked later", job.id)

    # --- one attempt (upload thread) ----------------------------------------------------------------
    def _upload_safe(self, job: Job) -> None:
        try:
            out = self._upload(job)
        except _Interrupted:
            out = Outcome(job, "interrupted")
        except UploadRetryable as e:
            out = Outcome(job, "retry", e.message_en, e.kind, e.retry_after)
        except HashMismatch as e:
            out = Outcome(job, "mismatch", e.message_en, "hash")
        except UploadRejected as e:
            out = Outcome(job, "attention", e.message_en, "rejected")
        except ScanStationError as e:
            out = Outcome(job, "retry", e.message_en, "error")
        except Exception as e:   # a bug must not lose the job: retry later, say what happened
            log.exception("unexpected error uploading job %s", job.id)
            out = Outcome(job, "retry", f"unexpected error: {e!r}", "error")
        self._inbox.put(("outcome", out))

    def _check_interrupt(self) -> None:
        if self._stop.is_set() or self._paused.is_set():
            raise _Interrupted()

    def _upload(self, job: Job) -> Outcome:
        path = Path(job.path)
        problem = local_file_problem(job)
        if problem:
            return Outcome(job, "attention", problem, "file")
        if self.pre_upload is not None:
            try:
                self.pre_upload(path, job.sha256, job.created_at)
            except ScanStationError as e:
                return Outcome(job, "attention", f"not uploaded: {e.message_en}", "signature")
        self._check_interrupt()
        remote = self.client.begin(key=job.idempotency_key, dossier_code=job.dossier_code,
                                   component_id=job.component_id, document_type=job.document_type,
                                   file_name=job.file_name, size=job.size, sha256=job.sha256, metadata=job.metadata,
                                   audit_head=self._head)
        sent = 0
        if remote.state != "stored":
            offset = remote.offset
            with open(path, "rb") as f:
                while offset < job.size:
                    self._check_interrupt()
                    n = min(self.config.chunk_size, job.size - offset)
                    if self.bandwidth.limited:
                        n = min(n, max(4096, int(self.bandwidth.rate)))
                        self.bandwidth.acquire(n)
                    f.seek(offset)
                    data = f.read(n)
                    if len(data) != n:
                        return Outcome(job, "attention", f"{path} became shorter while it was being uploaded",
                                       "file", remote_id=remote.upload_id, sent=sent)
                    new = self.client.send_chunk(remote.upload_id, job.idempotency_key, offset, data)
                    sent += len(data)
                    with self._sent_lock:
                        self.bytes_sent += len(data)
                    if new < 0 or new > job.size:
                        raise UploadRetryable(f"The server reported an impossible offset {new}",
                                              "Máy chủ báo vị trí không hợp lệ", kind="server")
                    offset = new
            remote = self.client.complete(remote.upload_id, job.idempotency_key)
        if remote.state != "stored":
            raise UploadRetryable("The server has not stored the file yet", "Máy chủ chưa lưu xong tệp", kind="server")
        if (remote.sha256 or "").lower() != job.sha256 or (remote.size is not None and remote.size != job.size):
            return Outcome(job, "mismatch", f"server SHA-256 {remote.sha256}, expected {job.sha256}", "hash",
                           remote_id=remote.upload_id, sent=sent)
        return Outcome(job, "confirmed", remote_id=remote.upload_id, sent=sent)


def local_file_problem(job: Job) -> str | None:
    """Why the local file must not be uploaded (missing, or changed since it was signed), or None."""
    path = Path(job.path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return f"the signed file {path} is missing; nothing was uploaded"
    except OSError as e:
        return f"the signed file {path} cannot be read ({e.strerror}); nothing was uploaded"
    if size != job.size:
        return (f"the file {path} changed on disk after it was signed (size {size}, signed {job.size}); "
                "nothing was uploaded")
    try:
        digest = sha256_file(path)
    except OSError as e:
        return f"the signed file {path} cannot be read ({e.strerror}); nothing was uploaded"
    if digest != job.sha256:
        return (f"the file {path} changed on disk after it was signed (SHA-256 {digest[:12]}…, signed "
                f"{job.sha256[:12]}…); nothing was uploaded")
    return None
