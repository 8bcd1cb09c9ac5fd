"""A clerk's keyboard-only walk of a two-component dossier: intake typed in, both components scanned on the
virtual scanner, the sticky note dealt with, one page operation taken back with Ctrl+Z, details typed in,
signed on the SoftHSM demo tokens (the clerk, then the organisation's certified copy) and queued.

Every key goes to the widget that has the keyboard focus (``QApplication.focusWidget()``), as a keyboard
sends it; no slot is called and no mouse is used. Typed data (letters, digits, the PIN) and command keys (Tab,
Enter, F-keys, Ctrl/Alt combinations, arrows, Del) are counted apart: issue 17 asks for at most 35 command
keys for this walk (a clerk measured 43 before), and for every typed character to arrive.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from scanstation.model import DossierStatus
from scanstation.ui import services
from tests.ui.ui_keys import type_text

pytestmark = pytest.mark.timeout(600)

NoMod, Ctrl, Alt = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.AltModifier
Shift = Qt.KeyboardModifier.ShiftModifier

DOSSIER = {
    "receipt": "H49.64.33-261205-0042",
    "proc_code": "1.001612",
    "proc_name": "Đăng ký khai sinh",
    "id_number": "066190001234",
    "name": "Nguyễn Thị Hồng Nhung",
}
COMPONENTS = [
    {"name": "Giấy chứng sinh", "code": "GCS", "sheets": "2",
     "number_symbol": "1234/GCS", "issue_date": "15/11/2026", "issuing_body": "Bệnh viện Đa khoa tỉnh Đắk Lắk"},
    {"name": "Văn bản ủy quyền", "code": "VBUQ", "sheets": "3",
     "number_symbol": "15/UQ", "issue_date": "18/11/2026", "issuing_body": "UBND xã Ea Tu"},
]


class Keyboard:
    """Keys to the focused widget, counted: typed data apart from command keys."""

    def __init__(self, qtbot, window) -> None:
        self.qtbot, self.w = qtbot, window
        self.commands: list[str] = []
        self.typed = 0

    def _target(self):
        if QApplication.activeWindow() is None:       # offscreen: nothing re-activates the window after a dialog
            with self.qtbot.waitActive(self.w):
                self.w.activateWindow()
        target = QApplication.focusWidget()
        assert target is not None, "no widget has the keyboard focus"
        return target

    def key(self, k, mod=NoMod, name: str = "") -> None:
        self.commands.append(name or k.name)
        self.qtbot.keyClick(self._target(), k, mod)

    def type(self, text: str, into=None) -> None:
        """Type ``text`` where the focus is; ``into`` (optional) is the field the clerk expects to be in."""
        target = self._target()
        if into is not None:
            assert target is into or into.isAncestorOf(target), \
                f"typing {text!r} would land in {target!r}, not in {into!r}"
        type_text(target, text)
        self.typed += len(text)


def _settle(qtbot, w, timeout=180_000):
    """The clerk waits for the screen: no scan, check or signing left running."""
    qtbot.waitUntil(lambda: not w.ctx.tasks.active and w.screens["capture"].scan_task is None, timeout=timeout)


def _answer_pin(kb: Keyboard, pin: str, seen: list) -> None:
    """The PIN dialog: the PIN typed where its focus is, then Enter (a command key).

    Offscreen, nothing activates a new dialog by itself on a loaded machine: it is activated (as a window
    manager does) and the answer waits until the focus is inside it. Should anything go wrong, the dialog is
    closed, so the test fails on its assertions instead of hanging in the dialog's event loop."""
    state = {"waits": 0}

    def answer():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, QDialog):
            QTimer.singleShot(50, answer)
            return
        focus = QApplication.focusWidget()
        if (focus is None or not dlg.isAncestorOf(focus)) and state["waits"] < 200:
            state["waits"] += 1
            dlg.activateWindow()
            QTimer.singleShot(50, answer)
            return
        try:
            seen.append(focus is dlg.pin)
            type_text(focus, pin)
            kb.typed += len(pin)
            kb.commands.append("Return (PIN)")
            kb.qtbot.keyClick(focus, Qt.Key.Key_Return)
        except Exception as e:          # noqa: BLE001 - a timer callback: record, never hang
            seen.append(repr(e))
            dlg.reject()
    QTimer.singleShot(50, answer)


