"""The window's use cases as plain functions over the core (no Qt here: they run in background lanes).

Every function in this module may block on the disk, the database, a device, the token or the
network, so the window only ever calls them through :class:`scanstation.ui.tasks.TaskManager`.
"""

from __future__ import annotations

import io
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scanstation.dossier_restore import dossier_from_plain
from scanstation.errors import Cancelled, ScanStationError, StorageError, ValidationError
from scanstation.identifiers import check_identifier
from scanstation.model import Component, Dossier, DossierStatus, IdType, Page, PageVariant, to_plain
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
    variants = _journal_variants(wa)
    for comp in dossier.components:
        if comp.id in rec.pages:
            comp.pages = rec.pages[comp.id]
        for p in comp.pages:
            if p.id in variants:
                p.variant = PageVariant(variants[p.id])
    return dossier, wa


def _journal_variants(wa: WorkArea) -> dict[str, str]:
    """Variants the station set after capture (a page rescanned without its sticky note)."""
    out: dict[str, str] = {}
    if wa.journal_path.exists():
        for line in wa.journal_path.read_text("utf-8", errors="replace").splitlines():
            if '"variant"' not in line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if r.get("op") == "variant":
                out[r["page"]] = r["variant"]
    return out


def create_dossier(station: Station, dossier: Dossier) -> WorkArea:
    return station.create_dossier(dossier)


def save_dossier(station: Station, dossier: Dossier) -> None:
    station.save_dossier(dossier)


def audit(station: Station, action: str, dossier: Dossier | None = None, **details: Any) -> None:
    station.audit.append(station.actor, action, dossier=dossier.receipt_code if dossier else None,
                         details=details)


def health(ctx: Any) -> dict[str, dict[str, Any]]:
    """Probe scanner, token and queue; each probe may block, so this runs in the ``io`` lane."""
    # Token middleware runs with the interpreter lock held while it loads and enumerates slots: leave
    # the token alone while pages stream in, so the window stays fluid; its light refreshes afterwards.
    last = getattr(ctx, "health", None) or {}
    if getattr(ctx, "scanning", False):
        return {"scanner": last.get("scanner") or {"state": "ok", "device": ""}, "token": last.get("token"),
                "queue": queue_health(ctx)}
    return {"scanner": scanner_health(ctx), "token": token_health(ctx), "queue": queue_health(ctx)}


def scanner_health(ctx: Any) -> dict[str, Any]:
    """Is the configured scanner there? (SANE/TWAIN enumeration can take a second: io lane.)"""
    from scanstation.devices import capabilities, get_profile

    try:
        device = get_profile(ctx.settings).device
    except ScanStationError:
        device = ctx.settings.get("scanner.device")
    try:
        caps = capabilities(device)
    except ScanStationError as e:
        if getattr(e, "code", "") == "DEVICE_NOT_FOUND":
            return {"state": "missing", "device": device}
        return {"state": "error", "device": device, "error_vi": e.message_vi, "error_en": e.message_en}
    return {"state": "ok", "device": caps.device.name or device}


def token_health(ctx: Any) -> dict[str, Any]:
    """The preferred token (or the first one) and its PIN flags; never waits long on a busy token."""
    from concurrent.futures import TimeoutError as FutureTimeout

    from scanstation.signing import token_thread
    from scanstation.signing.tokens import list_tokens as _list

    fut = token_thread().submit(_list, _token_module(ctx))
    try:
        tokens = fut.result(timeout=3)
    except FutureTimeout:
        return {"state": "busy"}
    except ScanStationError as e:
        if getattr(e, "code", "") in ("TOKEN_MODULE", "NO_MODULE"):
            return {"state": "absent"}
        return {"state": "error", "error_vi": e.message_vi, "error_en": e.message_en}
    if not tokens:
        return {"state": "absent"}
    pref = ctx.settings.get("token.label")
    t = next((t for t in tokens if t.label == pref), tokens[0])
    return {"state": "ok", "label": t.label, "pin_low": t.pin.count_low or t.pin.final_try, "locked": t.pin.locked}


# --- capabilities not on this station yet --------------------------------------------------------------
class CapabilityMissing(ScanStationError):
    """A part of the station (scanners, QC, PDF/signing, queue) is not installed in this build."""

    code = "NOT_INSTALLED"


def _missing(part_en: str, part_vi: str) -> CapabilityMissing:
    return CapabilityMissing(f"{part_en} is not installed on this station yet",
                             f"Trạm này chưa cài đặt chức năng {part_vi}")


# --- pages ----------------------------------------------------------------------------------------------
def find_page(c: Component, page_id: str) -> Page | None:
    return next((p for p in c.pages if p.id == page_id), None)


def index_of(c: Component, page_id: str) -> int | None:
    return next((i for i, p in enumerate(c.pages) if p.id == page_id), None)


def page_at(c: Component, index: int) -> Page | None:
    return c.pages[index] if 0 <= index < len(c.pages) else None


def _is_rescan(p: Page) -> bool:
    return page_place(p)[2] == PageVariant.NOTE_REMOVED.value


