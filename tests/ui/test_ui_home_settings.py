"""Home lists today's dossiers and opens one; Settings keeps IT's locked values read-only for clerks."""

import os

from PySide6.QtCore import Qt

from scanstation.config import Settings
from scanstation.dossier_io import load_dossier_file
from scanstation.resources import resource


def _new_dossier(station, code):
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    d.receipt_code = code
    station.create_dossier(d)
    return d


def test_home_lists_todays_dossiers_and_opens_one_with_enter(make_window, qtbot):
    w = make_window()
    home = w.screens["home"]
    qtbot.waitUntil(lambda: home.empty.isVisibleTo(home))
    _new_dossier(w.ctx.station, "HS-0001")
    _new_dossier(w.ctx.station, "HS-0002")
    qtbot.keyClick(home.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: home.table.rowCount() == 2)
    assert {home.table.item(i, 0).text() for i in range(2)} == {"HS-0001", "HS-0002"}
    assert home.table.item(0, 3).text() == "Received"
    assert not home.empty.isVisibleTo(home)
    home.table.setFocus()
    home.table.selectRow(1)
    code = home.table.item(1, 0).text()
    qtbot.keyClick(home.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.ctx.dossier is not None)
    assert w.ctx.dossier.receipt_code == code
    assert w.current_screen().key == "capture"
    assert code in w.dossier_label.text()


def test_health_tiles_show_each_part(make_window, qtbot):
    w = make_window()
    home = w.screens["home"]
    w._set_health({"scanner": {"state": "missing", "device": "fujitsu:fi-7160"},
                   "token": {"state": "ok", "label": "VNPT-CA", "pin_low": True},
                   "queue": {"state": "offline", "pending": 3, "attention": 1}})
    assert "fujitsu:fi-7160" in home.scanner_tile.state.text() and home.scanner_tile.level == "error"
    assert home.token_tile.level == "warn" and "few PIN tries" in home.token_tile.state.text()
    assert home.queue_tile.level == "error" and "3 waiting, 1 need attention" in home.queue_tile.state.text()
    assert w.queue_light.state == "error"


def test_locked_values_are_read_only_for_clerks(make_window, qtbot):
    st = Settings()
    st.set("scanner.device", "sane:fujitsu", layer="station")
    st.lock("scanner.device")
    w = make_window()
    w.show_screen("settings")
    s = w.screens["settings"]
    dev = s.editors["scanner.device"]
    assert dev.widget.isReadOnly() and "locked" in dev.source.text()
    assert s.editors["station.id"].widget.isReadOnly()             # IT-only option
    assert not s.editors["clerk.name"].widget.isReadOnly()
    assert not dev.lock.isVisibleTo(s)
    s.editors["clerk.name"].widget.setText("Trần Văn Đức")
    dev.widget.setText("virtual:demo")                             # ignored: locked
    qtbot.keyClick(s.editors["clerk.name"].widget, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: s.status.text() == "Saved.")
    fresh = Settings()
    assert fresh.get("clerk.name") == "Trần Văn Đức" and fresh.source("clerk.name") == "clerk"
    assert fresh.get("scanner.device") == "sane:fujitsu"
    ev = [e.details for e in w.ctx.station.audit.events() if e.action == "settings.changed"]
    assert [(d["key"], d["layer"], d["new"]) for d in ev] == [("clerk.name", "clerk", "Trần Văn Đức")]
    assert ev[0]["os_account"] and ev[0]["machine"]


def test_it_mode_edits_station_values_and_locks(make_window, qtbot):
    w = make_window()
    w.show_screen("settings")
    s = w.screens["settings"]
    assert os.access(w.ctx.settings.dir, os.W_OK)
    qtbot.keyClick(s, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.ctx.it_mode and s.editors["station.id"].widget.isReadOnly() is False
    s.editors["station.id"].widget.setText("MOTCUA-EA-TU-02")
    s.editors["scanner.profile"].widget.setCurrentText("a4-color-300")     # a name typed in
    s.editors["scanner.profile"].lock.setChecked(True)
    s.save()
    qtbot.waitUntil(lambda: s.status.text() == "Saved.")
    fresh = Settings()
    assert fresh.get("station.id") == "MOTCUA-EA-TU-02" and fresh.source("station.id") == "station"
    assert fresh.is_locked_for_clerk("scanner.profile") and fresh.get("scanner.profile") == "a4-color-300"
    s.it_btn.setChecked(False)
    assert not s.editors["scanner.profile"].widget.isEnabled()              # locked: not editable by clerks


def test_a_wrong_value_is_named_and_nothing_is_written(make_window, qtbot):
    w = make_window()
    s = w.screens["settings"]
    s.it_btn.setChecked(True)
    assert "scanner.profiles" not in s.editors          # a form on the IT screen now, not JSON text
    s.editors["calibration.tolerances"].widget.setPlainText("{not json")
    s.save()
    qtbot.waitUntil(lambda: "calibration.tolerances" in s.status.text())
    assert "not valid JSON" in s.status.text()
    assert Settings().get("calibration.tolerances") == {}
