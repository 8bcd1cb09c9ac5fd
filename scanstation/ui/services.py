"""The window's bridge to :mod:`scanstation.flow`: each function takes the window's context, picks the open
dossier's :class:`~scanstation.flow.DossierSession` and calls one flow use case. No rule lives here.

Everything that may block (disk, database, device, token, network) is called by the screens through
:class:`scanstation.ui.tasks.TaskManager`; the rest (presentation helpers) only reads plain data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanstation.errors import ScanStationError, StorageError
from scanstation.flow import DossierSession, Station, checking, new_dossier, open_dossier
from scanstation.flow import capture as fcapture
from scanstation.flow import pages as fpages
from scanstation.flow import signing as fsigning
from scanstation.flow import status as fstatus
from scanstation.flow import upload as fupload
from scanstation.flow.metadata import (  # noqa: F401 - re-exported for the screens
    FieldProblem,
    metadata_as_text,
    metadata_problems,
    set_metadata_from_text,
)
from scanstation.flow.pages import (  # noqa: F401 - re-exported for the screens
    expected_images,
    layout,
    sheets_captured,
    unpaired_note,
)
from scanstation.flow.status import CertChoice, TokenChoice  # noqa: F401 - re-exported for the screens
from scanstation.model import Component, Dossier, DossierStatus, Page
from scanstation.workarea import WorkArea


def session(ctx: Any) -> DossierSession:
    s = getattr(ctx, "session", None)
    if s is None:
        raise StorageError("No dossier is open", "Chưa mở hồ sơ nào")
    return s


# --- dossiers ---------------------------------------------------------------------------------------------
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


def load_dossier(station: Station, dossier_id: str) -> DossierSession:
    """Open a dossier as last saved, with everything its journal holds."""
    return open_dossier(station, dossier_id)


def create_dossier(station: Station, dossier: Dossier) -> DossierSession:
    from scanstation.flow.intake import DuplicateReceipt, dossier_with_receipt

    other = dossier_with_receipt(station, dossier.receipt_code)
    if other is not None:                  # the window offers to open that dossier instead
        raise DuplicateReceipt(dossier.receipt_code, other)
    return new_dossier(station, dossier)


def update_intake(ctx: Any, dossier: Dossier) -> list[str]:
    """Correct the open dossier's intake (a typo in a name, a wrong sheet count)."""
    from scanstation.flow.intake import update_intake as update

    return update(session(ctx), dossier)


def save_dossier(ctx: Any) -> None:
    """Save the open dossier after the clerk edited it (the document details)."""
    s = session(ctx)
    s.save()
    s.audit("metadata.saved")


def audit(station: Station, action: str, dossier: Dossier | None = None, **details: Any) -> None:
    station.audit.append(station.actor, action, dossier=dossier.receipt_code if dossier else None,
                         details=details)


def card_from_reader(text: str) -> Any:
    """The CCCD a handheld reader typed (parsing only: no disk, no device; safe on the GUI thread)."""
    from scanstation.flow.identity import read_card

    return read_card(text=text)


def card_missing(card: Any) -> str:
    from scanstation.identity.cccd import missing_text
    from scanstation.ui.i18n import pick

    en, vi = missing_text(card)
    return pick(vi, en)


def card_filled(station: Station) -> None:
    from scanstation.flow.identity import audit_filled

    audit_filled(station, "reader")


def health(ctx: Any) -> dict[str, Any]:
    return fstatus.health(ctx.settings, ctx.station.store, getattr(ctx, "sync_worker", None),
                          scanning=bool(getattr(ctx, "scanning", False)), last=getattr(ctx, "health", None))


# --- pages (presentation helpers) -------------------------------------------------------------------------
def find_page(c: Component, page_id: str) -> Page | None:
    return next((p for p in c.pages if p.id == page_id), None)


def page_position(c: Component, page_id: str) -> tuple[int, str]:
    """(sheet, side) of a page from the feed order."""
    return fpages.layout(c).get(page_id, (0, "front"))


def index_of(c: Component, page_id: str) -> int | None:
    return next((i for i, p in enumerate(c.pages) if p.id == page_id), None)


