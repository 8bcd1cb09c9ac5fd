"""Upload: the queue's confirmation marks files and dossiers uploaded, whoever runs the worker.

The upload worker (:mod:`scanstation.sync`) calls its audit hook inside the very transaction that
records a job's outcome. :func:`confirming_hook` adds to that transaction: the job's output file
becomes "uploaded", and when every file of the dossier is, the dossier does too. So the window,
``scanstation sync run`` and a service all finish dossiers the same way, exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from scanstation.model import DossierStatus
from scanstation.store.tables import DossierRow, OutboxRow, OutputFileRow

if TYPE_CHECKING:
    from scanstation.signing.trust import TrustStore
    from scanstation.signing.verify import FileReport

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

    Outbox(station.store, station.settings.get("station.id")).retry(job_id)
    station.audit.append(station.actor, "sync.retry", details={"job": job_id})


def cancel(station: Any, job_id: str) -> None:
    from scanstation.sync import Outbox

    Outbox(station.store, station.settings.get("station.id")).cancel(job_id)
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
    """The upload worker for this station, with the confirming hook and the signature check run just
    before each upload (the same check as ``queue add`` and bundle import)."""
    from scanstation.sync import build_worker as _build

    kw.setdefault("pre_upload", pre_upload_check(station.settings))
    kw.setdefault("audit_head", station.audit.head)     # anchored at the provincial side with each upload
    return _build(station.settings, station.store, audit=confirming_hook(station), endpoint=endpoint,
                  secret=secret, **kw)


def signature_gate(settings: Any = None) -> Callable[[Path], None]:
    """The verifier ``queue add`` and bundle import pass to the queue: :func:`check_signed_for_queue`
    against this station's trust (built once for the whole batch)."""
    from scanstation.flow.trust import station_trust

    trust = station_trust(settings)

    def gate(path: Path) -> None:
        check_signed_for_queue(path, trust)

    return gate


def verify_audit_against_server(station: Any, *, endpoint: str | None = None, secret: str | None = None) -> Any:
    """Check this station's audit chain, including against the heads the provincial system kept
    (sent with each upload): events deleted, the head file deleted, or the chain rewritten up to the
    last anchored point are all reported. Returns the AuditLog's VerifyReport."""
    from scanstation.sync import ProvincialClient, ProvincialConfig, get_secret

    conf = ProvincialConfig.from_settings(station.settings, endpoint)
    client = ProvincialClient(conf, secret if secret is not None else get_secret(conf.client_id))
    try:
        got = client.audit_anchors(station.audit.station)
    finally:
        client.close()
    return station.audit.verify(anchors=got["anchors"], conflicts=got["conflicts"])


def pre_upload_check(settings: Any = None) -> Callable[[Path, str, float], None]:
    """What the upload worker calls just before it sends a file: the same check, plus "these are the
    bytes that were queued" (the SHA-256 of what was verified equals the job's). Certificates are judged
    as of when the file was queued: a clerk's certificate that expires while the station is offline for
    days does not strand the files it signed while it was valid."""
    from scanstation.flow.trust import station_trust

    trust = station_trust(settings)

    def check(path: Path, sha256: str, queued_at: float | None = None) -> None:
        at = datetime.fromtimestamp(min(queued_at, time.time()), UTC) if queued_at else None
        check_signed_for_queue(path, trust, expected_sha256=sha256, at=at)

    return check


#: pyHanko's indications that a certificate on a path to a trusted anchor was out of its validity or revoked
#: (as opposed to no path to an anchor at all).
TIME_PROBLEMS = ("OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "EXPIRED", "NOT_YET_VALID", "REVOKED_NO_POE",
                 "REVOKED_CA_NO_POE", "REVOKED")


