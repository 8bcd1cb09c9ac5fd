"""Capture: drive the scanner for one clerk action and put the new pages where the action says.

Actions: ``append`` (scan, or continue), ``rescan`` a sheet in place, ``insert`` before a page,
``replace`` one page, ``note_removed`` (the second scan of a page whose sticky note was taken off).
Each page is written and journaled by :mod:`scanstation.devices` before the next is fed; the moves
that follow (replace, insert, variant, order) are journaled too, so a crash at any moment leaves a
dossier that reopens with every acknowledged page where the clerk put it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanstation.errors import Cancelled, ScanStationError, ValidationError
from scanstation.flow import calibration
from scanstation.flow.pages import forget, layout, pages_of_sheet, remember, sheets_captured
from scanstation.flow.session import DossierSession, exclusive
from scanstation.model import Component, DossierStatus, Page, PageVariant, new_id
from scanstation.progress import NULL_PROGRESS, Progress

ACTIONS = ("append", "rescan", "insert", "replace", "note_removed")

#: The virtual scanner's sample sheets for the k-th component (0-based) come from seed VIRTUAL_SEED + k:
#: chosen so the sample dossier shows what a clerk meets (blank backs; a sticky note; backs with content).
VIRTUAL_SEED = 4

#: scanner stops that leave something for the clerk to look at (a sheet may be missing or doubled)
EVENT_CODES = {"DEVICE_DOUBLE_FEED": "double_feed", "DEVICE_JAMMED": "jam", "DEVICE_PAPER_JAM": "jam",
               "DEVICE_FEEDER_EMPTY": "feeder_empty", "DEVICE_COVER_OPEN": "cover_open", "DEVICE_GONE": "gone",
               "DEVICE_DRIVER_CRASHED": "driver_crashed", "DEVICE_HUNG": "driver_hung"}


@dataclass(frozen=True)
class CaptureAction:
    """What the clerk asked for, frozen. ``target`` is a page id (rescan/insert/replace/note_removed)."""

    component_id: str
    action: str = "append"
    target: str | None = None
    profile: str | None = None          # saved scanner profile name (default: scanner.profile)
    device: str | None = None
    source: str | None = None
    dpi: int | None = None
    mode: str | None = None
    options: tuple[str, ...] = ()
    sheets: int | None = None           # how many sheets to feed (default: what is left to scan)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValidationError(f"Unknown capture action '{self.action}' ({', '.join(ACTIONS)})",
                                  f"Thao tác quét không hợp lệ: '{self.action}'", field="action")
        if self.action != "append" and not self.target:
            raise ValidationError(f"'{self.action}' needs the page it applies to",
                                  "Cần chọn trang để thực hiện thao tác này", field="page")


@dataclass
class CaptureOutcome:
    pages: list[Page]
    device: str = ""
    stopped: ScanStationError | None = None
    event: dict[str, Any] | None = None     # the scanner event the clerk must resolve, if one was raised
    warnings: list[str] = field(default_factory=list)
    warnings_vi: list[str] = field(default_factory=list)    # the same warnings for the window (Vietnamese)

    @property
    def event_en(self) -> str:
        return self.stopped.message_en if self.stopped is not None and self.event is not None else ""

    @property
    def event_vi(self) -> str:
        return self.stopped.message_vi if self.stopped is not None and self.event is not None else ""


OnPage = Callable[[Page, float, Any], None]


def scan(s: DossierSession, act: CaptureAction, progress: Progress = NULL_PROGRESS,
         on_page: OnPage | None = None) -> CaptureOutcome:
    """Run one capture action. ``on_page(page, perf_counter, preview)`` is called on the device thread
    as each page is on disk. Refuses at once when another capture holds this dossier, or when the
    disk has less free space than ``storage.min_free_mb``."""
    from scanstation.devices import Overrides, capabilities, get_profile, open_scanner, to_request
    from scanstation.devices import capture as run_capture

    d = s.dossier
    c = s.component(act.component_id)
    if not c.digitised:
        raise ValidationError(f"Component '{c.name}' is not digitised (class {c.digitisation_class.value})",
                              f"Thành phần '{c.name}' không thuộc diện số hóa", field="component")
    target = s.page(c, act.target) if act.target else None
    prof = get_profile(s.settings, act.profile or None)
    if act.device:
        prof = dataclasses.replace(prof, device=act.device)
    caps = capabilities(prof.device)
    virtual = caps.device.driver == "virtual"
    if act.action == "append":
        first = sheets_captured(c) + 1
        left = max(c.declared_sheets - sheets_captured(c), 1) if c.declared_sheets else None
        count = act.sheets or (left if virtual else None)   # a real feeder: everything the clerk put in
    else:
        assert target is not None
        first = layout(c)[target.id][0]
        count = 1
    one_side = act.action in ("replace", "note_removed")
    options = tuple(act.options)
    if virtual:                                             # the sample dossier: which sheets are "in the feeder"
        given = {o.split("=", 1)[0] for o in options}
        defaults = {"seed": str(VIRTUAL_SEED + d.components.index(c)), "first-sheet": str(first),
                    "sheets": str(count or c.declared_sheets or 1)}
        if act.action == "note_removed":
            defaults["notes-off"] = str(first)
        if act.action in ("rescan", "replace"):
            defaults["refeed"] = str(first)                 # fed again with care: straight, whole
        options += tuple(f"{k}={v}" for k, v in defaults.items() if k not in given)
    if prof.locked:
        if act.source or act.dpi or act.mode or act.options:
            from scanstation.errors import ScanProfileLocked

            raise ScanProfileLocked(
                f"Scanner profile '{prof.name}' is locked by IT staff; its settings cannot be changed at scan time",
                f"Cấu hình quét '{prof.name}' đã được cán bộ CNTT khóa, không thể thay đổi khi quét",
                field="scanner.profile")
        overrides = Overrides(max_sheets=count)
    else:
        src = act.source or prof.source
        if not act.source:
            if one_side or not c.duplex:
                src = "adf" if "adf" in caps.sources else "flatbed"
            elif "adf-duplex" in caps.sources:
                src = "adf-duplex"
        overrides = Overrides(source=src, dpi=act.dpi, mode=act.mode, options=options, max_sheets=count)
    request = to_request(prof, caps, s.settings.profile, overrides)
    s.workarea.check_space(s.settings.get("storage.min_free_mb"))
    uncalibrated = calibration.gate(s.station, request.device)   # block mode raises here: nothing journaled

    with exclusive(s.workarea.root, f"Dossier {d.receipt_code}", f"Hồ sơ {d.receipt_code}"):
        if d.status == DossierStatus.INTAKE:
            s.set_status(DossierStatus.CAPTURING)
        new: list[Page] = []
        step = remember(s, c, f"capture.{act.action}")      # Ctrl+Z takes the pages of this scan back out

        def page_done(pc: Any) -> None:
            with s.lock:
                c.pages.append(pc.page)
                new.append(pc.page)
            if on_page is not None:
                on_page(pc.page, time.perf_counter(), pc.preview)

        stop: ScanStationError | None = None
        try:
            res = run_capture(request, s.workarea, c.id, on_page=page_done, progress=progress,
                              scanner=open_scanner(request.device), raise_on_stop=False)
            stop = res.error
        except Cancelled as e:
            stop = e
        with s.lock:
            if not new:
                forget(s, step)
            _place(s, c, act, target, new)
            event = _record_event(s, c, stop, first, new) if stop is not None else None
            s.save(c)
            s.audit(f"capture.{act.action}", component=c.id, pages=[p.id for p in new], device=request.device,
                    stopped=stop.code if stop else None)
    return CaptureOutcome(pages=new, device=request.device, stopped=stop, event=event,
                          warnings=[uncalibrated.message_en] if uncalibrated is not None else [],
                          warnings_vi=[uncalibrated.message_vi] if uncalibrated is not None else [])


def _record_event(s: DossierSession, c: Component, stop: ScanStationError, first: int,
                  new: list[Page]) -> dict[str, Any] | None:
    """A scanner stop that may have lost or doubled a sheet becomes an event the clerk must resolve."""
    kind = EVENT_CODES.get(stop.code)
    if kind is None:
        return None
    sheet = stop.details.get("sheet")
    ev: dict[str, Any] = {"id": new_id()[:12], "component": c.id, "code": stop.code, "kind": kind,
          "sheet": int(sheet) if sheet is not None else first + len(new) // (2 if c.duplex else 1),
          "message_en": stop.message_en, "message_vi": stop.message_vi,
          "at": datetime.now(UTC).isoformat()}
    s.journal("event", event=ev)
    ev["resolved"] = None
    s.events[ev["id"]] = ev
    s.audit("scanner.event", component=c.id, event=ev["id"], code=stop.code, sheet=ev["sheet"])
    return ev


def resolve_event(s: DossierSession, event_id: str, reason: str) -> dict[str, Any]:
    """The clerk says what was done about a scanner event (sheet checked, rescanned...). A reason is required."""
    with s.lock:
        ev = s.events.get(event_id)
        if ev is None:
            raise ValidationError(f"No scanner event '{event_id}' in dossier {s.dossier.receipt_code}"
                                  f" (events: {', '.join(s.events) or 'none'})",
                                  f"Không có sự cố máy quét '{event_id}'", field="event")
        if not reason.strip():
            raise ValidationError("Resolving a scanner event needs a reason (what was checked or done)",
                                  "Cần ghi rõ đã kiểm tra hoặc xử lý sự cố máy quét thế nào", field="reason")
        s.journal("event_resolved", event=event_id, by=s.actor, reason=reason.strip())
        ev["resolved"] = {"by": s.actor, "reason": reason.strip(), "at": datetime.now(UTC).isoformat()}
        s.audit("scanner.event_resolved", event=event_id, code=ev.get("code"), reason=reason.strip())
        return ev


def _place(s: DossierSession, c: Component, act: CaptureAction, target: Page | None, new: list[Page]) -> None:
    """Put freshly captured pages where the clerk's action says (they arrived at the end)."""
    if not new or act.action == "append" or target is None:
        return
    rest = [p for p in c.pages if p not in new]
    if target not in rest:
        return
    if act.action == "rescan":
        old = [p for p in pages_of_sheet(c, layout(c)[target.id][0]) if p not in new]
        for o, n in zip(old, new):
            s.journal("replace", page=o.id, by=n.id, reason="rescanned")
            rest[rest.index(o)] = n
        for o in old[len(new):]:
            s.journal("remove", page=o.id, component=c.id)
            rest.remove(o)
        extra_new = new[len(old):]
        if extra_new:
            at = rest.index(new[min(len(old), len(new)) - 1]) + 1 if old else len(rest)
            rest[at:at] = extra_new
    elif act.action == "replace":
        if target.variant != PageVariant.NORMAL:       # a rescan without the note stays one
            new[0].variant = target.variant
            s.journal("variant", page=new[0].id, variant=target.variant.value)
        s.journal("replace", page=target.id, by=new[0].id, reason="replaced")
        rest[rest.index(target)] = new[0]
        for extra in new[1:]:
            s.journal("remove", page=extra.id, component=c.id)
    elif act.action == "insert":
        at = rest.index(target)
        rest[at:at] = new
    elif act.action == "note_removed":
        at = rest.index(target) + 1
        rest[at:at] = new[:1]
        new[0].variant = PageVariant.NOTE_REMOVED
        s.journal("variant", page=new[0].id, variant=PageVariant.NOTE_REMOVED.value)
        for extra in new[1:]:
            s.journal("remove", page=extra.id, component=c.id)
    c.pages = rest
    if act.action in ("insert", "note_removed", "rescan"):
        s.journal("order", component=c.id, pages=[p.id for p in c.pages])