def page_at(c: Component, index: int) -> Page | None:
    return c.pages[index] if 0 <= index < len(c.pages) else None


def page_has_note(p: Page) -> bool:
    return bool(fpages.notes_on(p))


def page_severity(p: Page) -> str | None:
    sev = {f.get("severity") for f in (p.qc or {}).get("findings", []) if not f.get("override")}
    return "block" if "block" in sev else "warn" if "warn" in sev else None


def page_place(p: Page) -> tuple[int, str, str]:
    """(sheet, side, variant) as QC worked them out from the feed order, else as captured."""
    q = p.qc or {}
    return (int(q.get("sheet") or p.sheet), str(q.get("side") or p.side.value), p.variant.value)


NOTE_COLOURS = {"yellow": "#f9ab00", "pink": "#e52592", "green": "#1e8e3e", "blue": "#1a73e8", "orange": "#e8710a"}


def page_regions(p: Page, note_label: str, highlight_all: bool = False) -> list[tuple[int, int, int, int, str, str]]:
    """Rectangles to outline on the preview: sticky notes (and, for a finding, the whole page)."""
    out = [(int(n["x"]), int(n["y"]), int(n["w"]), int(n["h"]), NOTE_COLOURS.get(n.get("color", ""), "#f9ab00"),
            note_label) for n in fpages.notes_on(p)]
    if highlight_all and not out and p.width and p.height and page_severity(p):
        out.append((0, 0, p.width, p.height, "#c5221f", ""))
    return out


# --- page operations: flow.pages --------------------------------------------------------------------------
def remove_pages(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_ids: list[str]) -> None:
    fpages.remove(session(ctx), c, page_ids)


def remove_sheet(ctx: Any, c: Component, page_id: str) -> list[Page]:
    """Del: the whole sheet of the page (both sides, and its rescan without a sticky note)."""
    p = find_page(c, page_id)
    return fpages.remove_sheet(session(ctx), c, p) if p is not None else []


def undo(ctx: Any) -> fpages.UndoStep | None:
    """Ctrl+Z: take back the last page operation (journaled as its inverse); None when there is none."""
    s = getattr(ctx, "session", None)
    return fpages.undo(s) if s is not None else None


def restore_pages(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_ids: list[str]) -> None:
    s = session(ctx)
    for pid in page_ids:
        p = find_page(c, pid)
        if p is not None:
            fpages.restore(s, c, p)


def toggle_exclude(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_id: str, reason: str) -> None:
    p = find_page(c, page_id)
    if p is not None:
        fpages.toggle_exclude(session(ctx), c, p, reason)


def reorder(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_ids: list[str]) -> None:
    fpages.reorder(session(ctx), c, page_ids)


def rotate_page(ctx: Any, d: Dossier, wa: WorkArea, c: Component, page_id: str, degrees: int) -> Page:
    p = find_page(c, page_id)
    if p is None:
        raise StorageError(f"No page {page_id}", f"Không có trang {page_id}")
    return fpages.rotate(session(ctx), c, p, degrees)


# --- capture: flow.capture ----------------------------------------------------------------------------------
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
    from PySide6.QtCore import QCoreApplication

    from scanstation.devices import load_profiles

    def shown(name: str) -> str:    # the built-in profile's name in the clerk's language
        return QCoreApplication.translate("Profiles", "standard") if name == "default" else name

    return [ScannerProfile(name, f"{shown(name)} · {p.device}" + (" (IT)" if p.locked else ""))
            for name, p in load_profiles(ctx.settings).items()]


