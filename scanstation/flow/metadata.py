"""The ten metadata fields of each digitised paper (seed 002): form text in and out, and what is missing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scanstation.identifiers import check_identifier
from scanstation.model import Component, Dossier, IdType


# --- form text --------------------------------------------------------------------------
@dataclass
class FieldProblem:
    field: str
    en: str
    vi: str


def _fmt_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _parse_date(text: str, field: str, problems: list[FieldProblem]) -> date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    problems.append(FieldProblem(field, f"'{text}' is not a date (dd/mm/yyyy)",
                                 f"'{text}' không phải ngày hợp lệ (ngày/tháng/năm, ví dụ 15/11/2026)"))
    return None


def metadata_as_text(c: Component, d: Dossier) -> dict[str, str]:
    """The component's metadata as form text, prefilled from the dossier where empty."""
    m = c.metadata
    holder = m.holder_identifier or (d.account_party.id_number if d.account_party.id_type != IdType.NONE else "")
    name = m.holder_name or ("" if holder else d.account_party.name)
    return {
        "document_type_code": m.document_type_code or c.document_type_code,
        "holder_identifier": holder, "holder_name": name,
        "document_name": m.document_name or c.name, "number_symbol": m.number_symbol,
        "issue_date": _fmt_date(m.issue_date), "issuing_body": m.issuing_body, "summary": m.summary,
        "valid_until": _fmt_date(m.valid_until), "validity_scope": m.validity_scope,
        "extra": "\n".join(f"{k} = {v}" for k, v in m.extra.items()),
    }


def set_metadata_from_text(c: Component, values: dict[str, str]) -> list[FieldProblem]:
    """Store the form's text into the component; returns what could not be read (dates, extra lines)."""
    problems: list[FieldProblem] = []
    m = c.metadata
    m.document_type_code = values["document_type_code"].strip()
    m.holder_identifier = values["holder_identifier"].strip()
    m.holder_name = values["holder_name"].strip()
    m.document_name = values["document_name"].strip()
    m.number_symbol = values["number_symbol"].strip()
    m.issue_date = _parse_date(values["issue_date"], "issue_date", problems)
    m.issuing_body = values["issuing_body"].strip()
    m.summary = values["summary"].strip()
    m.valid_until = _parse_date(values["valid_until"], "valid_until", problems)
    m.validity_scope = values["validity_scope"].strip()
    extra: dict[str, str] = {}
    for line in values["extra"].splitlines():
        if not line.strip():
            continue
        k, sep, v = line.partition("=")
        if not sep or not k.strip():
            problems.append(FieldProblem("extra", f"'{line}' should be written as name = value",
                                         f"'{line}' cần viết dạng tên = giá trị"))
            continue
        extra[k.strip()] = v.strip()
    m.extra = extra
    return problems


def _guess_id_type(v: str) -> IdType | None:
    if re.fullmatch(r"\d{12}", v):
        return IdType.CCCD
    if re.fullmatch(r"\d{9}", v):
        return IdType.CMND
    if re.fullmatch(r"\d{10}(-\d{3})?", v):
        return IdType.TAX_CODE
    if re.fullmatch(r"[A-Z]\d{2}(\.\d{2})*|\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", v):
        return IdType.ORG_CODE
    return None


def metadata_problems(c: Component, d: Dossier | None, profile: Any) -> list[FieldProblem]:
    """What blocks this component's metadata: required fields of the profile, dates, identifiers."""
    m = c.metadata
    out: list[FieldProblem] = []
    required = set(getattr(profile, "metadata_required", ()))
    empty = {"document_type_code": not m.document_type_code, "document_name": not m.document_name,
             "number_symbol": not m.number_symbol, "issue_date": m.issue_date is None,
             "issuing_body": not m.issuing_body, "summary": not m.summary}
    words = {"document_type_code": ("document type code", "mã loại giấy tờ"),
             "document_name": ("document name", "tên giấy tờ"), "number_symbol": ("number and symbol", "số, ký hiệu"),
             "issue_date": ("issue date", "ngày cấp"), "issuing_body": ("issuing body", "cơ quan cấp"),
             "summary": ("summary", "trích yếu nội dung")}
    for f, is_empty in empty.items():
        if f in required and is_empty:
            en, vi = words[f]
            out.append(FieldProblem(f, f"The {en} is required", f"Chưa nhập {vi} (bắt buộc)"))
    if "holder" in required and not (m.holder_identifier or m.holder_name):
        out.append(FieldProblem("holder_identifier", "The holder's identifier (or name without one) is required",
                                "Chưa nhập số định danh của người/tổ chức được cấp (hoặc tên nếu không có)"))
    if m.holder_identifier:
        t = _guess_id_type(m.holder_identifier.replace(" ", "").upper())
        if t is not None:
            res = check_identifier(t, m.holder_identifier)
            out += [FieldProblem("holder_identifier", n.en, n.vi) for n in res.errors]
    today = date.today()
    if m.issue_date and m.issue_date > today:
        out.append(FieldProblem("issue_date", "The issue date is in the future", "Ngày cấp ở tương lai"))
    if m.issue_date and m.valid_until and m.valid_until < m.issue_date:
        out.append(FieldProblem("valid_until", "Valid until is before the issue date",
                                "Ngày hết hiệu lực trước ngày cấp"))
    return out


def set_metadata(s: Any, c: Component, values: dict[str, str]) -> list[FieldProblem]:
    """Store the form's text into the component and save the dossier; returns what could not be read."""
    with s.lock:
        problems = set_metadata_from_text(c, values)
        s.save()
        s.audit("metadata.saved", component=c.id, problems=[p.field for p in problems])
    return problems
