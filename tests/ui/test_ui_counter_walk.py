"""Issue 15 driven once through the window: intake with the CCCD reader's burst -> the digital identity answer
on the intake form -> reuse of one component instead of scanning it -> scan of the rest (virtual scanner) ->
sign (SoftHSM clerk token, then the organisation's SAO Y) -> upload to the provincial simulator's HTTP server
-> the result digitised by the records officer and signed with the organisation's token -> upload ->
revocation of the result in the window. Screenshots of the intake form with the answer and of the records
screen go to $SCANSTATION_SHOTS (default: the test's temporary folder)."""

import os
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog

from scanstation.errors import ScanStationError
from scanstation.model import DigitisationClass, DossierStatus
from scanstation.ui import services
from tests.ui.ui_keys import type_text
from tests.ui.ui_pages import revoke_result, scan_result, shot, sign_result

pytestmark = pytest.mark.timeout(900)

# The demo simulator's seeded applicant (scanstation/sync/simulator.py): an account, and in the store a VBUQ
# and a GXNHN still valid, an expired GCS.
QR = "066190001234|123456789|Nguyễn Thị Hồng Nhung|05031990|Nữ|Tổ 5, Phường Tân Lợi, Buôn Ma Thuột|14082021"
VBUQ_DOC = "KHO-066190001234-0002"


def _settle(qtbot, w, timeout=180_000):
    qtbot.waitUntil(lambda: not w.ctx.tasks.active and w.screens["capture"].scan_task is None, timeout=timeout)


def _answer_pin(pin: str) -> None:
    def answer():
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, QDialog):
            QTimer.singleShot(50, answer)
            return
        dlg.pin.setText(pin)
        dlg.accept()
    QTimer.singleShot(50, answer)


def _received(w) -> dict:
    return requests.get(w.ctx.simulator.url + "/_sim/received", timeout=10).json()


def _upload(qtbot, w, names: set[str]) -> None:
    """Send now from the queue screen until the server stores these files."""
    queue = w.screens["queue"]
    w.show_screen("queue")
    qtbot.waitUntil(lambda: services.start_sync(w.ctx, secret=w.ctx.provincial_secret) is not None
                    if getattr(w.ctx, "sync_worker", None) is None else True, timeout=10_000)
    for _ in range(240):
        queue.sync_now()
        qtbot.wait(500)
        if names <= {f["file_name"] for f in _received(w)["files"]}:
            break
    assert names <= {f["file_name"] for f in _received(w)["files"]}


