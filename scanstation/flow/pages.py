"""Page operations a clerk does on a component: exclude, restore, remove, reorder, rotate; and where pages sit.

Each operation is journaled first (the journal is the truth after a crash), then mirrored to the
database and written to the audit log. Image files are never deleted: a removed or replaced page's
file stays in the work area.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from scanstation.errors import ValidationError
from scanstation.flow.session import DossierSession
from scanstation.model import Component, Page, PageVariant

#: QC's reason for a blank back the all-or-none rule leaves out (scanstation.qc.EXCLUDED_BLANK_BACK)
EXCLUDED_BY_QC = "blank_back"


# --- where pages sit ------------------------------------------------------------------------------
def is_rescan(p: Page) -> bool:
    """A page scanned again after its sticky note was taken off (it belongs to the page before it)."""
    return p.variant == PageVariant.NOTE_REMOVED


def layout(c: Component) -> dict[str, tuple[int, str]]:
    """Page id -> (sheet, side) from the feed order, the way QC counts: front, back, front ... (duplex)
    or front, front ... ; a rescan without the sticky note belongs to the page before it."""
    sides = 2 if c.duplex else 1
    out: dict[str, tuple[int, str]] = {}
    regular = 0
    prev: tuple[int, str] = (1, "front")
    for p in c.pages:
        if is_rescan(p):
            out[p.id] = prev
            continue
        prev = (regular // sides + 1, "front" if regular % sides == 0 else "back")
        out[p.id] = prev
        regular += 1
    return out


def sheets_captured(c: Component) -> int:
    regular = sum(1 for p in c.pages if not is_rescan(p))
    sides = 2 if c.duplex else 1
    return -(-regular // sides)


def pages_of_sheet(c: Component, sheet: int) -> list[Page]:
    lay = layout(c)
    return [p for p in c.pages if lay[p.id][0] == sheet and not is_rescan(p)]


def notes_on(p: Page) -> list[dict[str, Any]]:
    return list((p.qc or {}).get("sticky_notes") or [])


def expected_images(c: Component) -> int:
    notes = sum(1 for p in c.pages if notes_on(p) and not is_rescan(p))
    return c.declared_sheets * (2 if c.duplex else 1) + notes


def unpaired_note(c: Component) -> Page | None:
    """The first kept page with a sticky note not yet followed by its scan with the note removed."""
    for i, p in enumerate(c.pages):
        if is_rescan(p) or not notes_on(p) or not p.kept:
            continue
        nxt = c.pages[i + 1] if i + 1 < len(c.pages) else None
        if nxt is None or not is_rescan(nxt):
            return p
    return None


# --- undo -----------------------------------------------------------------------------------------
MAX_UNDO = 50


@dataclass(frozen=True)
class PageState:
    """One page of a component as it was before an operation (the Page object, and what may change on it)."""

    page: Page
    kept: bool
    excluded_reason: str | None
    variant: PageVariant


@dataclass(frozen=True)
class UndoStep:
    """What a component's pages were before one of the clerk's operations (``label``: exclude, restore,
    remove, order, rotate, capture.<action>)."""

    label: str
    component_id: str
    pages: tuple[PageState, ...]
    clerk_excluded: frozenset[str]
    clerk_restored: frozenset[str]


def remember(s: DossierSession, c: Component, label: str) -> UndoStep:
    """Note the component's pages before an operation, so that :func:`undo` can bring them back."""
    with s.lock:
        ids = {p.id for p in c.pages}
        step = UndoStep(label, c.id, tuple(PageState(p, p.kept, p.excluded_reason, p.variant) for p in c.pages),
                        frozenset(s.clerk_excluded & ids), frozenset(s.clerk_restored & ids))
        s.undo_steps.append(step)
        del s.undo_steps[:-MAX_UNDO]
        return step


def forget(s: DossierSession, step: UndoStep) -> None:
    """Drop a remembered step whose operation changed nothing (a scan that brought no page)."""
    with s.lock:
        if step in s.undo_steps:
            s.undo_steps.remove(step)


def can_undo(s: DossierSession) -> bool:
    return bool(s.undo_steps)


def undo(s: DossierSession) -> UndoStep | None:
    """Take back the clerk's last page operation: journal the operations that turn the component's pages
    back into what they were (remove what came since, reinstate what went, exclude/restore, variants,
    order), so a replay of the journal gives the same pages as the window. None when nothing to undo."""
    with s.lock:
        if not s.undo_steps:
            return None
        step = s.undo_steps.pop()
        c = s.component(step.component_id)
        before_ids = [st.page.id for st in step.pages]
        wanted = set(before_ids)
        now = {p.id: p for p in c.pages}
        for p in c.pages:
            if p.id not in wanted:
                s.journal("remove", page=p.id, component=c.id, by="undo")
        for st in step.pages:
            if st.page.id not in now:
                s.journal("reinstate", page=st.page.id, component=c.id)
        for st in step.pages:
            p = st.page
            was_excl, was_rest = p.id in step.clerk_excluded, p.id in step.clerk_restored
            current_kept = now[p.id].kept if p.id in now else p.kept
            marks_changed = (p.id in s.clerk_excluded) != was_excl or (p.id in s.clerk_restored) != was_rest
            if current_kept != st.kept or (p.id in now and marks_changed):
                if st.kept:
                    s.journal("restore", page=p.id, by="undo", clerk_excluded=was_excl, clerk_restored=was_rest)
                else:
                    s.journal("exclude", page=p.id, reason=st.excluded_reason or "", by="undo",
                              clerk_excluded=was_excl, clerk_restored=was_rest)
            if p.variant != st.variant:
                s.journal("variant", page=p.id, variant=st.variant.value)
            p.kept, p.excluded_reason, p.variant = st.kept, st.excluded_reason, st.variant
            s.clerk_excluded.discard(p.id)
            s.clerk_restored.discard(p.id)
            if was_excl:
                s.clerk_excluded.add(p.id)
            if was_rest:
                s.clerk_restored.add(p.id)
        if [p.id for p in c.pages] != before_ids:
            s.journal("order", component=c.id, pages=before_ids)
        c.pages = [st.page for st in step.pages]
        s.audit("page.undone", component=c.id, operation=step.label)
        s.save(c)
        return step


