"""Assembly and signing as the regulations have them, and "this file is signed" in one transaction.

- ``build``: one PDF/A per digitised component, only when the QC gate is clear.
- ``sign(role="clerk")``: the clerk's signature; stamp = the certificate holder's name and the time
  of scanning (capture time of the component's first kept page), top left of page 1.
- ``sign(role="copy")``: the organisation's certified copy (SAO Y: organisation, time; top right),
  added on top of the clerk's signature.
- The last signature the station's settings ask for queues the files: output-file rows, upload
  jobs, the dossier's status and the audit events commit in ONE database transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from scanstation.config import Settings
from scanstation.errors import ValidationError, WrongState
from scanstation.flow.checking import require_clear
from scanstation.flow.ocr import PageLane, catch_up, encodings
from scanstation.flow.session import DossierSession
from scanstation.model import Component, DossierStatus, new_id, to_plain
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.store.tables import DossierRow, OutputFileRow

if TYPE_CHECKING:
    from scanstation.signing.trust import TrustStore

log = logging.getLogger(__name__)

SIGNED_STATES = (DossierStatus.SIGNED, DossierStatus.QUEUED, DossierStatus.UPLOADED, DossierStatus.REVOKED)


@dataclass(frozen=True)
class SigningPlan:
    """Everything signing takes from the station's settings, read once (never rebuilt per caller)."""

    clerk_name: str = ""
    org_name: str = ""
    stamp_font: str | None = None
    copy_font: str | None = None
    tsa_url: str | None = None
    trust_root_files: tuple[str, ...] = ()      # IT staff's extra anchors (on top of the shipped ones)
    certified_copy: bool = False
    module: str | None = None
    trust_test_files: tuple[str, ...] = ()      # test CAs IT staff allow (signing.trust_test_ca)
    trust_disabled: tuple[str, ...] = ()        # fingerprints never trusted (signing.trust_disabled)

    @classmethod
    def from_settings(cls, settings: Settings, *, trust: list[str] | None = None,
                      module: str | None = None) -> SigningPlan:
        pinned = settings.get("token.module") or None
        if pinned and module and os.path.normcase(os.path.abspath(module)) != os.path.normcase(
                os.path.abspath(pinned)):
            from scanstation.errors import TokenModuleError

            raise TokenModuleError(f"IT staff pinned the PKCS#11 module to {pinned} (setting token.module); "
                                   f"{module} is not allowed on this station",
                                   f"Cán bộ CNTT đã chỉ định thư viện PKCS#11 {pinned}; không dùng thư viện khác",
                                   field="module")
        return cls(clerk_name=settings.get("clerk.name") or "", org_name=settings.get("station.org_name") or "",
                   stamp_font=settings.get("signing.stamp_font") or None,
                   copy_font=settings.get("signing.copy_font") or None,
                   tsa_url=settings.get("signing.tsa_url") or None,
                   trust_root_files=tuple(str(t) for t in [*settings.get("signing.trust_roots"), *(trust or ())]),
                   certified_copy=bool(settings.get("signing.certified_copy")),
                   module=module or settings.get("token.module") or None,
                   trust_test_files=tuple(str(t) for t in settings.get("signing.trust_test_ca")),
                   trust_disabled=tuple(settings.get("signing.trust_disabled")))

    def trust_store(self) -> TrustStore:
        """The anchors this plan trusts: shipped + trust_root_files + test CAs, minus the disabled ones."""
        from scanstation.signing.trust import build_trust_store

        return build_trust_store(extra_files=self.trust_root_files, test_files=self.trust_test_files,
                                 disabled=self.trust_disabled)

    @property
    def last_role(self) -> str:
        return "copy" if self.certified_copy else "clerk"


