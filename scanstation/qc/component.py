"""Per-component QC: counts, the blank-back rule, sticky-note pairs, duplicates, device events.

Works on plain :class:`PageResult` objects only (whatever process computed them), so the station
can run the page checks in workers as pages arrive and this cheap step when the component is done.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanstation.compliance import ComplianceProfile
from scanstation.errors import ValidationError
from scanstation.qc.findings import Finding, Severity, finding
from scanstation.qc.page import PageResult

BLURRY_RATIO = 0.6
EXCLUDED_BLANK_BACK = "blank_back"


@dataclass
class DeviceEvent:
    """Something the scanner reported: ``kind`` is double_feed, jam, ... ; ``page`` the image index near it."""

    kind: str
    page: int | None = None
    sheet: int | None = None
    resolved: bool = False
    detail: str = ""


@dataclass
class QCReport:
    pages: list[PageResult]
    pairs: list[dict[str, Any]] = field(default_factory=list)
    checks: list[Finding] = field(default_factory=list)
    duplex: bool = True
    declared_sheets: int | None = None
    restorations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sheets(self) -> int:
        return sum(1 for p in self.pages if p.side == "front" and p.variant != "note_removed")

    def all_findings(self) -> list[Finding]:
        return [f for p in self.pages for f in p.findings] + list(self.checks)

    @property
    def blocking(self) -> int:
        return sum(1 for f in self.all_findings() if f.blocking)

    def summary(self) -> dict[str, Any]:
        return {
            "images": len(self.pages),
            "sheets": self.sheets,
            "declared_sheets": self.declared_sheets,
            "kept": sum(1 for p in self.pages if p.kept),
            "excluded_blank_backs": sum(1 for p in self.pages if p.excluded_reason == EXCLUDED_BLANK_BACK),
            "blocking": self.blocking,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``scanstation qc --json`` contract."""
        return {
            "pages": [p.to_dict() for p in self.pages],
            "pairs": [dict(p) for p in self.pairs],
            "checks": [f.to_dict() for f in self.checks],
            "excluded": [{"index": p.index, "file": p.file, "reason": p.excluded_reason}
                         for p in self.pages if not p.kept],
            "summary": self.summary(),
        }


def check_component(pages: list[PageResult], *, duplex: bool, declared_sheets: int | None,
                    profile: ComplianceProfile, device_events: list[DeviceEvent] | tuple = ()) -> QCReport:
    """Component checks over page results in feed order (sheet, side and variant already set)."""
    rep = QCReport(pages=pages, duplex=duplex, declared_sheets=declared_sheets)
    _pairs(rep)
    _duplicates(rep)
    _counts(rep)
    _sharpness(rep)
    _blank_rule(rep, profile.blank_backs)
    _device_events(rep, device_events)
    return rep


def _pairs(rep: QCReport) -> None:
    pages = rep.pages
    for i, p in enumerate(pages):
        if not p.sticky_notes or p.variant == "note_removed":
            continue
        nxt = pages[i + 1] if i + 1 < len(pages) else None
        rel = (nxt.same_as_previous or {}) if nxt is not None else {}
        if nxt is not None and nxt.variant == "note_removed":
            same = bool(rel.get("same"))
            gone = bool(rel.get("note_gone", not nxt.sticky_notes))
            pair = {"with_note": p.index, "note_removed": nxt.index, "verified": same and gone,
                    "inliers": rel.get("inliers", 0), "reason": "ok" if same and gone else
                    ("note_still_present" if same else "different_page")} | _why(rel)
            rep.pairs.append(pair)
            if not same:
                en, vi = _because(rel)
                rep.checks.append(finding(
                    "STICKY_PAIR_MISMATCH", Severity.BLOCK,
                    f"Image {nxt.index + 1} was scanned as image {p.index + 1} without its sticky note, but it is a "
                    f"different page{en}; rescan the right page",
                    f"Ảnh {nxt.index + 1} được quét thay cho ảnh {p.index + 1} sau khi gỡ giấy ghi chú, nhưng là "
                    f"một trang khác{vi}; hãy quét lại đúng trang", [p.index, nxt.index]))
            elif not gone:
                rep.checks.append(finding(
                    "STICKY_NOTE_NOT_REMOVED", Severity.BLOCK,
                    f"Image {nxt.index + 1} still shows the sticky note of image {p.index + 1}; remove it and rescan",
                    f"Ảnh {nxt.index + 1} vẫn còn giấy ghi chú của ảnh {p.index + 1}; hãy gỡ ra và quét lại",
                    [p.index, nxt.index]))
        else:
            rep.pairs.append({"with_note": p.index, "note_removed": None, "verified": False,
                              "inliers": rel.get("inliers", 0), "reason": "missing"} | _why(rel))
            en, vi = ("", "")
            if nxt is not None and rel and not rel.get("same"):
                en, vi = _because(rel)
                en = f" (image {nxt.index + 1} is not it{en})"
                vi = f" (ảnh {nxt.index + 1} không phải trang đó{vi})"
            rep.checks.append(finding(
                "STICKY_NOTE_UNPAIRED", Severity.BLOCK,
                f"Image {p.index + 1} has a sticky note: scan the same page again with the note removed, "
                f"right after it{en}",
                f"Ảnh {p.index + 1} có giấy ghi chú dán: hãy quét lại chính trang đó sau khi gỡ giấy ghi chú, "
                f"ngay sau ảnh này{vi}", [p.index]))


