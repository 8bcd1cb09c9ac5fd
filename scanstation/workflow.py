"""Where devices, QC, PDF, signing and sync meet: the station's use cases, passing plain data between them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scanstation import paths
from scanstation.audit import AuditLog
from scanstation.compliance import DEFAULT_PROFILE_ID, get_profile
from scanstation.config import Settings
from scanstation.errors import StorageError, ValidationError
from scanstation.model import Component, Dossier, DossierStatus, OutputFile, Page, new_id, to_plain
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.store.db import Store, open_store
from scanstation.store.tables import DossierRow, OutputFileRow, PageRow
from scanstation.workarea import WorkArea

log = logging.getLogger(__name__)


@dataclass
class Unfinished:
    dossier_id: str
    receipt_code: str
    status: str
    pages: int
    damaged: list[str]
    adopted: list[str]
    updated_at: datetime | None


class Station:
    """One station: its settings, database, audit log and work areas."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or Settings()
        self.store = store or open_store(self.settings.get("db.url") or None)
        self.audit = AuditLog(self.store)
        self.actor = self.settings.get("clerk.name") or "clerk"

    # --- dossiers ---------------------------------------------------------------------------------
    def create_dossier(self, dossier: Dossier) -> WorkArea:
        """Record a new dossier at intake: database row, work folder, dossier.json, audit event."""
        dossier.station = dossier.station or self.settings.get("station.id")
        dossier.profile_id = dossier.profile_id or self.settings.get("compliance.profile")
        dossier.received_at = dossier.received_at or datetime.now(UTC)
        wa = WorkArea.for_dossier(dossier.id)
        now = datetime.now(UTC)
        with self.store.session() as s:
            if s.scalar(select(DossierRow.id).where(DossierRow.receipt_code == dossier.receipt_code)):
                raise ValidationError(f"A dossier with receipt code {dossier.receipt_code} already exists",
                                      f"Đã có hồ sơ mã {dossier.receipt_code} trên trạm này", field="receipt_code")
            s.add(DossierRow(id=dossier.id, receipt_code=dossier.receipt_code, status=dossier.status.value,
                             profile_id=dossier.profile_id, clerk=dossier.clerk, station=dossier.station,
                             workdir=str(wa.root), data=json.dumps(to_plain(dossier), ensure_ascii=False),
                             created_at=now, updated_at=now))
            self.audit.append(self.actor, "dossier.created", dossier=dossier.receipt_code,
                              details={"components": len(dossier.components), "profile": dossier.profile_id},
                              session=s)
            wa.save_dossier_json(to_plain(dossier))
        return wa

    def save_dossier(self, dossier: Dossier) -> None:
        wa = WorkArea.for_dossier(dossier.id)
        wa.save_dossier_json(to_plain(dossier))
        with self.store.session() as s:
            row = s.get(DossierRow, dossier.id)
            if row is None:
                raise StorageError(f"Dossier {dossier.receipt_code} is not in the database",
                                   f"Không tìm thấy hồ sơ {dossier.receipt_code}")
            row.status = dossier.status.value
            row.data = json.dumps(to_plain(dossier), ensure_ascii=False)
            row.updated_at = datetime.now(UTC)

    def set_status(self, dossier: Dossier, status: DossierStatus) -> None:
        dossier.status = status
        self.save_dossier(dossier)
        self.audit.append(self.actor, f"dossier.{status.value}", dossier=dossier.receipt_code)

    def begin_capture(self, dossier: Dossier) -> WorkArea:
        """Check there is room on disk before the scanner starts; refuse with a clear message if not."""
        wa = WorkArea.for_dossier(dossier.id)
        wa.check_space(self.settings.get("storage.min_free_mb"))
        if dossier.status == DossierStatus.INTAKE:
            self.set_status(dossier, DossierStatus.CAPTURING)
        return wa

    def record_pages(self, dossier: Dossier, component: Component, pages: list[Page]) -> None:
        """Mirror journaled pages into the database (the journal stays the source of truth on a crash)."""
        with self.store.session() as s:
            for i, p in enumerate(pages):
                s.merge(PageRow(id=p.id, dossier_id=dossier.id, component_id=component.id, seq=i, sheet=p.sheet,
                                side=p.side.value, variant=p.variant.value, file=p.file, sha256=p.sha256,
                                kept=p.kept, excluded_reason=p.excluded_reason, captured_at=p.captured_at,
                                data=json.dumps(to_plain(p), ensure_ascii=False)))

    def record_signed_file(self, dossier: Dossier, component_id: str, path: Path | str, sha256: str, size: int,
                           *, document_type: str = "", metadata: dict | None = None,
                           file_name: str | None = None) -> str:
        """Record a signed output file and queue its upload in ONE transaction (with its audit event):
        a crash can never leave a signed file that is not queued, or a job without its file."""
        from scanstation import sync

        path = Path(path)
        if not document_type or metadata is None:
            try:
                comp = dossier.component(component_id)
                document_type = document_type or comp.document_type_code
                metadata = to_plain(comp.metadata) if metadata is None else metadata
            except KeyError:
                metadata = metadata or {}
        now = datetime.now(UTC)
        file_id = new_id()
        with self.store.session() as s:
            s.add(OutputFileRow(id=file_id, dossier_id=dossier.id, component_id=component_id,
                                file_name=file_name or path.name, path=str(path), sha256=sha256, size=int(size),
                                state="signed", created_at=now, data="{}"))
            job_id, _created = sync.enqueue(s, dossier_code=dossier.receipt_code, path=path, sha256=sha256,
                                            size=size, component_id=component_id, document_type=document_type,
                                            file_name=file_name or path.name, metadata=metadata,
                                            output_file_id=file_id, station=self.settings.get("station.id"))
            self.audit.append(self.actor, "file.signed_queued", dossier=dossier.receipt_code,
                              file=file_name or path.name,
                              details={"component": component_id, "sha256": sha256, "size": int(size),
                                       "job": job_id}, session=s)
        return job_id

    def list_dossiers(self, *, unfinished_only: bool = False, limit: int = 200) -> list[DossierRow]:
        with self.store.session() as s:
            q = select(DossierRow).order_by(DossierRow.updated_at.desc()).limit(limit)
            rows = list(s.scalars(q))
        if unfinished_only:
            rows = [r for r in rows if not DossierStatus(r.status).finished]
        return rows

    # --- assembly -------------------------------------------------------------------------------
    def assemble(self, dossier: Dossier, progress: Progress = NULL_PROGRESS) -> dict[str, Any]:
        """One PDF/A file per digitised component from its kept pages, into the work area's out/ folder."""
        wa = WorkArea.for_dossier(dossier.id)
        images = {c.id: [wa.root / p.file for p in c.kept_pages()] for c in dossier.components if c.digitised}
        facts = {c.id: [{"page_id": p.id, "sheet": p.sheet, "side": p.side.value, "variant": p.variant.value}
                        for p in c.kept_pages()] for c in dossier.components if c.digitised}
        report = assemble_dossier(dossier, images, wa.out_dir, page_facts=facts, progress=progress)
        dossier.outputs = [OutputFile(component_id=f["component_id"], file_name=f["file_name"], sha256=f["sha256"],
                                      size=f["size"]) for f in report["files"]]
        if report["complete"] and report["files"]:
            dossier.status = DossierStatus.ASSEMBLED
        self.save_dossier(dossier)
        self.audit.append(self.actor, "dossier.assembled", dossier=dossier.receipt_code,
                          details={"complete": report["complete"],
                                   "files": {f["file_name"]: f["sha256"] for f in report["files"]},
                                   "skipped": [s["component"] for s in report["skipped"]]})
        return report

    # --- crash recovery ---------------------------------------------------------------------------
    def unfinished(self) -> list[Unfinished]:
        """Dossiers left unfinished (by a crash or a closed window), with what their journals hold."""
        out = []
        for row in self.list_dossiers(unfinished_only=True, limit=10000):
            wa = WorkArea(Path(row.workdir))
            rec = wa.replay()
            out.append(Unfinished(row.id, row.receipt_code, row.status, sum(len(v) for v in rec.pages.values()),
                                  rec.damaged, rec.adopted, row.updated_at))
        return out

    def restore(self, dossier_id: str) -> Dossier:
        """Bring back a dossier and every journaled page, exactly as captured."""
        from scanstation.dossier_restore import dossier_from_plain

        with self.store.session() as s:
            row = s.get(DossierRow, dossier_id)
            if row is None:
                raise StorageError(f"No dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
            workdir = Path(row.workdir)
        wa = WorkArea(workdir)
        dossier = dossier_from_plain(wa.load_dossier_json())
        rec = wa.replay()
        for comp in dossier.components:
            comp.pages = rec.pages.get(comp.id, [])
        for comp in dossier.components:
            self.record_pages(dossier, comp, comp.pages)
        self.audit.append(self.actor, "dossier.restored", dossier=dossier.receipt_code,
                          details={"pages": sum(len(c.pages) for c in dossier.components),
                                   "damaged": rec.damaged, "adopted": rec.adopted, "rejected": rec.rejected})
        return dossier


def assemble_dossier(dossier: Dossier, images: dict[str, list[Path]], out_dir: Path, *,
                     profile_id: str | None = None, page_facts: dict[str, list[dict[str, Any]]] | None = None,
                     progress: Progress = NULL_PROGRESS) -> dict[str, Any]:
    """Build the dossier's PDF/A files (scanstation.pdf) from plain data: component id -> image paths.

    Returns the plain report of :func:`scanstation.pdf.assemble_dossier` (files, skipped, left_out, complete).
    """
    from scanstation.pdf import assemble_dossier as build

    profile = get_profile(profile_id or dossier.profile_id or DEFAULT_PROFILE_ID)
    return build(dossier, images, Path(out_dir), profile=profile, page_facts=page_facts, progress=progress)


def station_home() -> Path:
    return paths.home()


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
    roots = load_trust_roots(trust_root_files) if trust_root_files else []
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
    if not rep.signatures[-1].whole_file:
        raise refuse(f"signature '{rep.signatures[-1].field}' does not cover the whole file (content added after "
                     "signing)", f"chữ ký '{rep.signatures[-1].field}' không bao trùm toàn bộ tệp")
