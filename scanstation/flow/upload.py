"""Upload: the queue's confirmation marks files and dossiers uploaded, whoever runs the worker.

The upload worker (:mod:`scanstation.sync`) calls its audit hook inside the very transaction that
records a job's outcome. :func:`confirming_hook` adds to that transaction: the job's output file
becomes "uploaded", and when every file of the dossier is, the dossier does too. So the window,
``scanstation sync run`` and a service all finish dossiers the same way, exactly once.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scanstation.model import DossierStatus
from scanstation.store.tables import DossierRow, OutboxRow, OutputFileRow

log = logging.getLogger(__name__)


def confirming_hook(station: Any) -> Any:
    """The worker's audit hook, plus "uploaded" for files and dossiers in the confirming transaction."""
    from scanstation.sync import audit_hook

    audit = audit_hook(station.audit, station.actor)

    def hook(session: Any, action: str, job: Any, details: dict[str, Any]) -> None:
        audit(session, action, job, details)
        if action == "sync.confirmed":
            mark_confirmed(session, station, job.id)

    return hook


def mark_confirmed(session: Any, station: Any, job_id: str) -> str | None:
    """Inside the caller's transaction: the job's file is uploaded; the dossier too once all its files are.
    Returns the dossier id when it became uploaded."""
    job = session.get(OutboxRow, job_id)
    if job is None or not job.output_file_id:
        return None
    f = session.get(OutputFileRow, job.output_file_id)
    if f is None:
        return None
    if f.state == "revoked":        # revoked while its upload was in flight: it stays revoked (kept, marked)
        return None
    f.state = "uploaded"
    session.flush()
    states = list(session.scalars(select(OutputFileRow.state).where(OutputFileRow.dossier_id == f.dossier_id)))
    d = session.get(DossierRow, f.dossier_id)
    if d is None or not states or any(s not in ("uploaded", "revoked") for s in states) or \
            d.status != DossierStatus.QUEUED.value:
        return None
    d.status = DossierStatus.UPLOADED.value
    try:
        data = json.loads(d.data)
        data["status"] = DossierStatus.UPLOADED.value
        for o in data.get("outputs", []):
            if o.get("state") != "revoked":
                o["state"] = "uploaded"
        d.data = json.dumps(data, ensure_ascii=False)
    except (ValueError, TypeError):
        log.warning("dossier %s: stored form unreadable; status set, form left as is", d.receipt_code)
    station.audit.append(station.actor, "dossier.uploaded", dossier=d.receipt_code,
                         details={"files": len(states)}, session=session)
    return str(d.id)


def retry(station: Any, job_id: str) -> None:
    """Send a job again now (a job that needs attention, or one waiting for its next attempt)."""
    from scanstation.sync import Outbox

    Outbox(station.store).retry(job_id)
    station.audit.append(station.actor, "sync.retry", details={"job": job_id})


def cancel(station: Any, job_id: str) -> None:
    from scanstation.sync import Outbox

    Outbox(station.store).cancel(job_id)
    station.audit.append(station.actor, "sync.cancelled", details={"job": job_id})


def export(station: Any, target: Path, progress: Any = None) -> dict[str, Any]:
    """Copy the queue to a USB stick (the province is unreachable for days)."""
    from scanstation.sync import export_bundle

    rep: dict[str, Any] = export_bundle(station.store, Path(target), station=station.settings.get("station.id"),
                                        progress=progress)
    station.audit.append(station.actor, "sync.exported", details={"to": str(target), **{
        k: v for k, v in rep.items() if isinstance(v, int | str)}})
    return rep


def build_worker(station: Any, *, endpoint: str | None = None, secret: str | None = None, **kw: Any) -> Any:
    """The upload worker for this station, with the confirming hook."""
    from scanstation.sync import build_worker as _build

    return _build(station.settings, station.store, audit=confirming_hook(station), endpoint=endpoint,
                  secret=secret, **kw)


#: What pyHanko's difference analysis may report for revisions after a signature: nothing, validation
#: data, or form filling (the SAO Y signature's field and appearance). Anything else is content.
ALLOWED_AFTER_SIGNING = ("none", "lta_updates", "form_filling")


def check_signed_for_queue(path: Path, trust_root_files: list[str] | None = None) -> None:
    """Refuse a file the upload queue must not take: unsigned, altered after signing, not covering
    the whole file, or (when trust roots are configured) signed by an untrusted certificate.

    Signing checked the certificate chain before it signed; this re-check is about the file that
    is about to leave the station.
    """
    from scanstation.errors import UnsignedFileError
    from scanstation.signing import load_trust_roots
    from scanstation.signing.verify import verify_file

    path = Path(path)
    roots = load_trust_roots(list[str | Path](trust_root_files)) if trust_root_files else []
    rep = verify_file(path, roots)

    def refuse(en: str, vi: str) -> UnsignedFileError:
        return UnsignedFileError(f"{path}: {en}; not queued", f"{path.name}: {vi}; không đưa vào hàng đợi",
                                 field="files")

    if not rep.signed:
        if rep.problems and rep.problems != ["no signature"]:
            raise refuse(f"is not a readable PDF ({'; '.join(rep.problems)})", "không phải tệp PDF đọc được")
        raise refuse("has no digital signature", "chưa có chữ ký số")
    for s in rep.signatures:
        if not (s.intact and s.valid):
            raise refuse(f"signature '{s.field}' is broken (the file was altered after signing)",
                         f"chữ ký '{s.field}' không còn toàn vẹn (tệp bị sửa sau khi ký)")
        if roots and not s.trusted:
            raise refuse(f"signature '{s.field}' is not from a trusted certification authority",
                         f"chữ ký '{s.field}' không thuộc tổ chức chứng thực được tin cậy")
        # Later revisions may only add signatures (and their fields) or validation data; a revision that
        # paints over a page after a signature (the "shadow attack") keeps every hash valid and is
        # caught only here, by what pyHanko's difference analysis says it changed.
        if s.docmdp_ok is False or (s.modification or "none") not in ALLOWED_AFTER_SIGNING:
            raise refuse(f"content was changed after signature '{s.field}' ({s.modification or 'docmdp'}: "
                         "a page or its content was replaced after signing)",
                         f"nội dung tệp bị thay đổi sau chữ ký '{s.field}' (trang bị thay thế sau khi ký)")
    if not rep.signatures[-1].whole_file:
        raise refuse(f"signature '{rep.signatures[-1].field}' does not cover the whole file (content added after "
                     "signing)", f"chữ ký '{rep.signatures[-1].field}' không bao trùm toàn bộ tệp")