def layout(c: Component) -> dict[str, tuple[int, str]]:
    """Page id -> (sheet, side) from the feed order, the way QC counts: front, back, front ... (duplex)
    or front, front ... ; a rescan without the sticky note belongs to the page before it."""
    sides = 2 if c.duplex else 1
    out: dict[str, tuple[int, str]] = {}
    regular = 0
    prev: tuple[int, str] = (1, "front")
    for p in c.pages:
        if _is_rescan(p):
            out[p.id] = prev
            continue
        prev = (regular // sides + 1, "front" if regular % sides == 0 else "back")
        out[p.id] = prev
        regular += 1
    return out


def sheets_captured(c: Component) -> int:
    regular = sum(1 for p in c.pages if not _is_rescan(p))
    sides = 2 if c.duplex else 1
    return -(-regular // sides)


def expected_images(c: Component) -> int:
    notes = sum(1 for p in c.pages if _notes(p) and not _is_rescan(p))
    return c.declared_sheets * (2 if c.duplex else 1) + notes


def _notes(p: Page) -> list[dict[str, Any]]:
    return list((p.qc or {}).get("sticky_notes") or [])


def page_has_note(p: Page) -> bool:
    return bool(_notes(p))


def page_severity(p: Page) -> str | None:
    sev = {f.get("severity") for f in (p.qc or {}).get("findings", []) if not f.get("override")}
    return "block" if "block" in sev else "warn" if "warn" in sev else None


def unpaired_note(c: Component) -> Page | None:
    """The first page with a sticky note not yet followed by its scan with the note removed."""
    for i, p in enumerate(c.pages):
        if _is_rescan(p) or not _notes(p) or not p.kept:
            continue
        nxt = c.pages[i + 1] if i + 1 < len(c.pages) else None
        if nxt is None or not _is_rescan(nxt):
            return p
    return None


NOTE_COLOURS = {"yellow": "#f9ab00", "pink": "#e52592", "green": "#1e8e3e", "blue": "#1a73e8", "orange": "#e8710a"}


def page_regions(p: Page, note_label: str, highlight_all: bool = False) -> list[tuple[int, int, int, int, str, str]]:
    """Rectangles to outline on the preview: sticky notes (and, for a finding, the whole page)."""
    out = [(int(n["x"]), int(n["y"]), int(n["w"]), int(n["h"]), NOTE_COLOURS.get(n.get("color", ""), "#f9ab00"),
            note_label) for n in _notes(p)]
    if highlight_all and not out and p.width and p.height and page_severity(p):
        out.append((0, 0, p.width, p.height, "#c5221f", ""))
    return out


def _persist_pages(ctx: Any, d: Dossier, c: Component) -> None:
    ctx.station.record_pages(d, c, c.pages)
    ctx.station.save_dossier(d)


def remove_pages(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_ids: list[str]) -> None:
    """Take pages out of the component (the journal records it; the image files stay on disk)."""
    for pid in page_ids:
        if find_page(c, pid) is not None:
            wa.record("remove", page=pid, component=c.id)
            ctx.station.audit.append(ctx.station.actor, "page.removed", dossier=d.receipt_code, page=pid)
    c.pages = [p for p in c.pages if p.id not in set(page_ids)]
    _persist_pages(ctx, d, c)


def restore_pages(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_ids: list[str]) -> None:
    for pid in page_ids:
        p = find_page(c, pid)
        if p is not None and not p.kept:
            wa.record("restore", page=pid, by="clerk")
            p.kept, p.excluded_reason = True, None
            ctx.station.audit.append(ctx.station.actor, "page.restored", dossier=d.receipt_code, page=pid)
    _persist_pages(ctx, d, c)


def toggle_exclude(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_id: str, reason: str) -> None:
    p = find_page(c, page_id)
    if p is None:
        return
    if p.kept:
        wa.record("exclude", page=page_id, reason=reason, by="clerk")
        p.kept, p.excluded_reason = False, reason
        ctx.station.audit.append(ctx.station.actor, "page.excluded", dossier=d.receipt_code, page=page_id,
                                 details={"reason": reason})
        _persist_pages(ctx, d, c)
    else:
        restore_pages(ctx, d, wa, c, [page_id])


def reorder(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_ids: list[str]) -> None:
    pos = {pid: i for i, pid in enumerate(page_ids)}
    c.pages.sort(key=lambda q: pos.get(q.id, len(pos)))
    wa.record("order", component=c.id, pages=[p.id for p in c.pages])
    ctx.station.audit.append(ctx.station.actor, "pages.reordered", dossier=d.receipt_code,
                             details={"component": c.id})
    _persist_pages(ctx, d, c)


def rotate_page(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_id: str, degrees: int) -> Page:
    """Rotate by writing a new image (the original file stays) and journaling it as a replacement."""
    from PIL import Image

    old = find_page(c, page_id)
    if old is None:
        raise StorageError(f"No page {page_id}", f"Không có trang {page_id}")
    src = wa.root / old.file
    with Image.open(src) as im:
        fmt = im.format or "PNG"
        dpi = im.info.get("dpi")
        icc = im.info.get("icc_profile")
        rotated = im.rotate(-degrees, expand=True)  # PIL turns counter-clockwise; +90 here means clockwise
        buf = io.BytesIO()
        kw: dict[str, Any] = {}
        if dpi:
            kw["dpi"] = dpi
        if icc:
            kw["icc_profile"] = icc
        if fmt == "JPEG":
            kw.update(quality=95, subsampling=0)
        rotated.save(buf, format=fmt, **kw)
        size = rotated.size
    ext = src.suffix.lstrip(".")
    new = wa.add_page(c.id, buf.getvalue(), ext=ext, sheet=old.sheet, side=old.side, variant=old.variant,
                      device=old.device, dpi=old.dpi, mode=old.mode, width=size[0], height=size[1])
    wa.record("replace", page=old.id, by=new.id)
    new.kept, new.excluded_reason = old.kept, old.excluded_reason
    c.pages[c.pages.index(old)] = new
    ctx.station.audit.append(ctx.station.actor, "page.rotated", dossier=d.receipt_code, page=old.id,
                             details={"degrees": degrees, "new_page": new.id})
    _persist_pages(ctx, d, c)
    return new


# --- metadata (the ten fields) --------------------------------------------------------------------------
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


# --- QC findings bookkeeping (plain dicts in the shape of ``scanstation qc --json``) ---------------------
@dataclass
class FindingRef:
    component: Component
    finding: dict[str, Any]
    page_level: bool = False
    pairs: list[dict[str, Any]] | None = None


def _qc_state(ctx: Any) -> dict[str, Any]:
    d = ctx.dossier
    st = getattr(ctx, "qc", None)
    if st is None or st.get("dossier") != (d.id if d else None):
        st = {"dossier": d.id if d else None, "checks": {}, "pairs": {}, "overrides": None}
        ctx.qc = st
    return st


def qc_ran(ctx: Any) -> bool:
    d = ctx.dossier
    if d is None:
        return False
    st = _qc_state(ctx)
    comps = [c for c in d.components if c.digitised]
    return bool(comps) and all(c.id in st["checks"] for c in comps)


def _override_key(component_id: str, code: str, pages: list[int]) -> str:
    return f"{component_id}|{code}|{','.join(map(str, pages))}"


def load_overrides(wa: WorkArea) -> dict[str, dict[str, Any]]:
    """Overrides the clerk gave for this dossier, from its journal (so they survive a restart)."""
    out: dict[str, dict[str, Any]] = {}
    if not wa.journal_path.exists():
        return out
    for line in wa.journal_path.read_text("utf-8", errors="replace").splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("op") == "override":
            out[r["key"]] = {"by": r.get("by", ""), "reason": r.get("reason", ""), "at": r.get("at", "")}
    return out


def all_findings(ctx: Any) -> list[FindingRef]:
    """Every finding of the open dossier: blocking first, then warnings, then information."""
    d = ctx.dossier
    if d is None:
        return []
    st = _qc_state(ctx)
    overrides = st.get("overrides") or {}
    out: list[FindingRef] = []
    for c in d.components:
        if not c.digitised:
            continue
        for i, p in enumerate(c.pages):
            for f in (p.qc or {}).get("findings", []):
                f = dict(f)
                f.setdefault("pages", [i])
                f["override"] = overrides.get(_override_key(c.id, f["code"], [i])) or f.get("override")
                out.append(FindingRef(c, f, page_level=True))
        for f in st["checks"].get(c.id, []):
            f = dict(f)
            f["override"] = overrides.get(_override_key(c.id, f["code"], list(f.get("pages", [])))) or f.get("override")
            out.append(FindingRef(c, f, pairs=st["pairs"].get(c.id, [])))
    rank = {"block": 0, "warn": 1, "info": 2}
    out.sort(key=lambda r: (bool(r.finding.get("override")), rank.get(r.finding.get("severity"), 3)))
    return out


def blocking_count(ctx: Any) -> int:
    return sum(1 for r in all_findings(ctx) if r.finding.get("severity") == "block" and not r.finding.get("override"))


def override(ctx: Any, d: Dossier, wa: WorkArea, ref: FindingRef, reason: str) -> None:
    """Accept a finding with a reason: journaled with the dossier and written to the audit log."""
    f = ref.finding
    if not f.get("overridable", True):
        raise ValidationError(f"Finding {f['code']} cannot be accepted; fix it instead",
                              "Không thể bỏ qua lỗi này; cần khắc phục (quét lại)", field="override")
    if not reason.strip():
        raise ValidationError("An override needs a reason", "Cần ghi lý do", field="override.reason")
    key = _override_key(ref.component.id, f["code"], list(f.get("pages", [])))
    at = datetime.now(UTC).isoformat()
    wa.record("override", key=key, component=ref.component.id, code=f["code"], pages=f.get("pages", []),
              by=ctx.station.actor, reason=reason.strip())
    ctx.station.audit.append(ctx.station.actor, "qc.override", dossier=d.receipt_code,
                             details={"component": ref.component.id, "code": f["code"], "pages": f.get("pages", []),
                                      "reason": reason.strip(), "message_en": f.get("message_en", "")})
    st = _qc_state(ctx)
    st.setdefault("overrides", {})
    if st["overrides"] is None:
        st["overrides"] = {}
    st["overrides"][key] = {"by": ctx.station.actor, "reason": reason.strip(), "at": at}


FIX_BY_CODE: dict[str, str] = {
    "PAGE_CUT_OFF": "rescan", "CORNER_FOLDED": "rescan", "CORNER_MISSING": "rescan", "PAGE_TOO_LONG": "rescan",
    "PAPER_SIZE_MISMATCH": "rescan", "EXPOSURE_DARK": "rescan", "EXPOSURE_LIGHT": "rescan",
    "EXPOSURE_CLIPPED": "rescan", "BLURRY": "rescan", "IMAGE_UNREADABLE": "rescan", "SKEW": "rescan",
    "IMAGE_COUNT_MISMATCH": "rescan", "DEVICE_EVENT": "continue",
    "STICKY_NOTE_UNPAIRED": "note_removed", "STICKY_NOTE_NOT_REMOVED": "redo_note",
    "STICKY_PAIR_MISMATCH": "redo_note", "DUPLICATE_PAGE": "delete", "BLANK_BACKS_EXCLUDED": "restore",
    "PAGE_COUNT_MISMATCH": "continue",
}


def fix_for(ref: FindingRef) -> str | None:
    """The one-key fix of a finding: rescan, continue, note_removed, redo_note, restore, delete, goto."""
    f = ref.finding
    if f.get("override"):
        return None
    code = f.get("code", "")
    if code == "BLANK_BACKS_EXCLUDED":
        pages = [page_at(ref.component, i) for i in f.get("pages", [])]
        return "restore" if any(p is not None and not p.kept for p in pages) else None
    if code == "PAGE_COUNT_MISMATCH" and sheets_captured(ref.component) > ref.component.declared_sheets:
        return None                        # extra sheets: look at them, delete one or accept
    if f.get("severity") == "info":
        return None
    if code in FIX_BY_CODE:
        return FIX_BY_CODE[code]
    return "goto" if f.get("pages") else None


def sticky_pair_for(ref: FindingRef) -> tuple[Page | None, Page | None, bool | None] | None:
    """(page with note, page with note removed, verified) when the finding is about a sticky note."""
    f = ref.finding
    if "NOTE" not in f.get("code", "") and "STICKY" not in f.get("code", ""):
        return None
    pages = [page_at(ref.component, i) for i in f.get("pages", [])]
    pages = [p for p in pages if p is not None]
    if not pages:
        return None
    c = ref.component
    first = pages[0]
    i = c.pages.index(first)
    if _is_rescan(first) and i > 0:
        first, i = c.pages[i - 1], i - 1
    nxt = c.pages[i + 1] if i + 1 < len(c.pages) and _is_rescan(c.pages[i + 1]) else None
    verified = None
    if nxt is not None:
        idx = c.pages.index(first)
        pairs = (getattr(ref, "pairs", None) or [])
        pair = next((p for p in pairs if p.get("with_note") == idx), None)
        verified = bool(pair["verified"]) if pair is not None else f.get("severity") != "block"
    return first, nxt, verified


# --- capture (devices + per-page QC) --------------------------------------------------------------------
@dataclass
class ScannerProfile:
    name: str
    label: str


@dataclass
class CaptureRequest:
    """What the clerk asked for: ``append`` (scan/continue), ``rescan`` a sheet, ``insert`` before a page,
    ``replace`` one page, or ``note_removed`` (second scan of a page whose sticky note was taken off)."""

    component_id: str
    profile: str
    mode: str = "append"
    target_page: str | None = None


@dataclass
class CaptureResult:
    pages: list[Page]
    stopped: bool = False
    event_en: str = ""
    event_vi: str = ""


def scanner_profiles(ctx: Any) -> list[ScannerProfile]:
    """Saved presets (IT staff) plus the built-in default, for the profile chooser."""
    from scanstation.devices import load_profiles

    return [ScannerProfile(name, f"{name} · {p.device}" + (" (IT)" if p.locked else ""))
            for name, p in load_profiles(ctx.settings).items()]


def page_place(p: Page) -> tuple[int, str, str]:
    """(sheet, side, variant) as QC worked them out from the feed order, else as captured."""
    q = p.qc or {}
    return (int(q.get("sheet") or p.sheet), str(q.get("side") or p.side.value),
            str(q.get("variant") or p.variant.value))


def _sheet_of(c: Component, page_id: str) -> int:
    where = layout(c).get(page_id)
    if where is None:
        raise StorageError(f"No page {page_id}", f"Không có trang {page_id}")
    return where[0]


def _pages_of_sheet(c: Component, sheet: int) -> list[Page]:
    lay = layout(c)
    return [p for p in c.pages if lay[p.id][0] == sheet and not _is_rescan(p)]


def capture(ctx: Any, d: Dossier, wa: WorkArea, req: CaptureRequest, progress: Any,
            on_page: Any) -> CaptureResult:
    """Drive the scanner for one clerk action; each page is journaled before the next is fed.

    ``on_page(page, written_at, preview)`` is called on this (device) thread as each page is on disk
    (``preview``: the driver's small RGB/grey array, or None). After
    the scan the new pages are put where the action says (end, in place of a sheet, before a page,
    right after the page with a sticky note); every move is journaled.
    """
    import time as _time

    from scanstation.devices import Overrides, capabilities, get_profile, to_request
    from scanstation.devices import capture as run_capture

    c = d.component(req.component_id)
    prof = get_profile(ctx.settings, req.profile or None)
    caps = capabilities(prof.device)
    if req.mode == "append":
        first = sheets_captured(c) + 1
        left = c.declared_sheets - sheets_captured(c)
        # a real feeder holds what the clerk put in; the sample dossier needs to be told how much
        count = max(left, 1) if c.declared_sheets else None
    else:
        first = _sheet_of(c, req.target_page or "")
        count = 1
    one_side = req.mode in ("replace", "note_removed")
    virtual = caps.device.driver == "virtual"
    if req.mode == "append" and not virtual:
        count = None             # a real feeder: scan everything the clerk put in, then compare
    overrides = Overrides(max_sheets=count)
    if not prof.locked:
        src = prof.source
        if one_side or not c.duplex:
            src = "adf" if "adf" in caps.sources else "flatbed"
        elif "adf-duplex" in caps.sources:
            src = "adf-duplex"
        opts: tuple[str, ...] = ()
        if virtual:   # the sample dossier: which sheets are "in the feeder"
            opts = (f"seed={VIRTUAL_SEED + d.components.index(c)}", f"first-sheet={first}",
                    f"sheets={count or c.declared_sheets or 1}")
            if req.mode == "note_removed":
                opts += (f"notes-off={first}",)
        overrides = Overrides(source=src, options=opts, max_sheets=count)
    request = to_request(prof, caps, ctx.settings.profile, overrides)
    ctx.station.begin_capture(d)

    def page_done(pc: Any) -> None:
        c.pages.append(pc.page)
        on_page(pc.page, _time.perf_counter(), pc.preview)

    stop: ScanStationError | None = None
    try:
        res = run_capture(request, wa, c.id, on_page=page_done, progress=progress, raise_on_stop=False)
        new, stop = res.pages, res.error
    except Cancelled as e:
        new, stop = [], e
    new_ids = {q.id for q in new}
    new = [p for p in c.pages if p.id in new_ids]
    _place(ctx, d, wa, c, req, new)
    _persist_pages(ctx, d, c)
    ctx.station.audit.append(ctx.station.actor, f"capture.{req.mode}", dossier=d.receipt_code,
                             details={"component": c.id, "pages": [p.id for p in new], "device": request.device,
                                      "stopped": stop.code if stop else None})
    result = CaptureResult(pages=new, stopped=stop is not None)
    if stop is not None and not isinstance(stop, Cancelled) and stop.code != "DEVICE_CANCELLED":
        result.event_en, result.event_vi = stop.message_en, stop.message_vi
        ctx.device_events = getattr(ctx, "device_events", {})
        ctx.device_events.setdefault(c.id, []).append({"code": stop.code, "sheet": stop.details.get("sheet"),
                                                       "message_en": stop.message_en, "message_vi": stop.message_vi})
    return result


# The virtual scanner's sample sheets for the k-th component come from seed VIRTUAL_SEED + k: chosen so
# the sample dossier shows what a clerk meets (blank backs left out; a sticky note; backs with content).
VIRTUAL_SEED = 4


def _place(ctx: Any, d: Dossier, wa: WorkArea, c: Component, req: CaptureRequest, new: list[Page]) -> None:
    """Put freshly captured pages where the clerk's action says (they arrive at the end)."""
    if not new or req.mode == "append":
        return
    rest = [p for p in c.pages if p not in new]
    target = find_page(c, req.target_page or "")
    if target is None:
        return
    if req.mode == "rescan":
        old = [p for p in _pages_of_sheet(c, layout(c)[target.id][0]) if p not in new]
        for o, n in zip(old, new):
            wa.record("replace", page=o.id, by=n.id)
            rest[rest.index(o)] = n
        extra_old, extra_new = old[len(new):], new[len(old):]
        for o in extra_old:
            wa.record("remove", page=o.id, component=c.id)
            rest.remove(o)
        if extra_new:
            at = rest.index(new[min(len(old), len(new)) - 1]) + 1 if old else len(rest)
            rest[at:at] = extra_new
    elif req.mode == "replace":
        if target.variant != PageVariant.NORMAL:       # a rescan without the note stays one
            new[0].variant = target.variant
            wa.record("variant", page=new[0].id, variant=target.variant.value)
        wa.record("replace", page=target.id, by=new[0].id)
        rest[rest.index(target)] = new[0]
        for extra in new[1:]:
            wa.record("remove", page=extra.id, component=c.id)
    elif req.mode == "insert":
        at = rest.index(target)
        rest[at:at] = new
    elif req.mode == "note_removed":
        at = rest.index(target) + 1
        rest[at:at] = new[:1]
        new[0].variant = PageVariant.NOTE_REMOVED
        wa.record("variant", page=new[0].id, variant=PageVariant.NOTE_REMOVED.value)
        for extra in new[1:]:
            wa.record("remove", page=extra.id, component=c.id)
    c.pages = rest
    if req.mode in ("insert", "note_removed", "rescan"):
        wa.record("order", component=c.id, pages=[p.id for p in c.pages])


# --- QC (worker processes; one session per component, rebuilt when the clerk changes the pages) ----------
EXCLUDED_BY_QC = "blank_back"          # scanstation.qc's reason for a blank back left out by the rule


def qc_pool(ctx: Any) -> Any:
    """The station's QC worker pool, started on first use (spawning the workers takes a moment)."""
    from scanstation.qc import QCPool

    with _qc_lock:
        if getattr(ctx, "qc_pool", None) is None:
            ctx.qc_pool = QCPool(profile=ctx.settings.profile, paper="A4")
        return ctx.qc_pool


def close_qc(ctx: Any) -> None:
    pool = getattr(ctx, "qc_pool", None)
    if pool is not None:
        ctx.qc_pool = None
        pool.close(cancel=True)


def _clerk_choices(wa: WorkArea) -> tuple[set[str], set[str]]:
    """Pages the clerk restored / excluded by hand (QC's blank-back rule never overrules the clerk)."""
    restored: set[str] = set()
    excluded: set[str] = set()
    if not wa.journal_path.exists():
        return restored, excluded
    for line in wa.journal_path.read_text("utf-8", errors="replace").splitlines():
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if r.get("by") != "clerk":
            continue
        if r.get("op") == "restore":
            restored.add(r.get("page"))
            excluded.discard(r.get("page"))
        elif r.get("op") == "exclude":
            excluded.add(r.get("page"))
            restored.discard(r.get("page"))
    return restored, excluded


class _Session:
    def __init__(self, session: Any, ids: list[str]) -> None:
        self.session = session
        self.ids = ids


def _new_session(ctx: Any, c: Component) -> _Session:
    sess = _Session(qc_pool(ctx).component(duplex=c.duplex), [])
    ctx.qc_sessions = getattr(ctx, "qc_sessions", None) or {}
    ctx.qc_sessions[c.id] = sess
    return sess


def _add_to_session(ctx: Any, wa: WorkArea, c: Component, sess: _Session, page: Page,
                    on_checked: Any = None) -> None:
    sheet, side = layout(c)[page.id]
    variant = PageVariant.NOTE_REMOVED.value if page.variant == PageVariant.NOTE_REMOVED else "normal"

    def got(r: Any) -> None:     # a pool thread: plain data only, then tell the window
        page.qc = r.to_dict()
        if on_checked is not None:
            on_checked(c.id, page.id)

    sess.session.add(wa.root / page.file, sheet=sheet, side=side, variant=variant, on_result=got)
    sess.ids.append(page.id)


def qc_page_arrived(ctx: Any, wa: WorkArea, c: Component, page: Page, on_checked: Any = None) -> None:
    """Check a page as soon as it is on disk (the scan goes on meanwhile)."""
    sess = (getattr(ctx, "qc_sessions", None) or {}).get(c.id)
    ids = [p.id for p in c.pages]
    if sess is None or sess.ids != ids[:len(sess.ids)] or ids[len(sess.ids):] != [page.id]:
        sess = _new_session(ctx, c)
        for p in c.pages:
            _add_to_session(ctx, wa, c, sess, p, on_checked)
        return
    _add_to_session(ctx, wa, c, sess, page, on_checked)


def _device_events_for(ctx: Any, c: Component) -> list[Any]:
    from scanstation.qc import DeviceEvent

    kinds = {"DEVICE_DOUBLE_FEED": "double_feed", "DEVICE_JAMMED": "jam"}
    out = []
    for ev in (getattr(ctx, "device_events", None) or {}).get(c.id, []):
        kind = kinds.get(ev.get("code", ""))
        if kind is None:
            continue
        sheet = ev.get("sheet")
        # resolved once the sheet it stopped at has been captured since (the clerk continued or rescanned)
        resolved = sheet is not None and sheets_captured(c) >= int(sheet)
        out.append(DeviceEvent(kind=kind, sheet=sheet, resolved=resolved, detail=ev.get("message_en", "")))
    return out


def check_component(ctx: Any, d: Dossier, wa: WorkArea, c: Component, on_checked: Any = None
                    ) -> list[dict[str, Any]]:
    """Finish QC of a component: page checks (reusing what ran during the scan) and component rules.

    Applies the blank-back rule to the pages (journaled, restorable), never against the clerk's own
    choice, and records the findings for the panel. Runs in a background lane (waits for workers).
    """
    sess = (getattr(ctx, "qc_sessions", None) or {}).get(c.id)
    if sess is None or sess.ids != [p.id for p in c.pages]:
        sess = _new_session(ctx, c)
        for p in c.pages:
            _add_to_session(ctx, wa, c, sess, p, on_checked)
    report = sess.session.finish(declared_sheets=c.declared_sheets or None,
                                 device_events=_device_events_for(ctx, c))
    restored, excluded = _clerk_choices(wa)
    changed = False
    for page, r in zip(c.pages, report.pages):
        page.qc = r.to_dict()
        if not r.kept and page.kept and page.id not in restored:
            wa.record("exclude", page=page.id, reason=r.excluded_reason or EXCLUDED_BY_QC, by="qc")
            page.kept, page.excluded_reason = False, r.excluded_reason or EXCLUDED_BY_QC
            changed = True
        elif r.kept and not page.kept and page.id not in excluded and page.excluded_reason == EXCLUDED_BY_QC:
            wa.record("restore", page=page.id, by="qc")
            page.kept, page.excluded_reason = True, None
            changed = True
    st = _qc_state(ctx)
    st["checks"][c.id] = [f.to_dict() for f in report.checks]
    st["pairs"][c.id] = list(report.pairs)
    if st.get("overrides") is None:
        st["overrides"] = load_overrides(wa)
    if changed:
        _persist_pages(ctx, d, c)
    ctx.station.audit.append(ctx.station.actor, "qc.checked", dossier=d.receipt_code,
                             details={"component": c.id, **report.summary()})
    return st["checks"][c.id]


_qc_lock = threading.Lock()


def check_dossier(ctx: Any, d: Dossier, wa: WorkArea, progress: Any) -> None:
    comps = [c for c in d.components if c.digitised]
    for i, c in enumerate(comps):
        progress.check("QC")
        progress.report(i, len(comps), c.name)
        check_component(ctx, d, wa, c)
    progress.report(len(comps), len(comps))


# --- signing -----------------------------------------------------------------------------------------------
@dataclass
class CertChoice:
    label: str
    key_id: str


@dataclass
class TokenChoice:
    label: str
    certificates: list[CertChoice]
    tries_left: int | None = None
    final_try: bool = False
    pin_warning_en: str = ""
    pin_warning_vi: str = ""


def _token_module(ctx: Any) -> str | None:
    return ctx.settings.get("token.module") or None


def list_tokens(ctx: Any) -> list[TokenChoice]:
    """Tokens plugged in, with their signing certificates and PIN status (no PIN asked). Token thread."""
    from scanstation.signing import list_tokens as _list

    out = []
    for t in _list(_token_module(ctx)):
        certs = [CertChoice(label=f"{c.common_name} — {_cn(c.issuer)} · {c.not_after:%d/%m/%Y}", key_id=c.id_hex)
                 for c in t.certificates if c.can_sign]
        w = t.pin.warning()
        out.append(TokenChoice(label=t.label, certificates=certs, tries_left=t.pin.tries_left,
                               final_try=t.pin.final_try, pin_warning_en=w[0] if w else "",
                               pin_warning_vi=w[1] if w else ""))
    return out


def _cn(name: str) -> str:
    m = re.search(r"CN=([^,]+)", name or "")
    return m.group(1) if m else name


def first_page(d: Dossier) -> tuple[Component, Page] | None:
    for c in d.components:
        kept = c.kept_pages() if c.digitised else []
        if kept:
            return c, kept[0]
    return None


def stamp_preview(ctx: Any, d: Dossier, page: Page, cert_label: str) -> str:
    """The text of the clerk's stamp: who scanned (configured name or the certificate's) and when."""
    name = ctx.settings.get("clerk.name") or cert_label.split(" (")[0] or d.clerk
    when = (page.captured_at or datetime.now(UTC)).astimezone().strftime("%d/%m/%Y %H:%M:%S")
    return f"{name} · {when}"


def output_name(ctx: Any, d: Dossier, c: Component) -> str:
    for o in d.outputs:
        if o.component_id == c.id:
            return o.file_name
    return f"{d.account_party.file_identifier}.{c.document_type_code}.pdf"


def output_state(d: Dossier, c: Component) -> str:
    for o in d.outputs:
        if o.component_id == c.id:
            if o.upload_job:
                return "queued"
            return "signed" if o.signed else "assembling"
    return ""


def sign_blockers(ctx: Any) -> list[tuple[str, str]]:
    """Why signing is not possible now (Vietnamese, English); empty when it is."""
    d = ctx.dossier
    if d is None:
        return [("chưa mở hồ sơ nào", "no dossier is open")]
    if d.status in (DossierStatus.SIGNED, DossierStatus.QUEUED, DossierStatus.UPLOADED, DossierStatus.REVOKED):
        return [("hồ sơ đã được ký", "the dossier is already signed")]
    out: list[tuple[str, str]] = []
    comps = [c for c in d.components if c.digitised]
    if not comps:
        return [("hồ sơ không có thành phần nào cần số hóa", "no component of this dossier is digitised")]
    missing = [c.name for c in comps if not c.kept_pages()]
    if missing:
        out.append((f"chưa quét: {', '.join(missing)}", f"not scanned yet: {', '.join(missing)}"))
    if not qc_ran(ctx):
        out.append(("chưa kiểm tra ảnh quét", "the scans have not been checked"))
    n = blocking_count(ctx)
    if n:
        out.append((f"còn {n} lỗi cần khắc phục hoặc chấp nhận có lý do (màn hình Kiểm tra)",
                    f"{n} finding(s) to fix or accept with a reason (Check screen)"))
    bad = [c.name for c in comps if metadata_problems(c, d, ctx.settings.profile)]
    if bad:
        out.append((f"thiếu thông tin giấy tờ: {', '.join(bad)}", f"document details missing: {', '.join(bad)}"))
    return out


def remember_token(ctx: Any, label: str, key_id: str) -> None:
    """The clerk's token and certificate, for next time (clerk layer; never the PIN)."""
    for key, value in (("token.label", label), ("token.key_id", key_id)):
        if not ctx.settings.is_locked_for_clerk(key) and ctx.settings.get(key) != value:
            ctx.settings.set(key, value)


def is_wrong_pin(exc: BaseException) -> bool:
    return getattr(exc, "code", "") == "WRONG_PIN"


def pin_info(exc: BaseException) -> dict[str, Any]:
    return {"tries_left": getattr(exc, "tries_left", None), "final_try": getattr(exc, "final_try", False)}


def _scan_time(c: Component) -> datetime | None:
    times = [p.captured_at for p in c.kept_pages() if p.captured_at]
    if not times:
        return None
    t = max(times)
    return t if t.tzinfo else t.astimezone()


def signed_dir(wa: WorkArea) -> Path:
    return wa.root / "signed"


def sign_dossier(ctx: Any, d: Dossier, wa: WorkArea, token_label: str, key_id: str, pin: str, progress: Any,
                 on_file: Any) -> list[dict[str, Any]]:
    """Assemble the PDF/A files, sign them all with one PIN entry, verify them, record them.

    Runs on the token thread (every PKCS#11 call must). A stop (token pulled out, Esc) keeps the
    files already signed; signing again resumes with the rest.
    """
    from scanstation.model import SignatureInfo
    from scanstation.signing import SignOptions, load_trust_roots, open_session, sign_batch, verify_file

    comps = {c.id: c for c in d.components if c.digitised}
    for cid in comps:
        on_file(cid, "assembling")
    report = ctx.station.assemble(d, progress)
    files = report["files"]
    roots = load_trust_roots(list(ctx.settings.get("signing.trust_roots")))
    for f in files:
        on_file(f["component_id"], "signing")
    progress.check("signing")
    ts = open_session(_token_module(ctx), token_label, pin, key_id=key_id or None, trust_roots=roots)
    pin = ""   # the session holds what it needs; nothing here keeps the PIN
    out = signed_dir(wa)
    with ts:
        items = [(Path(f["path"]), out / f["file_name"], {"scan_time": _scan_time(comps[f["component_id"]])})
                 for f in files]
        opts = SignOptions(role="clerk", signer_name=ctx.settings.get("clerk.name") or None, trust_roots=roots,
                           tsa_url=ctx.settings.get("signing.tsa_url") or None)
        res = sign_batch(ts, items, opts, progress)
        signer = ts.signer_name
    by_source = {s.source: s for s in res.signed}
    results = []
    for f in files:
        sf = by_source.get(str(Path(f["path"])))
        if sf is None:
            continue
        rep = verify_file(sf.path, roots)       # never queue a file that does not verify
        if not rep.ok:
            raise SignatureVerificationFailed(
                f"{f['file_name']} does not verify after signing: {'; '.join(rep.problems)}",
                f"Tệp {f['file_name']} không kiểm tra được chữ ký sau khi ký; hãy ký lại.")
        for o in d.outputs:
            if o.component_id == f["component_id"]:
                o.sha256, o.size, o.signed = sf.sha256, sf.size, True
                o.signatures = [SignatureInfo(role="clerk", signer=sf.signer, signed_at=sf.signed_at,
                                              field_name=sf.field)]
        on_file(f["component_id"], "signed")
        results.append({"component_id": f["component_id"], "path": sf.path, "file_name": f["file_name"],
                        "sha256": sf.sha256, "size": sf.size})
    if res.stopped is not None:
        ctx.station.save_dossier(d)
        raise res.stopped
    if res.failed:
        ctx.station.save_dossier(d)
        raise SignatureVerificationFailed("; ".join(x.get("message_en", "") for x in res.failed),
                                          "; ".join(x.get("message_vi", "") for x in res.failed))
    d.status = DossierStatus.SIGNED
    ctx.station.save_dossier(d)
    ctx.station.audit.append(ctx.station.actor, "dossier.signed", dossier=d.receipt_code,
                             details={"signer": signer, "token": token_label, "key_id": key_id,
                                      "files": {r["file_name"]: r["sha256"] for r in results}})
    enqueue_signed(ctx, d, results)
    return results


class SignatureVerificationFailed(ScanStationError):
    code = "SIGNED_FILE_INVALID"


def enqueue_signed(ctx: Any, d: Dossier, results: list[dict[str, Any]]) -> None:
    """Hand the signed, verified files to the upload queue, one job per file (each file is checked
    again first by the same rule as ``scanstation queue add``)."""
    from scanstation.sync import audit_hook, queue_files
    from scanstation.workflow import check_signed_for_queue

    roots = list(ctx.settings.get("signing.trust_roots"))

    def verifier(path: Path) -> None:
        check_signed_for_queue(path, roots)

    for r in results:
        c = d.component(r["component_id"])
        meta = to_plain(c.metadata)
        queued = queue_files(ctx.station.store, [Path(r["path"])], dossier_code=d.receipt_code, verifier=verifier,
                             station=ctx.settings.get("station.id"), component_id=c.id,
                             document_type=c.document_type_code, metadata=meta,
                             audit=audit_hook(ctx.station.audit, ctx.station.actor))
        for o in d.outputs:
            if o.component_id == c.id:
                o.upload_job = queued[0]["job"]
    d.status = DossierStatus.QUEUED
    ctx.station.save_dossier(d)
    w = getattr(ctx, "sync_worker", None)
    if w is not None:
        w.wake()


def signed_page1_png(ctx: Any, d: Dossier, wa: WorkArea, dpi: int = 60) -> bytes | None:
    """Page 1 of the first signed file rendered as a reader shows it (poppler's pdftoppm)."""
    import shutil
    import subprocess
    import tempfile

    first = next((o for o in d.outputs if o.signed), None)
    tool = shutil.which("pdftoppm")
    if first is None or tool is None:
        return None
    src = signed_dir(wa) / first.file_name
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, "-f", "1", "-l", "1", "-r", str(dpi), "-png", "-singlefile", str(src),
                        str(Path(tmp) / "p1")], check=True, capture_output=True, timeout=60)
        return (Path(tmp) / "p1.png").read_bytes()


