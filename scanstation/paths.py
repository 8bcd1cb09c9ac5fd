"""Where a station keeps its state: one home folder (``SCANSTATION_HOME`` or the user data dir)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP = "scanstation"
PRIVATE_DIR_MODE = 0o700     # the station home and its folders: the clerk's account only (POSIX)
PRIVATE_FILE_MODE = 0o600    # citizen data: database, page images, journals, PDFs, settings, logs, caches
_PRIVATE_UMASK = 0o077
_tightened: set[Path] = set()


def private_umask() -> None:
    """Make every file and folder this process creates private to its account (POSIX: 0600/0700).

    Called once at start-up by the command line, the window and the demo, before anything is
    written; covers every writer (SQLite and its WAL, images, journals, PDFs, OCR cache, logs) at
    once. On Windows the umask is irrelevant: the per-user home under %LOCALAPPDATA% is private to
    the account, and the installer sets the ACLs of the shared ProgramData folders (docs/security.md)."""
    if os.name == "posix":
        os.umask(_PRIVATE_UMASK)


def private_dir(p: Path) -> Path:
    """Create ``p`` (and its missing parents) as private folders; tighten ``p`` itself if it exists
    with wider rights and belongs to this account (a home created by an older version at 0755)."""
    p = Path(p)
    p.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if os.name == "posix" and p not in _tightened:
        try:
            st = p.stat()
            if st.st_uid == os.geteuid() and st.st_mode & 0o077:
                os.chmod(p, st.st_mode & ~0o077 & 0o7777)
        except OSError:
            pass
        _tightened.add(p)
    return p


def home() -> Path:
    """The station's home. ``SCANSTATION_HOME`` puts everything (db, work area, settings) under one folder."""
    env = os.environ.get("SCANSTATION_HOME")
    p = Path(env) if env else Path(platformdirs.user_data_dir(APP, appauthor=False))
    return private_dir(p)


def work_dir() -> Path:
    return private_dir(home() / "work")


def settings_dir() -> Path:
    return private_dir(home() / "settings")


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


def audit_key_dir() -> Path:
    """Where the audit chain's HMAC keys live: outside the station home and never in the database.

    ``SCANSTATION_AUDIT_KEY_DIR`` when set; on Windows ``%PROGRAMDATA%\\scanstation\\audit-keys`` (the
    installer limits it to administrators and the station's clerks); elsewhere
    ``~/.config/scanstation/audit-keys``. Created 0700."""
    env = os.environ.get("SCANSTATION_AUDIT_KEY_DIR")
    if env:
        p = Path(env)
    elif os.name == "nt":
        p = Path(platformdirs.site_config_dir(APP, appauthor=False)) / "audit-keys"
    else:
        p = Path(platformdirs.user_config_dir(APP, appauthor=False)) / "audit-keys"
    return private_dir(p)