def _why(rel: dict) -> dict[str, str]:
    return {k: rel[k] for k in ("why_en", "why_vi") if rel.get(k)}


def _because(rel: dict) -> tuple[str, str]:
    """' (why)' in English and Vietnamese, or empty strings when the match gave no reason."""
    if not rel.get("why_en"):
        return "", ""
    return f": {rel['why_en']}", f": {rel.get('why_vi', rel['why_en'])}"


def _duplicates(rep: QCReport) -> None:
    by_file = {p.file: p.index for p in rep.pages}
    for p in rep.pages:
        rel = p.same_as_previous
        if not rel or not rel.get("same") or p.variant == "note_removed":
            continue
        of = rel.get("of")
        idx = of if isinstance(of, int) else by_file.get(str(of).rsplit("/", 1)[-1], by_file.get(of))
        if idx is None:
            continue
        p.duplicate_of = idx
        en, vi = _because(rel)
        rep.checks.append(finding(
            "DUPLICATE_PAGE", Severity.BLOCK,
            f"Image {p.index + 1} is the same page as image {idx + 1} (scanned twice?){en}; remove one or override",
            f"Ảnh {p.index + 1} trùng với ảnh {idx + 1} (quét hai lần?){vi}; hãy xóa một ảnh hoặc xác nhận giữ lại",
            [idx, p.index]))


def _counts(rep: QCReport) -> None:
    regular = [p for p in rep.pages if p.variant != "note_removed"]
    extras = len(rep.pages) - len(regular)
    sides = 2 if rep.duplex else 1
    sheets = rep.sheets
    if rep.declared_sheets is not None and sheets != rep.declared_sheets:
        rep.checks.append(finding(
            "PAGE_COUNT_MISMATCH", Severity.BLOCK,
            f"{sheets} sheet(s) captured but {rep.declared_sheets} declared at intake; find the missing or extra "
            "sheet, or correct the declared number",
            f"Đã quét {sheets} tờ nhưng khi tiếp nhận khai {rep.declared_sheets} tờ; hãy tìm tờ thiếu/thừa hoặc "
            "sửa số tờ đã khai", []))
    if rep.duplex:
        fronts = [p for p in regular if p.side == "front"]
        backs = [p for p in regular if p.side == "back"]
        if len(backs) != len(fronts):
            last = [regular[-1].index] if regular else []
            rep.checks.append(finding(
                "IMAGE_COUNT_MISMATCH", Severity.BLOCK,
                f"{len(rep.pages)} image(s) for {sheets} two-sided sheet(s) should be {sheets * sides + extras} "
                f"({extras} sticky-note rescan(s) included): a side is missing",
                f"{len(rep.pages)} ảnh cho {sheets} tờ hai mặt, lẽ ra {sheets * sides + extras} ảnh (kể cả {extras} "
                "ảnh quét lại khi gỡ giấy ghi chú): thiếu một mặt", last))