def capture(ctx: Any, d: Dossier, wa: WorkArea, req: CaptureRequest, progress: Any, on_page: Any) -> CaptureResult:
    act = fcapture.CaptureAction(component_id=req.component_id, action=req.mode, target=req.target_page,
                                 profile=req.profile or None)
    out = fcapture.scan(session(ctx), act, progress, on_page)
    stopped = out.stopped is not None
    if out.stopped is not None and out.event is None and out.stopped.code not in ("CANCELLED", "DEVICE_CANCELLED"):
        res = CaptureResult(out.pages, stopped, out.stopped.message_en, out.stopped.message_vi)
    else:
        res = CaptureResult(out.pages, stopped, out.event_en, out.event_vi)
    if out.warnings:          # the calibration gate in warn mode: the screen shows it with the scan's own message
        res.event_en = " ".join([*out.warnings, res.event_en]).strip()
        res.event_vi = " ".join([*(out.warnings_vi or out.warnings), res.event_vi]).strip()
    return res


# --- QC: flow.checking -----------------------------------------------------------------------------------------
@dataclass
class FindingRef:
    component: Component
    finding: dict[str, Any]          # code, severity, messages, pages (0-based), overridable, override, id
    page_level: bool = False
    pairs: list[dict[str, Any]] | None = None


def checker(ctx: Any) -> checking.Checker:
    """The station's QC workers, started on first use (spawning them takes a moment)."""
    c = getattr(ctx, "checker", None)
    if c is None:
        c = ctx.checker = checking.Checker(ctx.settings.profile)
    return c


def close_qc(ctx: Any) -> None:
    c = getattr(ctx, "checker", None)
    if c is not None:
        ctx.checker = None
        c.close()


def qc_page_arrived(ctx: Any, wa: WorkArea, c: Component, page: Page, on_checked: Any = None) -> None:
    checker(ctx).page_arrived(session(ctx), c, page, on_checked)


def check_component(ctx: Any, d: Dossier, wa: WorkArea, c: Component, on_checked: Any = None) -> dict[str, Any]:
    return checker(ctx).check_component(session(ctx), c, on_checked)


def check_dossier(ctx: Any, d: Dossier, wa: WorkArea, progress: Any) -> None:
    checking.check(session(ctx), checker(ctx), progress)


def stale_components(ctx: Any) -> list[Component]:
    """Components whose pages changed since they were last checked (a rotation, a removal, a rescan)."""
    s = getattr(ctx, "session", None)
    if s is None or getattr(ctx, "scanning", False):
        return []
    return [c for c in s.dossier.components if c.digitised and c.pages
            and s.checks.get(c.id, {}).get("pages") != [p.id for p in c.pages]]


def _ref(f: checking.Finding, c: Component) -> FindingRef:
    pos = [i - 1 for i in f.positions]
    d = {**f.to_dict(), "pages": pos}
    return FindingRef(c, d, page_level=f.source == "page", pairs=list(f.pairs))


#: findings of the gate shown on other screens (metadata, not checked yet), not in the QC list
_GATE_ONLY = {"METADATA_MISSING", "QC_NOT_RUN"}


def all_findings(ctx: Any) -> list[FindingRef]:
    """Every QC finding of the open dossier: blocking first, then warnings, then information."""
    s = getattr(ctx, "session", None)
    if s is None:
        return []
    comps = {c.id: c for c in s.dossier.components}
    return [_ref(f, comps[f.component_id]) for f in checking.findings(s) if f.code not in _GATE_ONLY]


def qc_ran(ctx: Any) -> bool:
    s = getattr(ctx, "session", None)
    if s is None:
        return False
    return not any(f.code == "QC_NOT_RUN" for f in checking.blocking(s))


def blocking_count(ctx: Any) -> int:
    return sum(1 for r in all_findings(ctx) if r.finding.get("severity") == "block" and not r.finding.get("override"))


def override(ctx: Any, d: Dossier, wa: WorkArea, ref: FindingRef, reason: str) -> None:
    """Accept a finding with a reason; for a scanner event, the reason says how the clerk resolved it."""
    if ref.finding.get("code") == "DEVICE_EVENT" and ref.finding.get("event"):
        fcapture.resolve_event(session(ctx), ref.finding["event"], reason)
        return
    checking.override(session(ctx), ref.finding["id"], reason)


def resolve_event(ctx: Any, event_id: str, reason: str) -> None:
    fcapture.resolve_event(session(ctx), event_id, reason)