def check_signed_for_queue(path: Path, trust: TrustStore | Sequence[str] | None = None, *,
                           expected_sha256: str | None = None, at: datetime | None = None) -> FileReport:
    """The one signature check of every door (signing's queueing, ``queue add``, bundle import, just before
    each upload). Refuses a file that is unsigned; whose signature is broken; whose signer's chain does not
    reach a trust anchor of this station (shipped Vietnamese roots, IT staff's additions, a test CA only
    when ``signing.trust_test_ca`` names it); that was changed after a signature in a way the signature
    does not allow (pyHanko's difference analysis: a later signature or form fill yes, page content no);
    whose last signature does not cover the whole file; or, with ``expected_sha256``, whose verified bytes
    are not the ones that were queued. Certificates are judged at ``at`` (default: now).

    ``trust``: the station's :class:`TrustStore` (default: built from the settings); a list of PEM files
    means the shipped anchors plus those files. Returns the verification report.
    """
    from scanstation.errors import UnsignedFileError
    from scanstation.flow.trust import station_trust
    from scanstation.signing.trust import TrustStore, build_trust_store
    from scanstation.signing.verify import verify_file

    path = Path(path)
    if trust is None:
        store = station_trust()
    elif isinstance(trust, TrustStore):
        store = trust
    else:
        store = build_trust_store(extra_files=list(trust))
    rep = verify_file(path, store, at=at)

    def refuse(en: str, vi: str) -> UnsignedFileError:
        return UnsignedFileError(f"{path}: {en}; not queued", f"{path.name}: {vi}; không đưa vào hàng đợi",
                                 field="files")

    if not rep.signed:
        if rep.problems and rep.problems != ["no signature"]:
            raise refuse(f"is not a readable PDF ({'; '.join(rep.problems)})", "không phải tệp PDF đọc được")
        raise refuse("has no digital signature", "chưa có chữ ký số")
    if not store.roots:
        raise refuse("no trusted certification authority is configured (every anchor is disabled by "
                     "signing.trust_disabled)", "chưa cấu hình tổ chức chứng thực tin cậy; hãy báo cán bộ CNTT")
    for s in rep.signatures:
        if not (s.intact and s.valid):
            raise refuse(f"signature '{s.field}' is broken (the file was altered after signing)",
                         f"chữ ký '{s.field}' không còn toàn vẹn (tệp bị sửa sau khi ký)")
        if not s.trusted and s.problem in TIME_PROBLEMS:
            raise refuse(f"the certificate of '{s.signer}' (signature '{s.field}') was not valid "
                         f"{'at ' + at.isoformat(timespec='minutes') if at else 'now'} ({s.problem}: expired, not yet "
                         "valid or revoked)", f"chứng thư số của '{s.signer}' không còn hiệu lực (hết hạn, chưa có "
                         "hiệu lực hoặc bị thu hồi)")
        if not s.trusted:
            raise refuse(f"signature '{s.field}' by '{s.signer}' (issuer {s.issuer or 'unknown'}) does not chain to a "
                         "trusted certification authority", f"chữ ký '{s.field}' của '{s.signer}' không do tổ chức "
                         "chứng thực được tin cậy cấp")
        # Later revisions may only add signatures (and their fields) or validation data; a revision that
        # paints over a page after a signature (the "shadow attack") keeps every hash valid and is
        # caught only here, by what pyHanko's difference analysis says it changed.
        if not s.modification_ok:
            raise refuse(f"content was changed after signature '{s.field}' ({s.modification or 'docmdp'}: "
                         f"{s.modification_en})", f"nội dung tệp bị thay đổi sau chữ ký '{s.field}' "
                         f"({s.modification_vi})")
    if not rep.signatures[-1].whole_file:
        raise refuse(f"signature '{rep.signatures[-1].field}' does not cover the whole file (content added after "
                     "signing)", f"chữ ký '{rep.signatures[-1].field}' không bao trùm toàn bộ tệp")
    if expected_sha256 is not None and rep.sha256 != expected_sha256.lower():
        raise refuse(f"its SHA-256 {rep.sha256[:12]}… is not the {expected_sha256[:12]}… that was signed and queued "
                     "(the file changed on disk)", "tệp đã bị thay đổi sau khi ký và đưa vào hàng đợi")
    return rep