# --- upload queue -------------------------------------------------------------------------------------------
@dataclass
class JobView:
    id: str
    file: str
    dossier: str
    state: str
    attempts: int
    next_attempt: str
    last_error: str


def _fmt_time(iso_text: str | None) -> str:
    if not iso_text:
        return ""
    try:
        return datetime.fromisoformat(iso_text).astimezone().strftime("%d/%m %H:%M:%S")
    except ValueError:
        return iso_text


def mark_uploaded(ctx: Any, jobs: list[dict[str, Any]]) -> list[str]:
    """Dossiers whose every file the province confirmed become 'uploaded' (audit event once)."""
    by_dossier: dict[str, list[str]] = {}
    for j in jobs:
        by_dossier.setdefault(j["dossier"], []).append(j["state"])
    done = [code for code, states in by_dossier.items()
            if states and all(s in ("confirmed", "cancelled") for s in states) and "confirmed" in states]
    changed = []
    for row in ctx.station.list_dossiers(limit=500):
        if row.receipt_code in done and row.status == DossierStatus.QUEUED.value:
            d, _wa = load_dossier(ctx.station, row.id)
            ctx.station.set_status(d, DossierStatus.UPLOADED)
            changed.append(d.id)
            if ctx.dossier is not None and ctx.dossier.id == d.id:
                ctx.dossier.status = DossierStatus.UPLOADED
    return changed


