"""The licence choice and what it rests on (README "Licence")."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_station_is_mit_in_pyproject_and_license_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text("utf-8").startswith("MIT License")


def test_twain_worker_imports_only_gpl2_compatible_code() -> None:
    """pytwain (GPL-2.0) lives only in the TWAIN worker process: that process must not pull in
    Apache-2.0 or LGPL-3.0 code (OpenCV, Qt, img2pdf, pikepdf's qpdf is Apache too, pyHanko's deps)."""
    code = ("import sys, scanstation.devices._twain_worker\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = set(r.stdout.split())
    assert "scanstation" in loaded
    forbidden = {"cv2", "PySide6", "shiboken6", "img2pdf", "pikepdf", "pyhanko", "cryptography", "requests",
                 "sqlalchemy", "tesserocr", "stdnum"}
    assert not loaded & forbidden, loaded & forbidden


def test_windows_lock_is_hashed_and_has_the_windows_only_dependencies() -> None:
    lines = [ln for ln in (ROOT / "installer" / "requirements-win.txt").read_text("utf-8").splitlines()
             if ln and not ln.startswith("#")]
    assert lines and all("==" in ln and "--hash=sha256:" in ln for ln in lines)
    names = {ln.split("==")[0] for ln in lines}
    assert {"tzdata", "pywin32-ctypes", "pytwain", "pyside6-essentials", "tesserocr"} <= names
    assert not names & {"jeepney", "secretstorage"}          # Linux-only keyring back-ends
