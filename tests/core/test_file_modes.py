"""Citizen data is private to the clerk's account: a whole dossier made end to end leaves nothing
group- or other-readable in the station home (POSIX)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scanstation import fsio, paths

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes; Windows uses ACLs (docs/security.md)")


def _open_to_others(root: Path) -> list[str]:
    bad = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                continue
            if mode & 0o077:
                bad.append(f"{p.relative_to(root)} {stat.filemode(mode)}")
    mode = root.stat().st_mode
    if mode & 0o077:
        bad.append(f". {stat.filemode(mode)}")
    return bad


def test_demo_dossier_leaves_no_file_readable_by_others(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)              # a home made by an older version, or by hand
    os.chmod(home, 0o755)
    keys = tmp_path / "keys"
    env = dict(os.environ, SCANSTATION_HOME=str(home), SCANSTATION_AUDIT_KEY_DIR=str(keys), PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "scanstation", "demo", "--json"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600, preexec_fn=lambda: os.umask(0o022))
    assert r.returncode == 0, r.stderr
    files = [p for p in home.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert "station.db" in names and "journal.jsonl" in names and any(p.suffix == ".pdf" for p in files)
    assert any("/pages/" in str(p) for p in files)
    assert _open_to_others(home) == []
    assert _open_to_others(keys) == []


def test_atomic_writes_are_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        fsio.atomic_write_text(tmp_path / "new" / "dir" / "a.json", "{}")
        fsio.atomic_copy(tmp_path / "new" / "dir" / "a.json", tmp_path / "copy" / "b.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new" / "dir" / "a.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "copy" / "b.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new" / "dir").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "copy").stat().st_mode) == 0o700


def test_existing_wide_home_is_tightened(tmp_path, monkeypatch):
    home = tmp_path / "old-home"
    home.mkdir()
    os.chmod(home, 0o755)
    monkeypatch.setenv("SCANSTATION_HOME", str(home))
    assert paths.home() == home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(paths.work_dir().stat().st_mode) & 0o077 == 0