def test_counter_walk_intake_identity_reuse_scan_sign_result_upload_revoke(make_window, qtbot, tmp_path):
    from scanstation.flow import checking
    from scanstation.flow.reuse import REUSE_REASON_EN

    shots = Path(os.environ.get("SCANSTATION_SHOTS") or tmp_path / "shots")
    w = make_window(demo=True)
    ctx = w.ctx
    ctx.settings.set("station.org_name", "UBND phường Tân Lợi", layer="station")

    # --- intake: the sample's papers, the applicant from the CCCD reader --------------------------------------
    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    intake = w.screens["intake"]
    assert w.current_screen() is intake
    intake.load_sample()
    ed = intake.applicant
    ed.number.clear()
    ed.name.clear()
    ed.number.setFocus()
    type_text(ed.number, QR)                       # the handheld reader: fast typing ending with Enter
    qtbot.keyClick(ed.number, Qt.Key.Key_Return)
    assert ed.number.text() == "066190001234" and ed.name.text() == "Nguyễn Thị Hồng Nhung"

    # --- the identity answer on the form, off the GUI thread; one proposal: the VBUQ from the store -------
    panel = intake.identity
    qtbot.waitUntil(lambda: panel.ans is not None, timeout=30_000)
    assert panel.ans.status == "checked" and panel.ans.has_account
    assert "2 valid paper(s)" in panel.answer.text(), panel.answer.text()
    assert [(r.code.text(), p.document_id) for _b, r, p in panel.boxes] == [("VBUQ", VBUQ_DOC)]
    box = panel.boxes[0][0]
    assert "VBUQ" not in box.text() and VBUQ_DOC in box.text() and not box.isChecked()
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)          # one key: reuse it, do not scan it
    assert box.isChecked()
    shot(w, shots, "counter-1-intake-identity")

    qtbot.keyClick(intake.save_btn, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ctx.dossier is not None and w.current_screen().key == "capture", timeout=20_000)
    d = ctx.dossier
    gcs, vbuq, gxnhn = d.components
    assert vbuq.digitisation_class == DigitisationClass.NOT_DIGITISED and vbuq.reused_document_id == VBUQ_DOC
    assert REUSE_REASON_EN in vbuq.not_digitised_reason and VBUQ_DOC in vbuq.not_digitised_reason

    # --- scan the rest on the virtual scanner, accept what QC blocks with a reason ----------------------------
    cap = w.screens["capture"]
    qtbot.waitUntil(lambda: cap.components.count() > 0, timeout=10_000)
    cap.show_component(gcs.id)
    assert cap.component is gcs
    cap.scan_or_continue()
    _settle(qtbot, w)
    assert gcs.kept_pages() and not vbuq.pages
    s = ctx.session
    checking.check(s)
    for f in [f for c in d.components for f in checking.component_findings(s, c) if f.blocking and f.overridable]:
        checking.override(s, f.id, "Đã đối chiếu với bản gốc")
    assert services.blocking_count(ctx) == 0
    ctx.findings_changed.emit()

    # --- sign with the clerk's token, then the organisation's certified copy (SAO Y) --------------------------
    sign = w.screens["sign"]
    w.show_screen("sign")
    qtbot.waitUntil(lambda: sign.token.count() > 0 and sign.sign_btn.isEnabled(), timeout=30_000)
    sign.token.setCurrentIndex(sign.token.findText("DEMO-CLERK"))
    qtbot.waitUntil(lambda: sign.sign_btn.isEnabled(), timeout=10_000)
    _answer_pin("123456")
    sign.sign()
    qtbot.waitUntil(lambda: d.status in (DossierStatus.SIGNED, DossierStatus.QUEUED), timeout=120_000)
    if d.status == DossierStatus.SIGNED:
        sign.token.setCurrentIndex(sign.token.findText("DEMO-ORG"))
        qtbot.waitUntil(lambda: sign.sign_btn.isEnabled(), timeout=10_000)
        _answer_pin("123456")
        sign.sign()
        qtbot.waitUntil(lambda: d.status == DossierStatus.QUEUED, timeout=120_000)
    _settle(qtbot, w)
    assert [f["name"] for f in services.dossier_files(ctx)] == ["066190001234.GCS.pdf"]   # no file for VBUQ

    # --- upload to the simulator's HTTP server ------------------------------------------------------------
    _upload(qtbot, w, {"066190001234.GCS.pdf"})

    # --- the records officer: the result scanned, checked, signed with the organisation's token ------------
    r = w.screens["records"]
    w.show_screen("records")
    _settle(qtbot, w)
    scan_result(qtbot, w, s, "Đã đối chiếu với bản gốc", _settle)
    status = sign_result(qtbot, w, "DEMO-ORG", _settle)
    assert "signed as SAO Y" in status, status
    _upload(qtbot, w, {"066190001234.GCS.pdf", "066190001234.KQKS.pdf"})

    # --- revocation of the result in the window ------------------------------------------------------------
    w.show_screen("records")
    r.activated()
    _settle(qtbot, w)
    names = [r.files.item(i, 0).text() for i in range(r.files.rowCount())]
    states = revoke_result(qtbot, w, names.index("066190001234.KQKS.pdf"), "Cấp sai ngày sinh", _settle)
    assert states["066190001234.GCS.pdf"] == "Uploaded", states
    assert states["066190001234.KQKS.pdf"].startswith("Revoked (kept) · ") and "Cấp sai ngày sinh" in states[
        "066190001234.KQKS.pdf"], states
    assert r.status.isVisible() and not r.id_box.isEnabled()      # the message in view; reuse is over once signed
    shot(w, shots, "counter-2-records-revoked")

    # --- the final states ---------------------------------------------------------------------------------
    # a revoked file is never uploaded again: the clerk's "send now" and a retry of its job change nothing
    _upload(qtbot, w, {"066190001234.GCS.pdf"})
    job = next(j for j in services.queue_jobs(ctx) if j.file.endswith("066190001234.KQKS.pdf"))
    with pytest.raises(ScanStationError):                  # confirmed, and revoked: never sent again
        services.retry_job(ctx, job.id)
    got = _received(w)
    files = [f["file_name"] for f in got["files"]]
    assert sorted(files) == ["066190001234.GCS.pdf", "066190001234.KQKS.pdf"]        # each exactly once
    kq = next(f for f in got["files"] if f["file_name"] == "066190001234.KQKS.pdf")
    assert kq["revoked"] and kq["metadata"]["role"] == "result"
    assert [(x["file_name"], x["reason"]) for x in got["revocations"]] == [("066190001234.KQKS.pdf",
                                                                            "Cấp sai ngày sinh")]
    view = {f["name"]: f for f in services.dossier_files(ctx)}
    assert view["066190001234.KQKS.pdf"]["state"] == "revoked" and view["066190001234.KQKS.pdf"]["revoked_at"]
    assert view["066190001234.KQKS.pdf"]["revoked_reason"] == "Cấp sai ngày sinh"
    assert view["066190001234.GCS.pdf"]["state"] == "uploaded"
    assert not any(VBUQ_DOC in f or ".VBUQ." in f for f in files)                     # the reused paper: no file
    vbuq = next(c for c in ctx.dossier.components if c.document_type_code == "VBUQ")
    assert vbuq.reused_document_id == VBUQ_DOC and not vbuq.pages and REUSE_REASON_EN in vbuq.not_digitised_reason
    assert gxnhn.digitisation_class == DigitisationClass.NOT_DIGITISED and gxnhn.reused_document_id in (None, "")