def fix_for(ref: FindingRef) -> str | None:
    """The one-key fix of a finding: rescan, continue, resolve, note_removed, redo_note, restore, delete, goto."""
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
    if code == "DEVICE_EVENT":
        return "continue"
    if code in checking.FIX_BY_CODE:
        return checking.FIX_BY_CODE[code]
    return "goto" if f.get("pages") else None


def sticky_pair_for(ref: FindingRef) -> tuple[Page | None, Page | None, bool | None] | None:
    """(page with note, page with note removed, verified) when the finding is about a sticky note."""
    f = ref.finding
    if "NOTE" not in f.get("code", "") and "STICKY" not in f.get("code", ""):
        return None
    pages = [p for p in (page_at(ref.component, i) for i in f.get("pages", [])) if p is not None]
    if not pages:
        return None
    c = ref.component
    first = pages[0]
    i = c.pages.index(first)
    if fpages.is_rescan(first) and i > 0:
        first, i = c.pages[i - 1], i - 1
    nxt = c.pages[i + 1] if i + 1 < len(c.pages) and fpages.is_rescan(c.pages[i + 1]) else None
    verified = None
    if nxt is not None:
        pair = next((p for p in (ref.pairs or []) if p.get("with_note") == i), None)
        verified = bool(pair["verified"]) if pair is not None else f.get("severity") != "block"
    return first, nxt, verified


# --- signing: flow.signing ------------------------------------------------------------------------------------
def list_tokens(ctx: Any) -> list[TokenChoice]:
    return fstatus.list_token_choices(ctx.settings)


def first_page(d: Dossier) -> tuple[Component, Page] | None:
    for c in d.components:
        kept = c.kept_pages() if c.digitised else []
        if kept:
            return c, kept[0]
    return None


def signing_role(ctx: Any) -> str:
    """clerk, or copy once the clerk has signed and the station adds the SAO Y signature."""
    d = ctx.dossier
    plan = fsigning.SigningPlan.from_settings(ctx.settings)
    if d is not None and d.status == DossierStatus.SIGNED and plan.certified_copy:
        return "copy"
    return "clerk"


@dataclass
class StampImages:
    page: bytes                             # page 1 (PNG) with the stamp drawn as the signing will draw it
    size: tuple[int, int]
    box: tuple[int, int, int, int]          # the stamp in ``page``: x, y, width, height
    close_up: bytes                         # the stamp and a little of the page around it, larger (PNG)
    lines: tuple[str, ...]
    component_id: str


def stamp_images(ctx: Any, d: Dossier, cert_label: str, max_px: int = 1000) -> StampImages | None:
    """Page 1 with the visible stamp of the step the dossier is at (the clerk's, or the SAO Y copy), drawn with the
    signing's own stamp text, font, size and box (flow.sign_preview). Worker thread."""
    import io

    from PIL import Image

    from scanstation.flow import sign_preview

    first = sign_preview.first_page(d)
    wa = ctx.workarea
    if first is None or wa is None:
        return None
    comp, page = first
    plan = fsigning.SigningPlan.from_settings(ctx.settings)
    role = signing_role(ctx)
    name = cert_label.split(" — ")[0] or ctx.settings.get("clerk.name") or d.clerk
    spec = sign_preview.stamp_spec(role, signer_name=name, org_name=plan.org_name,
                                   scan_time=fsigning.scan_time(comp), stamp_font=plan.stamp_font,
                                   copy_font=plan.copy_font)
    base, dpi = wa.root / page.file, page.dpi
    rendered = _signed_page1(d, comp.id, 150) if role == "copy" else None
    if rendered is not None:            # the SAO Y goes onto the file the clerk signed: show that file's page 1
        base, dpi = rendered, (150, 150)
    try:
        big = sign_preview.draw_stamp(base, dpi, spec, max_px=2400)
    finally:
        if rendered is not None:
            rendered.unlink(missing_ok=True)
    with Image.open(io.BytesIO(big.png)) as im:
        x, y, w, h = big.box
        pad = max(12, h // 2)
        crop = im.crop((max(0, x - pad), max(0, y - pad), min(im.width, x + w + pad), min(im.height, y + h + pad)))
        buf = io.BytesIO()
        crop.save(buf, "PNG")
        scale = min(1.0, max_px / max(im.size))
        small = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, "PNG")
    box = tuple(round(v * scale) for v in big.box)
    return StampImages(page=out.getvalue(), size=small.size, box=(box[0], box[1], box[2], box[3]),
                       close_up=buf.getvalue(), lines=big.lines, component_id=comp.id)


