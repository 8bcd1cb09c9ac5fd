"""Station settings IT staff own: the OS decides who may write the station file, not the application.

Run for real with a second, non-root OS account (created here with ``useradd`` when the tests run as
root, as CI does; the CLI then runs as that account through ``setpriv``). Run as an ordinary user, the
station folder is made read-only for that user instead, which is the same OS decision.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLERK = "scanclerk"


def _ensure_clerk_account() -> str:
    try:
        pwd.getpwnam(CLERK)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", CLERK], check=True)
    return CLERK


@pytest.fixture
def machine(tmp_path):
    """A station folder owned by the current (IT) account, an IT home, a clerk home the clerk owns."""
    base = Path(tempfile.mkdtemp(prefix="scanstation-os-", dir="/tmp"))   # tmp_path is 0700: the clerk
    os.chmod(base, 0o755)                                                 # must be able to reach its home
    station_dir, it_home, clerk_home = base / "station", base / "it-home", base / "clerk-home"
    for d in (station_dir, it_home, clerk_home):
        d.mkdir(mode=0o755)
    clerk = None
    if os.geteuid() == 0:
        clerk = _ensure_clerk_account()
        pw = pwd.getpwnam(clerk)
        os.chown(clerk_home, pw.pw_uid, pw.pw_gid)
    yield {"station": station_dir, "it_home": it_home, "clerk_home": clerk_home, "clerk": clerk}
    shutil.rmtree(base, ignore_errors=True)


def _run(m, home: Path, *args: str, as_clerk: bool):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "SCANSTATION_HOME": str(home),
           "SCANSTATION_STATION_DIR": str(m["station"]), "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8",
           # each account's own audit key, outside the database (the clerk's account has no ~/.config here)
           "SCANSTATION_AUDIT_KEY_DIR": str(home / ".audit-keys")}
    cmd = [sys.executable, "-m", "scanstation", *args]
    if as_clerk and m["clerk"]:
        # The clerk's account, with no capability but reading and searching folders: the interpreter and
        # this checkout may live in root-only folders (pyenv under /root on CI). Writing -- what is under
        # test -- stays the clerk's own OS permission (CAP_DAC_READ_SEARCH never grants a write).
        cmd = ["setpriv", f"--reuid={m['clerk']}", f"--regid={m['clerk']}", "--clear-groups",
               "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search", "--",
               "env", *(f"{k}={v}" for k, v in env.items()), *cmd]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _audit(m, home: Path, *, as_clerk: bool) -> list[dict]:
    r = _run(m, home, "audit", "list", "--json", as_clerk=as_clerk)
    assert r.returncode == 0, r.stderr
    return [e for e in json.loads(r.stdout) if e["action"].startswith("settings.")]


def test_only_the_account_that_owns_the_station_file_can_change_it(machine):
    m = machine
    station_file = m["station"] / "station.json"
    # IT staff (the account owning the station folder) set and lock a value: rc 0, audited with old -> new
    r = _run(m, m["it_home"], "settings", "set", "scanner.device", "sane:test:0", "--lock", "--json", as_clerk=False)
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    assert (printed["old"], printed["new"], printed["locked"]) == (None, "sane:test:0", True)
    assert oct(station_file.stat().st_mode & 0o777) == "0o644"      # every user reads it, only IT writes it
    ev = _audit(m, m["it_home"], as_clerk=False)
    assert [e["action"] for e in ev] == ["settings.changed"]
    d = ev[0]["details"]
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert (d["key"], d["old"], d["new"], d["locked_before"], d["locked"]) == ("scanner.device", None, "sane:test:0",
                                                                             False, True)
    assert d["os_account"] == me and d["machine"] and d["file"] == str(station_file)

    if m["clerk"] is None:   # not root: the same OS decision, taken by the folder's mode
        os.chmod(station_file, 0o444)
        os.chmod(m["station"], 0o555)
    before = station_file.read_bytes()
    try:
        # the clerk can read the station layer (the lock is in force) ...
        r = _run(m, m["clerk_home"], "settings", "show", "--json", as_clerk=True)
        assert r.returncode == 0, r.stderr
        shown = json.loads(r.stdout)["scanner.device"]
        assert shown["value"] == "sane:test:0" and shown["locked"] and shown["source"] == "station"
        # ... but every way of changing it is refused clearly, by the OS's answer, and nothing is written
        for args in (("settings", "set", "scanner.device", "sane:other:1", "--station"),
                     ("settings", "set", "scanner.device", "sane:other:1", "--lock"),
                     ("settings", "unlock", "scanner.device"),
                     ("settings", "set", "signing.trust_test_ca", '["/tmp/my-ca.pem"]', "--station")):
            r = _run(m, m["clerk_home"], *args, as_clerk=True)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert "error: Only IT staff can change station settings" in r.stderr, r.stderr
            assert "Traceback" not in r.stderr
            assert station_file.read_bytes() == before
        # the clerk layer cannot override the lock either
        r = _run(m, m["clerk_home"], "settings", "set", "scanner.device", "sane:other:1", as_clerk=True)
        assert r.returncode == 2 and "locked by IT staff" in r.stderr and "Traceback" not in r.stderr
        # every refused attempt is in the clerk's audit log, with the clerk's OS account
        refused = _audit(m, m["clerk_home"], as_clerk=True)
        assert [e["action"] for e in refused] == ["settings.refused"] * 4
        assert {e["details"]["os_account"] for e in refused} == {m["clerk"] or me}
        assert refused[0]["details"]["new"] == "sane:other:1" and refused[2]["details"]["lock"] is False
        # a clerk preference for an unlocked value is the clerk's own: allowed and audited
        r = _run(m, m["clerk_home"], "settings", "set", "ui.language", "en", as_clerk=True)
        assert r.returncode == 0, r.stderr
        assert _audit(m, m["clerk_home"], as_clerk=True)[-1]["details"]["layer"] == "clerk"
    finally:
        if m["clerk"] is None:
            os.chmod(m["station"], 0o755)
            os.chmod(station_file, 0o644)
    # IT staff unlock it: audited with the lock's old and new state
    r = _run(m, m["it_home"], "settings", "unlock", "scanner.device", as_clerk=False)
    assert r.returncode == 0, r.stderr
    last = _audit(m, m["it_home"], as_clerk=False)[-1]["details"]
    assert (last["locked_before"], last["locked"]) == (True, False)


def test_missing_station_file_means_embedded_defaults_and_is_not_created_by_reading(tmp_path, monkeypatch):
    from scanstation.config import Settings

    monkeypatch.setenv("SCANSTATION_STATION_DIR", str(tmp_path / "etc" / "scanstation"))
    s = Settings()
    assert s.get("station.id") == "STATION-01" and s.source("station.id") == "default"
    assert not (tmp_path / "etc").exists()


def test_machine_locations(monkeypatch):
    from scanstation import paths

    monkeypatch.delenv("SCANSTATION_STATION_DIR", raising=False)
    monkeypatch.delenv("SCANSTATION_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert paths.station_settings_dir() == Path("/etc/scanstation")
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", r"C:\ProgramData")
    assert str(paths.station_settings_dir()).replace("/", "\\") == r"C:\ProgramData\scanstation"
