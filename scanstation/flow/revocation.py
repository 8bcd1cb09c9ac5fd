"""Revocation of a signed file (hủy hiệu lực): marked with its time and reason and KEPT, its upload job
cancelled so it is never sent again, the provincial system told, the audit records each step.

The mark, the cancelled job and the audit event commit in ONE transaction; telling the provincial
system comes after (it may be offline): ``provincial_notified`` says whether it was told, and running
the revocation again only repeats the notice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from scanstation.errors import ScanStationError, UploadRejected, UploadRetryable, ValidationError, WrongState
from scanstation.flow.session import DossierSession
from scanstation.flow.station import Station
from scanstation.model import DossierStatus, OutputFile, to_plain
from scanstation.store.tables import DossierRow, OutboxRow, OutputFileRow

REVOCABLE = ("signed", "queued", "uploaded", "revoked")


def find_output(s: DossierSession, ref: str) -> OutputFile:
    """A file of the dossier by file name, component id, document type code or output-file record id."""
    ref = (ref or "").strip()
    for o in s.dossier.outputs:
        c = s.dossier.component(o.component_id)
        if ref in (o.file_name, o.component_id, o.record_id, c.document_type_code):
            return o
    raise ValidationError(f"Dossier {s.dossier.receipt_code} has no file '{ref}' (give its file name)",
                          f"Hồ sơ {s.dossier.receipt_code} không có tệp '{ref}'", field="file")


def revoke(s: DossierSession, ref: str, reason: str, *, client: Any | None = None) -> dict[str, Any]:
    """Revoke one signed file; ``client`` is a provincial client (None: the provincial side is not told now)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("A revocation needs a reason (--reason)", "Hủy hiệu lực phải ghi lý do", field="reason")
    o = find_output(s, ref)
    if o.state not in REVOCABLE or not o.signed:
        raise WrongState(f"{o.file_name} is {o.state}, not a signed file; only a signed file can be revoked",
                         f"{o.file_name} chưa được ký số; chỉ hủy hiệu lực tệp đã ký", field="file")
    already = o.state == "revoked"
    if already and o.revoked_reason != reason:
        raise WrongState(f"{o.file_name} was already revoked at {o.revoked_at} ({o.revoked_reason})",
                         f"{o.file_name} đã bị hủy hiệu lực lúc {o.revoked_at}", field="file")
    if not already:
        _mark(s, o, reason)
    notified = _notify(s, o, client)
    return {"file_name": o.file_name, "sha256": o.sha256, "revoked_at": o.revoked_at, "reason": o.revoked_reason,
            "already_revoked": already, "provincial_notified": notified["ok"], "provincial": notified}


def _mark(s: DossierSession, o: OutputFile, reason: str) -> None:
    from scanstation.sync import JobState

    d = s.dossier
    st = s.station
    now = datetime.now(UTC)
    before = (o.state, o.revoked_at, o.revoked_reason, d.status)
    with s.lock:
        try:
            with st.store.session() as db:
                row = db.get(OutputFileRow, o.record_id) if o.record_id else None
                if row is None:
                    raise WrongState(f"{o.file_name} has no file record in the database",
                                     f"Không tìm thấy bản ghi tệp {o.file_name}", field="file")
                prev = row.state
                o.state, o.revoked_at, o.revoked_reason = "revoked", now.isoformat(), reason
                data = json.loads(row.data or "{}")
                data.update(revoked_at=o.revoked_at, revoked_reason=reason, state_before_revocation=prev)
                row.state, row.data = "revoked", json.dumps(data, ensure_ascii=False)
                job_state = None
                for job in db.query(OutboxRow).filter(OutboxRow.output_file_id == o.record_id):
                    job_state = job.state
                    if job.state != JobState.CONFIRMED.value:      # never sent again
                        job.state, job.reason, job.lease_owner, job.lease_until = (
                            JobState.CANCELLED.value, "file revoked", None, None)
                        job.updated_at = now.timestamp()
                if all(x.state == "revoked" for x in d.outputs):
                    d.status = DossierStatus.REVOKED
                drow = db.get(DossierRow, d.id)
                if drow is None:
                    raise WrongState(f"Dossier {d.receipt_code} is not in the database",
                                     f"Không tìm thấy hồ sơ {d.receipt_code}")
                drow.status, drow.updated_at = d.status.value, now
                drow.data = json.dumps(to_plain(d), ensure_ascii=False)
                st.audit.append(s.actor, "file.revoked", dossier=d.receipt_code, file=o.file_name,
                                details={"reason": reason, "revoked_at": o.revoked_at, "sha256": o.sha256,
                                         "state_before": prev, "upload_job_state": job_state}, session=db)
        except BaseException:
            o.state, o.revoked_at, o.revoked_reason, d.status = before
            raise
        s.workarea.save_dossier_json(to_plain(d))


def _notify(s: DossierSession, o: OutputFile, client: Any | None) -> dict[str, Any]:
    d = s.dossier
    if client is None:
        return {"ok": False, "error": "no provincial endpoint configured"}
    try:
        ans = client.notify_revocation(key=f"revoke-{o.record_id}", dossier_code=d.receipt_code,
                                       file_name=o.file_name, sha256=o.sha256, reason=o.revoked_reason,
                                       revoked_at=o.revoked_at)
    except (UploadRetryable, UploadRejected) as e:
        s.audit("file.revocation.not_notified", file=o.file_name, error=e.message_en)
        return {"ok": False, "error": e.message_en, "error_vi": e.message_vi}
    except ScanStationError as e:
        s.audit("file.revocation.not_notified", file=o.file_name, error=e.message_en)
        return {"ok": False, "error": e.message_en, "error_vi": e.message_vi}
    s.audit("file.revocation.notified", file=o.file_name, revocation_id=str(ans.get("revocation_id", "")))
    return {"ok": True, "revocation_id": ans.get("revocation_id"), "known_file": ans.get("known_file")}


def provincial_client(s: DossierSession, *, endpoint: str | None = None, secret: str | None = None) -> Any | None:
    """A client for the provincial system as the station's settings say, or None when none is configured."""
    from scanstation.sync import ProvincialClient, ProvincialConfig, get_secret

    if not (endpoint or s.settings.get("provincial.endpoint")):
        return None
    cfg = ProvincialConfig.from_settings(s.settings, endpoint)
    return ProvincialClient(cfg, secret or get_secret(cfg.client_id))


def lookup_client(s: DossierSession | Station, *, endpoint: str | None = None, secret: str | None = None,
                  timeout_s: float | None = None) -> Any | None:
    """A provincial client for the identity lookups: a short timeout (the clerk is waiting at the counter).

    Takes a station too: at intake the applicant is checked before the dossier exists."""
    import dataclasses

    from scanstation.flow.reuse import LOOKUP_TIMEOUT_S
    from scanstation.sync import ProvincialClient, ProvincialConfig, get_secret

    if not (endpoint or s.settings.get("provincial.endpoint")):
        return None
    cfg = ProvincialConfig.from_settings(s.settings, endpoint)
    cfg = dataclasses.replace(cfg, timeout_s=timeout_s or LOOKUP_TIMEOUT_S, connect_timeout_s=min(
        cfg.connect_timeout_s, timeout_s or LOOKUP_TIMEOUT_S))
    return ProvincialClient(cfg, secret or get_secret(cfg.client_id))