def queue_jobs(ctx: Any) -> list[JobView]:
    from scanstation.sync import Outbox

    st = Outbox(ctx.station.store).status()
    mark_uploaded(ctx, st["jobs"])
    return [JobView(id=j["id"], file=j["file"], dossier=j["dossier"], state=j["state"], attempts=j["attempts"],
                    next_attempt=_fmt_time(j.get("next_attempt")),
                    last_error=j.get("reason") or j.get("last_error") or "") for j in st["jobs"]]


def wake_sync(ctx: Any) -> None:
    w = getattr(ctx, "sync_worker", None)
    if w is None:
        raise SyncNotRunning("The upload worker is not running: the provincial system address is not set",
                             "Chưa chạy tiến trình gửi: chưa cấu hình địa chỉ hệ thống của tỉnh")
    w.network_up()
    w.wake()


class SyncNotRunning(ScanStationError):
    code = "SYNC_NOT_RUNNING"


def retry_job(ctx: Any, job_id: str) -> None:
    from scanstation.sync import Outbox

    Outbox(ctx.station.store).retry(job_id)
    ctx.station.audit.append(ctx.station.actor, "sync.retry", details={"job": job_id})
    w = getattr(ctx, "sync_worker", None)
    if w is not None:
        w.wake()


def cancel_job(ctx: Any, job_id: str) -> None:
    from scanstation.sync import Outbox

    Outbox(ctx.station.store).cancel(job_id)
    ctx.station.audit.append(ctx.station.actor, "sync.cancelled", details={"job": job_id})