def _sharpness(rep: QCReport) -> None:
    vals = [p.sharpness for p in rep.pages if p.sharpness is not None]
    if len(vals) < 3:
        return
    med = statistics.median(vals)
    for p in rep.pages:
        if p.sharpness is not None and p.sharpness < BLURRY_RATIO * med:
            p.findings.append(finding(
                "BLURRY", Severity.WARN,
                f"{p.file}: much less sharp than the other pages of this batch ({p.sharpness / med:.0%}); "
                "check the glass and rescan",
                f"{p.file}: ảnh mờ hơn hẳn các trang khác trong lô ({p.sharpness / med:.0%}); lau kính và quét lại"))


def _blank_rule(rep: QCReport, rule: str) -> None:
    backs = [p for p in rep.pages if p.side == "back" and p.readable]
    for p in rep.pages:
        if p.side == "front" and p.variant != "note_removed" and p.verdict == "blank" and p.readable:
            p.findings.append(finding(
                "BLANK_FRONT", Severity.WARN,
                f"{p.file}: this front side looks blank; is the sheet upside down or an empty sheet?",
                f"{p.file}: mặt trước này có vẻ trắng; tờ giấy bị lật ngược hay là tờ trắng?"))
    unsure = [p for p in backs if p.verdict == "unsure"]
    for p in unsure:
        p.findings.append(finding(
            "BLANK_UNSURE", Severity.WARN,
            f"{p.file}: cannot tell whether this back is blank (faint marks); it is kept, look at it",
            f"{p.file}: không chắc mặt sau này trắng (có vết mờ); ảnh được giữ lại, hãy kiểm tra"))
    if not rep.duplex or not backs:
        return
    blank_backs = [p for p in backs if p.verdict == "blank" and not p.sticky_notes]
    if rule == "drop-each":
        to_drop = blank_backs
    else:
        to_drop = blank_backs if len(blank_backs) == len(backs) else []
        if blank_backs and not to_drop:
            rep.checks.append(finding(
                "BLANK_BACKS_KEPT", Severity.INFO,
                f"{len(blank_backs)} of {len(backs)} backs are blank, but not all: every back is kept "
                "(rule: all or none)",
                f"{len(blank_backs)}/{len(backs)} mặt sau để trắng nhưng không phải tất cả: giữ lại mọi mặt sau "
                "(quy tắc: bỏ tất cả hoặc không bỏ mặt nào)", [p.index for p in blank_backs]))
    for p in to_drop:
        p.kept = False
        p.excluded_reason = EXCLUDED_BLANK_BACK
    if to_drop:
        rep.checks.append(finding(
            "BLANK_BACKS_EXCLUDED", Severity.INFO,
            f"{len(to_drop)} blank back(s) left out of the PDF (they stay listed and can be restored)",
            f"Đã bỏ {len(to_drop)} mặt sau để trắng khỏi tệp PDF (vẫn được liệt kê và có thể khôi phục)",
            [p.index for p in to_drop]))


def _device_events(rep: QCReport, events) -> None:
    names = {"double_feed": ("double feed", "kéo hai tờ cùng lúc"), "jam": ("paper jam", "kẹt giấy")}
    for ev in events:
        if ev.resolved:
            continue
        en, vi = names.get(ev.kind, (ev.kind.replace("_", " "), ev.kind))
        where_en = f" near image {ev.page + 1}" if ev.page is not None else ""
        where_vi = f" gần ảnh {ev.page + 1}" if ev.page is not None else ""
        rep.checks.append(finding(
            "DEVICE_EVENT", Severity.BLOCK,
            f"The scanner reported a {en}{where_en}; check those sheets and rescan them, then confirm",
            f"Máy quét báo {vi}{where_vi}; hãy kiểm tra và quét lại các tờ đó, rồi xác nhận",
            [ev.page] if ev.page is not None else []))


def restore_page(rep: QCReport, index: int, by: str, reason: str = "") -> PageResult:
    """Put an excluded page back into the output (the clerk's choice, recorded)."""
    p = next((q for q in rep.pages if q.index == index), None)
    if p is None:
        raise ValidationError(f"No image {index} in this component", f"Không có ảnh số {index} trong thành phần này",
                              field="page")
    if p.kept:
        return p
    rep.restorations.append({"index": index, "by": by, "reason": reason, "was": p.excluded_reason,
                             "at": datetime.now(UTC).isoformat()})
    p.kept, p.excluded_reason = True, None
    return p