def test_a_two_component_dossier_keyboard_only_within_35_command_keys(make_window, qtbot):
    w = make_window(demo=True, language="vi")
    ctx = w.ctx
    kb = Keyboard(qtbot, w)
    intake = w.screens["intake"]

    # --- intake: typed in, Enter from field to field ----------------------------------------------------
    kb.key(Qt.Key.Key_N, Ctrl, "Ctrl+N")
    assert w.current_screen() is intake
    kb.type(DOSSIER["receipt"], into=intake.receipt)
    kb.key(Qt.Key.Key_Return)
    kb.type(DOSSIER["proc_code"], into=intake.proc_code)
    kb.key(Qt.Key.Key_Return)
    kb.type(DOSSIER["proc_name"], into=intake.proc_name)
    kb.key(Qt.Key.Key_Return)
    kb.type(DOSSIER["id_number"], into=intake.applicant.number)   # kind and identifier type: the defaults
    kb.key(Qt.Key.Key_Return)
    kb.type(DOSSIER["name"], into=intake.applicant.name)
    kb.key(Qt.Key.Key_Return)
    for i, comp in enumerate(COMPONENTS):
        if i:
            kb.key(Qt.Key.Key_A, Ctrl | Shift, "Ctrl+Shift+A")
        row = intake.rows[i]
        kb.type(comp["name"], into=row.name)
        kb.key(Qt.Key.Key_Return)
        kb.type(comp["code"], into=row.code)
        kb.key(Qt.Key.Key_Return)
        kb.type(comp["sheets"], into=row.sheets)                   # digitisation class, two-sided: defaults
    kb.key(Qt.Key.Key_Return, Ctrl, "Ctrl+Enter")
    qtbot.waitUntil(lambda: ctx.dossier is not None and w.current_screen().key == "capture", timeout=20_000)
    d, wa = ctx.dossier, ctx.workarea
    assert (d.receipt_code, d.procedure_code, d.procedure_name) == (
        DOSSIER["receipt"], DOSSIER["proc_code"], DOSSIER["proc_name"])
    assert (d.applicant.id_number, d.applicant.name) == (DOSSIER["id_number"], DOSSIER["name"])
    assert [(c.name, c.document_type_code, c.declared_sheets, c.duplex) for c in d.components] == [
        (c["name"], c["code"], int(c["sheets"]), True) for c in COMPONENTS]
    first, second = d.components

    # --- scan: F5 per component; the selection then goes where the next key acts ---------------------------
    cap = w.screens["capture"]
    qtbot.waitUntil(lambda: cap.profile.count() > 0, timeout=10_000)
    kb.key(Qt.Key.Key_F5)
    _settle(qtbot, w)
    assert services.sheets_captured(first) == 2
    qtbot.waitUntil(lambda: cap.component is second, timeout=10_000)    # complete: on to the next component
    kb.key(Qt.Key.Key_F5)
    _settle(qtbot, w)
    assert services.sheets_captured(second) == 3
    note = services.unpaired_note(second)
    assert note is not None and cap.current_page() is note              # the sticky note's page, selected
    kb.key(Qt.Key.Key_F6)                                               # note off, the page scanned again
    _settle(qtbot, w)
    assert services.unpaired_note(second) is None

    # --- one slip, taken back: Del takes the sheet out, Ctrl+Z brings it back --------------------------
    before = [(p.id, p.kept) for p in second.pages]
    assert QApplication.focusWidget() is cap.thumbs
    kb.key(Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(second.pages) < len(before), timeout=20_000)
    _settle(qtbot, w)
    assert services.sheets_captured(second) == 2
    kb.key(Qt.Key.Key_Z, Ctrl, "Ctrl+Z")
    qtbot.waitUntil(lambda: [(p.id, p.kept) for p in second.pages] == before, timeout=20_000)
    _settle(qtbot, w)
    assert services.sheets_captured(second) == 3

    # --- check, then details ---------------------------------------------------------------------------
    kb.key(Qt.Key.Key_F8)
    qc = w.screens["qc"]
    assert w.current_screen() is qc
    _settle(qtbot, w)
    assert services.blocking_count(ctx) == 0, [r.finding["code"] for r in qc.items]
    kb.key(Qt.Key.Key_F8)
    meta = w.screens["metadata"]
    assert w.current_screen() is meta
    for i, comp in enumerate(COMPONENTS):
        if i:
            kb.key(Qt.Key.Key_Down, Alt, "Alt+Down")
        assert meta._shown is d.components[i]
        kb.type(comp["number_symbol"], into=meta.edits["number_symbol"])
        kb.key(Qt.Key.Key_Return)
        kb.type(comp["issue_date"], into=meta.edits["issue_date"])
        kb.key(Qt.Key.Key_Return)
        kb.type(comp["issuing_body"], into=meta.edits["issuing_body"])
        assert not any(e.isVisibleTo(meta) for e in meta.errors.values()), \
            {f: e.text() for f, e in meta.errors.items() if e.isVisibleTo(meta)}   # marks went as fields filled
    kb.key(Qt.Key.Key_F8)                                                   # save and sign
    sign = w.screens["sign"]
    qtbot.waitUntil(lambda: w.current_screen() is sign and sign.sign_btn.isEnabled(), timeout=30_000)

    # --- sign: the clerk, then the organisation's certified copy (its token chosen by the window) ------------
    seen: list[bool] = []
    _answer_pin(kb, "123456", seen)
    kb.key(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.SIGNED, timeout=120_000)
    qtbot.waitUntil(lambda: sign.token.currentText() == "DEMO-ORG" and sign.sign_btn.isEnabled(), timeout=20_000)
    _answer_pin(kb, "123456", seen)
    kb.key(Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.QUEUED, timeout=120_000)
    assert seen == [True, True]                                         # the PIN typed into the PIN field
    assert {o.state for o in d.outputs} == {"queued"} and len(d.outputs) == 2
    assert sorted(p.name for p in (wa.root / "signed").glob("*.pdf")) == [
        f"{DOSSIER['id_number']}.{c['code']}.pdf" for c in sorted(COMPONENTS, key=lambda c: c["code"])]

    # --- nothing typed was lost: what is saved is what was typed -----------------------------------------
    st = ctx.station
    reopened = services.load_dossier(st, d.id)          # as saved on disk and journaled
    saved = reopened.dossier
    assert [p.id for p in saved.components[1].pages] == [p for p, _ in before]
    assert saved.receipt_code == DOSSIER["receipt"] and saved.procedure_name == DOSSIER["proc_name"]
    assert (saved.applicant.id_number, saved.applicant.name) == (DOSSIER["id_number"], DOSSIER["name"])
    for c, comp in zip(saved.components, COMPONENTS, strict=True):
        assert (c.name, c.document_type_code, c.declared_sheets) == (comp["name"], comp["code"], int(comp["sheets"]))
        m = c.metadata
        assert (m.number_symbol, m.issue_date.strftime("%d/%m/%Y"), m.issuing_body) == (
            comp["number_symbol"], comp["issue_date"], comp["issuing_body"])
    expected_typed = sum(map(len, DOSSIER.values())) + sum(
        len(c[k]) for c in COMPONENTS for k in ("name", "code", "sheets", "number_symbol", "issue_date",
                                                "issuing_body")) + 2 * len("123456")
    assert kb.typed == expected_typed

    # --- the count ------------------------------------------------------------------------------------
    print(f"command keys: {len(kb.commands)} ({', '.join(kb.commands)}); typed characters: {kb.typed}")
    assert len(kb.commands) <= 35, kb.commands
