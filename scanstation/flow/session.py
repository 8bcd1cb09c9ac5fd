"""A dossier being worked on: the station, the dossier, its work area and what its journal says.

Every use case in :mod:`scanstation.flow` takes a :class:`DossierSession`. It is plain data plus a
lock; the window keeps one for the open dossier, a CLI command opens one per run, and both get it
from :func:`open_dossier`, which rebuilds it from the database row and ONE replay of the journal.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scanstation.compliance import ComplianceProfile, get_profile
from scanstation.config import Settings
from scanstation.dossier_restore import dossier_from_plain
from scanstation.errors import DossierBusy, DossierNotFound, JournalError, StorageError
from scanstation.flow.station import Station
from scanstation.model import Component, Dossier, DossierStatus, Page
from scanstation.store.tables import DossierRow
from scanstation.workarea import Recovered, WorkArea

if TYPE_CHECKING:
    from scanstation.flow.pages import UndoStep


@dataclass
class DossierSession:
    """One dossier and its journaled state (pages live on the dossier's components)."""

    station: Station
    dossier: Dossier
    workarea: WorkArea
    #: finding id -> override record (who, why, when)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: scanner event id -> event (with ``resolved`` = None or {by, reason, at})
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: component id -> last component check {pages: [ids], findings, pairs, summary}
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    clerk_restored: set[str] = field(default_factory=set)
    clerk_excluded: set[str] = field(default_factory=set)
    #: page id -> {"deg", "confidence", "number"}: what OCR read off the page — the turn that makes it
    #: upright (0 = upright) and its printed page number (None: none found)
    readings: dict[str, dict[str, Any]] = field(default_factory=dict)
    recovered: Recovered | None = None
    #: the clerk's page operations that Ctrl+Z can take back, newest last (flow.pages.undo)
    undo_steps: list[UndoStep] = field(default_factory=list, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- shortcuts ------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.station.settings

    @property
    def actor(self) -> str:
        return self.station.actor

    @property
    def profile(self) -> ComplianceProfile:
        return get_profile(self.dossier.profile_id or self.settings.get("compliance.profile"))

    def component(self, ref: str) -> Component:
        """A component by id, 1-based position or document type code (what a clerk may type)."""
        d = self.dossier
        for c in d.components:
            if c.id == ref:
                return c
        if ref.isdigit() and 1 <= int(ref) <= len(d.components):
            return d.components[int(ref) - 1]
        matches = [c for c in d.components if c.document_type_code.lower() == ref.lower()]
        if len(matches) == 1:
            return matches[0]
        from scanstation.errors import ValidationError

        valid = ", ".join(f"{i}={c.document_type_code}" for i, c in enumerate(d.components, 1))
        raise ValidationError(f"Dossier {d.receipt_code} has no component '{ref}' (components: {valid})",
                              f"Hồ sơ {d.receipt_code} không có thành phần '{ref}'", field="component")

    def page(self, component: Component, ref: str) -> Page:
        """A page by id or 1-based position in the component."""
        for p in component.pages:
            if p.id == ref:
                return p
        if ref.isdigit() and 1 <= int(ref) <= len(component.pages):
            return component.pages[int(ref) - 1]
        from scanstation.errors import ValidationError

        raise ValidationError(f"Component '{component.name}' has no page '{ref}' ({len(component.pages)} pages)",
                              f"Thành phần '{component.name}' không có trang '{ref}'", field="page")

    def find_page(self, page_id: str) -> tuple[Component, Page]:
        for c in self.dossier.components:
            for p in c.pages:
                if p.id == page_id:
                    return c, p
        from scanstation.errors import ValidationError

        raise ValidationError(f"No page {page_id} in dossier {self.dossier.receipt_code}",
                              f"Không có trang {page_id} trong hồ sơ", field="page")

    # --- persistence ----------------------------------------------------------------------------
    def journal(self, op: str, **fields: Any) -> None:
        self.workarea.record(op, **fields)

    def audit(self, action: str, *, page: str | None = None, file: str | None = None, **details: Any) -> None:
        self.station.audit.append(self.actor, action, dossier=self.dossier.receipt_code, page=page, file=file,
                                  details=details)

    def save(self, *components: Component) -> None:
        """Mirror the dossier (and the given components' pages) into dossier.json and the database."""
        with self.lock:
            for c in components:
                self.station.record_pages(self.dossier, c, c.pages)
            self.station.save_dossier(self.dossier)

    def set_status(self, status: DossierStatus) -> None:
        with self.lock:
            self.station.set_status(self.dossier, status)


def _apply_recovered(s: DossierSession, rec: Recovered) -> None:
    for comp in s.dossier.components:
        if comp.id in rec.pages:
            comp.pages = rec.pages[comp.id]
    s.overrides, s.events, s.checks = rec.overrides, rec.events, rec.checks
    s.clerk_restored, s.clerk_excluded = rec.clerk_restored, rec.clerk_excluded
    s.readings = rec.readings
    s.recovered = rec


def attach(station: Station, dossier: Dossier, workarea: WorkArea, *, verify: bool = False) -> DossierSession:
    """A session over a dossier already in memory (just created, or opened by the caller)."""
    s = DossierSession(station, dossier, workarea)
    _apply_recovered(s, workarea.replay(verify=verify))
    return s


def new_dossier(station: Station, dossier: Dossier) -> DossierSession:
    """Intake: record a new dossier (database row, work folder, audit event) and open it."""
    wa = station.create_dossier(dossier)
    return DossierSession(station, dossier, wa)


def open_dossier(station: Station, ref: str, *, verify: bool = False) -> DossierSession:
    """Open a dossier by id or receipt code: its last saved form plus everything its journal holds."""
    from sqlalchemy import or_, select

    with station.store.session() as db:
        row = db.scalar(select(DossierRow).where(or_(DossierRow.id == ref, DossierRow.receipt_code == ref)))
        if row is None:
            raise DossierNotFound(f"No dossier '{ref}' on this station (give its id or receipt code)",
                                  f"Không có hồ sơ '{ref}' trên trạm này", field="dossier")
        workdir, data, status = Path(row.workdir), row.data, row.status
    try:
        dossier = dossier_from_plain(json.loads(data))
    except (ValueError, KeyError, TypeError) as e:
        raise StorageError(f"Dossier '{ref}' cannot be read from the database: {e}",
                           f"Không đọc được hồ sơ '{ref}' trong cơ sở dữ liệu") from e
    dossier.status = DossierStatus(status)
    return attach(station, dossier, WorkArea(workdir), verify=verify)


# --- one capture at a time ------------------------------------------------------------------------
@contextlib.contextmanager
def exclusive(folder: Path, what_en: str, what_vi: str) -> Iterator[None]:
    """Hold the folder's lock file for the block; refuse at once if another process or thread holds it.

    An OS lock (flock / LockFileEx), so it is released by the OS when a process dies: a SIGKILLed
    capture never leaves the dossier locked.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".capture.lock"
    try:
        f: IO[bytes] = open(path, "a+b")  # noqa: SIM115 - closed below
    except OSError as e:
        raise StorageError(f"Cannot open the lock file {path}: {e.strerror}",
                           f"Không mở được tệp khóa {path}") from e
    try:
        if not _try_lock(f):
            raise DossierBusy(f"{what_en} is being captured by another window or command; wait for it to finish",
                              f"{what_vi} đang được quét ở cửa sổ hoặc lệnh khác; hãy đợi xong", field="dossier")
        try:
            f.seek(0)
            f.truncate()
            f.write(f"{os.getpid()} {datetime.now(UTC).isoformat()}\n".encode())
            f.flush()
            yield
        finally:
            _unlock(f)
    finally:
        f.close()


def _try_lock(f: IO[bytes]) -> bool:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        try:
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(f: IO[bytes]) -> None:
    if os.name == "nt":  # pragma: no cover - Windows
        import msvcrt

        with contextlib.suppress(OSError):
            f.seek(0)
            msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


__all__ = ["DossierSession", "JournalError", "attach", "exclusive", "new_dossier", "open_dossier"]