# --- operations -----------------------------------------------------------------------------------
def exclude(s: DossierSession, c: Component, page: Page, reason: str = "excluded by the clerk") -> None:
    """Leave a page out of the file (it stays in the work area and can be restored)."""
    with s.lock:
        if not page.kept:
            return
        remember(s, c, "exclude")
        s.journal("exclude", page=page.id, reason=reason, by="clerk")
        page.kept, page.excluded_reason = False, reason
        s.clerk_excluded.add(page.id)
        s.clerk_restored.discard(page.id)
        s.audit("page.excluded", page=page.id, component=c.id, reason=reason)
        s.save(c)


def restore(s: DossierSession, c: Component, page: Page) -> None:
    """Put an excluded page back into the file (QC's blank-back rule will not exclude it again)."""
    with s.lock:
        if page.kept:
            return
        remember(s, c, "restore")
        s.journal("restore", page=page.id, by="clerk")
        page.kept, page.excluded_reason = True, None
        s.clerk_restored.add(page.id)
        s.clerk_excluded.discard(page.id)
        s.audit("page.restored", page=page.id, component=c.id)
        s.save(c)


def remove_sheet(s: DossierSession, c: Component, page: Page) -> list[Page]:
    """Take out the whole sheet ``page`` is on: both sides, and a rescan without its sticky note. Removing one
    side alone would shift every later page (the back of the sheet would become the next front)."""
    with s.lock:
        lay = layout(c)
        sheet = lay[page.id][0]
        gone = [p for p in c.pages if lay[p.id][0] == sheet]
        remove(s, c, [p.id for p in gone])
        return gone


def toggle_exclude(s: DossierSession, c: Component, page: Page, reason: str) -> None:
    if page.kept:
        exclude(s, c, page, reason)
    else:
        restore(s, c, page)


def remove(s: DossierSession, c: Component, page_ids: list[str]) -> None:
    """Take pages out of the component (journaled; their image files stay on disk; one undo step)."""
    with s.lock:
        gone = set(page_ids) & {p.id for p in c.pages}
        if gone:
            remember(s, c, "remove")
        for pid in page_ids:
            if pid in gone:
                s.journal("remove", page=pid, component=c.id)
                s.audit("page.removed", page=pid, component=c.id)
        c.pages = [p for p in c.pages if p.id not in gone]
        s.save(c)


def reorder(s: DossierSession, c: Component, page_ids: list[str]) -> None:
    with s.lock:
        pos = {pid: i for i, pid in enumerate(page_ids)}
        remember(s, c, "order")
        c.pages.sort(key=lambda q: pos.get(q.id, len(pos)))
        s.journal("order", component=c.id, pages=[p.id for p in c.pages])
        s.audit("pages.reordered", component=c.id)
        s.save(c)


def rotate(s: DossierSession, c: Component, page: Page, degrees: int) -> Page:
    """Rotate by writing a new image (the original file stays) journaled as a replacement."""
    from PIL import Image

    if degrees % 90:
        raise ValidationError(f"A page turns by a multiple of 90 degrees, not {degrees}",
                              "Chỉ xoay trang theo bội số của 90 độ", field="degrees")
    src = s.workarea.root / page.file
    with Image.open(src) as im:
        fmt = im.format or "PNG"
        kw: dict[str, Any] = {}
        if im.info.get("dpi"):
            kw["dpi"] = im.info["dpi"]
        if im.info.get("icc_profile"):
            kw["icc_profile"] = im.info["icc_profile"]
        if fmt == "JPEG":
            kw.update(quality=95, subsampling=0)
        rotated = im.rotate(-degrees, expand=True)  # PIL turns counter-clockwise; +90 here means clockwise
        buf = io.BytesIO()
        rotated.save(buf, format=fmt, **kw)
        size = rotated.size
    with s.lock:
        remember(s, c, "rotate")
        new = s.workarea.add_page(c.id, buf.getvalue(), ext=src.suffix.lstrip("."), sheet=page.sheet,
                                  side=page.side, variant=page.variant, device=page.device, dpi=page.dpi,
                                  mode=page.mode, width=size[0], height=size[1], captured_at=page.captured_at)
        s.journal("replace", page=page.id, by=new.id, keep_state=True)
        new.kept, new.excluded_reason = page.kept, page.excluded_reason
        c.pages[c.pages.index(page)] = new
        s.audit("page.rotated", page=page.id, degrees=degrees, new_page=new.id)
        s.save(c)
    return new
