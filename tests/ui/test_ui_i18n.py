"""Vietnamese is complete: every string in the code is in the .ts, translated, and compiled into the .qm."""

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel, QLineEdit, QPlainTextEdit

from scanstation.ui.i18n import I18N_DIR

TS = I18N_DIR / "scanstation_vi.ts"
QM = I18N_DIR / "scanstation_vi.qm"
UI = Path(__file__).resolve().parents[2] / "scanstation" / "ui"
BIN = Path(sys.executable).parent


def _messages(ts: Path):
    for ctx in ET.parse(ts).getroot().iter("context"):
        for m in ctx.findall("message"):
            tr = m.find("translation")
            yield ctx.find("name").text, m.find("source").text, tr


def test_every_string_is_translated():
    untranslated = [(c, s) for c, s, tr in _messages(TS) if tr.get("type") == "unfinished" or not (tr.text or "").strip()]
    assert untranslated == []


@pytest.mark.skipif(not (BIN / "pyside6-lupdate").exists(), reason="pyside6-lupdate ships with PySide6-Essentials")
def test_ts_covers_every_string_in_the_code(tmp_path):
    copy = tmp_path / "check.ts"
    shutil.copy(TS, copy)
    sources = sorted(str(p) for p in UI.rglob("*.py"))
    subprocess.run([str(BIN / "pyside6-lupdate"), *sources, "-ts", str(copy), "-no-obsolete", "-locations", "none"],
                   check=True, capture_output=True)
    missing = [(c, s) for c, s, tr in _messages(copy) if tr.get("type") == "unfinished"]
    assert missing == [], "run `make i18n` and translate these"


@pytest.mark.skipif(not (BIN / "pyside6-lrelease").exists(), reason="pyside6-lrelease ships with PySide6-Essentials")
def test_qm_is_compiled_from_the_current_ts(tmp_path):
    out = tmp_path / "check.qm"
    subprocess.run([str(BIN / "pyside6-lrelease"), str(TS), "-qm", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == QM.read_bytes(), "run `make i18n`"


def _visible_texts(widget):
    for w in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton):
        if w.isVisibleTo(widget) and w.text():
            yield w.text()
    for w in widget.findChildren(QGroupBox):
        if w.isVisibleTo(widget) and w.title():
            yield w.title()
    for w in widget.findChildren(QLineEdit):
        if w.placeholderText():
            yield w.placeholderText()


def test_no_english_left_on_any_screen_in_vietnamese(make_window, qtbot):
    """Every visible text of every screen is Vietnamese (catches text that bypasses tr())."""
    english = {s.replace("&", "") for c, s, tr in _messages(TS) if (tr.text or "") != s and len(s) > 3}
    w = make_window(language="vi")
    leftovers = []
    for key, screen in w.screens.items():
        w.show_screen(key)
        qtbot.wait(20)
        for text in _visible_texts(screen):
            if text.replace("&", "") in english:
                leftovers.append((key, text))
    for text in _visible_texts(w):
        if text.replace("&", "") in english:
            leftovers.append(("window", text))
    assert leftovers == []


def test_switching_language_retranslates_the_window(make_window, qtbot):
    from scanstation.ui.i18n import set_language

    w = make_window(language="vi")
    assert w.nav.item(0).text() == "1. Trang chủ"
    set_language("en")
    qtbot.waitUntil(lambda: w.nav.item(0).text() == "1. Home")
    assert w.screens["intake"].save_btn.text() == "Save and scan (Ctrl+Enter)"
    set_language("vi")
    qtbot.waitUntil(lambda: w.nav.item(0).text() == "1. Trang chủ")
    assert w.screens["intake"].save_btn.text() == "Lưu và quét (Ctrl+Enter)"


def test_qt_own_buttons_and_details_speak_vietnamese(qapp):
    """Qt ships no Vietnamese for its standard buttons: a Vietnamese question answered 'Yes'/'No' before."""
    from PySide6.QtWidgets import QMessageBox

    from scanstation.ui.i18n import current_language, set_language

    before = current_language()
    set_language("vi")
    try:
        box = QMessageBox(QMessageBox.Icon.Question, "Quét lại?", "Quét lại tờ này?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                          | QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Ok)
        box.setDetailedText("details for IT")
        box.show()                                       # the details button is labelled when shown
        texts = {b.text().replace("&", "") for b in box.buttons()}
        box.close()
        assert {"Có", "Không", "Hủy", "Đồng ý", "Xem chi tiết..."} <= texts, texts
        for field in (QLineEdit(), QPlainTextEdit()):           # a field's right-click menu
            menu = field.createStandardContextMenu()
            words = {a.text().split("\t")[0].replace("&", "") for a in menu.actions() if a.text()}
            assert words == {"Hoàn tác", "Làm lại", "Cắt", "Sao chép", "Dán", "Xóa", "Chọn tất cả"}, words
        set_language("en")
        box = QMessageBox(QMessageBox.Icon.Question, "Rescan?", "Rescan this sheet?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        assert {b.text().replace("&", "") for b in box.buttons()} == {"Yes", "No"}
    finally:
        set_language(before)
