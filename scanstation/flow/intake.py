"""Intake of a dossier already taken in: fix a typo in a name, a wrong sheet count, a missing component.

The clerk edits the open dossier's intake form and saves; what was scanned stays. What cannot change
once pages exist is refused with a message naming the component: removing a component that has pages,
or turning a scanned component two-sided/one-sided (its sheets would be counted differently). Nothing
changes after signing (the signed files carry the old data). A receipt code another dossier already
uses is refused with :class:`DuplicateReceipt`, which names that dossier so the window can offer to
open it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scanstation.errors import ValidationError
from scanstation.flow.session import DossierSession
from scanstation.flow.station import Station
from scanstation.model import Dossier, DossierStatus

#: states in which the intake may still change (the files are not signed yet)
EDITABLE = (DossierStatus.INTAKE, DossierStatus.CAPTURING, DossierStatus.CHECKED, DossierStatus.ASSEMBLED)


class DuplicateReceipt(ValidationError):
    """Another dossier on this station has the receipt code; ``dossier_id`` names it."""

    code = "DUPLICATE_RECEIPT"

    def __init__(self, receipt_code: str, dossier_id: str) -> None:
        super().__init__(f"A dossier with receipt code {receipt_code} already exists on this station",
                         f"Đã có hồ sơ mã {receipt_code} trên trạm này", field="receipt_code")
        self.receipt_code = receipt_code
        self.dossier_id = dossier_id


def dossier_with_receipt(station: Station, receipt_code: str) -> str | None:
    """The id of the dossier with this receipt code, if any."""
    from sqlalchemy import select

    from scanstation.store.tables import DossierRow

    with station.store.session() as db:
        found = db.scalar(select(DossierRow.id).where(DossierRow.receipt_code == receipt_code))
        return str(found) if found is not None else None


def update_intake(s: DossierSession, edited: Dossier) -> list[str]:
    """Apply an edited intake form to the open dossier (components matched by id); returns what changed."""
    from scanstation.store.tables import DossierRow

    d = s.dossier
    with s.lock:
        if d.status not in EDITABLE:
            raise ValidationError(
                f"Dossier {d.receipt_code} is already signed; its intake can no longer change",
                f"Hồ sơ {d.receipt_code} đã ký số; không thể sửa thông tin tiếp nhận nữa", field="receipt_code")
        code = edited.receipt_code.strip()
        if code != d.receipt_code:
            other = dossier_with_receipt(s.station, code)
            if other is not None and other != d.id:
                raise DuplicateReceipt(code, other)
        new_ids = {c.id for c in edited.components}
        for c in d.components:
            if c.id not in new_ids and c.pages:
                raise ValidationError(
                    f"Component '{c.name}' has {len(c.pages)} scanned page(s) and cannot be removed",
                    f"Thành phần '{c.name}' đã có {len(c.pages)} ảnh quét, không thể bỏ",
                    field=f"components[{d.components.index(c)}]")
        old_by_id = {c.id: c for c in d.components}
        for i, e in enumerate(edited.components):         # everything checked before anything changes
            was = old_by_id.get(e.id)
            if was is not None and was.pages and was.duplex != e.duplex:
                raise ValidationError(
                    f"Component '{was.name}' is already scanned {'two' if was.duplex else 'one'}-sided; "
                    "delete its pages before changing this",
                    f"Thành phần '{was.name}' đã quét {'hai' if was.duplex else 'một'} mặt; "
                    "hãy xóa các trang đã quét trước khi đổi", field=f"components[{i}].duplex")
        changed: list[str] = []
        for attr in ("receipt_code", "procedure_code", "procedure_name", "applicant", "authorising_party"):
            if getattr(d, attr) != getattr(edited, attr):
                changed.append(attr)
                setattr(d, attr, getattr(edited, attr))
        old = {c.id: c for c in d.components}
        comps = []
        for i, e in enumerate(edited.components):
            cur = old.get(e.id)
            if cur is None:
                comps.append(e)
                changed.append(f"components[{i}] added")
                continue
            for attr in ("name", "document_type_code", "digitisation_class", "not_digitised_reason",
                         "declared_sheets", "duplex"):
                if getattr(cur, attr) != getattr(e, attr):
                    changed.append(f"components[{i}].{attr}")
                    setattr(cur, attr, getattr(e, attr))
            comps.append(cur)
        for c in d.components:
            if c.id not in new_ids:
                changed.append(f"component '{c.name}' removed")
        if [c.id for c in d.components] != [c.id for c in comps]:
            d.components = comps
        if not changed:
            return []
        with s.station.store.session() as db:
            row = db.get(DossierRow, d.id)
            if row is not None:
                row.receipt_code = d.receipt_code
                row.updated_at = datetime.now(UTC)
        s.save(*d.components)
        s.audit("dossier.edited", changed=changed)
        return changed
