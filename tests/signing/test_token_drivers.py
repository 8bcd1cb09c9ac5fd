"""Token drivers: the Vietnamese vendors' PKCS#11 modules are searched, a 32-bit-only driver is named as such
(not a load error), IT staff pin the module and `tokens` says so and names the anchor each certificate reaches."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

from scanstation.cli import main
from scanstation.config import Settings
from scanstation.errors import SettingLockedError, TokenModuleError
from scanstation.signing import modules
from scanstation.signing.modules import DRIVER_32BIT, discover_modules, resolve_module


def _pe(path: Path, machine: int) -> Path:
    """A file with a real PE header: DOS stub, e_lfanew, 'PE\\0\\0', the COFF Machine field."""
    head = bytearray(b"MZ" + b"\0" * 62)
    head[0x3C:0x40] = (64).to_bytes(4, "little")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(head) + b"PE\0\0" + machine.to_bytes(2, "little") + b"\0" * 20)
    return path


@pytest.fixture
def windows(tmp_path, monkeypatch):
    """A Windows folder layout for a 64-bit station: System32, SysWOW64, Program Files and (x86)."""
    win = tmp_path / "Windows"
    for d in ("System32", "SysWOW64"):
        (win / d).mkdir(parents=True)
    monkeypatch.setenv("SYSTEMROOT", str(win))
    monkeypatch.setenv("ProgramW6432", str(tmp_path / "Program Files"))
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "Program Files"))
    monkeypatch.setenv("ProgramFiles(x86)", str(tmp_path / "Program Files (x86)"))
    monkeypatch.setattr(modules, "process_bits", lambda: 64)
    monkeypatch.setattr(modules, "sys", types.SimpleNamespace(platform="win32"))
    return win


def test_the_field_notes_vendor_modules_are_searched(windows):
    names = {Path(c.path.replace("\\", "/")).name for c in discover_modules(None, include_missing=True)}
    assert {"vnpt-ca_csp11.dll", "vnptca_p11_v10.dll", "VNPT-CA_v34.dll", "viettel-ca_v2_s.x64.dll",
            "viettel-ca_v1.dll", "BkavCA_P11.dll", "bkavcaetoken.dll", "fptca_v4.dll", "fpt-ca-stx.dll",
            "CA2_csp11.dll", "NEWTEL-CA.dll", "safe-ca.dll", "eps2003csp11.dll", "ShuttleCsp11_3003.dll",
            "eTPKCS11.dll", "opensc-pkcs11.dll"} <= names
    # numbered DLLs are matched by pattern (Vina-CA*.dll): an installed one is found, with its vendor
    _pe(windows / "System32" / "Vina-CA_v5.dll", 0x8664)
    vina = [c for c in discover_modules(None) if c.vendor == "Vina-CA"]
    assert [Path(c.path).name for c in vina] == ["Vina-CA_v5.dll"] and vina[0].loadable and vina[0].bits == 64


def test_linux_paths_of_the_field_notes(monkeypatch):
    monkeypatch.setattr(modules, "sys", types.SimpleNamespace(platform="linux"))
    paths = {c.path for c in discover_modules(None, include_missing=True)}
    assert {"/usr/lib/fptca_v4.so", "/usr/lib/libeToken.so", "/usr/lib/softhsm/libsofthsm2.so"} <= paths


def test_a_32_bit_only_driver_is_named_as_such_not_as_a_load_error(windows):
    dll = _pe(windows / "SysWOW64" / "vnptca_p11_v6.dll", 0x14C)     # i386: what VNPT-CA's old installer puts
    c = next(c for c in discover_modules(None) if c.path == str(dll))
    assert (c.vendor, c.exists, c.bits, c.loadable) == ("VNPT-CA", True, 32, False)
    assert c.reason == "this token's driver is 32-bit; install the vendor's 64-bit driver"
    assert c.reason_vi == DRIVER_32BIT[1]
    with pytest.raises(TokenModuleError) as e:            # only that driver on the machine
        resolve_module(None)
    assert "VNPT-CA" in e.value.message_en and DRIVER_32BIT[0] in e.value.message_en
    assert "64-bit" in e.value.message_vi and e.value.code == "TOKEN_DRIVER_32BIT"
    with pytest.raises(TokenModuleError, match="driver is 32-bit"):   # the same when IT staff pinned it
        resolve_module(str(dll))
    # once the vendor's 64-bit driver is installed, it is the one used
    good = _pe(windows / "System32" / "vnptca_p11_v10.dll", 0x8664)
    assert resolve_module(None) == str(good)


def test_pinning_the_module_is_it_only_and_reported(pki, capsys):
    with pytest.raises(SettingLockedError):
        Settings().set("token.module", pki.module)                # a clerk cannot pin (or unpin) a driver
    Settings().set("token.module", pki.module, layer="station")
    Settings().set("signing.trust_test_ca", [str(pki.ca_pem)], layer="station")
    assert main(["tokens", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pinned"] == pki.module and data["modules"][0]["source"] == "pinned"
    clerk = next(t for t in data["tokens"] if t["label"] == "CLERK")
    certs = {c["id_hex"]: c for c in clerk["certificates"]}
    assert certs["01"]["anchor"]["kind"] == "test" and certs["01"]["anchor"]["name"].startswith("Test Root CA")
    assert certs["07"]["anchor"] is None and "does not chain" in certs["07"]["trust_problem"]
    assert main(["tokens"]) == 0
    out = capsys.readouterr().out
    assert "pinned by IT staff (token.module)" in out and "anchor: Test Root CA" in out
    # --module cannot get around the pin
    assert main(["tokens", "--module", "/tmp/evil-pkcs11.so"]) == 2
    assert "pinned the PKCS#11 module" in capsys.readouterr().err


def test_the_flow_refuses_a_module_other_than_the_pinned_one(tmp_path):
    from scanstation.flow.signing import SigningPlan

    s = Settings()
    s.set("token.module", "/usr/lib/softhsm/libsofthsm2.so", layer="station")
    assert SigningPlan.from_settings(s).module == "/usr/lib/softhsm/libsofthsm2.so"
    assert SigningPlan.from_settings(s, module="/usr/lib/softhsm/libsofthsm2.so").module
    with pytest.raises(TokenModuleError, match="pinned"):
        SigningPlan.from_settings(s, module=str(tmp_path / "other-pkcs11.so"))
