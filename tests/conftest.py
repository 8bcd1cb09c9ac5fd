"""Shared fixtures: every test runs against its own station home, never a clerk's real data."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def station_home(tmp_path, monkeypatch):
    home = tmp_path / "station-home"
    home.mkdir()
    monkeypatch.setenv("SCANSTATION_HOME", str(home))
    # The audit key lives outside the home (never in the user's real config folder during tests).
    monkeypatch.setenv("SCANSTATION_AUDIT_KEY_DIR", str(tmp_path / "audit-keys"))
    # The suite's stations follow the seeds' profile (lossless, no text layer: fast), as an IT-set station
    # layer would; the tests of the 2025 rules (the default for a new station) ask for them, or for a
    # fresh station without this file (``fresh_station``).
    import json

    # the window's demo mode keeps its own home inside this one (``<home>/demo``): pinned the same way
    for settings in (home / "settings", home / "demo" / "settings"):
        settings.mkdir(mode=0o700, parents=True)
        (settings / "station.json").write_text(json.dumps(
            {"version": 1, "values": {"compliance.profile": "vn-2019-seeds"}, "locked": []}), "utf-8")
    return home


@pytest.fixture
def fresh_station(station_home):
    """A station as installed, with no station settings at all (embedded defaults)."""
    for settings in (station_home / "settings", station_home / "demo" / "settings"):
        (settings / "station.json").unlink()
    return station_home


@pytest.fixture
def station(station_home):
    from scanstation.flow import Station

    st = Station()
    yield st
    st.store.dispose()
