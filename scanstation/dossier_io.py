"""The dossier JSON format (documented in the README): parse with errors naming the field, and write."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scanstation.compliance import get_profile
from scanstation.errors import DossierFormatError, InvalidIdentifier
from scanstation.identifiers import check_identifier
from scanstation.model import (
    Component,
    DigitisationClass,
    DocumentMetadata,
    Dossier,
    IdType,
    Party,
    PartyKind,
)

FORMAT_VERSION = 1


def _err(field: str, en: str, vi: str) -> DossierFormatError:
    return DossierFormatError(f"{field}: {en}", f"{field}: {vi}", field=field)


def _str(d: dict, key: str, path: str, *, required: bool = False, default: str = "") -> str:
    v = d.get(key)
    if v is None or v == "":
        if required:
            raise _err(f"{path}{key}", "is required", "bắt buộc phải có")
        return default
    if not isinstance(v, str):
        raise _err(f"{path}{key}", f"must be text, got {type(v).__name__}", "phải là chuỗi ký tự")
    return v.strip()


def _date(d: dict, key: str, path: str) -> date | None:
    v = d.get(key)
    if v in (None, ""):
        return None
    try:
        return date.fromisoformat(v)
    except (TypeError, ValueError):
        raise _err(f"{path}{key}", f"'{v}' is not a date (YYYY-MM-DD)", f"'{v}' không phải ngày (YYYY-MM-DD)") from None


def _enum(enum, d: dict, key: str, path: str, default):
    v = d.get(key, default)
    try:
        return enum(v)
    except ValueError:
        valid = ", ".join(e.value for e in enum)
        raise _err(f"{path}{key}", f"'{v}' is not one of: {valid}", f"'{v}' không thuộc: {valid}") from None


def parse_party(d: Any, path: str) -> Party:
    if not isinstance(d, dict):
        raise _err(path.rstrip("."), "must be an object", "phải là một đối tượng")
    kind = _enum(PartyKind, d, "kind", path, "citizen")
    id_type = _enum(IdType, d, "id_type", path, "none")
    number = _str(d, "id_number", path)
    name = _str(d, "name", path, required=True)
    birth = _date(d, "birth_date", path)
    founding = d.get("founding_year")
    if founding is not None and (not isinstance(founding, int) or not 1800 <= founding <= date.today().year):
        raise _err(f"{path}founding_year", f"'{founding}' is not a year", f"'{founding}' không phải năm hợp lệ")
    if id_type != IdType.NONE:
        res = check_identifier(id_type, number)
        if not res.ok:
            e = res.errors[0]
            raise InvalidIdentifier(f"{path}id_number: {e.en}", f"{path}id_number: {e.vi}",
                                    field=f"{path}id_number", code=e.code)
        number = res.value
    elif kind == PartyKind.ORGANISATION and founding is None:
        raise _err(f"{path}founding_year", "an organisation without an identifier needs its founding year",
                   "tổ chức không có mã định danh phải có năm thành lập")
    elif kind != PartyKind.ORGANISATION and birth is None:
        raise _err(f"{path}birth_date", "a person without an identifier needs a birth date",
                   "cá nhân không có số định danh phải có ngày sinh")
    return Party(kind=kind, name=name, id_type=id_type, id_number=number, birth_date=birth, founding_year=founding)


def parse_metadata(d: Any, path: str) -> DocumentMetadata:
    if d is None:
        return DocumentMetadata()
    if not isinstance(d, dict):
        raise _err(path.rstrip("."), "must be an object", "phải là một đối tượng")
    extra = d.get("extra") or {}
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise _err(f"{path}extra", "must map names to text", "phải là các cặp tên - giá trị chuỗi")
    fy = d.get("holder_founding_year")
    return DocumentMetadata(
        document_type_code=_str(d, "document_type_code", path), holder_identifier=_str(d, "holder_identifier", path),
        holder_name=_str(d, "holder_name", path), holder_birth_date=_date(d, "holder_birth_date", path),
        holder_founding_year=fy if isinstance(fy, int) else None,
        document_name=_str(d, "document_name", path), number_symbol=_str(d, "number_symbol", path),
        issue_date=_date(d, "issue_date", path), issuing_body=_str(d, "issuing_body", path),
        summary=_str(d, "summary", path), valid_until=_date(d, "valid_until", path),
        validity_scope=_str(d, "validity_scope", path), extra=dict(extra))


def parse_dossier(data: Any, base_dir: Path | None = None) -> tuple[Dossier, dict[str, list[Path]]]:
    """Parse a dossier JSON document. Returns the dossier and, per component id, its image files."""
    if not isinstance(data, dict):
        raise _err("(root)", "a dossier must be a JSON object", "hồ sơ phải là một đối tượng JSON")
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise _err("version", f"unsupported format version {version} (this station reads {FORMAT_VERSION})",
                   f"không hỗ trợ phiên bản định dạng {version}")
    proc = data.get("procedure") or {}
    if not isinstance(proc, dict):
        raise _err("procedure", "must be an object with code and name", "phải có mã và tên thủ tục")
    profile_id = _str(data, "profile", "", default="")     # none named: the station's (compliance.profile)
    if profile_id:
        get_profile(profile_id)
    received = data.get("received_at")
    try:
        received_at = datetime.fromisoformat(received) if received else None
    except (TypeError, ValueError):
        raise _err("received_at", f"'{received}' is not an ISO 8601 time", "không phải thời điểm ISO 8601") from None
    auth = data.get("authorising_party")
    dossier = Dossier(
        receipt_code=_str(data, "receipt_code", "", required=True),
        procedure_code=_str(proc, "code", "procedure.", required=True),
        procedure_name=_str(proc, "name", "procedure.", required=True),
        applicant=parse_party(data.get("applicant"), "applicant."),
        authorising_party=parse_party(auth, "authorising_party.") if auth else None,
        clerk=_str(data, "clerk", ""), station=_str(data, "station", ""), received_at=received_at,
        profile_id=profile_id,
    )
    comps = data.get("components")
    if not isinstance(comps, list) or not comps:
        raise _err("components", "must be a non-empty list", "phải có ít nhất một thành phần hồ sơ")
    images: dict[str, list[Path]] = {}
    for i, c in enumerate(comps):
        path = f"components[{i}]."
        if not isinstance(c, dict):
            raise _err(path.rstrip("."), "must be an object", "phải là một đối tượng")
        cls = _enum(DigitisationClass, c, "class", path, "must")
        sheets = c.get("sheets", 0)
        if not isinstance(sheets, int) or isinstance(sheets, bool) or sheets < 0 or sheets > 10000:
            raise _err(f"{path}sheets", f"'{sheets}' is not a number of sheets", f"'{sheets}' không phải số tờ hợp lệ")
        duplex = c.get("duplex", True)
        if not isinstance(duplex, bool):
            raise _err(f"{path}duplex", "must be true or false", "phải là true hoặc false")
        comp = Component(
            name=_str(c, "name", path, required=True),
            document_type_code=_str(c, "document_type_code", path, required=True),
            digitisation_class=cls, not_digitised_reason=_str(c, "not_digitised_reason", path),
            declared_sheets=sheets, duplex=duplex, metadata=parse_metadata(c.get("metadata"), f"{path}metadata."),
        )
        if cls == DigitisationClass.NOT_DIGITISED and not comp.not_digitised_reason:
            raise _err(f"{path}not_digitised_reason", "a component that is not digitised needs a reason",
                       "thành phần không số hóa phải ghi lý do")
        if not comp.metadata.document_type_code:
            comp.metadata.document_type_code = comp.document_type_code
        if not comp.metadata.document_name:
            comp.metadata.document_name = comp.name
        imgs = c.get("images") or []
        if not isinstance(imgs, list) or not all(isinstance(p, str) for p in imgs):
            raise _err(f"{path}images", "must be a list of file paths", "phải là danh sách đường dẫn tệp ảnh")
        images[comp.id] = [(base_dir / p) if base_dir and not Path(p).is_absolute() else Path(p) for p in imgs]
        dossier.components.append(comp)
    return dossier, images


def load_dossier_file(path: Path) -> tuple[Dossier, dict[str, list[Path]]]:
    path = Path(path)
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise DossierFormatError(f"Dossier file {path} does not exist", f"Không có tệp hồ sơ {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DossierFormatError(f"Dossier file {path} is not valid JSON: {e}",
                                 f"Tệp hồ sơ {path} không phải JSON hợp lệ") from e
    return parse_dossier(data, path.parent)