# --- assembly -------------------------------------------------------------------------------------
def fingerprint(c: Component) -> str:
    """What a component's file is made of: its kept pages (by hash, in order) and its metadata."""
    h = hashlib.sha256()
    for p in c.kept_pages():
        h.update(f"{p.id}:{p.sha256}\n".encode())
    h.update(json.dumps(to_plain(c.metadata), sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


def stale_outputs(s: DossierSession) -> list[str]:
    """Components whose assembled file no longer matches their pages or metadata (or has none)."""
    outs = {o.component_id: o for o in s.dossier.outputs}
    return [c.name for c in s.dossier.components if c.digitised and c.role != "result" and
            (c.id not in outs or outs[c.id].source_fingerprint != fingerprint(c))]


def build(s: DossierSession, progress: Progress = NULL_PROGRESS, lane: PageLane | None = None) -> dict[str, Any]:
    """Assemble one PDF/A file per digitised component; refused while a finding blocks."""
    d = s.dossier
    if d.status in SIGNED_STATES:
        raise WrongState(f"Dossier {d.receipt_code} is already {d.status.value}; its files cannot be rebuilt",
                         f"Hồ sơ {d.receipt_code} đã ký; không thể tạo lại tệp", field="dossier")
    require_clear(s, "assemble the files", "tạo tệp PDF/A")
    _clean_orphans(s.workarea.out_dir)
    ocr: dict[str, list[Any]] | None = None
    ocr_warnings: list[str] = []
    made = catch_up(s, lane, progress)         # what the scan left undone, now, on every core
    if s.profile.ocr_text_layer:               # two-layer PDF/A (TT 05/2025): image + OCR text
        from scanstation.flow.ocr import recognise

        ocr, ocr_warnings = recognise(s, progress, lane)
        # OCR also says which way up each page is: a turned page found only now stops the build too.
        require_clear(s, "assemble the files", "tạo tệp PDF/A")
    encoded = encodings(s, lane, made)               # made in the background during the scan, where they were
    with s.lock:
        report = s.station.assemble(d, progress, ocr=ocr, encoded=encoded)
        report["ocr_warnings"] = ocr_warnings
        by_comp = {f["component_id"]: f for f in report["files"]}
        for o in d.outputs:
            f = by_comp.get(o.component_id)
            if f is not None:
                o.path, o.state, o.roles = f["path"], "assembled", []
                o.source_fingerprint = fingerprint(d.component(o.component_id))
        s.save()
    return report


# --- signing --------------------------------------------------------------------------------------
def signed_dir(s: DossierSession) -> Path:
    return s.workarea.root / "signed"


def scan_time(c: Component) -> datetime | None:
    """The time of scanning on the clerk's stamp: when the component's first kept page was captured."""
    kept = [p for p in c.kept_pages() if p.captured_at]
    if not kept:
        return None
    t = kept[0].captured_at
    assert t is not None
    return t if t.tzinfo else t.astimezone()


def scan_time_of_page(p: Any) -> datetime:
    """A page's capture time in local time (now, for a page without one)."""
    t = p.captured_at or datetime.now(UTC)
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone()


def _clean_orphans(folder: Path) -> list[str]:
    """Temporary files a killed signing left behind (atomic writes that never reached their rename)."""
    gone = []
    if folder.is_dir():
        for f in folder.glob(".*.tmp"):
            try:
                f.unlink()
                gone.append(f.name)
            except OSError:
                pass
    return gone


OnFile = Callable[[str, str], None]


def sign(s: DossierSession, role: str, *, token_label: str, pin: str | None, key_id: str | None = None,
         plan: SigningPlan | None = None, progress: Progress = NULL_PROGRESS,
         on_file: OnFile | None = None, lane: PageLane | None = None) -> dict[str, Any]:
    """Sign every file of the dossier with one PIN entry, as ``role`` (clerk, then copy).

    Runs on the calling thread; every PKCS#11 call goes to the token's own thread. A stop (token
    pulled out, cancel) keeps the files already signed; signing again resumes with the rest. Files
    are only recorded (and, for the last role, queued) once every one of them verifies.
    """
    from scanstation.signing import SignOptions, open_session, sign_batch

    plan = plan or SigningPlan.from_settings(s.settings)
    d = s.dossier
    notify = on_file or (lambda _cid, _state: None)
    if role not in ("clerk", "copy"):
        raise ValidationError(f"role must be clerk or copy, not '{role}'", f"Vai trò ký không hợp lệ: '{role}'",
                              field="role")
    if role == "copy" and not plan.certified_copy:
        raise WrongState("This station does not add a certified-copy (SAO Y) signature "
                         "(setting signing.certified_copy is off)",
                         "Trạm này không ký sao y (cài đặt signing.certified_copy đang tắt)", field="role")
    if role == "copy" and not plan.org_name.strip():
        raise ValidationError("A certified copy needs the organisation's name (setting station.org_name)",
                              "Ký sao y cần tên cơ quan (cài đặt station.org_name)", field="station.org_name")
    out_dir = signed_dir(s)
    _clean_orphans(out_dir)
    roots = plan.trust_store()
    warnings: list[str] = []

    if role == "clerk":
        if d.status in SIGNED_STATES:
            raise WrongState(f"Dossier {d.receipt_code} is already signed by the clerk ({d.status.value})",
                             f"Hồ sơ {d.receipt_code} đã được ký", field="dossier")
        require_clear(s, "sign", "ký số")
        if stale_outputs(s) or d.status != DossierStatus.ASSEMBLED:
            for c in d.components:
                if c.digitised:
                    notify(c.id, "assembling")
            build(s, progress, lane)
        items = []
        for o in d.outputs:
            c = d.component(o.component_id)
            items.append((Path(o.path), out_dir / o.file_name, {"scan_time": scan_time(c)}))
    else:
        if d.status != DossierStatus.SIGNED:
            raise WrongState(f"The certified copy is signed after the clerk's signature; dossier {d.receipt_code} "
                             f"is {d.status.value}", "Ký sao y sau khi cán bộ đã ký số hồ sơ", field="dossier")
        items = [(Path(o.path), Path(o.path), {}) for o in d.outputs
                 if "copy" not in o.roles and not _copy_already_on(Path(o.path), roots)]
    for o in d.outputs:
        notify(o.component_id, "signing")
    progress.check("signing")

    opts = SignOptions(role=role, signer_name=None, org_name=plan.org_name if role == "copy" else None,
                       tsa_url=plan.tsa_url, trust_roots=roots, stamp_font=plan.stamp_font,
                       copy_font=plan.copy_font)
    ts = open_session(plan.module, token_label, pin, key_id=key_id or None, trust_roots=roots)
    pin = None
    with ts:
        holder = ts.signer_name
        if role == "copy":
            require_organisation_certificate(ts.cert)
        if role == "clerk":
            opts.signer_name = holder
            if plan.clerk_name and plan.clerk_name.strip().casefold() != holder.strip().casefold():
                warnings.append(f"clerk.name '{plan.clerk_name}' differs from the certificate holder '{holder}'; "
                                "the stamp carries the certificate's name")
        res = sign_batch(ts, items, opts, progress) if items else None
        serial = ts.cert.serial
    done = {Path(sf.source).name if role == "copy" else Path(sf.path).name: sf for sf in (res.signed if res else [])}
    if res is not None and (res.stopped is not None or res.failed):
        for o in d.outputs:
            if o.file_name in done:
                notify(o.component_id, "signed")
        if res.stopped is not None:
            raise res.stopped
        from scanstation.errors import SignatureVerificationError

        raise SignatureVerificationError("; ".join(x.get("message_en", "") for x in res.failed),
                                         "; ".join(x.get("message_vi", "") for x in res.failed))
    files: list[dict[str, Any]] = []
    for o in d.outputs:
        sf = done.get(o.file_name)
        path = Path(sf.path) if sf else (out_dir / o.file_name if role == "clerk" else Path(o.path))
        files.append({"component_id": o.component_id, "file_name": o.file_name, "path": str(path),
                      "sha256": sf.sha256 if sf else _sha(path), "size": sf.size if sf else path.stat().st_size})
    queue = role == plan.last_role
    if queue:
        from scanstation.flow.upload import check_signed_for_queue

        for f in files:
            check_signed_for_queue(Path(f["path"]), roots)
    record_signed(s, role, files, signer=holder, certificate_serial=str(serial), queue=queue,
                  details={"token": token_label, "key_id": key_id or "", "warnings": warnings})
    for f in files:
        notify(f["component_id"], "queued" if queue else "signed")
    return {"role": role, "signer": holder, "queued": queue, "warnings": warnings, "files": files,
            "status": d.status.value}


def require_organisation_certificate(cert: Any) -> None:
    """A certified copy (SAO Y) is the organisation's: refuse a personal certificate, or one whose subject
    does not say it is an organisation's (signing.certs.holder_kind; docs/counter.md)."""
    from scanstation.errors import CertificateUsageError

    if cert.holder == "person":
        raise CertificateUsageError(
            f"The certificate of '{cert.common_name}' is a personal one (its subject carries {cert.holder_evidence}); "
            "a certified copy (SAO Y) is signed with the organisation's certificate",
            f"Chứng thư số của '{cert.common_name}' là chứng thư cá nhân; ký sao y phải dùng chứng thư số của "
            "cơ quan, tổ chức", field="token")
    if cert.holder != "organisation":
        raise CertificateUsageError(
            f"The certificate of '{cert.common_name}' does not say it is an organisation's (no UID MST:/MNS: in its "
            "subject, and its name is not its organisation's); a certified copy (SAO Y) needs the organisation's",
            f"Không xác định được chứng thư số của '{cert.common_name}' là của cơ quan, tổ chức; ký sao y phải "
            "dùng chứng thư số của cơ quan, tổ chức", field="token")


def _copy_already_on(path: Path, roots: TrustStore) -> bool:
    """A copy signature an interrupted run added (file written, not yet recorded): never add a second one."""
    from scanstation.signing import verify_file

    rep = verify_file(path, roots)
    return bool(rep.ok and rep.signatures and rep.signatures[-1].role == "copy")


def _sha(path: Path) -> str:
    from scanstation.fsio import sha256_file

    return sha256_file(path)


def record_signed(s: DossierSession, role: str, files: list[dict[str, Any]], *, signer: str,
                  certificate_serial: str = "", queue: bool, details: dict[str, Any] | None = None) -> list[str]:
    """Record signed files in ONE transaction: output-file rows, (when ``queue``) one upload job each,
    the dossier's status and row, and the audit events. A crash leaves either all of it or none."""
    from scanstation import sync

    d = s.dossier
    st = s.station
    status = DossierStatus.QUEUED if queue else DossierStatus.SIGNED
    now = datetime.now(UTC)
    jobs: list[str] = []
    with s.lock:
        outs = {o.component_id: o for o in d.outputs}
        before = [(o, o.state, o.path, o.sha256, o.size, list(o.roles), o.record_id, o.upload_job, o.signed)
                  for o in d.outputs]
        prev_status = d.status
        try:
            with st.store.session() as db:
                for f in files:
                    o = outs[f["component_id"]]
                    o.path, o.sha256, o.size, o.signed = f["path"], f["sha256"], int(f["size"]), True
                    o.roles = [*o.roles, role] if role not in o.roles else o.roles
                    o.state = "queued" if queue else "signed"
                    row = db.get(OutputFileRow, o.record_id) if o.record_id else None
                    if row is None:
                        o.record_id = o.record_id or new_id()
                        row = OutputFileRow(id=o.record_id, dossier_id=d.id, component_id=o.component_id,
                                            file_name=o.file_name, path=o.path, sha256=o.sha256, size=o.size,
                                            state=o.state, created_at=now, data="{}")
                        db.add(row)
                    row.path, row.sha256, row.size, row.state = o.path, o.sha256, o.size, o.state
                    row.data = json.dumps({"roles": o.roles}, ensure_ascii=False)
                    if queue:
                        c = d.component(o.component_id)
                        job_id, _created = sync.enqueue(
                            db, dossier_code=d.receipt_code, path=Path(o.path), sha256=o.sha256, size=o.size,
                            component_id=o.component_id, document_type=c.document_type_code,
                            file_name=o.file_name, metadata=to_plain(c.metadata), output_file_id=o.record_id,
                            station=s.settings.get("station.id"))
                        o.upload_job = job_id
                        jobs.append(job_id)
                    st.audit.append(s.actor, f"file.signed.{role}" + (".queued" if queue else ""),
                                    dossier=d.receipt_code, file=o.file_name,
                                    details={"component": o.component_id, "sha256": o.sha256, "size": o.size,
                                             "signer": signer, "certificate_serial": certificate_serial,
                                             **({"job": o.upload_job} if queue else {})}, session=db)
                d.status = status
                row_d = db.get(DossierRow, d.id)
                if row_d is None:
                    raise WrongState(f"Dossier {d.receipt_code} is not in the database",
                                     f"Không tìm thấy hồ sơ {d.receipt_code}")
                row_d.status = status.value
                row_d.data = json.dumps(to_plain(d), ensure_ascii=False)
                row_d.updated_at = now
                st.audit.append(s.actor, f"dossier.{status.value}", dossier=d.receipt_code,
                                details={"role": role, "signer": signer,
                                         "files": {f["file_name"]: f["sha256"] for f in files},
                                         **(details or {})}, session=db)
        except BaseException:
            for o, state, path, sha, size, roles, rid, job, signed in before:
                o.state, o.path, o.sha256, o.size, o.roles, o.record_id, o.upload_job, o.signed = (
                    state, path, sha, size, roles, rid, job, signed)
            d.status = prev_status
            raise
        try:
            s.workarea.save_dossier_json(to_plain(d))     # the database is the truth; this is the folder's copy
        except Exception as e:  # noqa: BLE001
            log.warning("dossier.json of %s not refreshed: %s", d.receipt_code, e)
    return jobs


def files_view(s: DossierSession) -> list[dict[str, Any]]:
    """The dossier's files with their state, as ``dossier show`` prints them (the database's view)."""
    d = s.dossier
    with s.station.store.session() as db:
        rows = {r.id: r for r in db.scalars(select(OutputFileRow).where(OutputFileRow.dossier_id == d.id))}
    out = []
    for o in d.outputs:
        row = rows.get(o.record_id)
        state = row.state if row is not None else o.state
        out.append({"component": o.component_id, "name": o.file_name, "sha256": row.sha256 if row else o.sha256,
                    "signatures": list(o.roles), "state": state, "path": o.path,
                    **({"revoked_at": o.revoked_at, "revoked_reason": o.revoked_reason} if o.revoked_at else {})})
    return out
