"""Focus and keys: the sidebar never takes typing, each screen opens with the cursor where work is, screen
commands work wherever the focus is, destructive plain keys only in the page view, no wheel accidents."""

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit

from scanstation.dossier_io import load_dossier_file
from scanstation.resources import resource
from tests.ui.ui_keys import type_text
from tests.ui.ui_pages import add_pages


def _open(w):
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    comp = d.components[0]
    add_pages(st, d, wa, comp, 2)
    w.ctx.open_dossier(d, wa)
    return d, wa, comp


def _key(qtbot, w, key, mod=Qt.KeyboardModifier.NoModifier):
    """A key press where the keyboard focus is, as a clerk's keyboard does."""
    qtbot.keyClick(QApplication.focusWidget() or w, key, mod)


def test_the_sidebar_is_never_focused_and_typing_after_a_screen_switch_lands_in_a_field(make_window, qtbot):
    w = make_window()
    _open(w)
    assert w.nav.focusPolicy() == Qt.FocusPolicy.NoFocus
    _key(qtbot, w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)          # Details
    assert w.current_screen().key == "metadata"
    field = QApplication.focusWidget()
    assert isinstance(field, QLineEdit) and w.current_screen().isAncestorOf(field) and not field.text()
    type_text(field, "15/UQ")
    assert field.text() == "15/UQ" and w.current_screen().key == "metadata"    # nothing lost, no screen jump
    for _ in range(40):                                                        # Tab never reaches the sidebar
        _key(qtbot, w, Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is not w.nav
    _key(qtbot, w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)          # Intake: the cursor in a field
    assert w.current_screen().key == "intake"
    assert w.current_screen().isAncestorOf(QApplication.focusWidget())


def test_screen_commands_work_wherever_the_focus_is_and_x_only_in_the_page_view(make_window, qtbot):
    w = make_window()
    d, wa, comp = _open(w)
    w.show_screen("capture")
    cap = w.screens["capture"]
    cap.thumbs.setCurrentRow(1)
    cap.components.setFocus()                       # not the page view: X must not exclude anything
    _key(qtbot, w, Qt.Key.Key_X)
    _key(qtbot, w, Qt.Key.Key_Delete)
    qtbot.wait(200)
    assert all(p.kept for p in comp.pages) and len(comp.pages) == 4
    cap.thumbs.setFocus()
    _key(qtbot, w, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: not comp.pages[1].kept)
    # a command key from outside the screen (the message bar's close button) still reaches the screen
    w.show_message("thông báo", "info")
    w.message_bar.close_btn.setFocus()
    assert QApplication.focusWidget() is w.message_bar.close_btn
    _key(qtbot, w, Qt.Key.Key_F8)
    assert w.current_screen().key == "qc"


def test_the_wheel_does_not_change_an_unfocused_spin_box(make_window, qtbot):
    w = make_window()
    w.show_screen("settings")
    settings = w.screens["settings"]
    spin = settings.editors["sync.concurrency"].widget      # "Số tệp gửi đồng thời": once went from 2 to 0
    assert isinstance(spin, QAbstractSpinBox)
    spin.setEnabled(True)                                    # as for IT staff (clerks see it locked)
    before = spin.value()
    spin.clearFocus()
    for delta in (-120, -120, 120, -120):
        ev = QWheelEvent(QPointF(5, 5), QPointF(spin.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, delta),
                         Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(spin, ev)
    assert spin.value() == before
    spin.setFocus()                                  # focused: the wheel is the clerk's choice
    ev = QWheelEvent(QPointF(5, 5), QPointF(spin.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, 120),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(spin, ev)
    assert spin.value() != before
