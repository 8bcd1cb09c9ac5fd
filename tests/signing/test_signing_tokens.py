"""Tokens over PKCS#11 on SoftHSM2: listing before the PIN, PIN errors, key choice, certificate checks."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from scanstation.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateUntrustedError,
    CertificateUsageError,
    NoUsableKeyError,
    TokenModuleError,
    TokenNotFoundError,
    WrongPinError,
)
from scanstation.signing import discover_modules, list_tokens, open_session, resolve_module, token_thread
from scanstation.signing.modules import binary_bits, process_bits
from tests.signing.conftest import CLERK_NAME, CLERK_PIN, PINTEST_PIN


def test_configured_module_comes_first_and_missing_one_is_refused(pki, tmp_path):
    cands = discover_modules(pki.module)
    assert cands[0].source == "configured" and cands[0].loadable
    assert resolve_module(None) in {c.path for c in discover_modules() if c.loadable}
    assert any(t.label == "CLERK" for t in list_tokens(None))    # found through the known modules
    with pytest.raises(TokenModuleError) as e:
        resolve_module(str(tmp_path / "vnpt-ca_csp11.so"))
    assert "không tìm thấy tệp" in e.value.message_vi


def test_module_of_the_wrong_bitness_is_named_as_such(tmp_path):
    other = 32 if process_bits() == 64 else 64
    elf = tmp_path / "viettel-ca_v6.so"
    elf.write_bytes(b"\x7fELF" + bytes([1 if other == 32 else 2]) + b"\0" * 59)
    pe = tmp_path / "vnptca_p11_v8.dll"
    head = bytearray(b"MZ" + b"\0" * 62)
    head[0x3C:0x40] = (64).to_bytes(4, "little")
    pe.write_bytes(bytes(head) + b"PE\0\0" + (0x14C if other == 32 else 0x8664).to_bytes(2, "little") + b"\0" * 20)
    assert binary_bits(elf) == other and binary_bits(pe) == other
    c = discover_modules(elf)[0]
    assert not c.loadable and f"{other}-bit" in c.reason
    with pytest.raises(TokenModuleError):
        resolve_module(str(pe))


def test_windows_search_uses_the_folders_of_this_process_bitness(monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTEMROOT", str(tmp_path))
    cands = discover_modules(None, include_missing=True, platform="win32")
    names = {Path(c.path.replace("\\", "/")).name for c in cands}
    assert {"vnpt-ca_csp11.dll", "viettel-ca_v6.dll", "BkavCA.dll", "fpt-ca.dll", "eTPKCS11.dll",
            "opensc-pkcs11.dll", "softhsm2-x64.dll"} <= names
    sysdir = "System32" if process_bits() == 64 else "SysWOW64"
    assert any(sysdir in c.path for c in cands)


def test_tokens_are_listed_with_certificates_and_pin_flags_before_any_pin(pki):
    toks = {t.label: t for t in list_tokens(pki.module)}
    assert {"CLERK", "ORG", "PINTEST", "EMPTY"} <= set(toks)
    clerk = toks["CLERK"]
    assert clerk.pin.login_required and not clerk.pin.locked
    c1 = next(c for c in clerk.certificates if c.id_hex == "01")
    assert c1.common_name == CLERK_NAME and "Test Root CA" in c1.issuer
    assert c1.serial and c1.not_before < c1.not_after
    assert {"digital_signature", "content_commitment"} <= set(c1.key_usage) and c1.can_sign
    assert next(c for c in clerk.certificates if c.id_hex == "06").can_sign is False
    assert next(c for c in clerk.certificates if c.id_hex == "02").key_type == "EC secp256r1"


def test_wrong_pin_is_refused_once_and_reported_without_the_pin(pki):
    with pytest.raises(WrongPinError) as e:
        open_session(pki.module, "PINTEST", "987654", key_id="01", trust_roots=pki.roots)
    err = e.value
    assert "987654" not in err.message_en + err.message_vi + repr(err.__cause__) + str(err.details)
    assert err.field == "pin" and "Sai mã PIN" in err.message_vi
    # SoftHSM flags a low count after a failure; the listing (before the next PIN) shows it
    st = next(t for t in list_tokens(pki.module) if t.label == "PINTEST").pin
    assert st.count_low and err.count_low
    assert st.warning() is not None
    with open_session(pki.module, "PINTEST", PINTEST_PIN, trust_roots=pki.roots) as ts:
        assert "3333" not in repr(ts)
    assert not next(t for t in list_tokens(pki.module) if t.label == "PINTEST").pin.count_low


def test_unknown_token_and_token_without_key(pki):
    with pytest.raises(TokenNotFoundError) as e:
        open_session(pki.module, "NO-SUCH", "0000", trust_roots=pki.roots)
    assert "CLERK" in e.value.message_en
    with pytest.raises(NoUsableKeyError):
        open_session(pki.module, "EMPTY", "4444", trust_roots=pki.roots)


def test_several_keys_need_a_choice(pki):
    with pytest.raises(NoUsableKeyError) as e:
        open_session(pki.module, "CLERK", CLERK_PIN, trust_roots=pki.roots)
    assert e.value.field == "key_id"
    with pytest.raises(NoUsableKeyError):
        open_session(pki.module, "CLERK", CLERK_PIN, key_id="0a", trust_roots=pki.roots)


@pytest.mark.parametrize(("key_id", "err", "vi"), [
    ("04", CertificateExpiredError, "đã hết hạn"),
    ("05", CertificateNotYetValidError, "chưa có hiệu lực"),
    ("06", CertificateUsageError, "không được phép dùng để ký số"),
    ("07", CertificateUntrustedError, "không do tổ chức chứng thực tin cậy cấp"),
])
def test_certificate_is_checked_before_signing(pki, key_id, err, vi):
    with pytest.raises(err) as e:
        open_session(pki.module, "CLERK", CLERK_PIN, key_id=key_id, trust_roots=pki.roots)
    assert vi in e.value.message_vi


def test_no_trust_roots_means_no_signing(pki):
    with pytest.raises(CertificateUntrustedError) as e:
        open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=[])
    assert e.value.field == "trust"


def test_every_token_call_runs_on_the_one_token_thread(pki, monkeypatch):
    import scanstation.signing.tokens as tokens

    seen: set[int] = set()
    real_load, real_sign = tokens._load, tokens._token_sign

    def load(module):
        seen.add(threading.get_ident())
        return real_load(module)

    def sign(*a, **kw):
        seen.add(threading.get_ident())
        return real_sign(*a, **kw)

    monkeypatch.setattr(tokens, "_load", load)
    monkeypatch.setattr(tokens, "_token_sign", sign)
    list_tokens(pki.module)
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots) as ts:
        from pkcs11 import Mechanism
        assert len(ts.sign_raw(b"x" * 32, Mechanism.SHA256_RSA_PKCS)) == 256
        fut = ts.thread.submit(lambda: threading.get_ident())    # what the UI does
        assert fut.result() == token_thread().ident
    assert seen == {token_thread().ident} and token_thread().ident != threading.get_ident()
