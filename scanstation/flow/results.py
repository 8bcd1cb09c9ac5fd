"""A procedure's result digitised by the records officer (văn thư): scanned, checked like any component,
signed with the ORGANISATION's certificate as a certified copy (SAO Y, Nghị định 30/2020), stored with
the dossier and uploaded with its role ("result").

The result is a component with ``role="result"`` added to a dossier the clerk has signed; its file is
assembled on its own (the clerk's files are never rebuilt) and signed only by the organisation.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanstation.errors import GateBlocked, ValidationError, WrongState
from scanstation.flow.checking import component_findings
from scanstation.flow.metadata import set_metadata_from_text
from scanstation.flow.session import DossierSession
from scanstation.flow.signing import SigningPlan, require_organisation_certificate, signed_dir
from scanstation.model import Component, DigitisationClass, DossierStatus, OutputFile, new_id, to_plain
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.store.tables import DossierRow, OutputFileRow

RESULT = "result"
RESULT_STATES = (DossierStatus.QUEUED, DossierStatus.UPLOADED)     # the dossier's own signatures are complete


def result_component(s: DossierSession) -> Component | None:
    return next((c for c in s.dossier.components if c.role == RESULT), None)


def add_result(s: DossierSession, *, name: str, code: str, sheets: int = 1, duplex: bool = False,
               metadata: dict[str, str] | None = None) -> Component:
    """Add the result component to a dossier the clerk has signed (one result per dossier)."""
    d = s.dossier
    if d.status not in RESULT_STATES:
        raise WrongState(f"A result is digitised once the dossier's files are signed and queued; {d.receipt_code} "
                         f"is {d.status.value}", f"Kết quả được số hóa sau khi hồ sơ {d.receipt_code} đã ký số và "
                         "đưa vào hàng đợi", field="dossier")
    if result_component(s) is not None:
        raise WrongState(f"Dossier {d.receipt_code} already has its result component",
                         f"Hồ sơ {d.receipt_code} đã có thành phần kết quả", field="dossier")
    if not name.strip() or not code.strip():
        raise ValidationError("The result needs a name and a document type code",
                              "Kết quả cần tên và mã loại giấy tờ", field="name")
    if sheets < 1:
        raise ValidationError("--sheets must be at least 1", "Số tờ phải từ 1 trở lên", field="sheets")
    c = Component(name=name.strip(), document_type_code=code.strip(), declared_sheets=sheets, duplex=duplex,
                  digitisation_class=DigitisationClass.MUST, role=RESULT)
    values = {k: "" for k in ("number_symbol", "issue_date", "issuing_body", "summary", "valid_until",
                              "validity_scope", "extra")}
    values.update({"document_type_code": c.document_type_code, "document_name": c.name,
                   "holder_identifier": d.account_party.id_number, "holder_name": d.account_party.name})
    values.update({k: v for k, v in (metadata or {}).items() if v is not None})
    problems = set_metadata_from_text(c, values)
    if problems:
        p = problems[0]
        raise ValidationError(f"{p.field}: {p.en}", f"{p.field}: {p.vi}", field=p.field)
    with s.lock:
        d.components.append(c)
        s.save()
    s.audit("result.added", component=c.id, name=c.name, code=c.document_type_code)
    return c


def require_result_clear(s: DossierSession, c: Component) -> None:
    block = [f for f in component_findings(s, c) if f.blocking]
    if block:
        names = "; ".join(f"{f.code} [{f.id}] {f.message_en}" for f in block)
        raise GateBlocked(f"Cannot sign the result: {len(block)} finding(s) to fix or accept first: {names}",
                          f"Chưa thể ký kết quả: còn {len(block)} lỗi cần khắc phục hoặc chấp nhận có lý do",
                          findings=[f.to_dict() for f in block])


def build_result(s: DossierSession, c: Component, progress: Progress = NULL_PROGRESS) -> dict[str, Any]:
    """Assemble the result's PDF/A on its own (the dossier's other files are left as they are)."""
    from scanstation.flow.station import assemble_dossier

    require_result_clear(s, c)
    d = s.dossier
    one = dataclasses.replace(d, components=[c], outputs=[])
    out = s.workarea.root / "results"
    report = assemble_dossier(one, {c.id: [s.workarea.root / p.file for p in c.kept_pages()]}, out,
                              page_facts={c.id: [{"page_id": p.id, "sheet": p.sheet, "side": p.side.value,
                                                  "variant": p.variant.value} for p in c.kept_pages()]},
                              progress=progress, encoding=s.settings.get("pdf.image_encoding") or None,
                              jpeg_quality=s.settings.get("pdf.jpeg_quality"))
    files = [f for f in report["files"] if f["component_id"] == c.id]
    if not files:
        raise WrongState(f"The result '{c.name}' could not be assembled", f"Không tạo được tệp kết quả '{c.name}'")
    return dict(files[0])


def sign_result(s: DossierSession, *, token_label: str, pin: str | None, key_id: str | None = None,
                plan: SigningPlan | None = None, progress: Progress = NULL_PROGRESS) -> dict[str, Any]:
    """Check, assemble and sign the result with the organisation's certificate (SAO Y); queue it for upload."""
    from scanstation.flow.upload import check_signed_for_queue
    from scanstation.signing import SignOptions, open_session, sign_batch

    plan = plan or SigningPlan.from_settings(s.settings)
    d = s.dossier
    c = result_component(s)
    if c is None:
        raise WrongState(f"Dossier {d.receipt_code} has no result component (dossier result ... --name)",
                         f"Hồ sơ {d.receipt_code} chưa có thành phần kết quả", field="dossier")
    if any(o.component_id == c.id for o in d.outputs):
        raise WrongState(f"The result of {d.receipt_code} is already signed", "Kết quả đã được ký số",
                         field="dossier")
    if not plan.org_name.strip():
        raise ValidationError("A certified copy of the result needs the organisation's name (setting "
                              "station.org_name); none is set", "Ký sao y kết quả cần tên cơ quan (cài đặt "
                              "station.org_name), hiện chưa đặt", field="station.org_name")
    built = build_result(s, c, progress)
    roots = plan.trust_store()          # shipped anchors + IT's, test CAs only where IT allow them
    dest = signed_dir(s) / built["file_name"]
    opts = SignOptions(role="copy", org_name=plan.org_name, tsa_url=plan.tsa_url, trust_roots=roots,
                       stamp_font=plan.stamp_font, copy_font=plan.copy_font)
    with open_session(plan.module, token_label, pin, key_id=key_id or None, trust_roots=roots) as ts:
        require_organisation_certificate(ts.cert)
        holder, serial = ts.signer_name, str(ts.cert.serial)
        res = sign_batch(ts, [(Path(built["path"]), dest, {})], opts, progress)
    if res.stopped is not None:
        raise res.stopped
    if res.failed or not res.signed:
        from scanstation.errors import SignatureVerificationError

        raise SignatureVerificationError("; ".join(x.get("message_en", "") for x in res.failed) or "not signed",
                                         "; ".join(x.get("message_vi", "") for x in res.failed) or "chưa ký")
    sf = res.signed[0]
    check_signed_for_queue(Path(sf.path), roots)
    o = OutputFile(component_id=c.id, file_name=built["file_name"], sha256=sf.sha256, size=sf.size, signed=True,
                   state="queued", path=sf.path, roles=["copy"], record_id=new_id())
    _record(s, c, o, signer=holder, certificate_serial=serial)
    return {"component": c.id, "file_name": o.file_name, "path": o.path, "sha256": o.sha256, "size": o.size,
            "signer": holder, "org_name": plan.org_name, "queued": True, "job": o.upload_job, "role": RESULT}


