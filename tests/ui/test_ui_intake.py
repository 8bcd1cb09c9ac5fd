"""Intake: identifiers checked as typed, errors name their field, a dossier taken in from the keyboard."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from scanstation.model import DigitisationClass, IdType, PartyKind
from scanstation.ui import services
from tests.ui.ui_keys import type_text


def _focus():
    return QApplication.focusWidget()


def _type(qtbot, text):
    type_text(_focus(), text)


def _tab(qtbot, n=1):
    for _ in range(n):
        qtbot.keyClick(_focus(), Qt.Key.Key_Tab)


def test_cccd_is_checked_as_typed(make_window, qtbot):
    w = make_window()
    w.show_screen("intake")
    ed = w.screens["intake"].applicant
    ed.number.setFocus()
    qtbot.keyClicks(ed.number, "06619")
    assert "exactly 12 digits" in ed.check.text()
    assert ed.number.property("invalid") is True
    qtbot.keyClicks(ed.number, "0001234")
    assert "Looks right" in ed.check.text()
    assert ed.number.property("invalid") is False
    ed.number.clear()
    qtbot.keyClicks(ed.number, "099190001234")   # 099 is no province: a hint, never a block
    assert "province" in ed.check.text() and "✗" not in ed.check.text()
    assert ed.validate_number() is True


def test_tax_code_check_digit_for_an_organisation(make_window, qtbot):
    w = make_window()
    ed = w.screens["intake"].applicant
    ed.kind.setCurrentIndex(ed.kind.findData(PartyKind.ORGANISATION))
    assert [ed.id_type.itemData(i) for i in range(ed.id_type.count())] == [IdType.TAX_CODE, IdType.ORG_CODE,
                                                                            IdType.NONE]
    ed.number.setText("0100233480")
    assert "check digit" in ed.check.text()
    ed.number.setText("0314409058-002")
    assert "Looks right" in ed.check.text()
    ed.id_type.setCurrentIndex(ed.id_type.findData(IdType.NONE))
    assert ed.founding.isVisibleTo(ed) and not ed.birth.isVisibleTo(ed)


def test_errors_name_and_focus_the_wrong_field(make_window, qtbot):
    w = make_window()
    w.show_screen("intake")
    s = w.screens["intake"]
    s.load_sample()
    s.receipt.clear()
    s.submit()
    assert "receipt_code" in s.error.text()
    assert _focus() is s.receipt
    s.load_sample()
    row = s.rows[2]
    row.reason.clear()
    s.submit()
    assert "not digitised needs a reason" in s.error.text()
    assert _focus() is row.reason
    s.load_sample()
    s.applicant.number.setText("12345")
    s.submit()
    assert _focus() is s.applicant.number
    assert services.todays_dossiers(w.ctx.station) == []


def test_keyboard_only_intake_creates_the_dossier(make_window, qtbot):
    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    s = w.screens["intake"]
    assert w.current_screen() is s
    s.activated()
    assert _focus() is s.receipt
    _type(qtbot, "H49.64.33-261121-0042")
    _tab(qtbot)
    _type(qtbot, "1.001612")
    _tab(qtbot)
    _type(qtbot, "Đăng ký khai sinh")
    _tab(qtbot)
    assert _focus() is s.applicant.kind
    _tab(qtbot, 2)
    assert _focus() is s.applicant.number
    _type(qtbot, "066190001234")
    _tab(qtbot)
    assert _focus() is s.applicant.name
    _type(qtbot, "Nguyễn Thị Hồng Nhung")
    _tab(qtbot)
    assert _focus() is s.authorised            # no authorisation: the authorising party stays disabled
    _tab(qtbot)
    assert _focus() is s.rows[0].name
    _type(qtbot, "Giấy chứng sinh")
    _tab(qtbot)
    _type(qtbot, "GCS")
    _tab(qtbot)
    assert _focus() is s.rows[0].cls
    _tab(qtbot)
    assert _focus() is s.rows[0].sheets
    qtbot.keyClick(_focus(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    _type(qtbot, "2")
    qtbot.keyClick(_focus(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert len(s.rows) == 2
    assert _focus() is s.rows[1].name
    _type(qtbot, "Bản sao giấy đăng ký kết hôn")
    _tab(qtbot)
    _type(qtbot, "GDKKH")
    _tab(qtbot)
    assert _focus() is s.rows[1].cls
    qtbot.keyClick(_focus(), Qt.Key.Key_Down)
    qtbot.keyClick(_focus(), Qt.Key.Key_Down)
    assert s.rows[1].cls.currentData() == DigitisationClass.NOT_DIGITISED
    _tab(qtbot)
    assert _focus() is s.rows[1].reason       # shown once the class says "not digitised"
    _type(qtbot, "Bản sao có chứng thực")
    qtbot.keyClick(_focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.ctx.dossier is not None, timeout=5000)
    d = w.ctx.dossier
    assert d.receipt_code == "H49.64.33-261121-0042"
    assert d.applicant.id_number == "066190001234" and d.applicant.name == "Nguyễn Thị Hồng Nhung"
    assert [(c.name, c.declared_sheets, c.digitisation_class) for c in d.components] == [
        ("Giấy chứng sinh", 2, DigitisationClass.MUST),
        ("Bản sao giấy đăng ký kết hôn", 0, DigitisationClass.NOT_DIGITISED)]
    assert w.current_screen().key == "capture"
    rows = services.todays_dossiers(w.ctx.station)
    assert [r.receipt_code for r in rows] == ["H49.64.33-261121-0042"]
    assert [e.action for e in w.ctx.station.audit.events()] == ["dossier.created"]
