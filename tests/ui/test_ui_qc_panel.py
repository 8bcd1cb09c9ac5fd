"""QC panel: findings listed blocking first, the page shown, the fix one key away, overrides with a reason."""

from PySide6.QtCore import Qt

from scanstation.dossier_io import load_dossier_file
from scanstation.resources import resource
from scanstation.ui import services
from tests.ui.ui_keys import type_text
from tests.ui.ui_pages import add_pages, set_checks


def _setup(w, checks_for_first):
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    for c in d.components:
        if c.digitised:
            add_pages(st, d, wa, c, c.declared_sheets)
    w.ctx.open_dossier(d, wa)
    for c in d.components:
        set_checks(w.ctx, c, checks_for_first if c is d.components[0] else [])
    w.ctx.findings_changed.emit()
    return d, wa


BLOCK = {"code": "PAGE_COUNT_MISMATCH", "severity": "block", "message_vi": "Số tờ quét (2) khác số tờ đã khai (3)",
         "message_en": "2 sheets scanned, 3 declared", "pages": [], "overridable": True}
EXCLUDED = {"code": "BLANK_BACK_EXCLUDED", "severity": "info", "message_vi": "Đã loại mặt sau trắng",
            "message_en": "Blank back excluded", "pages": [1], "overridable": True}
WARN = {"code": "SKEW", "severity": "warn", "message_vi": "Trang bị nghiêng 3,1°", "message_en": "Page skewed 3.1°",
        "pages": [2], "overridable": True}


def test_findings_are_ordered_and_translated(make_window, qtbot):
    w = make_window(language="vi")
    _setup(w, [WARN, EXCLUDED, BLOCK])
    w.show_screen("qc")
    q = w.screens["qc"]
    texts = [q.findings.item(i).text() for i in range(q.findings.count())]
    assert texts[0].startswith("✗ Giấy chứng sinh: Số tờ quét (2)")
    assert texts[1].startswith("⚠") and texts[2].startswith("ℹ")
    assert "Chưa thể ký số: còn 1 lỗi" in q.banner.text()
    q.findings.setCurrentRow(1)
    qtbot.waitUntil(lambda: q.preview.has_image(), timeout=5000)
    assert "Tờ 2 · mặt trước" in q.detail.text()


def test_override_with_reason_from_the_keyboard_unblocks_signing(make_window, qtbot):
    w = make_window()
    d, wa = _setup(w, [BLOCK])
    w.show_screen("qc")
    q = w.screens["qc"]
    q.findings.setFocus()
    assert not w.screens["sign"].sign_btn.isEnabled()
    qtbot.keyClick(q.findings, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert q.reason_row.isVisible()
    qtbot.keyClick(q.reason, Qt.Key.Key_Return)                    # empty reason: refused
    assert q.reason_row.isVisible() and "reason first" in w.message_bar.text.text()
    type_text(q.reason, "Người nộp chỉ mang 2 tờ, tờ 3 nộp bổ sung sau")
    qtbot.keyClick(q.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: services.blocking_count(w.ctx) == 0)
    qtbot.waitUntil(lambda: "Nothing blocks signing" in q.banner.text())
    assert "Accepted by" in q.findings.item(0).text()
    ev = [e for e in w.ctx.station.audit.events() if e.action == "qc.override"]
    assert ev[0].details["code"] == "PAGE_COUNT_MISMATCH" and "tờ 3" in ev[0].details["reason"]
    w.ctx.open_dossier(d, wa)                                     # a restart: overrides come back from the journal
    for c in d.components:
        set_checks(w.ctx, c, [BLOCK] if c is d.components[0] else [])
    assert services.blocking_count(w.ctx) == 0
    reopened = services.load_dossier(w.ctx.station, d.id)        # the same, from the database and journal alone
    assert list(reopened.overrides.values())[0]["reason"].endswith("nộp bổ sung sau")


def test_enter_restores_an_excluded_page(make_window, qtbot):
    w = make_window()
    d, wa = _setup(w, [])
    comp = d.components[0]
    services.toggle_exclude(w.ctx, d, wa, comp, comp.pages[1].id, "blank back")
    set_checks(w.ctx, comp, [dict(EXCLUDED, severity="warn")])
    services.checking.FIX_BY_CODE["BLANK_BACK_EXCLUDED"] = "restore"
    try:
        w.show_screen("qc")
        q = w.screens["qc"]
        q.refresh()
        assert q.fix_btn.text().startswith("Restore the excluded page")
        q.findings.setFocus()
        q.findings.setCurrentRow(0)
        qtbot.keyClick(q.findings, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: comp.pages[1].kept)
    finally:
        services.checking.FIX_BY_CODE.pop("BLANK_BACK_EXCLUDED", None)


def test_page_findings_name_the_sheet_and_side_not_the_file(make_window, qtbot):
    from pathlib import Path

    w = make_window(language="vi")
    d, _ = _setup(w, [])
    comp = d.components[0]
    page = comp.pages[2]
    name = Path(page.file).name
    page.qc = {"findings": [{"code": "PAGE_CUT_OFF", "severity": "block", "overridable": True,
                             "message_vi": f"{name}: trang bị mất một phần ở mép phải",
                             "message_en": f"{name}: the page runs off the image at the right edge"}]}
    w.ctx.findings_changed.emit()
    w.show_screen("qc")
    q = w.screens["qc"]
    texts = [q.findings.item(i).text() for i in range(q.findings.count())]
    assert any("Tờ 2 · mặt trước: trang bị mất một phần" in t for t in texts), texts
    assert not any(name in t for t in texts)


def test_pages_changed_since_the_check_are_checked_again_when_the_clerk_looks(make_window, qtbot):
    w = make_window()
    d, wa = _setup(w, [])
    comp = d.components[0]
    services.rotate_page(w.ctx, d, wa, comp, comp.pages[0].id, 90)   # the page changed: its check is stale
    assert services.stale_components(w.ctx) == [comp]
    assert not services.qc_ran(w.ctx)
    w.show_screen("qc")
    qtbot.waitUntil(lambda: not services.stale_components(w.ctx), timeout=60_000)
    assert w.ctx.session.checks[comp.id]["pages"] == [p.id for p in comp.pages]
