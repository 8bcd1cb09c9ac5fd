"""Safe keys on the Scan screen: Del takes out a whole sheet and offers undo, Ctrl+Z takes back every page
operation (through the journal), F5 on a complete component asks before scanning more."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from scanstation.dossier_io import load_dossier_file
from scanstation.resources import resource
from scanstation.ui import services
from tests.ui.ui_pages import add_pages


def _open(w):
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    comp = d.components[0]                     # Giấy chứng sinh: 2 sheets, two-sided
    add_pages(st, d, wa, comp, 2)
    w.ctx.open_dossier(d, wa)
    w.show_screen("capture")
    return d, wa, comp


def _key(qtbot, w, key, mod=Qt.KeyboardModifier.NoModifier):
    if QApplication.activeWindow() is None:
        with qtbot.waitActive(w):
            w.activateWindow()
    qtbot.keyClick(QApplication.focusWidget() or w, key, mod)


def _state(c):
    return [(p.id, p.kept) for p in c.pages]


def test_del_takes_out_the_sheet_and_ctrl_z_brings_it_back(make_window, qtbot):
    w = make_window(language="vi")
    d, wa, comp = _open(w)
    cap = w.screens["capture"]
    start = _state(comp)
    cap.thumbs.setFocus()
    cap.thumbs.setCurrentRow(1)                                  # the back of sheet 1
    _key(qtbot, w, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(comp.pages) == 2 and cap.thumbs.count() == 2)
    assert [p.id for p in comp.pages] == [start[2][0], start[3][0]]      # the whole sheet went, both sides
    qtbot.waitUntil(lambda: w.message_bar.isVisible() and w.message_bar.action.isVisible())
    assert "tờ 1" in w.message_bar.text.text() and "Ctrl+Z" in w.message_bar.action.text()
    _key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _state(comp) == start and cap.thumbs.page_ids() == [p for p, _k in start])
    # exclude, then undo it with the message bar's button
    cap.thumbs.setFocus()
    cap.thumbs.setCurrentRow(3)
    _key(qtbot, w, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: not comp.pages[3].kept)
    _key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: comp.pages[3].kept)
    qtbot.waitUntil(lambda: "đã loại" not in cap.thumbs.item(3).text())
    again = services.load_dossier(w.ctx.station, d.id).dossier.component(comp.id)   # the journal agrees
    assert _state(again) == start
    qtbot.waitUntil(lambda: not w.ctx.tasks.active, timeout=60_000)   # the re-check's message comes first
    _key(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Không còn" in w.message_bar.text.text() or "Nothing" in w.message_bar.text.text())


def test_f5_on_a_complete_component_asks_first(make_window, qtbot):
    w = make_window(language="vi")
    d, wa, comp = _open(w)
    cap = w.screens["capture"]
    asked = []

    def answer_no():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(30, answer_no)
            return
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.No).click()

    QTimer.singleShot(30, answer_no)
    _key(qtbot, w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: bool(asked))
    assert "2" in asked[0] and comp.name in asked[0]
    qtbot.wait(200)
    assert cap.scan_task is None and len(comp.pages) == 4             # nothing scanned


def test_what_is_shown_follows_the_dossier(make_window, qtbot, monkeypatch):
    """The preview's caption follows a restore; the "N problems" message follows the findings to 0."""
    w = make_window(language="vi")
    d, wa, comp = _open(w)
    cap = w.screens["capture"]
    cap.thumbs.setFocus()
    cap.thumbs.setCurrentRow(1)
    qtbot.waitUntil(cap.preview.has_image)
    _key(qtbot, w, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: "đã loại" in cap.preview.caption())
    _key(qtbot, w, Qt.Key.Key_X)
    qtbot.waitUntil(lambda: comp.pages[1].kept)
    qtbot.waitUntil(lambda: "đã loại" not in cap.preview.caption() and "đã loại" not in cap.thumbs.item(1).text())
    w.ctx.tasks.wait_idle(30)
    qtbot.waitUntil(lambda: not w.ctx.tasks.active)
    count = [4]
    monkeypatch.setattr(services, "blocking_count", lambda ctx: count[0])
    w.ctx.problems_noted.emit()
    assert w.message_bar.isVisible() and "Còn 4 lỗi" in w.message_bar.text.text()
    count[0] = 1
    w.ctx.findings_changed.emit()
    assert "Còn 1 lỗi" in w.message_bar.text.text()
    count[0] = 0
    w.ctx.findings_changed.emit()
    assert not w.message_bar.isVisible()                    # never beside a green "nothing blocks signing"


def test_the_page_preview_zooms(make_window, qtbot):
    w = make_window(language="vi")
    d, wa, comp = _open(w)
    cap = w.screens["capture"]
    qtbot.waitUntil(cap.preview.has_image)
    cap.preview.setFocus()
    qtbot.keyClick(cap.preview, Qt.Key.Key_Plus)
    qtbot.keyClick(cap.preview, Qt.Key.Key_Plus)
    assert cap.preview.zoom == 2.0
    before = cap.preview.grab().toImage()
    qtbot.keyClick(cap.preview, Qt.Key.Key_0)
    assert cap.preview.zoom == 1.0 and cap.preview.grab().toImage() != before


def test_a_scan_shows_one_progress_bar_and_one_stop_button(make_window, qtbot):
    w = make_window(demo=True, language="vi")
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    w.ctx.open_dossier(d, wa)
    w.show_screen("capture")
    cap = w.screens["capture"]
    seen = []

    def look():
        if cap.scan_task is not None:
            seen.append((cap.bar.isVisible(), cap.stop_btn.isEnabled(), w.progress.isVisible()))
    from PySide6.QtCore import QTimer

    t = QTimer()
    t.timeout.connect(look)
    t.start(20)
    cap.scan_or_continue()
    qtbot.waitUntil(lambda: cap.scan_task is None, timeout=120_000)
    t.stop()
    assert seen and all(bar and stop and not panel for bar, stop, panel in seen)


def test_a_whole_component_wrong_is_one_finding_and_enter_rescans_it(make_window, qtbot):
    from tests.ui.ui_pages import set_checks

    w = make_window(demo=True, language="vi")
    d, wa, comp = _open(w)
    old = [p.id for p in comp.pages]
    for p in comp.pages:                # what QC says of a 100-dpi grey scan, page by page
        p.qc = {"findings": [
            {"code": "COLOUR_REQUIRED", "severity": "block", "overridable": False,
             "message_en": f"{p.file}: L image", "message_vi": f"{p.file}: ảnh xám, nhưng quy định yêu cầu ảnh màu"},
            {"code": "DPI_TOO_LOW", "severity": "block", "overridable": False,
             "message_en": f"{p.file}: 100 dpi", "message_vi": f"{p.file}: độ phân giải 100 dpi thấp hơn quy định"}]}
    set_checks(w.ctx, comp, [])
    w.show_screen("qc")
    qc = w.screens["qc"]
    qc.refresh()
    blocking = [r for r in qc.items if r.finding["severity"] == "block" and r.component is comp]
    assert [r.finding["code"] for r in blocking] == ["COMPONENT_RESCAN"]
    assert "Cả 4 trang" in blocking[0].finding["message_vi"]
    qc.findings.setCurrentRow(qc.items.index(blocking[0]))
    assert "Quét lại cả thành phần" in qc.fix_btn.text()
    qc.findings.setFocus()
    _key(qtbot, w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.current_screen().key == "capture", timeout=10_000)
    qtbot.waitUntil(lambda: len(comp.pages) == 4 and not set(old) & {p.id for p in comp.pages}, timeout=120_000)