def _record(s: DossierSession, c: Component, o: OutputFile, *, signer: str, certificate_serial: str) -> None:
    """The result's file row, its upload job (role "result") and the audit event, in ONE transaction."""
    from scanstation import sync

    d = s.dossier
    st = s.station
    now = datetime.now(UTC)
    with s.lock, st.store.session() as db:
        db.add(OutputFileRow(id=o.record_id, dossier_id=d.id, component_id=c.id, file_name=o.file_name,
                             path=o.path, sha256=o.sha256, size=o.size, state=o.state, created_at=now,
                             data=json.dumps({"roles": o.roles, "role": RESULT}, ensure_ascii=False)))
        job_id, _ = sync.enqueue(db, dossier_code=d.receipt_code, path=Path(o.path), sha256=o.sha256, size=o.size,
                                 component_id=c.id, document_type=c.document_type_code, file_name=o.file_name,
                                 metadata={**to_plain(c.metadata), "role": RESULT}, output_file_id=o.record_id,
                                 station=s.settings.get("station.id"))
        o.upload_job = job_id
        d.outputs.append(o)
        row = db.get(DossierRow, d.id)
        if row is None:
            raise WrongState(f"Dossier {d.receipt_code} is not in the database", f"Không tìm thấy hồ sơ {d.receipt_code}")
        row.data = json.dumps(to_plain(d), ensure_ascii=False)
        row.updated_at = now
        st.audit.append(s.actor, "result.signed.copy.queued", dossier=d.receipt_code, file=o.file_name,
                        details={"component": c.id, "sha256": o.sha256, "size": o.size, "signer": signer,
                                 "certificate_serial": certificate_serial, "job": job_id, "role": RESULT},
                        session=db)
    s.workarea.save_dossier_json(to_plain(d))
