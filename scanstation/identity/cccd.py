"""The chip CCCD's QR text: ``number|old CMND|full name|birth ddmmyyyy|sex|address|issue ddmmyyyy``.

Variants with fewer fields exist (older readers and cards): the fields are read by count and the
result says which ones were missing. The content is personal data: no message built here ever
quotes it (errors name the field, never its value), and nothing here logs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scanstation.errors import ValidationError
from scanstation.identifiers import ascii_digits

FIELDS = ("id_number", "old_id_number", "name", "birth_date", "sex", "address", "issue_date")
_FIELD_VI = {"id_number": "số định danh cá nhân", "old_id_number": "số CMND cũ", "name": "họ và tên",
             "birth_date": "ngày sinh", "sex": "giới tính", "address": "nơi thường trú", "issue_date": "ngày cấp"}
MIN_FIELDS = 3          # number | old number | name: the least a reader must give to fill the applicant
_SEXES = {"nam": "Nam", "nữ": "Nữ", "nu": "Nữ", "male": "Nam", "female": "Nữ"}


class CccdQrError(ValidationError):
    code = "CCCD_QR"


@dataclass(frozen=True)
class CccdCard:
    id_number: str
    old_id_number: str = ""
    name: str = ""
    birth_date: date | None = None
    sex: str = ""
    address: str = ""
    issue_date: date | None = None
    missing: tuple[str, ...] = field(default=())     # fields this variant of the QR does not carry

    def to_dict(self) -> dict[str, Any]:
        return {"id_number": self.id_number, "old_id_number": self.old_id_number, "name": self.name,
                "birth_date": self.birth_date.isoformat() if self.birth_date else None, "sex": self.sex,
                "address": self.address, "issue_date": self.issue_date.isoformat() if self.issue_date else None}

    def __repr__(self) -> str:      # personal data: never in a log line or a traceback
        return f"<CccdCard missing={list(self.missing)}>"

    __str__ = __repr__


def _fail(code: str, en: str, vi: str) -> CccdQrError:
    return CccdQrError(en, vi, field="cccd_qr", code=code)


def what_is_it(text: str) -> str | None:
    """A short name for a QR that is plainly something else than a CCCD, or None."""
    t = text.strip()
    low = t.lower()
    if "://" in low[:16] or low.startswith(("www.", "mailto:", "tel:")):
        return "url"
    if t.startswith("000201"):            # EMVCo merchant-presented payload: VietQR, NAPAS bank transfers
        return "payment"
    return None


def _date(raw: str, name: str) -> date:
    if not (len(raw) == 8 and ascii_digits(raw)):
        raise _fail("CCCD_QR_DATE", f"The {name.replace('_', ' ')} on the card's QR is not a date ddmmyyyy",
                    f"Trường {_FIELD_VI[name]} trong mã QR không phải ngày dạng ddmmyyyy")
    try:
        return date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
    except ValueError:
        raise _fail("CCCD_QR_DATE", f"The {name.replace('_', ' ')} on the card's QR is not a real date",
                    f"Trường {_FIELD_VI[name]} trong mã QR không phải ngày có thật") from None


def parse_cccd_qr(text: str) -> CccdCard:
    """Read the QR text of a chip CCCD; raises :class:`CccdQrError` naming what is wrong (never the data)."""
    if not isinstance(text, str) or not text.strip():
        raise _fail("CCCD_QR_EMPTY", "The QR code is empty", "Mã QR trống")
    text = unicodedata.normalize("NFC", text.strip().strip("\r\n"))
    kind = what_is_it(text)
    if kind == "url":
        raise _fail("CCCD_QR_URL", "This QR code holds a web address, not the data of a citizen ID card (CCCD)",
                    "Mã QR này chứa một địa chỉ web, không phải dữ liệu thẻ căn cước công dân")
    if kind == "payment":
        raise _fail("CCCD_QR_PAYMENT", "This QR code is a payment code (VietQR / EMVCo), not a citizen ID card (CCCD)",
                    "Mã QR này là mã thanh toán (VietQR), không phải thẻ căn cước công dân")
    parts = [p.strip() for p in text.split("|")]
    if len(parts) < MIN_FIELDS:
        raise _fail("CCCD_QR_FORMAT", f"This QR code is not a citizen ID card's: it has {len(parts)} '|'-separated "
                    f"field(s), a CCCD has 7 (at least {MIN_FIELDS}); a damaged or partly read code looks like this too",
                    f"Mã QR này không phải của thẻ căn cước công dân: có {len(parts)} trường phân cách bằng '|', "
                    f"thẻ CCCD có 7 (ít nhất {MIN_FIELDS}); mã bị hỏng hoặc đọc thiếu cũng như vậy")
    if len(parts) > len(FIELDS):
        raise _fail("CCCD_QR_FORMAT", f"This QR code has {len(parts)} '|'-separated fields; a CCCD has at most "
                    f"{len(FIELDS)}", f"Mã QR có {len(parts)} trường; thẻ CCCD có tối đa {len(FIELDS)}")
    got = dict(zip(FIELDS, parts))
    number = got["id_number"]
    if len(number) == 12 and number.isdigit() and not number.isascii():
        raise _fail("CCCD_QR_NUMBER", "The number on the card's QR uses digits that are not plain 0-9",
                    "Số định danh trong mã QR có chữ số không phải 0-9 thông thường")
    if not (len(number) == 12 and ascii_digits(number)):
        raise _fail("CCCD_QR_NUMBER", f"The first field of the QR is not a 12-digit personal identification number "
                    f"({len(number)} characters)",
                    f"Trường đầu của mã QR không phải số định danh cá nhân 12 chữ số ({len(number)} ký tự)")
    old = got.get("old_id_number", "")
    if old and not (len(old) in (9, 12) and ascii_digits(old)):
        raise _fail("CCCD_QR_OLD_NUMBER", "The old ID card number (CMND) on the QR is not 9 or 12 digits",
                    "Số CMND cũ trong mã QR không phải 9 hoặc 12 chữ số")
    name = " ".join(got.get("name", "").split())
    if not name:
        raise _fail("CCCD_QR_NAME", "The card's QR carries no name", "Mã QR không có họ và tên")
    sex_raw = got.get("sex", "")
    sex = _SEXES.get(sex_raw.casefold(), sex_raw) if sex_raw else ""
    return CccdCard(id_number=number, old_id_number=old, name=name,
                    birth_date=_date(got["birth_date"], "birth_date") if got.get("birth_date") else None,
                    sex=sex, address=" ".join(got.get("address", "").split()),
                    issue_date=_date(got["issue_date"], "issue_date") if got.get("issue_date") else None,
                    missing=tuple(f for f in FIELDS[len(parts):]))


def missing_text(card: CccdCard) -> tuple[str, str]:
    """What this variant of the QR did not carry, in English and Vietnamese ("" when complete)."""
    if not card.missing:
        return "", ""
    return ("the card's QR does not carry: " + ", ".join(f.replace("_", " ") for f in card.missing),
            "mã QR của thẻ không có: " + ", ".join(_FIELD_VI[f] for f in card.missing))
