"""The Windows installer, built by ``installer/build.py`` and smoke-tested under Wine (Debian's wine 8.0).

One module-scoped run: build the installer (wheels cached in ~/.cache/scanstation-installer), make a
fresh 64-bit Wine prefix with the test-only stand-in DLLs of ``wine_shims/`` (never shipped), install
silently as real IT staff would (``setup.exe /S``), then use the *installed* runtime: ``--version``,
``devices --json``, a headless ``demo --json``, the pytwain worker against Wine's TWAIN source manager,
a screenshot of the main window through Qt's ``windows`` platform plugin on Xvfb, the ProgramData ACL,
an upgrade over the installed version, a second install while the station runs, and the uninstaller.

What Wine cannot do, and what is checked instead:
- admin rights: the Wine user is always an administrator (``UserInfo::GetAccountType`` says "Admin"),
  so the refusal of a non-admin install cannot run; the script's check is covered by reading the
  built script (``test_nsis_script_guards``).
- a disk too small: a Wine drive is a Unix folder on the host's disk; the same script check is read.
- signing: no PKCS#11 module (SoftHSM2) exists on the Windows side, so the demo's signing stage must
  report itself "unavailable" with the reason, after capture, checks and assembly.
- the ProgramData ACL: Wine 8's icacls.exe is a stub (exit 0, no change); the test checks the call
  succeeded and what Wine models (a DACL derived from Unix modes), and the script's exact grants.
- ProcessPoolExecutor (the QC pool) hangs under Wine 8, which drops zero-length pipe messages: a
  test-only ``.pth`` patch in the prefix (wine_shims/wine_mp_wakeup.py) sends one byte instead.
- Wine 8 aborts Python when stdout is a regular file: every run here reads through pipes.
- Wine removes ``QT_*`` variables: the window test sets the platform inside Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wine, pytest.mark.timeout(1800)]


def _usual_umask() -> None:
    os.umask(0o022)


ROOT = Path(__file__).resolve().parents[2]
SHIMS = Path(__file__).with_name("wine_shims")
APP = "Trạm số hóa hồ sơ"
INSTDIR_WIN = r"C:\Program Files\scanstation"
WINE64 = shutil.which("wine64") or "/usr/lib/wine/wine64"
DLL_OVERRIDES = "mscoree,mshtml=;ucrtbase=n,b;mscms=n,b;_wmi.pyd=d"
ARTIFACTS = ROOT / "build" / "wine-smoke"          # screenshot and logs, kept for a human to look at


def _version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


@pytest.fixture(scope="module")
def setup_exe(tmp_path_factory) -> Path:
    """The installer: built here (SCANSTATION_INSTALLER_EXE reuses one built by `make installer`)."""
    given = os.environ.get("SCANSTATION_INSTALLER_EXE")
    if given:
        return Path(given)
    tmp = tmp_path_factory.mktemp("installer")
    r = subprocess.run([sys.executable, str(ROOT / "installer" / "build.py"), "--work", str(tmp / "work"),
                        "--out", str(tmp / "dist"), "--compressor", "zlib"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    exe = tmp / "dist" / f"scanstation-{_version()}-setup.exe"
    assert exe.is_file()
    shutil.rmtree(tmp / "work", ignore_errors=True)       # 470 MB of staged files
    return exe


class Wine:
    def __init__(self, prefix: Path) -> None:
        self.prefix = prefix
        self.env = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all", "WINEARCH": "win64",
                    "WINEDLLOVERRIDES": DLL_OVERRIDES, "PYTHONIOENCODING": "utf-8", "PYTHONUTF8": "1"}
        self.env.pop("DISPLAY", None)
        self.drive_c = prefix / "drive_c"

    def unix(self, win_path: str) -> Path:
        assert win_path[:3].upper() == "C:\\", win_path
        return self.drive_c / win_path[3:].replace("\\", "/")

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 600,
            xvfb: bool = False) -> subprocess.CompletedProcess:
        cmd = [WINE64, *args]
        if xvfb:
            cmd = ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", *cmd]
        # pipes, never files: Wine 8's python.exe aborts when stdout is a regular file
        # A Windows machine's usual umask for Wine (and the wineserver it starts): Wine derives the folders'
        # ACLs from their Unix modes, and another test may have left this process with the station's 077.
        return subprocess.run(cmd, env={**self.env, **(env or {})}, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, text=True, encoding="utf-8", errors="replace",
                              preexec_fn=_usual_umask)

    def python(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.run(INSTDIR_WIN + r"\Python\python.exe", *args, **kw)

    def station(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return self.python("-m", "scanstation", *args, **kw)


@pytest.fixture(scope="module")
def wine(tmp_path_factory) -> Wine:
    """A fresh 64-bit prefix with the test-only stand-in DLLs (see wine_shims/README.md)."""
    base = tmp_path_factory.mktemp("wine")
    w = Wine(base / "prefix")
    r = w.run("wineboot", "-i", timeout=300)
    assert (w.drive_c / "windows" / "system32" / "kernel32.dll").exists(), r.stderr[-2000:]
    system32 = w.drive_c / "windows" / "system32"
    built = base / "shims"
    built.mkdir()
    for name, libs in (("icuuc", []), ("bcryptprimitives", ["-ladvapi32"]), ("mscms", [])):
        subprocess.run(["x86_64-w64-mingw32-gcc", "-O2", "-shared", "-s", "-o", str(built / f"{name}.dll"),
                        str(SHIMS / f"{name}.c"), *libs], check=True)
        shutil.copy(built / f"{name}.dll", system32 / f"{name}.dll")
    subprocess.run([sys.executable, str(SHIMS / "patch_ucrtbase.py"), str(system32 / "ucrtbase.dll"),
                    str(built / "ucrtbase.dll")], check=True, capture_output=True)
    shutil.copy(built / "ucrtbase.dll", system32 / "ucrtbase.dll")
    return w


@pytest.fixture(scope="module")
def installed(wine: Wine, setup_exe: Path) -> Wine:
    t0 = time.monotonic()
    r = wine.run(str(setup_exe), "/S")
    wine.install_seconds = time.monotonic() - t0  # type: ignore[attr-defined]
    assert r.returncode == 0, f"silent install failed ({r.returncode}): {r.stdout[-2000:]} {r.stderr[-2000:]}"
    assert wine.unix(INSTDIR_WIN + r"\Python\python.exe").is_file()
    _add_test_only_python_shim(wine)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return wine


def _add_test_only_python_shim(wine: Wine) -> None:
    """Wine 8 drops zero-length pipe messages, which hangs ProcessPoolExecutor (the QC pool): patch
    it in this prefix only (wine_shims/wine_mp_wakeup.py); an upgrade/reinstall removes it again."""
    site = wine.unix(INSTDIR_WIN + r"\Python\Lib\site-packages")
    shutil.copy(SHIMS / "wine_mp_wakeup.py", site / "wine_mp_wakeup.py")
    (site / "wine_mp_wakeup.pth").write_text("import wine_mp_wakeup\n")


def _json(r: subprocess.CompletedProcess):
    assert r.returncode == 0, f"rc={r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def test_silent_install_lays_out_the_station(installed: Wine) -> None:
    inst = installed.unix(INSTDIR_WIN)
    site = inst / "Python" / "Lib" / "site-packages"
    for rel in ("Python/python.exe", "Python/pythonw.exe", "Python/python313.dll", "scanstation.cmd",
                "uninstall.exe", "LICENSE.txt", "THIRD-PARTY-NOTICES.txt", "BUILDINFO.txt",
                "app/scanstation/cli/__init__.py", "app/resources/icc/sRGB.icc", "app/resources/demo/dossier.json",
                "app/scanstation/ui/i18n/scanstation_vi.qm", "app/resources/fonts/NotoSans-Regular.ttf",
                "app/resources/fonts/NotoSerif-Regular.ttf", "Python/tessdata/vie.traineddata",
                "Python/Lib/site-packages/PySide6/plugins/platforms/qwindows.dll",
                "Python/Lib/site-packages/twain/__init__.py"):
        assert (inst / rel).is_file(), rel
    # the post-install step compiled the station and its libraries for CPython 3.13
    assert list((inst / "app" / "scanstation" / "__pycache__").glob("*.cpython-313.pyc"))
    # trimmed: no Qt developer tools, no FFmpeg, no stray coverage report
    assert not list((site / "PySide6").glob("*.exe"))
    assert not (site / "colour" / "htmlcov").exists()
    # the licence page's text and the notices
    assert "MIT License" in (inst / "LICENSE.txt").read_text("utf-8")
    notices = (inst / "THIRD-PARTY-NOTICES.txt").read_text("utf-8-sig")
    for needle in ("PySide6_Essentials", "LGPL", "pyHanko", "opencv-python-headless", "Apache",
                   "tesserocr", "pytwain", "GPL", "CPython 3.13.2", "OFL-1.1"):
        assert needle.lower() in notices.lower(), needle
    # per-machine Start-menu entries, in Vietnamese
    menu = installed.drive_c / "ProgramData" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / APP
    assert sorted(p.name for p in menu.glob("*.lnk")) == sorted(
        [f"{APP}.lnk", f"Gỡ cài đặt {APP}.lnk", "Thông tin bản quyền.lnk"])
    # registered for Apps & features, with the version
    r = installed.run("reg", "query", r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\scanstation")
    assert r.returncode == 0 and _version() in r.stdout and "uninstall.exe" in r.stdout, r.stdout


def test_version_through_the_installed_runtime(installed: Wine) -> None:
    r = installed.station("--version")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == f"scanstation {_version()}"
    # the console launcher IT staff put on PATH
    r = installed.run("cmd", "/c", INSTDIR_WIN + r"\scanstation.cmd", "--version")
    assert r.stdout.strip().endswith(f"scanstation {_version()}"), r.stdout + r.stderr


def test_devices_lists_the_virtual_scanner_and_no_twain_source_manager_is_not_an_error(installed: Wine) -> None:
    r = installed.station("devices", "--json")
    data = _json(r)
    ids = [d["id"] for d in data["devices"]]
    assert any(i.startswith("virtual:") for i in ids), ids
    # a 64-bit station uses twaindsm.dll (TWAIN 2 DSM, from scanner drivers); Wine has none, so no
    # TWAIN scanner is listed, and that is not reported as a failure
    assert not any(i.startswith("twain:") for i in ids), ids
    assert "discovery failed" not in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    (ARTIFACTS / "devices.json").write_text(r.stdout, "utf-8")


def test_pytwain_worker_enumerates_wines_source_manager(installed: Wine) -> None:
    """pytwain in the station's worker process opens Wine's 64-bit DSM and lists its data sources."""
    probe = ("import json, logging\n"
             "from scanstation.devices._twain import TwainDriver\n"
             "if __name__ == '__main__':   # the worker is spawned: it re-imports this file\n"
             "    logging.basicConfig(level=logging.INFO)\n"
             "    d = TwainDriver('pytwain')\n"
             "    try:\n"
             "        print(json.dumps([x.id for x in d.list_devices()]))\n"
             "    finally:\n"
             "        d.close()\n")
    script = installed.unix(r"C:\twprobe.py")
    script.write_text(probe, "utf-8")
    r = installed.python(r"C:\twprobe.py", env={"SCANSTATION_TWAIN_DSM": r"C:\windows\system32\twain_32.dll"})
    assert r.returncode == 0, r.stderr[-3000:]
    ids = json.loads(r.stdout.strip().splitlines()[-1])
    assert "discovery failed" not in r.stderr, r.stderr[-2000:]
    # Debian's Wine ships the GPhoto2 source; without gphoto2 it may list none: both are a clean outcome
    assert all(i.startswith("twain:") for i in ids), ids
    (ARTIFACTS / "twain.txt").write_text(f"sources via Wine's twain_32.dll: {ids}\n{r.stderr[-3000:]}", "utf-8")
    # without a DSM: the worker answers with an empty list and says why (logged at INFO, not WARNING)
    r = installed.python(r"C:\twprobe.py")
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1]) == []
    assert "no TWAIN data source manager is installed" in r.stderr, r.stderr[-2000:]


def test_headless_demo_captures_checks_assembles_and_says_why_it_cannot_sign(installed: Wine) -> None:
    home = r"C:\users\Public\scanstation-demo"
    r = installed.station("demo", "--json", env={"SCANSTATION_HOME": home}, timeout=900)
    report = {s["stage"]: s for s in _json(r)}
    (ARTIFACTS / "demo.json").write_text(r.stdout, "utf-8")
    for stage in ("intake", "capture", "qc", "assemble"):
        assert report[stage]["status"] == "done", report[stage]
    assert report["capture"]["pages"] > 0
    assert report["assemble"]["files"], report["assemble"]
    # the installed runtime's Tesseract and its bundled models make the 2025 rules' text layer
    assert (report["assemble"]["profile"], report["assemble"]["layers"]) == ("vn-2025", "image + OCR text")
    pdfs = list(installed.unix(home).rglob("*.pdf"))
    assert pdfs and all(p.read_bytes().startswith(b"%PDF-") for p in pdfs), pdfs
    sign = report["sign"]
    assert sign["status"] == "unavailable" and sign["reason"] == "no_pkcs11_module", sign
    assert "no software PKCS#11 token" in sign["detail"] and sign["platform"] == "win32"
    assert report["queue"]["status"] == "skipped"


WINDOW_PROBE = r"""
import os, sys
from pathlib import Path


