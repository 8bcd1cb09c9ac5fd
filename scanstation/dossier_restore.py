"""Rebuild a Dossier from its saved plain form (dossier.json / the database row)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from scanstation.model import (
    Component,
    DigitisationClass,
    DocumentMetadata,
    Dossier,
    DossierStatus,
    IdType,
    OutputFile,
    Party,
    PartyKind,
)
from scanstation.workarea import page_from_plain


def _d(v: str | None) -> date | None:
    return date.fromisoformat(v) if v else None


def party_from_plain(d: dict[str, Any] | None) -> Party | None:
    if not d:
        return None
    return Party(kind=PartyKind(d["kind"]), name=d["name"], id_type=IdType(d.get("id_type", "none")),
                 id_number=d.get("id_number", ""), birth_date=_d(d.get("birth_date")),
                 founding_year=d.get("founding_year"))


def metadata_from_plain(d: dict[str, Any]) -> DocumentMetadata:
    d = dict(d)
    for k in ("holder_birth_date", "issue_date", "valid_until"):
        d[k] = _d(d.get(k))
    return DocumentMetadata(**d)


def dossier_from_plain(d: dict[str, Any]) -> Dossier:
    comps = []
    for c in d.get("components", []):
        comps.append(Component(
            name=c["name"], document_type_code=c["document_type_code"], id=c["id"],
            digitisation_class=DigitisationClass(c.get("digitisation_class", "must")),
            not_digitised_reason=c.get("not_digitised_reason", ""), declared_sheets=c.get("declared_sheets", 0),
            duplex=c.get("duplex", True), metadata=metadata_from_plain(c.get("metadata", {})),
            pages=[page_from_plain(p) for p in c.get("pages", [])], role=c.get("role", "input"),
            reused_document_id=c.get("reused_document_id", "")))
    return Dossier(
        receipt_code=d["receipt_code"], procedure_code=d["procedure_code"], procedure_name=d["procedure_name"],
        applicant=party_from_plain(d["applicant"]), id=d["id"],
        authorising_party=party_from_plain(d.get("authorising_party")), clerk=d.get("clerk", ""),
        station=d.get("station", ""),
        received_at=datetime.fromisoformat(d["received_at"]) if d.get("received_at") else None,
        profile_id=d.get("profile_id", ""), status=DossierStatus(d.get("status", "intake")), components=comps,
        outputs=[OutputFile(**{k: v for k, v in o.items() if k != "signatures"}) for o in d.get("outputs", [])],
    )
