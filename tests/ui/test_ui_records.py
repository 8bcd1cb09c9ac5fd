"""The records officer's screen, driven once: digital identity and reuse on a new dossier; on an uploaded
dossier the result scanned, checked and signed with the organisation's token, then revoked. Screenshots
of each step go to $SCANSTATION_SHOTS (default: the test's temporary folder)."""

import os
from pathlib import Path

import pytest

from scanstation.model import DossierStatus
from tests.ui.ui_pages import revoke_result, scan_result, shot, sign_result

pytestmark = pytest.mark.timeout(600)


def _settle(qtbot, w, timeout=180_000):
    qtbot.waitUntil(lambda: not w.ctx.tasks.active, timeout=timeout)


def test_records_officer_screen(make_window, qtbot, tmp_path):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier, open_dossier
    from scanstation.flow.demo import STAGES, DemoRun
    from scanstation.resources import resource

    shots = Path(os.environ.get("SCANSTATION_SHOTS") or tmp_path / "shots")
    w = make_window(demo=True)
    st = w.ctx.station
    r = w.screens["records"]

    # 1. A new dossier: the applicant's digital identity; the stored VBUQ is reused instead of scanned.
    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    s = new_dossier(st, dossier)
    w.ctx.open_dossier(s)
    w.show_screen("records")
    r.check_btn.click()
    _settle(qtbot, w)
    assert "valid paper" in r.answer.text() and r.papers.rowCount() == 1
    assert "VBUQ" in r._proposals[0][1].type_code
    r.reuse_btn.click()
    _settle(qtbot, w)
    assert "already held as valid electronic data" in r.status.text()
    comp = next(c for c in s.dossier.components if c.document_type_code == "VBUQ")
    assert not comp.digitised and comp.reused_document_id == "KHO-066190001234-0002"
    shot(w, shots, "records-1-identity-reuse")

    # 2. An uploaded dossier (the demo's whole run): the records officer's result, then its revocation.
    run = DemoRun(st)
    for _name, fn in STAGES:
        fn(run)
    d2 = open_dossier(st, run.session.dossier.id)
    assert d2.dossier.status == DossierStatus.UPLOADED
    w.ctx.open_dossier(d2)
    r.activated()
    _settle(qtbot, w)
    assert r.answer.text() == "" and r.papers.rowCount() == 0       # nothing of the previous dossier stays
    scan_result(qtbot, w, d2, "Đã xem bằng mắt", _settle)
    status = sign_result(qtbot, w, "DEMO-CLERK", _settle)      # a personal certificate: refused
    assert "personal" in status or "cá nhân" in status, status
    status = sign_result(qtbot, w, "DEMO-ORG", _settle)
    assert "signed as SAO Y" in status, status
    r.activated()
    _settle(qtbot, w)
    names = [r.files.item(i, 0).text() for i in range(r.files.rowCount())]
    assert any(n.endswith(".KQKS.pdf") for n in names)
    shot(w, shots, "records-2-result-signed")

    row = next(i for i, n in enumerate(names) if n.endswith(".KQKS.pdf"))
    r.files.selectRow(row)
    r.revoke_btn.click()                                 # no reason: refused, nothing revoked
    assert "reason" in r.status.text()
    states = revoke_result(qtbot, w, row, "Cấp sai ngày sinh", _settle)
    assert states[names[row]].startswith("Revoked (kept) · ") and "Cấp sai ngày sinh" in states[names[row]]
    shot(w, shots, "records-3-revoked")