def main():
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication
    app = QApplication(sys.argv[:1] + ["-platform", "windows"])   # Wine drops QT_* variables: name it here
    from scanstation.ui.app import build_window
    w = build_window()
    w.resize(1280, 720)
    w.show()
    out = Path(sys.argv[1])

    def shoot():
        ok = w.grab().save(str(out))
        print(QGuiApplication.platformName(), ok, w.width(), w.height(), flush=True)
        os._exit(0)      # the window's QC pool and upload threads would keep the process (and Wine) alive

    QTimer.singleShot(3000, shoot)
    app.exec()


if __name__ == "__main__":       # QC workers are spawned and re-import this file: nothing at module level
    main()
"""


def test_main_window_through_the_windows_platform_plugin(installed: Wine) -> None:
    installed.unix(r"C:\winprobe.py").write_text(WINDOW_PROBE, "utf-8")
    r = installed.python(r"C:\winprobe.py", r"C:\main-window.png", xvfb=True, timeout=300,
                         env={"SCANSTATION_HOME": r"C:\users\Public\scanstation-gui"})
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    platform, ok, width, height = r.stdout.strip().splitlines()[-1].split(" ")
    assert platform == "windows" and ok == "True" and int(width) >= 800, r.stdout
    png = installed.unix(r"C:\main-window.png")
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert im.width >= 800 and len(colours) > 20, (im.size, len(colours))   # not a blank or black frame
    shutil.copy(png, ARTIFACTS / "main-window.png")


SDDL_PROBE = r"""
import ctypes, sys
from ctypes import wintypes as wt
adv = ctypes.WinDLL("advapi32", use_last_error=True)
sd = ctypes.c_void_p()
rc = adv.GetNamedSecurityInfoW(sys.argv[1], 1, 4, None, None, None, None, ctypes.byref(sd))  # SE_FILE_OBJECT, DACL
if rc:
    print("ERROR", rc); sys.exit(0)