def export_queue(ctx: Any, target: str, progress: Any) -> int:
    from scanstation.sync import export_bundle

    rep = export_bundle(ctx.station.store, Path(target), station=ctx.settings.get("station.id"), progress=progress)
    ctx.station.audit.append(ctx.station.actor, "sync.exported", details={"to": str(target), **{
        k: v for k, v in rep.items() if isinstance(v, int | str)}})
    return int(rep.get("files") or rep.get("jobs") or len(rep.get("items", [])) or 0)


def queue_health(ctx: Any) -> dict[str, Any]:
    from scanstation.sync import JobState, Outbox

    counts = Outbox(ctx.station.store).counts()
    pending = sum(counts.get(s.value, 0) for s in (JobState.PENDING, JobState.UPLOADING, JobState.RETRY))
    out = {"pending": pending, "attention": counts.get(JobState.ATTENTION.value, 0)}
    w = getattr(ctx, "sync_worker", None)
    if w is None:
        return {"state": "not_configured", **out}
    offline = getattr(w, "offline", None)
    if offline is None:
        offline = getattr(w, "_offline", False)
    return {"state": "offline" if offline else "online", **out}


def start_sync(ctx: Any, *, secret: str | None = None) -> Any:
    """Start the upload worker in the background when the provincial system is configured."""
    from scanstation.sync import audit_hook, build_worker

    stop_sync(ctx)
    if not ctx.settings.get("provincial.endpoint"):
        return None
    worker = build_worker(ctx.settings, ctx.station.store, audit=audit_hook(ctx.station.audit, ctx.station.actor),
                          secret=secret)
    worker.start()
    ctx.sync_worker = worker
    return worker


def stop_sync(ctx: Any) -> None:
    w = getattr(ctx, "sync_worker", None)
    if w is not None:
        w.stop()
        w.join(5)
        ctx.sync_worker = None
