"""The station: its settings, database, audit log and the dossiers it holds (the flow's storage side)."""

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
from scanstation.errors import ScanStationError, StorageError, ValidationError
from scanstation.model import Component, Dossier, DossierStatus, OutputFile, Page, to_plain
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.store.db import Store, open_store
from scanstation.store.seats import take_seat
from scanstation.store.tables import DossierRow, PageRow
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
    torn_lines: int = 0
    problem: str | None = None       # why this dossier's journal could not be (fully) read


class Station:
    """One station: its settings, database, audit log and work areas."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or Settings()
        self.store = store or open_store(self.settings.get("db.url") or None)
        if self.store.shared and not (self.settings.source("station.id") == "station"
                                      and str(self.settings.get("station.id")).strip()):
            # On a shared database the station id says whose upload jobs (files on this disk) are whose:
            # two counters left on the default id would take each other's jobs.
            self.store.dispose()
            raise ValidationError(
                "This station uses a shared database (db.url) but has no station.id of its own; IT staff set "
                "a unique one per counter: scanstation settings set station.id NAME --station --lock",
                "Trạm dùng cơ sở dữ liệu chung nhưng chưa có mã trạm (station.id) riêng; nhờ bộ phận CNTT đặt "
                "mã trạm duy nhất cho quầy này", field="station.id")
        if self.store.shared:
            # ... and no other counter PC may hold the same id (a cloned image): the first PC holds it
            try:
                take_seat(self.store, str(self.settings.get("station.id")).strip())
            except ScanStationError:
                self.store.dispose()
                raise
        self.audit = AuditLog(self.store, station=self.settings.get("station.id"))
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

    def list_dossiers(self, *, unfinished_only: bool = False, limit: int = 200) -> list[DossierRow]:
        with self.store.session() as s:
            q = select(DossierRow).order_by(DossierRow.updated_at.desc()).limit(limit)
            rows = list(s.scalars(q))
        if unfinished_only:
            rows = [r for r in rows if not DossierStatus(r.status).finished]
        return rows

    # --- assembly -------------------------------------------------------------------------------
    def assemble(self, dossier: Dossier, progress: Progress = NULL_PROGRESS, *,
                 ocr: dict[str, list[Any]] | None = None,
                 encoded: dict[str, list[Any]] | None = None) -> dict[str, Any]:
        """One PDF/A file per digitised component from its kept pages, into the work area's out/ folder.

        Images are encoded as ``pdf.image_encoding`` says (empty: the compliance profile's); ``ocr``
        maps a component id to its kept pages' OCR results (the text layer); ``encoded`` to encodings
        made in the background during the scan (used only where they match the page and settings)."""
        wa = WorkArea.for_dossier(dossier.id)
        images = {c.id: [wa.root / p.file for p in c.kept_pages()] for c in dossier.components if c.digitised}
        facts = {c.id: [{"page_id": p.id, "sheet": p.sheet, "side": p.side.value, "variant": p.variant.value}
                        for p in c.kept_pages()] for c in dossier.components if c.digitised}
        report = assemble_dossier(dossier, images, wa.out_dir, page_facts=facts, progress=progress,
                                  encoding=self.settings.get("pdf.image_encoding") or None,
                                  jpeg_quality=self.settings.get("pdf.jpeg_quality"), ocr=ocr, encoded=encoded)
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
        """Dossiers left unfinished (by a crash or a closed window), with what their journals hold.

        One damaged journal never hides the others: it is listed with what could not be read."""
        out = []
        for row in self.list_dossiers(unfinished_only=True, limit=10000):
            wa = WorkArea(Path(row.workdir))
            try:
                rec = wa.replay(adopt=False)
            except Exception as e:  # noqa: BLE001 - report this dossier, go on with the others
                log.warning("journal of dossier %s cannot be read: %s", row.receipt_code, e)
                out.append(Unfinished(row.id, row.receipt_code, row.status, 0, [], [], row.updated_at,
                                      problem=str(e)))
                continue
            problem = (f"journal lines {rec.corrupt_lines} unreadable; restored up to and around them"
                       if rec.corrupt_lines else None)
            out.append(Unfinished(row.id, row.receipt_code, row.status, sum(len(v) for v in rec.pages.values()),
                                  rec.damaged, rec.adopted, row.updated_at, torn_lines=rec.torn_lines,
                                  problem=problem))
        return out

    def restore(self, dossier_id: str) -> Dossier:
        """Bring back a dossier and every journaled page (with its variant, exclusion, QC), exactly as left."""
        from scanstation.dossier_restore import dossier_from_plain

        with self.store.session() as s:
            row = s.get(DossierRow, dossier_id)
            if row is None:
                raise StorageError(f"No dossier {dossier_id}", f"Không có hồ sơ {dossier_id}")
            workdir, status = Path(row.workdir), row.status
        wa = WorkArea(workdir)
        dossier = dossier_from_plain(wa.load_dossier_json())
        dossier.status = DossierStatus(status)
        rec = wa.replay()
        for comp in dossier.components:
            comp.pages = rec.pages.get(comp.id, [])
        for comp in dossier.components:
            self.record_pages(dossier, comp, comp.pages)
        self.save_dossier(dossier)
        self.audit.append(self.actor, "dossier.restored", dossier=dossier.receipt_code,
                          details={"pages": sum(len(c.pages) for c in dossier.components),
                                   "damaged": rec.damaged, "adopted": rec.adopted, "rejected": rec.rejected,
                                   "corrupt_lines": rec.corrupt_lines})
        return dossier


def assemble_dossier(dossier: Dossier, images: dict[str, list[Path]], out_dir: Path, *,
                     profile_id: str | None = None, page_facts: dict[str, list[dict[str, Any]]] | None = None,
                     progress: Progress = NULL_PROGRESS, **options: Any) -> dict[str, Any]:
    """Build the dossier's PDF/A files (scanstation.pdf) from plain data: component id -> image paths.

    Returns the plain report of :func:`scanstation.pdf.assemble_dossier` (files, skipped, left_out, complete).
    """
    from scanstation.pdf import assemble_dossier as build

    profile = get_profile(profile_id or dossier.profile_id or DEFAULT_PROFILE_ID)
    return build(dossier, images, Path(out_dir), profile=profile, page_facts=page_facts, progress=progress,
                 **options)


def station_home() -> Path:
    return paths.home()
