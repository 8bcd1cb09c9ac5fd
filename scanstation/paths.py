"""Where a station keeps its state: one home folder (``SCANSTATION_HOME`` or the user data dir)."""

from __future__ import annotations

import os
import sys
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


def station_settings_dir() -> Path:
    """Where the station (machine) layer of the settings lives; only IT staff can write it (the OS decides).

    ``SCANSTATION_STATION_DIR`` if set (tests, training machines); else, when ``SCANSTATION_HOME`` makes a
    self-contained home (the demo, tests), its ``settings`` folder; else the machine's folder:
    ``%ProgramData%\\scanstation`` on Windows, ``/etc/scanstation`` elsewhere. Not created here: a clerk's
    account cannot create it, and a missing file means the embedded defaults."""
    env = os.environ.get("SCANSTATION_STATION_DIR")
    if env:
        return Path(env)
    if os.environ.get("SCANSTATION_HOME"):
        return settings_dir()
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA") or r"C:\ProgramData") / APP
    return Path("/etc") / APP


def default_db_url() -> str:
    return f"sqlite:///{home() / 'station.db'}"


def audit_anchor_path() -> Path:
    return home() / "audit.head"
