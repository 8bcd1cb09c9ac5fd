"""The window's use cases as plain functions over the core (no Qt here: they run in background lanes).

Every function in this module may block on the disk, the database, a device, the token or the
network, so the window only ever calls them through :class:`scanstation.ui.tasks.TaskManager`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanstation.dossier_restore import dossier_from_plain
from scanstation.errors import StorageError
from scanstation.model import Dossier, DossierStatus
from scanstation.store.tables import DossierRow
from scanstation.workarea import WorkArea
from scanstation.workflow import Station


@dataclass
class DossierSummary:
    id: str
    receipt_code: str
    applicant: str
    procedure: str
    status: DossierStatus
    created_at: datetime
    updated_at: datetime
    today: bool


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def todays_dossiers(station: Station, now: datetime | None = None) -> list[DossierSummary]:
    """Dossiers received today (local time), plus older ones still unfinished, newest first."""
    now = (now or datetime.now(UTC)).astimezone()
    out = []
    for row in station.list_dossiers(limit=500):
        created = _aware(row.created_at).astimezone()
        status = DossierStatus(row.status)
        today = created.date() == now.date()
        if not today and status.finished:
            continue
        try:
            data = json.loads(row.data)
        except json.JSONDecodeError:
            data = {}
        out.append(DossierSummary(
            id=row.id, receipt_code=row.receipt_code, applicant=(data.get("applicant") or {}).get("name", ""),
            procedure=data.get("procedure_name", ""), status=status, created_at=created,
            updated_at=_aware(row.updated_at).astimezone(), today=today))
    return out


def load_dossier(station: Station, dossier_id: str) -> tuple[Dossier, WorkArea]:
    """Open a dossier as last saved, with its pages as the work area's journal has them."""
    with station.store.session() as s:
        row = s.get(DossierRow, dossier_id)
        if row is None:
            raise StorageError(f"No dossier {dossier_id}", f"Không tìm thấy hồ sơ {dossier_id}")
        workdir = Path(row.workdir)
        data = json.loads(row.data)
    wa = WorkArea(workdir)
    dossier = dossier_from_plain(data)
    rec = wa.replay(verify=False)
    for comp in dossier.components:
        if comp.id in rec.pages:
            comp.pages = rec.pages[comp.id]
    return dossier, wa


def create_dossier(station: Station, dossier: Dossier) -> WorkArea:
    return station.create_dossier(dossier)


def save_dossier(station: Station, dossier: Dossier) -> None:
    station.save_dossier(dossier)


def audit(station: Station, action: str, dossier: Dossier | None = None, **details: Any) -> None:
    station.audit.append(station.actor, action, dossier=dossier.receipt_code if dossier else None,
                         details=details)


def health(ctx: Any) -> dict[str, dict[str, Any]]:
    """Probe scanner, token and queue; each probe may block, so this runs in the ``io`` lane."""
    out: dict[str, dict[str, Any]] = {}
    out["scanner"] = {"state": "unavailable"}
    out["token"] = {"state": "unavailable"}
    out["queue"] = {"state": "unavailable"}
    return out