def test_intake_identity_offline_in_vietnamese_then_checked_again(make_window, qtbot, tmp_path):
    """The province unreachable at intake: "không kiểm tra được", the clerk goes on and saves; the province
    back, "Kiểm tra lại" (Ctrl+I) on the open dossier's intake proposes the reuse, saved with the changes."""
    from sqlalchemy import select

    from scanstation.store.tables import AuditEventRow
    from scanstation.sync.simulator import ProvincialSimulator

    shots = Path(os.environ.get("SCANSTATION_SHOTS") or tmp_path / "shots")
    w = make_window(demo=True, language="vi")
    ctx = w.ctx
    port = int(ctx.simulator.url.rsplit(":", 1)[1])
    data = ctx.simulator.state.data
    ctx.simulator.stop()                                    # the network is down

    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    intake = w.screens["intake"]
    intake.load_sample()
    ed = intake.applicant
    ed.number.clear()
    ed.number.setFocus()
    type_text(ed.number, QR)
    qtbot.keyClick(ed.number, Qt.Key.Key_Return)
    panel = intake.identity
    qtbot.waitUntil(lambda: panel.ans is not None, timeout=30_000)
    assert panel.ans.status == "unavailable" and not panel.boxes
    assert "Không kiểm tra được" in panel.answer.text(), panel.answer.text()
    assert panel.check_btn.text().startswith("Kiểm tra lại"), panel.check_btn.text()
    shot(w, shots, "counter-3-intake-offline-vi")

    # the clerk goes on: the dossier is saved, every component still to scan; the attempt is audited
    qtbot.keyClick(intake.save_btn, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ctx.dossier is not None and w.current_screen().key == "capture", timeout=20_000)
    d = ctx.dossier
    vbuq = next(c for c in d.components if c.document_type_code == "VBUQ")
    assert vbuq.digitised and not vbuq.reused_document_id
    with ctx.station.store.session() as db:
        ev = [e for e in db.scalars(select(AuditEventRow).where(AuditEventRow.action == "identity.checked"))]
    assert len(ev) == 1 and "unavailable" in ev[0].details and "066190001234" not in ev[0].details

    # the province is back: check again on the open dossier's intake, reuse the VBUQ, save the changes
    ctx.simulator = ProvincialSimulator(data, port=port, secret="demo-secret").start()
    w.show_screen("intake")
    assert intake.editing == d.id
    with qtbot.waitActive(w):                               # offscreen: nothing re-activates the window itself
        w.activateWindow()
    intake.receipt.setFocus()
    assert panel.asked is None
    qtbot.keyClick(intake.receipt, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)     # "Kiểm tra lại"
    assert panel.asked == ("cccd", "066190001234")
    qtbot.waitUntil(lambda: panel.ans is not None and panel.ans.status == "checked", timeout=30_000)
    assert "Đã có tài khoản định danh điện tử" in panel.answer.text(), panel.answer.text()
    assert [p.document_id for _b, _r, p in panel.boxes] == [VBUQ_DOC]
    shot(w, shots, "counter-4-intake-checked-again-vi")
    panel.boxes[0][0].setChecked(True)
    intake.submit()
    _settle(qtbot, w)
    vbuq = next(c for c in ctx.dossier.components if c.document_type_code == "VBUQ")
    assert vbuq.reused_document_id == VBUQ_DOC and vbuq.digitisation_class == DigitisationClass.NOT_DIGITISED
    row = next(r for r in intake.rows if r.code.text() == "VBUQ")     # the form shows it as the dossier has it
    assert row.cls.currentData() == DigitisationClass.NOT_DIGITISED and VBUQ_DOC in row.reason.text()
