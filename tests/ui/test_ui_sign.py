"""Sign screen on a SoftHSM demo token: PIN dialog with a wrong PIN first, then the whole dossier signed."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from scanstation.dossier_io import load_dossier_file
from scanstation.flow.trust import station_trust
from scanstation.model import DossierStatus
from scanstation.resources import resource
from scanstation.signing import verify_file
from scanstation.ui import services
from tests.ui.ui_keys import type_text
from tests.ui.ui_pages import add_pages, set_checks


def _scanned_dossier(w):
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    for c in d.components:
        if c.digitised:
            add_pages(st, d, wa, c, c.declared_sheets)
    w.ctx.open_dossier(d, wa)
    for c in d.components:
        set_checks(w.ctx, c, [])           # checked, nothing found (QC itself is tested on its own screen)
    w.ctx.findings_changed.emit()
    return d, wa


def _answer_pin(qtbot, pin, seen):
    def answer():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, QDialog):
            QTimer.singleShot(50, answer)
            return
        seen.append((dlg.problem.text(), dlg.tries.text()))
        type_text(dlg.pin, pin)
        qtbot.keyClick(dlg.pin, Qt.Key.Key_Return)
    QTimer.singleShot(50, answer)


def test_wrong_pin_then_sign_the_dossier(make_window, qtbot):
    w = make_window(demo=True)
    d, wa = _scanned_dossier(w)
    w.show_screen("sign")
    s = w.screens["sign"]
    qtbot.waitUntil(lambda: s.token.count() > 0 and s.sign_btn.isEnabled(), timeout=10000)
    assert s.token.currentText() == "DEMO-CLERK"          # remembered clerk preference
    assert s.banner.isHidden()
    seen = []
    _answer_pin(qtbot, "000000", seen)                      # wrong
    _answer_pin_after_wrong = []

    def second():
        if len(seen) < 1:
            QTimer.singleShot(50, second)
            return
        _answer_pin(qtbot, "123456", _answer_pin_after_wrong)

    QTimer.singleShot(100, second)
    qtbot.keyClick(s, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.SIGNED, timeout=60000)
    assert seen[0][0] == ""                                  # first dialog: no problem yet
    assert "Wrong PIN" in _answer_pin_after_wrong[0][0]      # second dialog says why it asks again
    roots = station_trust(w.ctx.settings)        # the demo CA is a test CA of the demo home
    signed = sorted((wa.root / "signed").glob("*.pdf"))
    assert [p.name for p in signed] == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]
    for p in signed:
        rep = verify_file(p, roots)
        assert rep.ok and rep.test and [x.role for x in rep.signatures] == ["clerk"]
        assert rep.signatures[0].signer == "Trần Văn Đức"
    assert all(o.signed for o in d.outputs)
    # The certified copy (SAO Y) comes next, in the window as on the command line: the organisation's token.
    qtbot.waitUntil(lambda: "certified copy" in s.banner.text(), timeout=10000)
    assert s.token.currentText() == "DEMO-ORG"              # chosen by the window: its certificate is the org's
    # Mid-batch, after the flow saved the clerk's signature, a file's state arrives: the banner does not yet
    # announce the organisation's certificate (the token below is chosen only when the batch ends).
    s.task = object()
    s._file_state(d.components[0].id, "signing")
    assert "certified copy" not in s.banner.text() or s.banner.isHidden()
    s._finish()
    assert "certified copy" in s.banner.text() and s.token.currentText() == "DEMO-ORG"
    # the preview: the SAO Y stamp, top right of the page 1 the clerk signed
    qtbot.waitUntil(lambda: s.close_up.toolTip().startswith("SAO Y\n"), timeout=30000)
    x = s.preview._regions[0][0].x()
    assert x > s.preview._image.width() / 2
    qtbot.waitUntil(lambda: s.sign_btn.isEnabled(), timeout=10000)
    _answer_pin(qtbot, "123456", [])
    if QApplication.activeWindow() is None:                 # offscreen: nothing re-activates it after the dialog
        with qtbot.waitActive(w):
            w.activateWindow()
    s.token.setFocus()                                      # the clerk just chose the token there
    qtbot.keyClick(s.token, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.QUEUED, timeout=60000)
    for p in signed:
        rep = verify_file(p, roots)
        assert rep.ok and [x.role for x in rep.signatures] == ["clerk", "copy"]
    assert {o.state for o in d.outputs} == {"queued"} and all(o.upload_job for o in d.outputs)
    qtbot.waitUntil(lambda: bool(w.ctx.settings.get("token.key_id")))   # certificate remembered for next time
    assert w.ctx.settings.get("token.label") == "DEMO-CLERK"            # the organisation's token is not the clerk's
    actions = [e.action for e in w.ctx.station.audit.events()]
    assert "dossier.assembled" in actions and "dossier.signed" in actions
    qtbot.waitUntil(lambda: not s.sign_btn.isEnabled())
    assert "signed" in s.banner.text()


def test_signing_stays_disabled_while_something_blocks(make_window, qtbot):
    w = make_window(demo=True)
    d, wa = _scanned_dossier(w)
    comp = d.components[0]
    set_checks(w.ctx, comp, [{"code": "PAGE_COUNT_MISMATCH", "severity": "block", "message_vi": "Thiếu tờ",
                              "message_en": "Sheets missing", "pages": [], "overridable": True}])
    w.ctx.findings_changed.emit()
    w.show_screen("sign")
    s = w.screens["sign"]
    qtbot.waitUntil(lambda: s.token.count() > 0, timeout=10000)
    assert not s.sign_btn.isEnabled()
    assert "1 finding(s) to fix" in s.banner.text()
    refs = services.all_findings(w.ctx)
    services.override(w.ctx, d, wa, refs[0], "Người nộp chỉ mang 1 tờ")
    w.ctx.findings_changed.emit()
    assert s.sign_btn.isEnabled()
    ev = [e for e in w.ctx.station.audit.events() if e.action == "qc.override"]
    assert ev and ev[0].details["reason"] == "Người nộp chỉ mang 1 tờ"
    assert wa.replay().overrides                              # journaled with the dossier too


def test_the_preview_shows_the_real_stamp_where_it_will_be_and_the_sizes(make_window, qtbot):
    from scanstation.flow import sign_preview

    w = make_window(demo=True)
    w.resize(1366, 768)
    d, wa = _scanned_dossier(w)
    w.show_screen("sign")
    s = w.screens["sign"]
    qtbot.waitUntil(lambda: s.token.count() > 0 and s.preview.has_image() and s.close_up.pixmap() is not None
                    and not s.close_up.pixmap().isNull(), timeout=20000)
    # the stamp's own text (the certificate holder, the time of scanning), not certificate details
    lines = s.close_up.toolTip().split("\n")
    comp, page = sign_preview.first_page(d)
    when = page.captured_at.astimezone(sign_preview.STAMP_ZONE) if page.captured_at else None
    assert lines[0] == "Người số hóa: Trần Văn Đức" and lines[1].startswith("Thời gian số hóa: ")
    if when is not None:
        assert lines[1].endswith(when.strftime("%d/%m/%Y %H:%M:%S"))
    (x, y, bw, bh), img = s.preview._regions[0][0].getRect(), s.preview._image
    assert x < img.width() * 0.1 and y < img.height() * 0.05 and bw < img.width() / 2    # top left of page 1
    px = img.pixelColor(x + 6, y + bh // 2)                                               # inside: the fill
    assert (px.red(), px.green(), px.blue()) in ((250, 250, 245), (0, 0, 0)) or px.red() > 200
    # the sizes: lossless scans now, the file once made
    qtbot.waitUntil(lambda: "MB" in s.files.item(0, 2).text(), timeout=10000)
    assert "(made when signing)" in s.files.item(0, 2).text() and "MB" in s.total.text()
    # it fits the counter's screen: nothing of the sign screen needs more than 1366x768
    hint = w.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768, hint
    assert s.close_up.geometry().bottom() < 768 and s.preview.height() > 300
    # once built (when signing), each file's size is shown against its scans
    w.ctx.station.assemble(d)
    s.load_sizes()
    qtbot.waitUntil(lambda: "made when" not in s.files.item(0, 2).text(), timeout=10000)
    sizes = sign_preview.file_sizes(d, wa.root)
    assert s.files.item(0, 2).text() == f"{s._mb(sizes[0].masters)} → {s._mb(sizes[0].file)}"
    assert "to upload" in s.total.text()
    w.grab().save(str(wa.root.parent / "sign-1366.png"))
    import shutil
    shutil.copy(wa.root.parent / "sign-1366.png", "/tmp/window-sign-1366.png")
