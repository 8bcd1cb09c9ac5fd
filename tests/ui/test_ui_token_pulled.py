"""The SoftHSM token pulled out in the middle of a batch, plugged back in, and the dossier finished without
restarting the station.

"Pulling" the software token is real: its store is moved out of SoftHSM's token folder, so after the module
is re-initialised the slot is empty, as for a USB token taken out. The one fake sits where a physical unplug
cannot be reproduced with a software token: the PKCS#11 signing call in flight fails (as a pulled token's
driver answers, CKR_GENERAL_ERROR) on the second file.
"""

import os
import shutil
from pathlib import Path

import pkcs11.exceptions as p11e
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from scanstation.flow.trust import station_trust
from scanstation.model import DossierStatus
from scanstation.signing import tokens, verify_file
from tests.ui.test_ui_sign import _answer_pin, _scanned_dossier


def _key(qtbot, w, key):
    if QApplication.activeWindow() is None:
        with qtbot.waitActive(w):
            w.activateWindow()
    qtbot.keyClick(QApplication.focusWidget() or w, key)


def _token_store() -> Path:
    conf = Path(os.environ["SOFTHSM2_CONF"]).read_text()
    line = next(x for x in conf.splitlines() if x.startswith("directories.tokendir"))
    return Path(line.split("=", 1)[1].strip())


def test_a_token_pulled_mid_batch_is_plugged_back_and_the_batch_finishes(make_window, qtbot, monkeypatch):
    w = make_window(demo=True, language="vi")
    d, wa = _scanned_dossier(w)
    w.show_screen("sign")
    s = w.screens["sign"]
    qtbot.waitUntil(lambda: s.token.count() > 0 and s.sign_btn.isEnabled(), timeout=20000)
    store = _token_store()
    aside = store.parent / "tokens-unplugged"
    real_sign = tokens._token_sign
    calls = []

    def pulled_on_second_file(*a, **kw):
        calls.append(1)
        if len(calls) == 2:
            shutil.move(str(store), str(aside))          # the token leaves the machine ...
            store.mkdir()
            raise p11e.GeneralError()                    # ... while the driver signs the second file
        return real_sign(*a, **kw)

    monkeypatch.setattr(tokens, "_token_sign", pulled_on_second_file)
    _answer_pin(qtbot, "123456", [])
    _key(qtbot, w, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: s.task is None and "F9" in w.message_bar.text.text(), timeout=120000)
    msg = w.message_bar.text.text()
    assert "cắm lại token" in msg and "GeneralError" not in msg
    states = [s.files.item(i, 3).text() for i in range(s.files.rowCount())]
    assert not any("đang" in x for x in states), states      # nothing left "making PDF/A…" / "signing…"
    assert d.status != DossierStatus.SIGNED
    # the light and the list say the token is gone (the module was re-initialised, the slot is empty)
    qtbot.waitUntil(lambda: w.token_light.state != "ok" and s.token.count() == 0, timeout=30000)
    # plugged back in: F9 looks for it and signs the rest with one PIN, no restart
    shutil.rmtree(store)
    shutil.move(str(aside), str(store))
    _answer_pin(qtbot, "123456", [])
    _key(qtbot, w, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: d.status == DossierStatus.SIGNED, timeout=120000)
    roots = station_trust(w.ctx.settings)        # the demo CA is a test CA of the demo home
    signed = sorted((wa.root / "signed").glob("*.pdf"))
    assert len(signed) == 2 and all(verify_file(p, roots).ok for p in signed)
    w.probe_health()
    qtbot.waitUntil(lambda: w.token_light.state == "ok", timeout=30000)
