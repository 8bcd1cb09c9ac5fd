"""Where a station keeps its state: one home folder (``SCANSTATION_HOME`` or the user data dir)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "scanstation"


def home() -> Path:
    """The station's home. ``SCANSTATION_HOME`` puts everything (db, work area, settings) under one folder."""
    env = os.environ.get("SCANSTATION_HOME")
    p = Path(env) if env else Path(platformdirs.user_data_dir(APP, appauthor=False))
    p.mkdir(parents=True, exist_ok=True)
    return p


def work_dir() -> Path:
    p = home() / "work"
    p.mkdir(parents=True, exist_ok=True)
    return p


def settings_dir() -> Path:
    p = home() / "settings"
    p.mkdir(parents=True, exist_ok=True)
    return p


def default_db_url() -> str:
    return f"sqlite:///{home() / 'station.db'}"


def audit_anchor_path() -> Path:
    return home() / "audit.head"
