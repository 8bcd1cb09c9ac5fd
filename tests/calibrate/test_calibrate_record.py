"""The record per scanner and the calibration gate (issue 13), Qt-free: runs on the virtual scanner with
known defects, the gate in flow.capture.scan, baseline and drift, the CLI, the migration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from scanstation.errors import ScannerNotCalibrated, ValidationError
from scanstation.flow import calibration as cal
from scanstation.flow.capture import CaptureAction, scan
from scanstation.model import DossierStatus
from scanstation.store.tables import AuditEventRow, CalibrationRow

ROOT = Path(__file__).resolve().parents[2]
DEV = "virtual:demo"
WORN_ROLLERS = "defect=scale-y:-1.5"


@pytest.fixture
def session(station):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier
    from scanstation.resources import resource

    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    return new_dossier(station, dossier)


def _capture(s):
    return scan(s, CaptureAction(component_id="GCS", device=DEV))


def _actions(station) -> list[str]:
    with station.store.session() as db:
        return list(db.scalars(select(AuditEventRow.action).order_by(AuditEventRow.seq)))


def test_a_failing_run_blocks_capture_and_a_run_after_repair_lifts_it(station, session):
    res = cal.run(station, DEV, options=(WORN_ROLLERS,))          # duplex: the front and the back sensor
    assert res["verdict"] == "fail" and res["source"] == "adf-duplex"
    assert [s["side"] for s in res["sides"]] == ["front", "back"]
    for side in res["sides"]:
        assert side["verdict"] == "fail" and side["failed"] == ["scale_y_pct"]
        assert side["measurement"]["scale_error_y_pct"] == pytest.approx(-1.5, abs=0.1)
    with station.store.session() as db:
        rows = list(db.scalars(select(CalibrationRow)))
    assert {(r.device, r.side, r.verdict, r.dpi) for r in rows} == {(DEV, "front", "fail", 300),
                                                                     (DEV, "back", "fail", 300)}
    assert rows[0].model.startswith("Scan station virtual scanner") and rows[0].serial is None
    assert "calibration.run" in _actions(station)
    assert not list((station.settings.dir.parent / "calibration").iterdir())   # the scans were temporary

    station.settings.set("calibration.required", "block", layer="station")
    with pytest.raises(ScannerNotCalibrated) as e:
        _capture(session)
    err = e.value
    assert err.details["reason"] == "failed" and err.details["failed"] == ["scale_y_pct"]
    assert DEV in err.message_en and "scale_y_pct" in err.message_en and "rollers" in err.message_en
    assert "calibrate run --device virtual:demo" in err.message_en
    assert "con lăn" in err.message_vi and "Không được quét" in err.message_vi
    # refused before the scanner moved: nothing journaled, no page, no status change, no capture event
    assert not session.workarea.journal_path.exists() or not session.workarea.journal_path.read_text().strip()
    assert not session.component("GCS").pages and session.dossier.status == DossierStatus.INTAKE
    assert not [a for a in _actions(station) if a.startswith("capture.")]

    assert cal.run(station, DEV)["verdict"] == "pass"              # repaired: no defect
    assert cal.gate(station, DEV) is None
    out = _capture(session)
    assert out.pages and out.warnings == []


def test_warn_mode_lets_capture_go_with_the_warning(station, session):
    cal.run(station, DEV, "adf", options=("defect=streak:900/3/-40",))
    station.settings.set("calibration.required", "warn", layer="station")
    out = _capture(session)
    assert out.pages
    assert len(out.warnings) == 1 and "streak_delta_L" in out.warnings[0] and "glass" in out.warnings[0]


def test_gate_off_by_default_never_calibrated_and_too_old(station, session):
    assert station.settings.get("calibration.required") == "off"
    assert cal.gate(station, DEV) is None                           # off: no calibration needed
    station.settings.set("calibration.required", "block", layer="station")
    with pytest.raises(ScannerNotCalibrated) as e:
        _capture(session)
    assert e.value.details["reason"] == "never" and "no calibration on record" in e.value.message_en

    cal.run(station, DEV, "adf")
    assert cal.gate(station, DEV) is None
    with station.store.session() as db:                            # the run is now 40 days old
        for r in db.scalars(select(CalibrationRow)):
            r.at = datetime.now(UTC) - timedelta(days=40)
    station.settings.set("calibration.required", "warn", layer="station")
    w = cal.gate(station, DEV)
    assert w is not None and w.details["reason"] == "expired" and "40 days ago" in w.message_en
    station.settings.set("calibration.max_age_days", 60, layer="station")
    assert cal.gate(station, DEV) is None


def test_a_simplex_run_does_not_lift_a_failing_back_sensor(station):
    res = cal.run(station, DEV, "adf-duplex", options=("defect-back=scale-x:1.6",))
    assert [(s["side"], s["verdict"]) for s in res["sides"]] == [("front", "pass"), ("back", "fail")]
    cal.run(station, DEV, "adf")                                    # front only, passes
    station.settings.set("calibration.required", "warn", layer="station")
    w = cal.gate(station, DEV)
    assert w is not None and "scale_x_pct back" in w.message_en and "mặt sau" in w.message_vi


def test_history_shows_drift_from_the_baseline_and_a_trend_before_it_fails(station):
    assert cal.history(station, DEV) == []
    with pytest.raises(ValidationError):
        cal.set_baseline(station, DEV)                              # nothing to make the baseline
    cal.run(station, DEV, "adf")
    b = cal.set_baseline(station, DEV)
    assert b["sides"] == ["front"]
    drifted = cal.run(station, DEV, "adf", options=("defect=scale-y:-0.8",))
    assert drifted["verdict"] == "pass" and drifted["sides"][0]["reference"] == "baseline"
    h = cal.history(station, DEV)
    assert [(r["baseline"], r["verdict"]) for r in h] == [(True, "pass"), (False, "pass")]
    assert h[0]["drift"]["scale_y_pct"] == 0
    assert h[1]["drift"]["scale_y_pct"] == pytest.approx(-0.8, abs=0.1)
    assert "scale_y_pct" in h[1]["watch"] and "scale_y_pct" not in h[0]["watch"]
    assert h[1]["figures"]["tone_delta_L"] < 1                      # tone against the baseline's own patches

    cal.run(station, DEV, "adf", options=(WORN_ROLLERS,))
    with pytest.raises(ValidationError, match="good order"):       # a failing run cannot be the baseline
        cal.set_baseline(station, DEV)
    assert [r["baseline"] for r in cal.history(station, DEV)] == [True, False, False]
    assert "calibration.baseline" in _actions(station)


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scanstation", "calibrate", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)


def test_cli_run_baseline_history_and_exit_codes(station_home):
    p = _cli("run", "--device", DEV, "--source", "adf", "--option", WORN_ROLLERS, "--json")
    assert p.returncode == 1, p.stderr
    res = json.loads(p.stdout)
    assert res["verdict"] == "fail" and res["sides"][0]["failed"] == ["scale_y_pct"]
    p = _cli("baseline", "--device", DEV)
    assert p.returncode == 2 and p.stderr.startswith("error: ") and "good order" in p.stderr
    p = _cli("run", "--device", DEV, "--source", "adf")
    assert p.returncode == 0 and "PASS" in p.stdout, p.stderr
    assert _cli("baseline", "--device", DEV).returncode == 0
    p = _cli("history", "--device", DEV, "--json")
    assert p.returncode == 0
    runs = json.loads(p.stdout)["runs"]
    assert [(r["verdict"], r["baseline"]) for r in runs] == [("fail", False), ("pass", True)]
    assert runs[0]["drift"]["scale_y_pct"] == pytest.approx(-1.5, abs=0.1)
    assert "[baseline]" in _cli("history", "--device", DEV).stdout
    for bad in (("run", "--device", "virtual:nope"), ("run", "--device", DEV, "--source", "tray"),
                ("run", "--device", DEV, "--dpi", "9999"), ("run", "--device", DEV, "--option", "defect=wobble:1")):
        p = _cli(*bad)
        assert p.returncode == 2, (bad, p.stdout, p.stderr)


def test_a_station_database_from_before_is_migrated_on_start(station_home):
    from alembic import command
    from sqlalchemy import create_engine, inspect, text

    from scanstation.store.db import alembic_config, head_revision, open_store

    url = f"sqlite:///{station_home / 'old.db'}"
    command.upgrade(alembic_config(url), "0002")                    # a station installed before issue 13
    assert not inspect(create_engine(url)).has_table("calibration")
    store = open_store(url)
    with store.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    assert inspect(store.engine).has_table("calibration")
    store.dispose()
