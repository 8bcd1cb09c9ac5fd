"""The applicant from the chip CCCD: the handheld reader's text or a scanned image of the card.

The QR's content is personal data: it is never logged and never audited; the audit says only that
the applicant was filled from the card (and from which source).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from scanstation.flow.station import Station
from scanstation.identity import CccdCard, find_cccd_in_image, parse_cccd_qr
from scanstation.model import IdType, Party, PartyKind

Source = Literal["reader", "image"]

CARD_DPI = 600      # what the station suggests for scanning an ID card (bench/cccd_qr.py)


def read_card(*, text: str | None = None, image: str | Path | None = None) -> CccdCard:
    """The card from the reader's text or from a scanned image (exactly one of them)."""
    if text is not None and image is None:
        return parse_cccd_qr(text)
    if image is not None and text is None:
        return find_cccd_in_image(image)
    raise ValueError("give the reader's text or an image, not both")


def party_from_card(card: CccdCard) -> Party:
    return Party(kind=PartyKind.CITIZEN, name=card.name, id_type=IdType.CCCD, id_number=card.id_number,
                 birth_date=card.birth_date)


def audit_filled(station: Station, source: Source, *, dossier: str | None = None) -> None:
    """One audit event saying the applicant was filled from the card; no field of the card in it."""
    station.audit.append(station.actor, "applicant.filled_from_card", dossier=dossier,
                         details={"source": source})
