"""The applicant's digital identity and the papers the electronic store already holds, through the
provincial adapter (docs/sync.md); a component held there is reused instead of scanned.

Seed 004 steps 1-2 and seed 000 step 2: the clerk checks the account by the identifier ("Xác minh danh
tính số") and does not ask for papers already held as valid electronic data. The answer is kept in the
work area (``identity.json``); a component can only be linked to a document that answer offered, for
the identifier asked, with the component's document type. Offline or too slow: "could not check", the
clerk goes on and can check again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from scanstation.errors import ScanStationError, ValidationError, WrongState
from scanstation.flow.session import DossierSession
from scanstation.fsio import atomic_write_text
from scanstation.model import Component, DigitisationClass, DossierStatus, IdType, new_id

REUSE_REASON_EN = "already held as valid electronic data"
REUSE_REASON_VI = "đã có dữ liệu điện tử còn hiệu lực"
LOOKUP_TIMEOUT_S = 8.0
EDITABLE = (DossierStatus.INTAKE, DossierStatus.CAPTURING, DossierStatus.CHECKED)


@dataclass(frozen=True)
class StoredPaper:
    document_id: str
    type_code: str
    name: str
    number_symbol: str = ""
    issue_date: str | None = None
    valid_until: str | None = None


@dataclass
class IdentityAnswer:
    id_type: str
    id_number: str
    status: str                               # checked | unavailable | bad_answer | not_configured
    has_account: bool | None = None
    account_level: int | None = None
    papers: list[StoredPaper] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)      # English, what was dropped or wrong
    message_en: str = ""
    message_vi: str = ""
    checked_at: str = ""
    check_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _party(s: DossierSession) -> tuple[str, str]:
    p = s.dossier.account_party                  # the results' account follows the authorising party
    if p.id_type == IdType.NONE or not p.id_number:
        raise ValidationError("The applicant has no identifier to check on the national portal",
                              "Người nộp không có số định danh để xác minh danh tính số", field="applicant")
    return p.id_type.value, p.id_number


def _papers(raw: Any, today: date, problems: list[str]) -> list[StoredPaper]:
    if not isinstance(raw, list):
        problems.append("the papers list was missing or not a list")
        return []
    seen: dict[str, StoredPaper] = {}
    dup: set[str] = set()
    for p in raw:
        if not isinstance(p, dict) or not p.get("document_id") or not p.get("type_code"):
            problems.append("a paper without document id or type code was ignored")
            continue
        paper = StoredPaper(document_id=str(p["document_id"]), type_code=str(p["type_code"]),
                            name=str(p.get("name") or ""), number_symbol=str(p.get("number_symbol") or ""),
                            issue_date=p.get("issue_date") or None, valid_until=p.get("valid_until") or None)
        if paper.valid_until:
            try:
                if date.fromisoformat(paper.valid_until) < today:
                    problems.append(f"document {paper.document_id} is no longer valid and was ignored")
                    continue
            except ValueError:
                problems.append(f"document {paper.document_id} has an unreadable validity date and was ignored")
                continue
        if paper.document_id in seen or paper.document_id in dup:
            dup.add(paper.document_id)
            seen.pop(paper.document_id, None)
            continue
        seen[paper.document_id] = paper
    for d in sorted(dup):
        problems.append(f"document {d} was offered more than once and was ignored (no link is made to it)")
    return list(seen.values())


def ask_identity(client: Any | None, id_type: str, number: str, *, today: date | None = None) -> IdentityAnswer:
    """Ask the provincial system about one identifier; never raises for the network (status says).

    Nothing is kept: :func:`check_identity` keeps the answer with a dossier; at intake, before the dossier
    exists, the window asks with this and :func:`keep_answer` keeps it once the dossier is saved."""
    now = datetime.now(UTC).isoformat()
    ans = IdentityAnswer(id_type=id_type, id_number=number, status="unavailable", checked_at=now,
                         check_id=new_id())
    if client is None:                      # nothing was asked: no provincial system set up at this station
        ans.status = "not_configured"
        ans.message_en = "Could not check: no provincial endpoint is configured; go on and scan"
        ans.message_vi = "Không kiểm tra được: chưa cấu hình hệ thống của tỉnh; tiếp tục quét"
        return ans
    try:
        who = client.identity(key=f"id-{ans.check_id}", id_type=id_type, id_number=number)
        store = client.stored_papers(key=f"papers-{ans.check_id}", id_type=id_type, id_number=number)
    except ScanStationError as e:
        ans.message_en = f"Could not check the digital identity ({e.message_en}); go on, and check again later"
        ans.message_vi = f"Không kiểm tra được danh tính số ({e.message_vi}); tiếp tục làm việc, kiểm tra lại sau"
        return ans
    if str(who.get("id_number")) != number or str(store.get("id_number")) != number:
        ans.status = "bad_answer"
        ans.problems.append("the provincial system answered about another identifier than the one asked")
        ans.message_en = ("The provincial system answered about another identifier than the one asked; "
                          "nothing from it is used (check again)")
        ans.message_vi = "Hệ thống của tỉnh trả lời về số định danh khác; không dùng câu trả lời này (kiểm tra lại)"
        return ans
    ans.status = "checked"
    ans.has_account = bool(who.get("has_account"))
    lvl = who.get("account_level")
    ans.account_level = int(lvl) if isinstance(lvl, int) else None
    ans.papers = _papers(store.get("papers"), today or date.today(), ans.problems)
    ans.message_en = (f"{'Has' if ans.has_account else 'Has no'} digital identity account"
                      f"{f' (level {ans.account_level})' if ans.account_level else ''}; "
                      f"{len(ans.papers)} valid paper(s) in the electronic store")
    ans.message_vi = (f"{'Đã có' if ans.has_account else 'Chưa có'} tài khoản định danh điện tử"
                      f"{f' (mức {ans.account_level})' if ans.account_level else ''}; "
                      f"{len(ans.papers)} giấy tờ còn hiệu lực trong kho dữ liệu")
    return ans


def check_identity(s: DossierSession, client: Any | None, *, today: date | None = None) -> IdentityAnswer:
    """Ask the provincial system about the account party; never raises for the network (status says)."""
    id_type, number = _party(s)
    return _keep(s, ask_identity(client, id_type, number, today=today))


def keep_answer(s: DossierSession, ans: IdentityAnswer) -> IdentityAnswer:
    """Keep with the dossier an answer got at intake before it existed; only one about its account party."""
    id_type, number = _party(s)
    if (ans.id_type, ans.id_number) != (id_type, number):
        raise ValidationError("The digital identity was checked for another identifier than the dossier's "
                              "applicant; check it again", "Danh tính số đã kiểm tra là của số định danh khác "
                              "với người nộp của hồ sơ; hãy kiểm tra lại", field="applicant")
    return _keep(s, ans)


def papers_for(ans: IdentityAnswer | None, type_code: str) -> list[StoredPaper]:
    """The stored papers of this document type an answer offers (none unless it was checked)."""
    if ans is None or ans.status != "checked" or not type_code.strip():
        return []
    return [p for p in ans.papers if p.type_code == type_code.strip()]


def reuse_at_intake(s: DossierSession, ans: IdentityAnswer, picks: list[tuple[str, str]]) -> list[Component]:
    """The answer shown on the intake form, kept with the dossier just saved, and the components the clerk
    chose to reuse ((component id, document id)) recorded as not digitised; see :func:`reuse`."""
    keep_answer(s, ans)
    return [reuse(s, component, document) for component, document in picks]


def _keep(s: DossierSession, ans: IdentityAnswer) -> IdentityAnswer:
    """Keep the answer in the work area (the reuse links are checked against it) and audit it."""
    atomic_write_text(s.workarea.root / "identity.json", json.dumps(ans.to_dict(), ensure_ascii=False, indent=2))
    s.audit("identity.checked", status=ans.status, has_account=ans.has_account, papers=len(ans.papers),
            problems=ans.problems)
    return ans


def last_answer(s: DossierSession) -> IdentityAnswer | None:
    try:
        d = json.loads((s.workarea.root / "identity.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None
    d["papers"] = [StoredPaper(**p) for p in d.get("papers", [])]
    return IdentityAnswer(**d)


def proposals(s: DossierSession, ans: IdentityAnswer | None = None) -> list[tuple[Component, StoredPaper]]:
    """Per component still to scan, the stored papers of its document type the clerk may reuse."""
    ans = ans or last_answer(s)
    if ans is None or ans.status != "checked":
        return []
    out = []
    for c in s.dossier.components:
        if c.role != "input" or not c.digitised or c.kept_pages():
            continue
        out += [(c, p) for p in ans.papers if p.type_code == c.document_type_code]
    return out


def reuse(s: DossierSession, component_ref: str, document_id: str) -> Component:
    """Record a component as not digitised: already held as valid electronic data (this document)."""
    d = s.dossier
    if d.status not in EDITABLE:
        raise WrongState(f"Dossier {d.receipt_code} is {d.status.value}; its components can no longer change",
                         f"Hồ sơ {d.receipt_code} đã ký; không thay đổi thành phần được nữa", field="dossier")
    c = s.component(component_ref)
    if c.role != "input":
        raise ValidationError("A result is never reused from the store", "Kết quả không lấy từ kho dữ liệu",
                              field="component")
    if c.kept_pages():
        raise WrongState(f"'{c.name}' already has scanned pages; exclude them before reusing a stored paper",
                         f"'{c.name}' đã có trang quét; hãy loại các trang trước khi dùng lại giấy tờ trong kho",
                         field="component")
    ans = last_answer(s)
    number = d.account_party.id_number
    if ans is None or ans.status != "checked" or ans.id_number != number:
        raise WrongState("Check the digital identity first (dossier identity): no valid answer for this applicant",
                         "Cần kiểm tra danh tính số trước (chưa có câu trả lời hợp lệ cho người nộp này)",
                         field="document")
    paper = next((p for p in ans.papers if p.document_id == document_id), None)
    if paper is None:
        raise ValidationError(f"The electronic store did not offer document '{document_id}' for this applicant",
                              f"Kho dữ liệu không có giấy tờ '{document_id}' của người nộp này", field="document")
    if paper.type_code != c.document_type_code:
        raise ValidationError(f"Document '{document_id}' is a {paper.type_code}, not a {c.document_type_code} "
                              f"('{c.name}')", f"Giấy tờ '{document_id}' là {paper.type_code}, không phải "
                              f"{c.document_type_code}", field="document")
    taken = [o for o in d.components if o is not c and o.reused_document_id == document_id]
    if taken:
        raise ValidationError(f"Document '{document_id}' is already reused for '{taken[0].name}'",
                              f"Giấy tờ '{document_id}' đã được dùng cho '{taken[0].name}'", field="document")
    with s.lock:
        c.digitisation_class = DigitisationClass.NOT_DIGITISED
        c.not_digitised_reason = f"{REUSE_REASON_EN} ({REUSE_REASON_VI}): {document_id}"
        c.reused_document_id = document_id
        m = c.metadata
        m.number_symbol = m.number_symbol or paper.number_symbol
        if paper.issue_date and m.issue_date is None:
            with contextlib.suppress(ValueError):
                m.issue_date = date.fromisoformat(paper.issue_date)
        s.save()
    s.audit("component.reused", component=c.id, document_id=document_id, type_code=paper.type_code)
    return c