s = ctypes.c_wchar_p()
adv.ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, 1, 4, ctypes.byref(s), None)
print(s.value)
"""


def test_programdata_settings_folder_and_its_acl(installed: Wine) -> None:
    data = installed.drive_c / "ProgramData" / "scanstation"
    assert data.is_dir()
    log = (data / "install-acl.log").read_text("utf-8", errors="replace")
    assert log.startswith("icacls exit=0"), log
    installed.unix(r"C:\sddl.py").write_text(SDDL_PROBE, "utf-8")
    r = installed.python(r"C:\sddl.py", r"C:\ProgramData\scanstation")
    sddl = r.stdout.strip()
    (ARTIFACTS / "programdata-acl.txt").write_text(f"icacls: {log}\nSDDL as Wine stores it: {sddl}\n", "utf-8")
    # Wine 8's icacls.exe is a stub: it exits 0 and changes nothing, so the DACL the installer asks for
    # (protected; Administrators and SYSTEM full, Users read) cannot be observed here. What Wine shows
    # is the DACL it derives from the Unix mode of the folder; the test pins that down so a Wine that
    # starts honouring icacls makes this test fail and be tightened to the real ACEs.
    assert sddl.startswith("D:"), sddl
    assert "(A;OICI;FA;;;SY)" in sddl, sddl
    assert "(A;OICI;0x1200a9;;;WD)" in sddl, f"Wine now models the installer's ACL: check the real ACEs: {sddl}"
    assert "(A;OICI;FA;;;BU)" not in sddl and "(A;OICI;FA;;;WD)" not in sddl, sddl


def test_upgrade_keeps_settings_second_install_while_running_is_refused_uninstall_keeps_data(
        installed: Wine, setup_exe: Path) -> None:
    station_json = installed.drive_c / "ProgramData" / "scanstation" / "station.json"
    station_json.write_text('{"values": {"ui.language": "vi"}, "locked": ["ui.language"]}', "utf-8")
    user_db = installed.unix(r"C:\users\Public\scanstation-demo")
    before = sorted(p.relative_to(user_db) for p in user_db.rglob("*")) if user_db.exists() else []
    marker = installed.unix(INSTDIR_WIN + r"\Python\Lib\site-packages\stale-from-old-version.txt")
    marker.write_text("left by the old version")

    # a second install while the station runs: python313.dll is mapped, the installer must refuse (exit 3)
    runner = subprocess.Popen([WINE64, INSTDIR_WIN + r"\Python\python.exe", "-c", "import time; time.sleep(60)"],
                              env=installed.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, preexec_fn=_usual_umask)
    try:
        time.sleep(8)
        r = installed.run(str(setup_exe), "/S")
        running_rc = r.returncode
    finally:
        runner.kill()
        runner.wait()
    (ARTIFACTS / "running-install.txt").write_text(f"setup.exe /S while the station runs: exit {running_rc}\n")
    assert running_rc == 3, f"install over a running station was not refused (exit {running_rc})"

    # upgrade (same version here: the script's upgrade path runs whenever a version is registered)
    time.sleep(2)
    r = installed.run(str(setup_exe), "/S")
    assert r.returncode == 0, r.stderr[-2000:]
    assert not marker.exists(), "the upgrade must replace the old program files"
    assert station_json.read_text("utf-8").startswith('{"values"'), "station settings must survive an upgrade"
    after = sorted(p.relative_to(user_db) for p in user_db.rglob("*")) if user_db.exists() else []
    assert after == before, "the clerk's database, work area and queue must survive an upgrade"
    assert installed.station("--version").returncode == 0

    # uninstall (in place: `_?=` makes NSIS wait instead of copying itself to %TEMP%)
    r = installed.run(INSTDIR_WIN + r"\uninstall.exe", "/S", "_?=" + INSTDIR_WIN)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not installed.unix(INSTDIR_WIN + r"\Python").exists()
    assert not (installed.drive_c / "ProgramData" / "Microsoft" / "Windows" / "Start Menu" / "Programs" / APP).exists()
    assert station_json.is_file(), "the uninstaller keeps the station settings unless /PURGE"
    assert (sorted(p.relative_to(user_db) for p in user_db.rglob("*")) if user_db.exists() else []) == before
    assert installed.run("reg", "query",
                         r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\scanstation").returncode != 0

    # install again, uninstall with /PURGE: the settings folder goes too
    assert installed.run(str(setup_exe), "/S").returncode == 0
    assert station_json.is_file()
    r = installed.run(INSTDIR_WIN + r"\uninstall.exe", "/S", "/PURGE", "_?=" + INSTDIR_WIN)
    assert r.returncode == 0
    assert not station_json.parent.exists()


def test_nsis_script_guards() -> None:
    """What Wine cannot exercise (no non-admin user, no small disk): the checks are in the script,
    with their Vietnamese messages and exit codes."""
    nsi = (ROOT / "installer" / "scanstation.nsi").read_text("utf-8")
    assert "RequestExecutionLevel admin" in nsi and "Target amd64-unicode" in nsi
    assert 'UserInfo::GetAccountType' in nsi and "SetErrorLevel 740" in nsi
    assert "Cần quyền quản trị (Administrator)" in nsi
    assert "${DriveSpace}" in nsi and "không đủ chỗ trống" in nsi and "SetErrorLevel 4" in nsi
    assert "đang chạy" in nsi and "SetErrorLevel 3" in nsi
    assert "*S-1-5-32-544:(OI)(CI)F *S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX" in nsi
