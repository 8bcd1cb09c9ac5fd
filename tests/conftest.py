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
    return home


@pytest.fixture
def station(station_home):
    from scanstation.flow import Station

    st = Station()
    yield st
    st.store.dispose()
