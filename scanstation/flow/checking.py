"""Checking and the QC gate: page and component checks, findings with stable ids, overrides, the gate.

A finding's id is a hash of its component, code and page ids, so it survives a restart and the
clerk's override (journaled with who, why and when) stays attached to the same finding after
pages are inserted before it. The gate refuses assembly and signing while any finding blocks:
a QC block not fixed nor overridden, components not checked since their pages changed, an
unresolved scanner event, or required metadata missing (the last three cannot be overridden).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scanstation.compliance import get_profile
from scanstation.errors import GateBlocked, ValidationError
from scanstation.flow.metadata import metadata_problems
from scanstation.flow.ocr import PageLane, encoding_of
from scanstation.flow.pages import EXCLUDED_BY_QC, layout
from scanstation.flow.session import DossierSession
from scanstation.model import Component, Page, PageVariant
from scanstation.progress import NULL_PROGRESS, Progress

#: The one-key fix of a finding in the window, and the hint the CLI prints.
FIX_BY_CODE: dict[str, str] = {
    "PAGE_CUT_OFF": "rescan", "CORNER_FOLDED": "rescan", "CORNER_MISSING": "rescan", "PAGE_TOO_LONG": "rescan",
    "PAPER_SIZE_MISMATCH": "rescan", "EXPOSURE_DARK": "rescan", "EXPOSURE_LIGHT": "rescan",
    "EXPOSURE_CLIPPED": "rescan", "BLURRY": "rescan", "IMAGE_UNREADABLE": "rescan", "SKEW": "rescan",
    "IMAGE_COUNT_MISMATCH": "rescan", "DEVICE_EVENT": "resolve",
    "STICKY_NOTE_UNPAIRED": "note_removed", "STICKY_NOTE_NOT_REMOVED": "redo_note",
    "STICKY_PAIR_MISMATCH": "redo_note", "DUPLICATE_PAGE": "delete", "BLANK_BACKS_EXCLUDED": "restore",
    "PAGE_COUNT_MISMATCH": "continue", "QC_NOT_RUN": "check", "METADATA_MISSING": "metadata",
    "PAGE_TURNED": "rotate",
    "COMPONENT_RESCAN": "rescan_all",
}

_RANK = {"block": 0, "warn": 1, "info": 2}
OCR_WAIT_S = 600.0     # a one-shot check waits at most this long for the background OCR of its pages


@dataclass(frozen=True)
class Finding:
    """One finding of the open dossier, in the shape ``dossier check --json`` prints."""

    id: str
    component_id: str
    code: str
    severity: str                                  # block | warn | info
    message_en: str
    message_vi: str
    page_ids: tuple[str, ...] = ()
    positions: tuple[int, ...] = ()                # 1-based positions of those pages in the component
    overridable: bool = True
    override: dict[str, Any] | None = None
    source: str = "qc"                             # qc | page | gate | metadata | event | ocr
    event_id: str | None = None
    pairs: tuple[dict[str, Any], ...] = ()
    rotate_deg: int = 0                            # PAGE_TURNED: the clockwise turn that fixes it

    @property
    def blocking(self) -> bool:
        return self.severity == "block" and self.override is None

    @property
    def fix(self) -> str | None:
        return None if self.override else FIX_BY_CODE.get(self.code)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "code": self.code, "severity": self.severity, "pages": list(self.positions),
                "page_ids": list(self.page_ids), "message_en": self.message_en, "message_vi": self.message_vi,
                "overridable": self.overridable, "override": self.override, "fix": self.fix,
                **({"event": self.event_id} if self.event_id else {}),
                **({"rotate": self.rotate_deg} if self.rotate_deg else {})}


def finding_id(component_id: str, code: str, page_ids: tuple[str, ...] | list[str]) -> str:
    return hashlib.sha1(f"{component_id}|{code}|{','.join(page_ids)}".encode()).hexdigest()[:12]


# --- running the checks --------------------------------------------------------------------------
class Checker:
    """The station's QC worker pool (started on first use) and the pages already sent to it.

    The window keeps one for its life, so a page is checked as soon as it is on disk while the scan
    goes on; a CLI command uses one for its run. Thread-safe.
    """

    def __init__(self, profile: Any = None, paper: str | None = "A4", *, background: bool = True) -> None:
        self._profile, self._paper = profile, paper
        self._pool: Any = None
        self._sessions: dict[str, tuple[Any, list[str]]] = {}
        self._lock = threading.Lock()
        # Each kept page is read (OCR, for a text layer) and encoded (jpeg, mrc) in the background as it
        # arrives; the worker process starts on the first page that needs either.
        self.lane: PageLane | None = PageLane() if background else None

    def pool(self) -> Any:
        from scanstation.qc import QCPool

        with self._lock:
            if self._pool is None:
                self._pool = QCPool(profile=self._profile, paper=self._paper)
            return self._pool

    def warm_up(self) -> None:
        """Start the QC workers, and the page lane when the station's profile will use it (a text layer or
        compact images), before the first page arrives. Blocks: call it off the GUI thread."""
        self.pool().warm_up()
        profile = get_profile(self._profile) if isinstance(self._profile, str) else self._profile
        wants = profile is not None and (profile.ocr_text_layer or profile.image_encoding != "lossless")
        if self.lane is not None and wants:
            self.lane.warm_up()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._sessions.clear()
        if pool is not None:
            pool.close(cancel=True)
        if self.lane is not None:
            self.lane.close()

    def read_in_background(self, s: DossierSession, c: Component, pages: list[Page] | None = None,
                           on_read: OnChecked | None = None) -> int:
        """Send kept pages to the background lane (OCR, compact encoding); how many were sent."""
        if self.lane is None or not (s.profile.ocr_text_layer or encoding_of(s)[0] != "lossless"):
            return 0
        return sum(1 for p in (pages if pages is not None else c.kept_pages())
                   if p.kept and self.lane.submit(s, c, p, on_read))

    def __enter__(self) -> Checker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _new_session(self, s: DossierSession, c: Component, on_checked: OnChecked | None) -> tuple[Any, list[str]]:
        sess: tuple[Any, list[str]] = (self.pool().component(duplex=c.duplex), [])
        with self._lock:
            self._sessions[c.id] = sess
        for p in c.pages:
            self._add(s, c, sess, p, on_checked)
        return sess

    def _add(self, s: DossierSession, c: Component, sess: tuple[Any, list[str]], page: Page,
             on_checked: OnChecked | None) -> None:
        sheet, side = layout(c)[page.id]
        variant = PageVariant.NOTE_REMOVED.value if page.variant == PageVariant.NOTE_REMOVED else "normal"

        def got(r: Any) -> None:      # a pool thread: plain data only, then tell the caller
            page.qc = r.to_dict()
            if on_checked is not None:
                on_checked(c.id, page.id)
            # Read (OCR) and encode while the scan goes on. A blank back is encoded too, not read: the
            # all-or-none rule keeps every back when one carries something, and then its encoding would
            # be left for the moment the clerk signs (20 backs: ~5 s on two cores).
            if r.kept or (r.blank or {}).get("verdict") == "blank":
                self.read_in_background(s, c, [page], on_checked)

        sess[0].add(s.workarea.root / page.file, sheet=sheet, side=side, variant=variant, on_result=got)
        sess[1].append(page.id)

    def page_arrived(self, s: DossierSession, c: Component, page: Page, on_checked: OnChecked | None = None) -> None:
        """Check a page as soon as it is on disk (the scan goes on meanwhile)."""
        with self._lock:
            sess = self._sessions.get(c.id)
        ids = [p.id for p in c.pages]
        if sess is None or sess[1] != ids[:len(sess[1])] or ids[len(sess[1]):] != [page.id]:
            self._new_session(s, c, on_checked)
            return
        self._add(s, c, sess, page, on_checked)

    def check_component(self, s: DossierSession, c: Component, on_checked: OnChecked | None = None,
                        timeout: float | None = 600) -> dict[str, Any]:
        """Finish QC of a component (reusing what ran during the scan), apply the blank-back rule (never
        against the clerk's own choice), journal every result and return the component's check record."""
        with self._lock:
            sess = self._sessions.get(c.id)
        if sess is None or sess[1] != [p.id for p in c.pages]:
            sess = self._new_session(s, c, on_checked)
        report = sess[0].finish(declared_sheets=c.declared_sheets or None, timeout=timeout)
        with s.lock:
            pages = [p for p in c.pages if p.id in set(sess[1])]
            for page, r in zip(pages, report.pages, strict=True):
                page.qc = r.to_dict()
                s.journal("qc", page=page.id, result=page.qc)
                if not r.kept and page.kept and page.id not in s.clerk_restored:
                    reason = r.excluded_reason or EXCLUDED_BY_QC
                    s.journal("exclude", page=page.id, reason=reason, by="qc")
                    page.kept, page.excluded_reason = False, reason
                elif (r.kept and not page.kept and page.id not in s.clerk_excluded
                      and page.excluded_reason == EXCLUDED_BY_QC):
                    s.journal("restore", page=page.id, by="qc")
                    page.kept, page.excluded_reason = True, None
            found = _blank_backs_as_kept(s, c, pages, report, [f.to_dict() for f in report.checks])
            record = {"pages": list(sess[1]), "findings": found,
                      "pairs": [dict(p) for p in report.pairs], "summary": report.summary(),
                      "at": datetime.now(UTC).isoformat()}
            s.journal("checks", component=c.id, pages=record["pages"], findings=record["findings"],
                      pairs=record["pairs"], summary=record["summary"])
            s.checks[c.id] = record
            s.save(c)
            s.audit("qc.checked", component=c.id, **report.summary())
        self.read_in_background(s, c, on_read=on_checked)   # pages kept by the rule, or checked in one go
        return record


OnChecked = Callable[[str, str], None]


def _blank_backs_as_kept(s: DossierSession, c: Component, pages: list[Page], report: Any,
                         found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The blank-back finding as the pages really are after the clerk's choices.

    QC drops the blank backs all or none; the clerk may restore one of them. Then, under the
    all-or-none rule, every back of the component stays (restored here, journaled as QC's), and the
    finding says so; never a stale "2 blank backs left out" beside a file that keeps one of the two."""
    dropped = [page for page, r in zip(pages, report.pages, strict=True)
               if not r.kept and r.excluded_reason == EXCLUDED_BY_QC]
    if not dropped:
        return found
    restored_by_clerk = [p for p in dropped if p.id in s.clerk_restored]
    if restored_by_clerk and s.profile.blank_backs != "drop-each":
        for p in dropped:
            if not p.kept and p.excluded_reason == EXCLUDED_BY_QC and p.id not in s.clerk_excluded:
                s.journal("restore", page=p.id, by="qc")
                p.kept, p.excluded_reason = True, None
        pos = [i for i, p in enumerate(pages) if p in dropped]       # indexes into the checked pages
        found = [f for f in found if f.get("code") != "BLANK_BACKS_EXCLUDED"]
        found.append({"code": "BLANK_BACKS_KEPT", "severity": "info",
                      "message_en": f"A blank back was restored by the clerk, so all {len(dropped)} blank backs stay "
                                    "in the file (rule: all or none)",
                      "message_vi": f"Cán bộ đã khôi phục mặt sau để trắng, nên giữ lại cả {len(dropped)} mặt sau "
                                    "để trắng trong tệp (quy tắc: bỏ tất cả hoặc không bỏ mặt nào)",
                      "pages": pos, "overridable": True, "override": None})
        return found
    out = sum(1 for p in dropped if not p.kept)
    for f in found:
        if f.get("code") == "BLANK_BACKS_EXCLUDED" and out != len(dropped):
            f["message_en"] = f"{out} blank back(s) left out of the PDF (they stay listed and can be restored)"
            f["message_vi"] = f"Đã bỏ {out} mặt sau để trắng khỏi tệp PDF (vẫn được liệt kê và có thể khôi phục)"
    return found


def check(s: DossierSession, checker: Checker | None = None, progress: Progress = NULL_PROGRESS,
          components: list[Component] | None = None) -> list[Finding]:
    """Check every digitised component that has pages; returns the dossier's findings afterwards."""
    own = checker is None
    checker = checker or Checker(s.profile)
    try:
        comps = components or [c for c in s.dossier.components if c.digitised and c.pages]
        for i, c in enumerate(comps):
            progress.check("QC")
            progress.report(i, len(comps), c.name)
            checker.check_component(s, c)
        progress.report(len(comps), len(comps))
        if own and checker.lane is not None and checker.lane.busy():
            # A one-shot check (CLI, demo) waits for the text so turned pages are findings now and the
            # build finds every page read; the window's checker keeps reading in the background instead.
            progress.report(0, 1, "OCR")
            checker.lane.wait(OCR_WAIT_S)
    finally:
        if own:
            checker.close()
    return findings(s)


# --- findings and the gate ------------------------------------------------------------------------
def _make(s: DossierSession, c: Component, code: str, severity: str, en: str, vi: str, page_ids: list[str],
          *, overridable: bool = True, source: str = "qc", **kw: Any) -> Finding:
    pos = {p.id: i + 1 for i, p in enumerate(c.pages)}
    fid = finding_id(c.id, code, page_ids)
    return Finding(id=fid, component_id=c.id, code=code, severity=severity, message_en=en, message_vi=vi,
                   page_ids=tuple(page_ids), positions=tuple(pos[p] for p in page_ids if p in pos),
                   overridable=overridable, override=s.overrides.get(fid) if overridable else None,
                   source=source, **kw)


def _misread(known: list[tuple[int, int, Any, int]]) -> set[int]:
    """Readings that are one OCR slip, not a shuffled feed: a number out of step with both neighbours
    while the neighbours are in step with theirs and leave room for the number this page should carry
    ('13' read as '15' between 12 and 14). A swap (12, 14, 13, 15) or a reversed run leaves no such room
    or puts a neighbour out of step too, so it still blocks."""
    nums = [r[3] for r in known]

    def in_step(j: int) -> bool:            # a reading that agrees with the ones either side of it
        return (j == 0 or nums[j - 1] < nums[j]) and (j == len(nums) - 1 or nums[j] < nums[j + 1])

    out: set[int] = set()
    for j in range(1, len(nums) - 1):
        a, n, b = nums[j - 1], nums[j], nums[j + 1]
        if a < n < b or b - a < 2:
            continue
        left_ok = j < 2 or nums[j - 2] < a
        right_ok = j + 2 >= len(nums) or b < nums[j + 2]
        if left_ok and right_ok and not in_step(j):
            out.add(j)
    return out


def _order_findings(s: DossierSession, c: Component, readings: dict[str, dict[str, Any]]) -> list[Finding]:
    """Printed page numbers (read by OCR) that run backwards, or skip more than the unnumbered pages
    between them could hold: a reversed or shuffled feed, or a sheet the applicant did not bring."""
    out: list[Finding] = []
    kept = [(i, p) for i, p in enumerate(c.pages, 1) if p.kept]
    known = [(k, i, p, int(n)) for k, (i, p) in enumerate(kept)
             if (n := (readings.get(p.id) or {}).get("number")) is not None]

    def room(k0: int, k1: int) -> int:
        """Pages between two numbered ones that could carry the numbers in between: unnumbered pages
        with something on them (a kept blank back holds no page of the document)."""
        return sum(1 for _i, p in kept[k0 + 1:k1] if ((p.qc or {}).get("blank") or {}).get("verdict") != "blank")

    known = [r for j, r in enumerate(known) if j not in _misread(known)]
    if known and known[0][3] > 1 + room(-1, known[0][0]):      # numbering starts at 1 (often unprinted)
        k, i, p, n = known[0]
        out.append(_make(s, c, "PAGE_NUMBER_GAP", "warn",
                         f"'{c.name}': the first numbered page ({i}) is printed '{n}'; pages before {n} may be missing",
                         f"'{c.name}': trang đánh số đầu tiên (trang {i}) là số {n}; có thể thiếu các trang trước "
                         f"số {n}", [p.id], source="ocr"))
    for (ka, ia, pa, na), (kb, ib, pb, nb) in zip(known, known[1:], strict=False):
        if nb < na:
            out.append(_make(s, c, "PAGE_ORDER", "block",
                             f"'{c.name}': page {ib} is printed '{nb}' but comes after page {ia} printed '{na}'; "
                             "put the sheets in order and scan again, or move the page",
                             f"'{c.name}': trang {ib} đánh số {nb} nhưng nằm sau trang {ia} đánh số {na}; "
                             "hãy xếp lại tờ cho đúng thứ tự rồi quét lại", [pa.id, pb.id], source="ocr"))
        elif nb - na > 1 + room(ka, kb):
            out.append(_make(s, c, "PAGE_NUMBER_GAP", "warn",
                             f"'{c.name}': after page {ia} printed '{na}' comes page {ib} printed '{nb}'; "
                             f"page {na + 1} may be missing",
                             f"'{c.name}': sau trang {ia} đánh số {na} là trang {ib} đánh số {nb}; "
                             f"có thể thiếu trang số {na + 1}", [pa.id, pb.id], source="ocr"))
    return out


def _without_file(msg: str) -> str:
    """A page finding's text without the file name QC puts first ("p0003.png: ...")."""
    head, sep, rest = msg.partition(": ")
    return rest if sep and "." in head and " " not in head else msg


def _group_whole_component(s: DossierSession, c: Component, found: list[Finding]) -> list[Finding]:
    """One finding, one fix, when a whole component is wrong: every kept page blocked for the same
    reasons (100-dpi grey scans gave 12 findings for 6 pages) becomes "rescan the component"."""
    kept = [p.id for p in c.pages if p.kept]
    if len(kept) < 2:
        return found
    by_code: dict[str, list[Finding]] = {}
    for f in found:
        if f.source == "page" and f.severity == "block":
            by_code.setdefault(f.code, []).append(f)
    whole = [code for code, fs in by_code.items() if {pid for f in fs for pid in f.page_ids} >= set(kept)]
    if not whole:
        return found
    members = [f for f in found if f.source == "page" and f.code in whole]
    first = {code: by_code[code][0] for code in whole}
    en = "; ".join(_without_file(f.message_en) for f in first.values())
    vi = "; ".join(_without_file(f.message_vi) for f in first.values())
    grouped = _make(s, c, "COMPONENT_RESCAN", "block",
                    f"All {len(kept)} pages of '{c.name}': {en}. Rescan the whole component with the right settings",
                    f"Cả {len(kept)} trang của '{c.name}': {vi}. Hãy quét lại cả thành phần với thiết lập đúng",
                    kept, overridable=all(f.overridable for f in members), source="page")
    return [grouped] + [f for f in found if f not in members]


def component_findings(s: DossierSession, c: Component) -> list[Finding]:
    out: list[Finding] = []
    if not c.digitised:
        return out
    checked = s.checks.get(c.id)
    if not c.kept_pages():
        out.append(_make(s, c, "QC_NOT_RUN", "block", f"'{c.name}' has no page scanned yet",
                         f"Chưa quét '{c.name}'", [], overridable=False, source="gate"))
    elif checked is None or checked["pages"] != [p.id for p in c.pages]:
        out.append(_make(s, c, "QC_NOT_RUN", "block",
                         f"'{c.name}' has not been checked since its pages changed (run the check)",
                         f"'{c.name}' chưa được kiểm tra lại sau khi thay đổi trang", [], overridable=False,
                         source="gate"))
    readings = dict(s.readings)
    for i, p in enumerate(list(c.pages), 1):
        if not p.kept:
            continue                       # left out of the file: its findings do not stand in the way
        deg = int((readings.get(p.id) or {}).get("deg", 0))
        if deg:
            how_en, how_vi = ("upside down", "bị lộn ngược") if deg == 180 else ("on its side", "bị xoay ngang")
            out.append(_make(s, c, "PAGE_TURNED", "block",
                             f"'{c.name}': page {i} is {how_en}; turn it {deg}° clockwise",
                             f"'{c.name}': trang {i} {how_vi}; hãy xoay {deg}° theo chiều kim đồng hồ",
                             [p.id], source="ocr", rotate_deg=deg))
        for f in (p.qc or {}).get("findings", []):
            out.append(_make(s, c, f["code"], f.get("severity", "warn"), f.get("message_en", ""),
                             f.get("message_vi", ""), [p.id], overridable=bool(f.get("overridable", True)),
                             source="page"))
    out += _order_findings(s, c, readings)
    out = _group_whole_component(s, c, out)
    if checked is not None and checked["pages"] == [p.id for p in c.pages]:
        ids = checked["pages"]
        for f in checked["findings"]:
            if f.get("code") == "DEVICE_EVENT":
                continue                   # scanner events are the clerk's to resolve (below)
            pids = [ids[i] for i in f.get("pages", []) if isinstance(i, int) and 0 <= i < len(ids)]
            out.append(_make(s, c, f["code"], f.get("severity", "warn"), f.get("message_en", ""),
                             f.get("message_vi", ""), pids, overridable=bool(f.get("overridable", True)),
                             pairs=tuple(checked.get("pairs", []))))
    for ev in list(s.events.values()):
        if ev.get("component") != c.id:
            continue
        res = ev.get("resolved")
        sheet = ev.get("sheet")
        en = f"Scanner event at sheet {sheet}: {ev.get('message_en', '')}"
        vi = f"Sự cố máy quét ở tờ {sheet}: {ev.get('message_vi', '')}"
        if res:
            en, vi = f"{en} (resolved: {res.get('reason', '')})", f"{vi} (đã xử lý: {res.get('reason', '')})"
        out.append(_make(s, c, "DEVICE_EVENT", "info" if res else "block", en, vi, [], overridable=False,
                         source="event", event_id=ev["id"]))
    problems = metadata_problems(c, s.dossier, s.profile)
    if problems:
        out.append(_make(s, c, "METADATA_MISSING", "block",
                         f"'{c.name}': " + "; ".join(p.en for p in problems),
                         f"'{c.name}': " + "; ".join(p.vi for p in problems), [], overridable=False,
                         source="metadata"))
    return out


def findings(s: DossierSession) -> list[Finding]:
    """Every finding of the dossier: blocking first, then warnings, then information.

    Takes no lock: the window calls this on its GUI thread, which must never wait for a background
    lane that holds the session while it writes to disk. It reads snapshots of plain data; a change
    made meanwhile is seen on the next call (every change announces itself)."""
    out = [f for c in list(s.dossier.components) for f in component_findings(s, c)]
    out.sort(key=lambda f: (not f.blocking, f.override is not None, _RANK.get(f.severity, 3)))
    return out


def blocking(s: DossierSession) -> list[Finding]:
    return [f for f in findings(s) if f.blocking]


def report(s: DossierSession) -> dict[str, Any]:
    """The ``dossier check --json`` contract."""
    fs = findings(s)
    comps = [{"id": c.id, "name": c.name, "document_type_code": c.document_type_code,
              "findings": [f.to_dict() for f in fs if f.component_id == c.id]}
             for c in s.dossier.components if c.digitised]
    return {"id": s.dossier.id, "receipt_code": s.dossier.receipt_code,
            "blocking": sum(1 for f in fs if f.blocking), "components": comps}


def override(s: DossierSession, fid: str, reason: str) -> Finding:
    """Accept a finding with a reason: journaled with the dossier (who, why, when) and audited."""
    with s.lock:
        f = next((x for x in findings(s) if x.id == fid), None)
        if f is None:
            raise ValidationError(f"No finding '{fid}' in dossier {s.dossier.receipt_code} (see 'dossier check')",
                                  f"Không có lỗi '{fid}' trong hồ sơ", field="finding")
        if not f.overridable:
            how = {"DEVICE_EVENT": "resolve the scanner event", "METADATA_MISSING": "fill in the document details",
                   "QC_NOT_RUN": "scan and check the component"}.get(f.code, "fix it (rescan)")
            raise ValidationError(f"Finding {f.code} cannot be accepted with a reason; {how}",
                                  "Không thể bỏ qua lỗi này; cần khắc phục", field="finding")
        if not reason.strip():
            raise ValidationError("An override needs a reason", "Cần ghi lý do chấp nhận", field="reason")
        rec = {"component": f.component_id, "code": f.code, "pages": list(f.page_ids), "by": s.actor,
               "reason": reason.strip(), "at": datetime.now(UTC).isoformat()}
        s.journal("override", finding=f.id, **{k: v for k, v in rec.items() if k != "at"})
        s.overrides[f.id] = rec
        s.audit("qc.override", finding=f.id, component=f.component_id, code=f.code, pages=list(f.page_ids),
                reason=rec["reason"], message_en=f.message_en)
        return next(x for x in findings(s) if x.id == fid)


def require_clear(s: DossierSession, step_en: str, step_vi: str) -> None:
    """The gate: raise :class:`GateBlocked` naming each blocking finding."""
    block = blocking(s)
    if block:
        names = "; ".join(f"{f.code} [{f.id}] {f.message_en}" for f in block)
        raise GateBlocked(f"Cannot {step_en}: {len(block)} finding(s) to fix or accept first: {names}",
                          f"Chưa thể {step_vi}: còn {len(block)} lỗi cần khắc phục hoặc chấp nhận có lý do",
                          findings=[f.to_dict() for f in block])