def _signed_page1(d: Dossier, component_id: str, dpi: int) -> Path | None:
    """Page 1 of the component's signed file as a PNG at ``dpi`` (poppler's pdftoppm), or None."""
    import shutil
    import subprocess
    import tempfile

    out = next((o for o in d.outputs if o.component_id == component_id and o.signed and o.path), None)
    tool = shutil.which("pdftoppm")
    if out is None or tool is None or not Path(out.path).is_file():
        return None
    fd, name = tempfile.mkstemp(suffix=".png")
    import os

    os.close(fd)
    target = Path(name)
    try:
        subprocess.run([tool, "-f", "1", "-l", "1", "-r", str(dpi), "-png", "-singlefile", out.path,
                        str(target.with_suffix(""))], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        target.unlink(missing_ok=True)
        return None
    return target


def file_sizes(ctx: Any, d: Dossier) -> list[Any]:
    """Each file's lossless masters against the file that is uploaded (flow.sign_preview). Worker thread."""
    from scanstation.flow import sign_preview

    wa = ctx.workarea
    return sign_preview.file_sizes(d, wa.root) if wa is not None else []


def stamp_preview(ctx: Any, d: Dossier, page: Page, cert_label: str) -> str:
    """The text of the stamp being signed: the certificate holder and the time of scanning (clerk), or the
    organisation (SAO Y copy)."""
    if signing_role(ctx) == "copy":
        return f"SAO Y · {ctx.settings.get('station.org_name')}"
    name = cert_label.split(" — ")[0] or ctx.settings.get("clerk.name") or d.clerk
    when = fsigning.scan_time_of_page(page)
    return f"{name} · {when.strftime('%d/%m/%Y %H:%M:%S')}"


def output_name(ctx: Any, d: Dossier, c: Component) -> str:
    for o in d.outputs:
        if o.component_id == c.id:
            return o.file_name
    return f"{d.account_party.file_identifier}.{c.document_type_code}.pdf"


def output_state(d: Dossier, c: Component) -> str:
    for o in d.outputs:
        if o.component_id == c.id:
            if o.state in ("queued", "uploaded"):
                return "queued"
            return "signed" if o.signed else "built"      # made, not signed: never "making PDF/A…" at rest
    return ""


def sign_blockers(ctx: Any) -> list[tuple[str, str]]:
    """Why signing is not possible now (Vietnamese, English); empty when it is. The gate is flow's."""
    s = getattr(ctx, "session", None)
    if s is None:
        return [("chưa mở hồ sơ nào", "no dossier is open")]
    d = s.dossier
    if d.status in (DossierStatus.QUEUED, DossierStatus.UPLOADED, DossierStatus.REVOKED) or (
            d.status == DossierStatus.SIGNED and signing_role(ctx) != "copy"):
        return [("hồ sơ đã được ký", "the dossier is already signed")]
    comps = [c for c in d.components if c.digitised]
    if not comps:
        return [("hồ sơ không có thành phần nào cần số hóa", "no component of this dossier is digitised")]
    if d.status == DossierStatus.SIGNED:
        return []                          # the SAO Y copy signature is next
    out: list[tuple[str, str]] = []
    block = checking.blocking(s)
    missing = [c.name for c in comps if not c.kept_pages()]
    if missing:
        out.append((f"chưa quét: {', '.join(missing)}", f"not scanned yet: {', '.join(missing)}"))
    if any(f.code == "QC_NOT_RUN" for f in block) and not missing:
        out.append(("chưa kiểm tra ảnh quét", "the scans have not been checked"))
    n = sum(1 for f in block if f.code not in _GATE_ONLY)
    if n:
        out.append((f"còn {n} lỗi cần khắc phục hoặc chấp nhận có lý do (màn hình Kiểm tra)",
                    f"{n} finding(s) to fix or accept with a reason (Check screen)"))
    bad = [c.name for c in comps if metadata_problems(c, d, s.profile)]
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


def sign_dossier(ctx: Any, d: Dossier, wa: WorkArea, token_label: str, key_id: str, pin: str, progress: Any,
                 on_file: Any) -> dict[str, Any]:
    """Sign as the step the dossier is at (the clerk, or the organisation's SAO Y copy). Token thread."""
    res = fsigning.sign(session(ctx), signing_role(ctx), token_label=token_label, pin=pin, key_id=key_id or None,
                        progress=progress, on_file=on_file,
                        lane=getattr(getattr(ctx, "checker", None), "lane", None))   # text read during the scan
    if res["queued"]:
        w = getattr(ctx, "sync_worker", None)
        if w is not None:
            w.wake()
    return res


def signed_page1_png(ctx: Any, d: Dossier, wa: WorkArea, dpi: int = 60) -> bytes | None:
    """Page 1 of the first signed file rendered as a reader shows it (poppler's pdftoppm)."""
    import shutil
    import subprocess
    import tempfile

    first = next((o for o in d.outputs if o.signed and o.path), None)
    tool = shutil.which("pdftoppm")
    if first is None or tool is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([tool, "-f", "1", "-l", "1", "-r", str(dpi), "-png", "-singlefile", first.path,
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


def queue_jobs(ctx: Any) -> list[JobView]:
    """The queue, and the open dossier's status as the database has it (the upload worker finishes dossiers)."""
    from scanstation.sync import Outbox

    st = Outbox(ctx.station.store, ctx.station.settings.get("station.id")).status()
    s = getattr(ctx, "session", None)
    if s is not None:
        from scanstation.store.tables import DossierRow

        with ctx.station.store.session() as db:
            row = db.get(DossierRow, s.dossier.id)
            if row is not None and row.status != s.dossier.status.value:
                s.dossier.status = DossierStatus(row.status)
    return [JobView(id=j["id"], file=j["file"], dossier=j["dossier"], state=j["state"], attempts=j["attempts"],
                    next_attempt=_fmt_time(j.get("next_attempt")),
                    last_error=j.get("reason") or j.get("last_error") or "") for j in st["jobs"]]


class SyncNotRunning(ScanStationError):
    code = "SYNC_NOT_RUNNING"


def wake_sync(ctx: Any) -> None:
    w = getattr(ctx, "sync_worker", None)
    if w is None:
        raise SyncNotRunning("The upload worker is not running: the provincial system address is not set",
                             "Chưa chạy tiến trình gửi: chưa cấu hình địa chỉ hệ thống của tỉnh")
    w.network_up()
    w.wake()


def retry_job(ctx: Any, job_id: str) -> None:
    fupload.retry(ctx.station, job_id)
    w = getattr(ctx, "sync_worker", None)
    if w is not None:
        w.wake()


def cancel_job(ctx: Any, job_id: str) -> None:
    fupload.cancel(ctx.station, job_id)


def export_queue(ctx: Any, target: str, progress: Any) -> int:
    rep = fupload.export(ctx.station, Path(target), progress)
    return int(rep.get("files") or rep.get("jobs") or len(rep.get("items", [])) or 0)


def queue_health(ctx: Any) -> dict[str, Any]:
    return fstatus.queue_health(ctx.station.store, getattr(ctx, "sync_worker", None),
                                ctx.station.settings.get("station.id"))


def start_sync(ctx: Any, *, secret: str | None = None) -> Any:
    """Start the upload worker in the background when the provincial system is configured."""
    stop_sync(ctx)
    if not ctx.settings.get("provincial.endpoint"):
        return None
    worker = fupload.build_worker(ctx.station, secret=secret)
    worker.start()
    ctx.sync_worker = worker
    return worker


def stop_sync(ctx: Any) -> None:
    w = getattr(ctx, "sync_worker", None)
    if w is not None:
        w.stop()
        w.join(5)
        ctx.sync_worker = None


def change_setting(ctx: Any, key: str, value: Any = None, *, layer: str = "clerk",
                   lock: bool | None = None) -> dict[str, Any]:
    """One setting change from the settings screen (worker thread): the OS decides whether the station layer
    may be written; the change, or the refused attempt, is audited with OS account, machine, old -> new."""
    from scanstation.flow.station_settings import change_setting as _change

    return _change(key, value, layer=layer, lock=lock, settings=ctx.settings, station=ctx.station)


# --- the counter's own steps (issue 15): identity and reuse, the records officer's result, revocation ----------
def _provincial(ctx: Any, *, lookup: bool) -> Any:
    from scanstation.flow import revocation

    s = session(ctx)
    secret = getattr(ctx, "provincial_secret", None)
    return (revocation.lookup_client(s, secret=secret) if lookup else revocation.provincial_client(s, secret=secret))


def identity_check(ctx: Any) -> tuple[Any, list[Any]]:
    """Ask the provincial system about the applicant; never raises for the network (the answer says)."""
    from scanstation.flow import reuse

    s = session(ctx)
    try:
        client = _provincial(ctx, lookup=True)
    except ScanStationError:
        client = None
    try:
        ans = reuse.check_identity(s, client)
    finally:
        if client is not None:
            client.close()
    return ans, reuse.proposals(s, ans)


def identity_lookup(ctx: Any, id_type: str, id_number: str) -> Any:
    """At intake, before the dossier exists: the applicant's account and stored papers (never raises for the
    network; the answer's status says)."""
    from scanstation.flow import reuse, revocation

    try:
        client = revocation.lookup_client(ctx.station, secret=getattr(ctx, "provincial_secret", None))
    except ScanStationError:
        client = None
    try:
        return reuse.ask_identity(client, id_type, id_number)
    finally:
        if client is not None:
            client.close()


def intake_identity(s: Any, answer: Any, picks: list[tuple[str, str]]) -> ScanStationError | None:
    """The intake form's identity answer kept with the dossier just saved, the chosen components reused;
    the error (the dossier itself is saved) or None."""
    from scanstation.flow import reuse

    try:
        reuse.reuse_at_intake(s, answer, picks)
    except ScanStationError as e:
        return e
    return None


def reuse_component(ctx: Any, component_id: str, document_id: str) -> Component:
    from scanstation.flow import reuse

    return reuse.reuse(session(ctx), component_id, document_id)


def result_component(ctx: Any) -> Component | None:
    from scanstation.flow import results

    return results.result_component(session(ctx))


def result_scan(ctx: Any, values: dict[str, str]) -> list[checking.Finding]:
    """Add the result (first time), scan it with the station's scanner profile, check it; its findings."""
    from scanstation.flow import results

    s = session(ctx)
    c = results.result_component(s)
    if c is None:
        meta = {k: values[k] for k in ("number_symbol", "issue_date", "issuing_body", "summary") if values.get(k)}
        c = results.add_result(s, name=values.get("name", ""), code=values.get("code", ""), metadata=meta)
    if not c.kept_pages():
        fcapture.scan(s, fcapture.CaptureAction(component_id=c.id, sheets=c.declared_sheets or 1))
    checking.check(s, components=[c])
    return [f for f in checking.component_findings(s, c)]


def result_sign(ctx: Any, token_label: str, pin: str) -> dict[str, Any]:
    from scanstation.flow import results

    return results.sign_result(session(ctx), token_label=token_label, pin=pin)


def dossier_files(ctx: Any) -> list[dict[str, Any]]:
    return fsigning.files_view(session(ctx))


def revoke_file(ctx: Any, file_name: str, reason: str) -> dict[str, Any]:
    from scanstation.flow import revocation

    try:
        client = _provincial(ctx, lookup=False)
    except ScanStationError:
        client = None
    try:
        return revocation.revoke(session(ctx), file_name, reason, client=client)
    finally:
        if client is not None:
            client.close()
