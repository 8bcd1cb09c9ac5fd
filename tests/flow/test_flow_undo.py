"""Undo of page operations: each one journaled as its inverse, so reopening the dossier (one replay of the
journal) gives exactly the pages the clerk sees after Ctrl+Z."""

from __future__ import annotations

from scanstation.flow import pages
from scanstation.flow.session import open_dossier
from tests.ui.ui_pages import add_pages


def _state(c):
    return [(p.id, p.kept, p.excluded_reason, p.variant.value) for p in c.pages]


def _reopened(s, c):
    again = open_dossier(s.station, s.dossier.id)
    return again, again.dossier.component(c.id)


def _session_with_pages(sample_session):
    s = sample_session
    c = s.dossier.components[0]                 # 2 sheets, two-sided
    add_pages(s.station, s.dossier, s.workarea, c, 2)
    return s, c


def test_every_page_operation_is_undone_through_the_journal(sample_session):
    s, c = _session_with_pages(sample_session)
    start = _state(c)
    ids = [p.id for p in c.pages]
    pages.exclude(s, c, c.pages[1], "mặt sau trắng")
    pages.reorder(s, c, [ids[2], ids[3], ids[0], ids[1]])
    rotated = pages.rotate(s, c, c.pages[0], 90)
    pages.remove(s, c, [c.pages[3].id])
    assert len(c.pages) == 3 and rotated.id in [p.id for p in c.pages]
    labels = []
    while (step := pages.undo(s)) is not None:
        labels.append(step.label)
        again, c2 = _reopened(s, c)
        assert _state(c2) == _state(c)               # the journal says what the window shows, at each step
        assert again.clerk_excluded == s.clerk_excluded and again.clerk_restored == s.clerk_restored
    assert labels == ["remove", "rotate", "order", "exclude"]
    assert _state(c) == start and not s.clerk_excluded
    assert not pages.can_undo(s) and pages.undo(s) is None
    actions = [e.action for e in s.station.audit.events()]
    assert actions.count("page.undone") == 4


def test_undoing_a_restore_puts_the_clerks_exclusion_back(sample_session):
    s, c = _session_with_pages(sample_session)
    back = c.pages[3]
    pages.exclude(s, c, back, "giấy trắng")
    pages.restore(s, c, back)
    assert back.kept and back.id in s.clerk_restored
    assert pages.undo(s).label == "restore"
    assert not back.kept and back.excluded_reason == "giấy trắng" and back.id in s.clerk_excluded
    again, c2 = _reopened(s, c)
    assert not c2.pages[3].kept and back.id in again.clerk_excluded and back.id not in again.clerk_restored


def test_del_removes_the_whole_sheet_and_undo_brings_both_sides_back(sample_session):
    s, c = _session_with_pages(sample_session)
    start = _state(c)
    gone = pages.remove_sheet(s, c, c.pages[1])           # the back of sheet 1: the front goes with it
    assert [p.id for p in gone] == [start[0][0], start[1][0]]
    assert [pages.layout(c)[p.id] for p in c.pages] == [(1, "front"), (1, "back")]   # sheet 2 became sheet 1
    again, c2 = _reopened(s, c)
    assert _state(c2) == _state(c)
    pages.undo(s)
    assert _state(c) == start
    again, c2 = _reopened(s, c)
    assert _state(c2) == start


def _blank_png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (827, 1169), "white").save(buf, "PNG", dpi=(100, 100))
    return buf.getvalue()


def test_restoring_one_blank_back_keeps_all_backs_and_the_finding_says_so(sample_session):
    """All or none: after the clerk restores one of two blank backs and the component is checked again, both
    backs stay and no finding still says they were left out."""
    from scanstation.flow import checking
    from scanstation.model import Side
    from tests.ui.ui_pages import page_png

    s = sample_session
    c = s.dossier.components[0]
    for sheet in (1, 2):
        for side, data in ((Side.FRONT, page_png(f"{c.name} {sheet}")), (Side.BACK, _blank_png())):
            c.pages.append(s.workarea.add_page(c.id, data, ext="png", sheet=sheet, side=side, dpi=(100, 100),
                                               mode="RGB", width=827, height=1169, device="test"))
    s.save(c)
    checking.check(s, components=[c])
    backs = [c.pages[1], c.pages[3]]
    codes = [f["code"] for f in s.checks[c.id]["findings"]]
    assert "BLANK_BACKS_EXCLUDED" in codes and not any(p.kept for p in backs)
    pages.restore(s, c, backs[0])
    checking.check(s, components=[c])
    codes = [f["code"] for f in s.checks[c.id]["findings"]]
    assert all(p.kept for p in backs)
    assert "BLANK_BACKS_EXCLUDED" not in codes and "BLANK_BACKS_KEPT" in codes
    again, c2 = _reopened(s, c)
    assert [p.kept for p in c2.pages] == [True] * 4


def test_a_whole_component_scanned_wrong_is_one_finding_with_one_fix(sample_session):
    """100-dpi grey scans: not one finding per page and reason, one "rescan the component"."""
    import io

    from PIL import Image

    from scanstation.flow import checking
    from scanstation.model import Side

    s = sample_session
    c = s.dossier.components[1]                       # 3 sheets, two-sided
    for sheet in range(1, 4):
        for side in (Side.FRONT, Side.BACK):
            im = Image.open(io.BytesIO(__import__("tests.ui.ui_pages", fromlist=["page_png"]).page_png(
                f"{c.name} {sheet} {side.value}"))).convert("L")
            buf = io.BytesIO()
            im.save(buf, "PNG", dpi=(100, 100))
            c.pages.append(s.workarea.add_page(c.id, buf.getvalue(), ext="png", sheet=sheet, side=side,
                                               dpi=(100, 100), mode="L", width=827, height=1169, device="test"))
    s.save(c)
    found = [f for f in checking.check(s, components=[c]) if f.component_id == c.id]
    grouped = [f for f in found if f.code == "COMPONENT_RESCAN"]
    assert len(grouped) == 1 and len(grouped[0].page_ids) == len([p for p in c.pages if p.kept])
    assert "Cả" in grouped[0].message_vi and "quét lại cả thành phần" in grouped[0].message_vi
    assert grouped[0].fix == "rescan_all"
    assert not [f for f in found if f.source == "page" and f.severity == "block" and f.code != "COMPONENT_RESCAN"]
