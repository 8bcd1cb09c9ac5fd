"""Intake edits the open dossier; Ctrl+N is a new one; a receipt code already taken offers that dossier."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from scanstation.ui import services
from tests.ui.ui_keys import type_text


def _key(qtbot, w, key, mod=Qt.KeyboardModifier.NoModifier):
    if QApplication.activeWindow() is None:       # offscreen: nothing re-activates the window by itself
        with qtbot.waitActive(w):
            w.activateWindow()
    qtbot.keyClick(QApplication.focusWidget() or w, key, mod)


def _create_sample(qtbot, w):
    w.new_dossier()
    intake = w.screens["intake"]
    intake.load_sample()
    _key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.ctx.dossier is not None and w.current_screen().key == "capture", timeout=10000)
    return w.ctx.dossier


def test_intake_corrects_the_open_dossier_and_ctrl_enter_makes_no_second_one(make_window, qtbot):
    w = make_window(demo=True, language="vi")
    d = _create_sample(qtbot, w)
    _key(qtbot, w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    intake = w.screens["intake"]
    assert w.current_screen() is intake
    assert intake.editing == d.id and d.receipt_code in intake.mode_label.text()
    assert intake.receipt.text() == d.receipt_code and intake.applicant.name.text() == d.applicant.name
    intake.applicant.name.selectAll()
    intake.applicant.name.setFocus()
    type_text(intake.applicant.name, "Nguyễn Thị Hồng Nhung B")
    row = intake.rows[0]
    row.sheets.setValue(row.sheets.value() + 1)                  # a wrong sheet count, corrected
    comp_id = d.components[0].id
    _key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "đã lưu thay đổi" in w.message_bar.text.text(), timeout=10000)
    assert d.applicant.name == "Nguyễn Thị Hồng Nhung B"
    assert d.components[0].id == comp_id and d.components[0].declared_sheets == row.sheets.value()
    rows = w.ctx.station.list_dossiers()
    assert len(rows) == 1                                        # corrected, not a second dossier
    again = services.load_dossier(w.ctx.station, d.id).dossier
    assert again.applicant.name == "Nguyễn Thị Hồng Nhung B"
    assert "dossier.edited" in [e.action for e in w.ctx.station.audit.events()]


def test_new_dossier_is_separate_and_a_taken_receipt_code_offers_that_dossier(make_window, qtbot):
    w = make_window(demo=True, language="vi")
    first = _create_sample(qtbot, w)
    _key(qtbot, w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    intake = w.screens["intake"]
    assert w.current_screen().key == "intake" and intake.editing == "" and not intake.receipt.text()
    assert QApplication.focusWidget() is intake.receipt
    intake.load_sample()
    intake.receipt.setText(first.receipt_code)
    w.ctx.close_dossier()
    _key(qtbot, w, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: intake.open_dup_btn.isVisible(), timeout=10000)
    assert first.receipt_code in intake.error.text()
    assert len(w.ctx.station.list_dossiers()) == 1
    _key(qtbot, w, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.ctx.dossier is not None and w.ctx.dossier.id == first.id, timeout=10000)
    assert intake.editing == first.id
