"""A whole dossier at the counter, keyboard only: intake, scan on the virtual scanner, fix what QC finds,
sign on a SoftHSM token (a wrong PIN first), and upload to the provincial simulator after it comes back.

On the way: a double feed hides a sheet (page-count mismatch, fixed by scanning the missing sheet), the
blank backs of a component are left out, and a sticky note is removed and its page scanned again.
"""

import time

import pikepdf
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from scanstation.config import Settings
from scanstation.model import DossierStatus
from scanstation.ui import services
from tests.ui.ui_keys import type_text

pytestmark = pytest.mark.timeout(600)


def key(qtbot, k, mod=Qt.KeyboardModifier.NoModifier):
    """Press a key where the keyboard focus is (the window itself right after a dialog closed)."""
    if QApplication.activeWindow() is None:      # offscreen: nothing re-activates the window after a dialog
        with qtbot.waitActive(WINDOW[0]):
            WINDOW[0].activateWindow()
    w = QApplication.focusWidget() or QApplication.activeWindow()
    qtbot.keyClick(w, k, mod)


WINDOW: list = []


def settle(qtbot, w, timeout=180_000):
    """Wait until no background work is left (scan, QC, signing)."""
    qtbot.waitUntil(lambda: not w.ctx.tasks.active and w.screens["capture"].scan_task is None, timeout=timeout)


def answer_pin(qtbot, pin, seen):
    def answer():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, QDialog):
            QTimer.singleShot(50, answer)
            return
        seen.append(dlg.problem.text() if dlg.problem.isVisible() else "")
        type_text(dlg.pin, pin)
        qtbot.keyClick(dlg.pin, Qt.Key.Key_Return)
    QTimer.singleShot(50, answer)


def first_blocking(w):
    q = w.screens["qc"]
    for i, ref in enumerate(q.items):
        if ref.finding.get("severity") == "block" and not ref.finding.get("override"):
            return i, ref
    return None, None


