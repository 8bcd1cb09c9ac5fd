"""Sampling review (C9): pages captured on the virtual scanner are drawn at random, reviewed against the
checklist, recorded (table ``review``, audit events) and summed per clerk and per scanner; the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from scanstation.errors import ValidationError
from scanstation.flow import review
from scanstation.flow.capture import CaptureAction, scan
from scanstation.store.tables import AuditEventRow, ReviewRow

ROOT = Path(__file__).resolve().parents[2]
ALL_YES = {k: True for k in review.CHECK_KEYS}


@pytest.fixture
def captured(station):
    """Two dossiers by two clerks, scanned on the virtual scanner: returns the kept page ids."""
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier
    from scanstation.resources import resource

    ids = []
    for clerk, code in (("Nguyễn Văn A", "R-1"), ("Trần Thị B", "R-2")):
        dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
        dossier.clerk, dossier.receipt_code = clerk, code
        s = new_dossier(station, dossier)
        out = scan(s, CaptureAction(component_id="GCS", device="virtual:demo"))
        ids += [p.id for p in out.pages]
    return ids


def _day() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now - timedelta(hours=1), now + timedelta(hours=1)


def test_sample_draws_the_share_once_records_answers_and_sums_per_clerk_and_scanner(station, captured):
    assert review.sample_size(len(captured), 5) == 1 and review.sample_size(40, 5) == 2
    assert review.sample_size(0, 5) == 0 and review.sample_size(3, 100) == 3
    start, end = _day()
    first = review.sample(station, start, end, pct=50, seed=7)
    assert first["population"] == len(captured)
    assert len(first["items"]) == review.sample_size(len(captured), 50)
    assert {i["page_id"] for i in first["items"]} <= set(captured)
    assert all(Path(i["file"]).is_file() and i["device"] == "virtual:demo" for i in first["items"])
    assert {i["clerk"] for i in first["items"]} <= {"Nguyễn Văn A", "Trần Thị B"}
    rest = review.sample(station, start, end, pct=100, seed=7)            # the pages not drawn before
    assert rest["population"] == len(captured) - len(first["items"])
    assert not {i["page_id"] for i in first["items"]} & {i["page_id"] for i in rest["items"]}
    nothing = review.sample(station, start - timedelta(days=3), start - timedelta(days=2), pct=100)
    assert nothing["population"] == 0 and nothing["items"] == []

    a, b = first["items"][0], rest["items"][0]
    done = review.record(station, a["id"], ALL_YES)
    assert done["passed"] is True and done["reviewer"] == station.actor
    bad = review.record(station, b["id"], {**ALL_YES, "whole_page": False}, note="  mép trang bị cắt ")
    assert bad["passed"] is False and bad["note"] == "mép trang bị cắt"
    with pytest.raises(ValidationError, match="already reviewed"):
        review.record(station, a["id"], ALL_YES)

    s = review.summary(station, start, end)
    assert s["total"]["sampled"] == len(captured)
    assert s["total"]["reviewed"] == 2 and s["total"]["passed"] == 1 and s["total"]["failed"] == 1
    assert s["total"]["failed_by_check"]["whole_page"] == 1
    assert set(s["by_clerk"]) == {"Nguyễn Văn A", "Trần Thị B"}
    assert sum(t["sampled"] for t in s["by_clerk"].values()) == len(captured)
    assert s["by_scanner"]["virtual:demo"]["failed"] == 1
    with station.store.session() as db:
        actions = list(db.scalars(select(AuditEventRow.action)))
        row = db.get(ReviewRow, b["id"])
        assert row is not None and row.whole_page is False and row.legible is True
    assert actions.count("review.sample") == 3 and actions.count("review.record") == 2


def test_bad_input_is_refused_and_writes_nothing(station, captured):
    start, end = _day()
    with pytest.raises(ValidationError, match="period is empty"):
        review.sample(station, end, start)
    with pytest.raises(ValidationError, match="above 0"):
        review.sample(station, start, end, pct=0)
    item = review.sample(station, start, end, pct=100)["items"][0]
    with pytest.raises(ValidationError, match="missing: colour"):
        review.record(station, item["id"], {k: True for k in review.CHECK_KEYS if k != "colour"})
    with pytest.raises(ValidationError, match="unknown: sharp"):
        review.record(station, item["id"], {**ALL_YES, "sharp": True})
    with pytest.raises(ValidationError, match="No sampled page"):
        review.record(station, "nope", ALL_YES)
    assert review.items(station, pending_only=True)[0].reviewed is False
    assert len(review.items(station, pending_only=True)) == len(captured)


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SCANSTATION_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "scanstation", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def test_cli_sample_record_list(station, captured, station_home):
    from scanstation.cli import cmd_review

    assert tuple(k for k, _, _ in cmd_review._checklist()) == review.CHECK_KEYS
    today = datetime.now(UTC).date().isoformat()
    r = _cli("review", "sample", "--from", today, "--to", today, "--pct", "100", "--json", home=station_home)
    assert r.returncode == 0, r.stderr
    items = json.loads(r.stdout)["items"]
    assert len(items) == len(captured)
    r = _cli("review", "record", items[0]["id"], "--legible", "yes", "--whole-page", "yes", "--orientation", "no",
             "--colour", "yes", "--note", "lộn ngược", home=station_home)
    assert r.returncode == 0 and "FAIL" in r.stdout and "orientation=no" in r.stdout, r.stderr
    r = _cli("review", "record", items[1]["id"], "--legible", "maybe", "--whole-page", "yes", "--orientation", "yes",
             "--colour", "yes", home=station_home)
    assert r.returncode == 2 and "error: --legible 'maybe': answer yes or no" in r.stderr
    assert "Traceback" not in r.stderr
    r = _cli("review", "list", "--from", "2026-13-01", "--to", today, home=station_home)
    assert r.returncode == 2 and "expected a date YYYY-MM-DD" in r.stderr
    r = _cli("review", "list", "--from", today, "--to", today, home=station_home)
    assert r.returncode == 0
    assert "failed: orientation" in r.stdout and "per clerk:" in r.stdout and "per scanner:" in r.stdout
    assert "virtual:demo: " in r.stdout


def test_a_station_database_from_issue_13_gets_the_review_table(station_home):
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from scanstation.store.db import alembic_config, open_store

    url = f"sqlite:///{station_home / 'old.db'}"
    command.upgrade(alembic_config(url), "0003")
    assert not inspect(create_engine(url)).has_table("review")
    store = open_store(url)
    cols = {c["name"] for c in inspect(store.engine).get_columns("review")}
    assert {"page_id", "clerk", "device", "legible", "whole_page", "orientation", "colour", "reviewer"} <= cols
    store.dispose()
    command.downgrade(alembic_config(url), "0003")
    assert not inspect(create_engine(url)).has_table("review")
