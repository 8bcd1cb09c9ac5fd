"""Validation of Vietnamese identifiers as a clerk types them: hard errors block, hints never do."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from stdnum.vn import mst

from scanstation.errors import InvalidIdentifier
from scanstation.model import IdType

# Digit 4 of a CCCD number: sex and century of birth (Thông tư 59/2021/TT-BCA, Điều 7).
_CENTURY = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}

_ORG_CODE_NEW = re.compile(r"^[A-Y]\d{2}(\.\d{2}){0,3}$", re.ASCII)           # H49.64.33 (QĐ 20/2020/QĐ-TTg)
_ORG_CODE_OLD = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$", re.ASCII)     # 000.00.01.H22 (13 characters)
_PASSPORT_VN = re.compile(r"^[A-Z]\d{7}$", re.ASCII)

_NAMES_EN = {IdType.CCCD: "personal identification number (CCCD)", IdType.CMND: "ID card number (CMND)",
             IdType.PASSPORT: "passport number", IdType.TAX_CODE: "tax code",
             IdType.ORG_CODE: "organisation code"}
_NAMES_VI = {IdType.CCCD: "số định danh cá nhân (CCCD)", IdType.CMND: "số CMND",
             IdType.PASSPORT: "số hộ chiếu", IdType.TAX_CODE: "mã số thuế",
             IdType.ORG_CODE: "mã định danh cơ quan, tổ chức"}


@dataclass(frozen=True)
class Note:
    code: str
    en: str
    vi: str


@dataclass(frozen=True)
class IdCheck:
    """Result of checking one identifier. ``ok`` is False only for hard errors; hints are advice."""

    id_type: IdType
    value: str                       # normalised (spaces removed, upper case where it matters)
    errors: tuple[Note, ...] = field(default=())
    hints: tuple[Note, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.errors


def ascii_digits(v: str) -> bool:
    """Only 0-9: ``str.isdigit`` also takes full-width (１２３) and Arabic-Indic (١٢٣) digits, which
    compare unequal to the same number typed in ASCII and would end up in file names."""
    return bool(v) and v.isascii() and v.isdigit()


def normalise(id_type: IdType, raw: str) -> str:
    v = re.sub(r"\s+", "", raw or "")
    return v.upper() if id_type in (IdType.PASSPORT, IdType.ORG_CODE) else v


def check_identifier(id_type: IdType | str, raw: str, *, today: date | None = None) -> IdCheck:
    """Check ``raw`` as an identifier of ``id_type``; never raises."""
    id_type = IdType(id_type)
    v = normalise(id_type, raw)
    errors: list[Note] = []
    hints: list[Note] = []
    if id_type == IdType.NONE:
        return IdCheck(id_type, v)
    if not v:
        errors.append(Note("EMPTY", f"The {_NAMES_EN[id_type]} is empty",
                           f"Chưa nhập {_NAMES_VI[id_type]}"))
        return IdCheck(id_type, v, tuple(errors))
    if id_type == IdType.CCCD:
        _check_cccd(v, errors, hints, today or date.today())
    elif id_type == IdType.CMND:
        if not ascii_digits(v) or len(v) not in (9, 12):
            errors.append(Note("CMND_FORMAT", f"An ID card number (CMND) has 9 or 12 digits; got '{v}'",
                               f"Số CMND phải gồm 9 hoặc 12 chữ số; đã nhập '{v}'"))
    elif id_type == IdType.TAX_CODE:
        _check_tax_code(v, errors)
    elif id_type == IdType.ORG_CODE:
        if not (_ORG_CODE_NEW.match(v) or _ORG_CODE_OLD.match(v)):
            errors.append(Note(
                "ORG_CODE_FORMAT",
                f"'{v}' is not an organisation code: expected a letter A-Y and two digits, then groups of two "
                "digits separated by dots (e.g. H49.64.33), or the older form 000.00.01.H22",
                f"'{v}' không đúng cấu trúc mã định danh cơ quan: một chữ cái A-Y và hai chữ số, tiếp theo là các "
                "nhóm hai chữ số cách nhau bởi dấu chấm (ví dụ H49.64.33), hoặc dạng cũ 000.00.01.H22"))
    elif id_type == IdType.PASSPORT:
        if not re.fullmatch(r"[A-Z0-9]{5,20}", v):
            hints.append(Note("PASSPORT_UNUSUAL", f"Unusual passport number '{v}': please check it",
                              f"Số hộ chiếu '{v}' có dạng bất thường, vui lòng kiểm tra lại"))
        elif not _PASSPORT_VN.match(v):
            hints.append(Note("PASSPORT_FOREIGN", "Not a Vietnamese passport number (one letter + 7 digits); "
                              "fine for a foreign passport",
                              "Không phải dạng hộ chiếu Việt Nam (một chữ cái + 7 chữ số); "
                              "có thể là hộ chiếu nước ngoài"))
    return IdCheck(id_type, v, tuple(errors), tuple(hints))


def _check_cccd(v: str, errors: list[Note], hints: list[Note], today: date) -> None:
    if len(v) == 12 and v.isdigit() and not v.isascii():
        errors.append(Note("CCCD_NOT_ASCII", "The personal identification number contains digits that are not "
                           "plain 0-9 (full-width or Arabic-Indic digits): retype it with the ordinary keyboard digits",
                           "Số định danh cá nhân có chữ số không phải 0-9 thông thường (chữ số toàn độ rộng hoặc "
                           "Ả Rập): vui lòng gõ lại bằng các phím số thông thường"))
        return
    if not ascii_digits(v) or len(v) != 12:
        errors.append(Note("CCCD_FORMAT", f"A personal identification number has exactly 12 digits; got '{v}' "
                           f"({len(v)} characters)",
                           f"Số định danh cá nhân phải gồm đúng 12 chữ số; đã nhập '{v}' ({len(v)} ký tự)"))
        return
    province = int(v[:3])
    if not 1 <= province <= 96:
        hints.append(Note("CCCD_PROVINCE", f"Digits 1-3 ({v[:3]}) are not a province code (001-096)",
                          f"Ba chữ số đầu ({v[:3]}) không phải mã tỉnh nơi đăng ký khai sinh (001-096)"))
    century = _CENTURY[int(v[3])]
    year = century + int(v[4:6])
    if year > today.year:
        hints.append(Note("CCCD_BIRTH_YEAR", f"Digits 4-6 give a birth year of {year}, which is in the future",
                          f"Chữ số 4-6 cho năm sinh {year}, là năm trong tương lai"))
    elif today.year - year > 130:
        hints.append(Note("CCCD_BIRTH_YEAR", f"Digits 4-6 give a birth year of {year}, which is unlikely",
                          f"Chữ số 4-6 cho năm sinh {year}, không hợp lý"))


def _check_tax_code(v: str, errors: list[Note]) -> None:
    if not re.fullmatch(r"[0-9]{10}(-[0-9]{3})?", v):
        errors.append(Note("TAX_CODE_FORMAT", f"A tax code is 10 digits, or 10 digits + '-' + 3 for a branch; got '{v}'",
                           f"Mã số thuế gồm 10 chữ số, hoặc 10 chữ số + '-' + 3 chữ số với chi nhánh; đã nhập '{v}'"))
        return
    if not mst.is_valid(v):
        errors.append(Note("TAX_CODE_CHECK_DIGIT", f"Tax code '{v}' has a wrong check digit (digit 10): please re-read it",
                           f"Mã số thuế '{v}' sai chữ số kiểm tra (chữ số thứ 10), vui lòng đọc lại"))


def birth_year_from_cccd(v: str) -> int | None:
    """The birth year encoded in a 12-digit personal number, or None."""
    if len(v) != 12 or not ascii_digits(v):
        return None
    return _CENTURY[int(v[3])] + int(v[4:6])


def validate_identifier(id_type: IdType | str, raw: str, *, field_name: str = "identifier") -> str:
    """Return the normalised identifier or raise :class:`InvalidIdentifier` naming the field."""
    res = check_identifier(id_type, raw)
    if not res.ok:
        e = res.errors[0]
        raise InvalidIdentifier(f"{field_name}: {e.en}", f"{field_name}: {e.vi}", field=field_name, code=e.code)
    return res.value
