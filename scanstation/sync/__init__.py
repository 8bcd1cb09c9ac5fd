"""The offline upload queue and the link to the provincial system (adapter and simulator).

The core API the workflow, CLI and UI use:

- :func:`enqueue` adds one job inside the caller's database session (same transaction as "signed");
- :func:`queue_files` verifies and queues files given by path (``queue add``);
- :func:`build_worker` makes a :class:`SyncWorker` from the station settings;
- :class:`Outbox` reads and changes jobs (status, retry, cancel);
- :func:`export_bundle` / :func:`import_bundle` for the USB hand-over (the import takes the same injected
  ``verifier`` as :func:`queue_files`); :func:`purge_confirmed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scanstation.errors import ValidationError
from scanstation.fsio import sha256_file
from scanstation.progress import Progress
from scanstation.store.db import Store
from scanstation.sync.adapter import ProvincialClient, ProvincialConfig, get_secret, set_secret
from scanstation.sync.bundle import export_bundle, import_bundle
from scanstation.sync.outbox import ACTIVE, Job, JobState, Outbox, Verifier, enqueue, idempotency_key
from scanstation.sync.pacing import Backoff, Bandwidth, FakeClock, SystemClock, UploadWindow
from scanstation.sync.retention import purge_confirmed
from scanstation.sync.worker import AuditHook, RunReport, SyncWorker, WorkerConfig

__all__ = [
    "ACTIVE", "AuditHook", "Backoff", "Bandwidth", "FakeClock", "Job", "JobState", "Outbox", "ProvincialClient",
    "ProvincialConfig", "RunReport", "SyncWorker", "SystemClock", "UploadWindow", "Verifier", "WorkerConfig",
    "audit_hook", "build_worker", "enqueue", "export_bundle", "get_secret", "idempotency_key", "import_bundle",
    "purge_confirmed", "queue_files", "set_secret",
]


def audit_hook(audit_log, actor: str) -> AuditHook:
    """Bind the station's AuditLog: every job event joins the transaction that changes the job."""

    def hook(session, action: str, job: Job, details: dict[str, Any]) -> None:
        audit_log.append(actor, action, dossier=job.dossier_code, file=job.file_name, details=details,
                         session=session)

    return hook


def queue_files(store: Store, files: Iterable[Path], *, dossier_code: str, verifier: Verifier,
                station: str = "", component_id: str = "", document_type: str = "",
                metadata: dict[str, Any] | None = None, audit: AuditHook | None = None,
                progress: Progress | None = None) -> list[dict[str, Any]]:
    """Verify every file's signature (``verifier`` raises on an unsigned or broken file), then queue
    them all in one transaction: either every file is queued or none is."""
    progress = progress or Progress()
    files = [Path(f) for f in files]
    if not files:
        raise ValidationError("No file to queue", "Chưa chọn tệp nào để đưa vào hàng đợi", field="files")
    checked = []
    for i, f in enumerate(files):
        progress.check("queue")
        if not f.is_file():
            raise ValidationError(f"{f} is not a file", f"{f} không phải là tệp", field="files")
        verifier(f)
        checked.append((f.resolve(), sha256_file(f), f.stat().st_size))
        progress.report(i + 1, len(files), f.name)
    out = []
    with store.session() as s:
        for path, sha, size in checked:
            job_id, created = enqueue(s, dossier_code=dossier_code, path=path, sha256=sha, size=size,
                                      component_id=component_id, document_type=document_type,
                                      metadata=metadata, station=station)
            if created and audit:
                from scanstation.store.tables import OutboxRow

                audit(s, "sync.queued", Job.from_row(s.get(OutboxRow, job_id)),
                      {"job": job_id, "sha256": sha, "size": size})
            out.append({"job": job_id, "file": str(path), "sha256": sha, "size": size, "created": created})
    return out


def build_worker(settings, store: Store, *, audit: AuditHook | None = None, endpoint: str | None = None,
                 secret: str | None = None, clock=None, config: WorkerConfig | None = None,
                 pre_upload=None, audit_head=None) -> SyncWorker:
    """A worker configured from the station settings (``endpoint`` overrides provincial.endpoint;
    ``pre_upload(path, sha256, queued_at)`` is the signature check run just before each upload;
    ``audit_head``: a callable giving the station's audit chain head, sent with every upload)."""
    pconf = ProvincialConfig.from_settings(settings, endpoint)
    client = ProvincialClient(pconf, secret if secret is not None else get_secret(pconf.client_id))
    wconf = config or WorkerConfig.from_settings(settings)
    retention = wconf.retention_days
    station = settings.get("station.id")
    return SyncWorker(store, client, wconf, clock=clock, audit=audit, pre_upload=pre_upload, audit_head=audit_head,
                      station=station,
                      on_purge=lambda now: purge_confirmed(store, retention, now, audit, station=station))