def test_a_dossier_from_intake_to_upload_keyboard_only(make_window, qtbot, station_home):
    w = make_window(demo=True)
    WINDOW[:] = [w]
    ctx = w.ctx
    # IT staff saved a feeder profile whose double-feed sensing is off (the scanner will swallow a sheet)
    ctx.settings.set("scanner.profiles", {"no-double-feed-check": {
        "device": "virtual:demo", "double_feed_detection": False, "options": ["double-feed=1"]}}, layer="station")

    # --- intake -------------------------------------------------------------------------------------
    key(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    intake = w.screens["intake"]
    assert w.current_screen() is intake
    key(qtbot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)              # the sample dossier
    key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ctx.dossier is not None and w.current_screen().key == "capture", timeout=10_000)
    d, wa = ctx.dossier, ctx.workarea
    birth, auth = d.components[0], d.components[1]                             # 2 sheets, 3 sheets, duplex
    cap = w.screens["capture"]
    qtbot.waitUntil(lambda: cap.profile.count() == 2, timeout=10_000)

    # --- component 1 with the careless profile: a sheet goes missing --------------------------------------
    cap.activateWindow()
    cap.thumbs.setFocus()
    key(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)                  # "Scanner &profile"
    assert QApplication.focusWidget() is cap.profile
    while cap.profile.currentData() != "no-double-feed-check":
        key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_F5)
    settle(qtbot, w)
    assert services.sheets_captured(birth) == 1
    key(qtbot, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)                  # back to the everyday profile
    while cap.profile.currentData() != "default":
        key(qtbot, Qt.Key.Key_Up)
    key(qtbot, Qt.Key.Key_F8)
    qc = w.screens["qc"]
    assert w.current_screen() is qc
    i, ref = first_blocking(w)
    assert ref.finding["code"] == "PAGE_COUNT_MISMATCH" and ref.component is birth
    assert not w.screens["sign"].sign_btn.isEnabled()
    qc.findings.setCurrentRow(i)
    qc.findings.setFocus()
    key(qtbot, Qt.Key.Key_Return)                                               # fix: scan the missing sheet
    qtbot.waitUntil(lambda: w.current_screen() is cap)
    settle(qtbot, w)
    assert services.sheets_captured(birth) == 2 and len(birth.pages) == 4
    # every back of this paper is blank: the backs are left out (still listed, restorable)
    assert [p.kept for p in birth.pages] == [True, False, True, False]
    assert all(p.excluded_reason for p in birth.pages if not p.kept)

    # --- component 2: a sticky note --------------------------------------------------------------------
    cap.thumbs.setFocus()
    key(qtbot, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert cap.component is auth
    key(qtbot, Qt.Key.Key_F5)
    settle(qtbot, w)
    assert len(auth.pages) == 6
    note = services.unpaired_note(auth)
    assert note is not None and cap.banner.isVisible() and "sticky note" in cap.banner.text()
    key(qtbot, Qt.Key.Key_F8)
    i, ref = first_blocking(w)
    assert ref.finding["code"] == "STICKY_NOTE_UNPAIRED"
    qc.findings.setCurrentRow(i)
    qc.findings.setFocus()
    key(qtbot, Qt.Key.Key_Return)                           # fix: the note is off, scan the page again
    settle(qtbot, w)
    assert len(auth.pages) == 7 and services.unpaired_note(auth) is None
    assert auth.pages[1].variant.value == "note_removed" and auth.pages[0].id == note.id
    pairs = ctx.session.checks[auth.id]["pairs"]
    assert pairs and pairs[0]["verified"] is True

    # --- anything else that blocks: accept it with a reason (audit log) ------------------------------
    key(qtbot, Qt.Key.Key_F8)
    assert w.current_screen() is qc
    for _ in range(10):
        i, ref = first_blocking(w)
        if ref is None:
            break
        qc.findings.setCurrentRow(i)
        qc.findings.setFocus()
        key(qtbot, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
        type_text(qc.reason, "Đã đối chiếu với bản gốc")
        key(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda ref=ref: any(r.finding.get("override") for r in qc.items
                                            if r.finding["code"] == ref.finding["code"]), timeout=10_000)
    assert services.blocking_count(ctx) == 0

    # --- details, then sign while the province is unreachable -------------------------------------
    key(qtbot, Qt.Key.Key_F8)
    meta = w.screens["metadata"]
    assert w.current_screen() is meta
    key(qtbot, Qt.Key.Key_F8)                                                   # save and sign
    sign = w.screens["sign"]
    qtbot.waitUntil(lambda: w.current_screen() is sign and sign.sign_btn.isEnabled(), timeout=20_000)
    port = int(ctx.simulator.url.rsplit(":", 1)[1])
    data = ctx.simulator.state.data
    ctx.simulator.stop()                                                        # the network goes down
    seen_wrong, seen_right = [], []
    answer_pin(qtbot, "999999", seen_wrong)

    def then_right():
        if not seen_wrong:
            QTimer.singleShot(50, then_right)
            return
        answer_pin(qtbot, "123456", seen_right)

    QTimer.singleShot(60, then_right)
    key(qtbot, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.SIGNED, timeout=120_000)
    assert seen_wrong == [""] and "Wrong PIN" in seen_right[0]
    # then the organisation's certified copy (SAO Y): its token, one more PIN entry; that queues the files
    qtbot.waitUntil(lambda: "certified copy" in sign.banner.text(), timeout=10_000)
    sign.token.setCurrentIndex(sign.token.findText("DEMO-ORG"))
    qtbot.waitUntil(lambda: sign.sign_btn.isEnabled(), timeout=10_000)
    answer_pin(qtbot, "123456", [])
    sign.token.setFocus()                                                       # the clerk just chose it there
    key(qtbot, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.QUEUED, timeout=120_000)
    pdfs = sorted((wa.root / "signed").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]
    with pikepdf.open(pdfs[0]) as pdf:
        assert len(pdf.pages) == 2                      # the two fronts: blank backs left out
    with pikepdf.open(pdfs[1]) as pdf:
        assert len(pdf.pages) == 7                      # six sides + the page again without its note

    # --- the queue waits, then the province comes back ---------------------------------------------------
    key(qtbot, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    queue = w.screens["queue"]
    assert w.current_screen() is queue
    qtbot.waitUntil(lambda: len(queue.jobs) == 2, timeout=20_000)
    w.probe_health()
    qtbot.waitUntil(lambda: queue.offline.isVisible(), timeout=60_000)
    assert all(j.state != "confirmed" for j in queue.jobs)
    from scanstation.sync.simulator import ProvincialSimulator

    ctx.simulator = ProvincialSimulator(data, port=port, secret="demo-secret").start()
    queue.table.setFocus()
    key(qtbot, Qt.Key.Key_F5)                                                   # send now
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(j.state == "confirmed" for j in queue.jobs):
        queue.refresh()
        qtbot.wait(500)
    assert [j.state for j in queue.jobs] == ["confirmed", "confirmed"]
    got = ctx.simulator.received()
    files = got.get("files", got) if isinstance(got, dict) else got
    assert len(files) == 2
    qtbot.waitUntil(lambda: d.status == DossierStatus.UPLOADED, timeout=20_000)
    w.probe_health()
    qtbot.waitUntil(lambda: not queue.offline.isVisible(), timeout=30_000)
    actions = [e.action for e in ctx.station.audit.events()]
    for a in ("dossier.created", "capture.append", "capture.note_removed", "qc.checked", "dossier.assembled",
              "dossier.signed", "file.signed.copy.queued", "dossier.queued", "dossier.uploaded"):
        assert a in actions, a
    assert ctx.station.audit.verify().ok
    assert Settings().get("token.key_id") or ctx.settings.get("token.key_id")
