"""Software tokens (SoftHSM2) with certificates from a local CA: the demo token and test tokens.

Real keys and a real PKCS#11 module, so the signing path is exactly the one a USB token takes.
The demo token (:func:`ensure_demo_token`) lives under ``$SCANSTATION_HOME/demo-token`` and is
made once; its PINs are public demo values and it must never be configured on a real counter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from scanstation import paths
from scanstation.errors import TokenModuleError
from scanstation.fsio import atomic_write_bytes, atomic_write_text
from scanstation.signing.modules import discover_modules
from scanstation.signing.tokenthread import token_thread

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def softhsm_module() -> str:
    for c in discover_modules():
        if c.vendor == "SoftHSM" and c.loadable:
            return c.path
    raise TokenModuleError("SoftHSM2 is not installed (Debian package softhsm2)",
                           "Chưa cài SoftHSM2 (gói softhsm2) để tạo token thử nghiệm", field="module")


# --- certificates --------------------------------------------------------------------------------
def _name(cn: str, org: str | None = None, uid: tuple[str, ...] = ()) -> x509.Name:
    """A subject as Vietnamese CAs write it: C, O, the holder's identifiers as UID=TYPE:number, CN."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs += [x509.NameAttribute(NameOID.USER_ID, u) for u in uid]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def new_key(kind: str = "rsa") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(kind)


def make_ca(cn: str = "ScanStation Test Root CA", *, key: PrivateKey | None = None,
            days: int = 3650) -> tuple[PrivateKey, x509.Certificate]:
    key = key or new_key("rsa")
    now = datetime.now(UTC) - timedelta(days=1)
    name = _name(cn, "ScanStation")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue_cert(ca: tuple[PrivateKey, x509.Certificate], cn: str, key: PrivateKey, *, org: str | None = None,
               not_before: datetime | None = None, not_after: datetime | None = None,
               signing: bool = True, uid: tuple[str, ...] = ()) -> x509.Certificate:
    ca_key, ca_cert = ca
    nb = not_before or datetime.now(UTC) - timedelta(days=1)
    na = not_after or nb + timedelta(days=730)
    ku = x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=not signing,
                       data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                       encipher_only=False, decipher_only=False)
    return (x509.CertificateBuilder().subject_name(_name(cn, org, uid)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(nb).not_valid_after(na)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(ku, critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))


# --- SoftHSM -------------------------------------------------------------------------------------
def write_softhsm_conf(folder: Path) -> Path:
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    atomic_write_text(conf, f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
                            "slots.removable = false\n")
    return conf


def init_token(conf: Path, label: str, pin: str, so_pin: str) -> None:
    exe = shutil.which("softhsm2-util")
    if not exe:
        raise TokenModuleError("softhsm2-util not found (Debian package softhsm2)",
                               "Không tìm thấy softhsm2-util (gói softhsm2)", field="module")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run([exe, "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
                   env=env, check=True, capture_output=True, timeout=60)


def put_key_and_cert(module: str, label: str, pin: str, key: PrivateKey, cert: x509.Certificate,
                     key_id: bytes, *, always_authenticate: bool = False,
                     extra_certs: tuple[x509.Certificate, ...] = (), key_label: str | None = None,
                     cert_label: str | None = None) -> None:
    """Store a private key and its certificate (same CKA_ID, different labels, as on real tokens)."""
    token_thread().call(_put, module, label, pin, key, cert, key_id, always_authenticate, extra_certs,
                        key_label or f"Private key {key_id.hex()}", cert_label or cert.subject.rfc4514_string())


def _put(module: str, label: str, pin: str, key: PrivateKey, cert: x509.Certificate, key_id: bytes,
         always: bool, extra: tuple[x509.Certificate, ...], key_label: str, cert_label: str) -> None:
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass
    from pkcs11.util.ec import decode_ec_private_key
    from pkcs11.util.rsa import decode_rsa_private_key

    from scanstation.signing.tokens import _load

    lib = _load(module)
    tok = next(lib.get_tokens(token_label=label))
    with tok.open(rw=True, user_pin=pin) as s:
        if isinstance(key, rsa.RSAPrivateKey):
            der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
            attrs: dict[Any, Any] = decode_rsa_private_key(der)
        else:
            der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
            attrs = decode_ec_private_key(der)
        attrs.update({Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
                      Attribute.SIGN: True, Attribute.ID: key_id, Attribute.LABEL: key_label})
        if always:
            attrs[Attribute.ALWAYS_AUTHENTICATE] = True
        s.create_object(attrs)
        for c, cid, lab in [(cert, key_id, cert_label)] + [(c, b"\xca" + bytes([i]), c.subject.rfc4514_string())
                                                          for i, c in enumerate(extra)]:
            s.create_object({
                Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True, Attribute.PRIVATE: False, Attribute.ID: cid, Attribute.LABEL: lab,
                Attribute.SUBJECT: c.subject.public_bytes(), Attribute.ISSUER: c.issuer.public_bytes(),
                Attribute.SERIAL_NUMBER: pkcs11.util.biginteger(c.serial_number),
                Attribute.VALUE: c.public_bytes(serialization.Encoding.DER)})


# --- the demo token ------------------------------------------------------------------------------
DEMO_CLERK_LABEL = "DEMO-CLERK"
DEMO_ORG_LABEL = "DEMO-ORG"
DEMO_PIN = "123456"          # public demo value; a demo token is never a real credential
DEMO_SO_PIN = "12345678"
DEMO_CLERK_NAME = "Trần Văn Đức"      # the sample dossier's clerk (never its applicant)
DEMO_ORG_NAME = "UBND xã Mẫu (DEMO)"   # the demo token's organisation; a station names its own (station.org_name)
DEMO_CLERK_UID = "CCCD:001099000001"     # made-up identifiers: the subject marks the holder's kind as
DEMO_ORG_UID = "MST:0100233488"          # Vietnamese CAs do (signing.certs.holder_kind)
DEMO_VERSION = 2                         # 2: subjects carry UID=CCCD:/MST: (older stores are made anew)


@dataclass(frozen=True)
class DemoToken:
    folder: Path
    conf: Path
    module: str
    clerk_label: str
    org_label: str
    pin: str
    ca_pem: Path
    clerk_name: str
    org_name: str

    def activate(self) -> None:
        """Point SoftHSM at this token store (it reads SOFTHSM2_CONF when the module initialises)."""
        os.environ["SOFTHSM2_CONF"] = str(self.conf)


def ensure_demo_token(home: Path | None = None) -> DemoToken:
    """Create (once) a SoftHSM store with a demo CA, a clerk token and an organisation token."""
    folder = (home or paths.home()) / "demo-token"
    conf = folder / "softhsm2.conf"
    done = folder / "demo-token.json"
    module = softhsm_module()
    tok = DemoToken(folder=folder, conf=conf, module=module, clerk_label=DEMO_CLERK_LABEL,
                    org_label=DEMO_ORG_LABEL, pin=DEMO_PIN, ca_pem=folder / "demo-ca.pem",
                    clerk_name=DEMO_CLERK_NAME, org_name=DEMO_ORG_NAME)
    if done.exists() and conf.exists() and tok.ca_pem.exists() and _made_for(done, DEMO_CLERK_NAME):
        tok.activate()
        return tok
    if folder.exists():              # half-made by an interrupted run: start over
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    write_softhsm_conf(folder)
    tok.activate()
    ca = make_ca("ScanStation DEMO Root CA (không dùng thật)")
    atomic_write_bytes(tok.ca_pem, ca[1].public_bytes(serialization.Encoding.PEM))
    who = ((DEMO_CLERK_LABEL, DEMO_CLERK_NAME, None, (DEMO_CLERK_UID,)),
           (DEMO_ORG_LABEL, DEMO_ORG_NAME, DEMO_ORG_NAME, (DEMO_ORG_UID,)))
    for label, _, _, _ in who:
        init_token(conf, label, DEMO_PIN, DEMO_SO_PIN)
    from scanstation.signing.tokens import rescan

    rescan(module)
    for label, cn, org, uid in who:
        key = new_key("rsa")
        put_key_and_cert(module, label, DEMO_PIN, key, issue_cert(ca, cn, key, org=org, uid=uid), b"\x01",
                         extra_certs=(ca[1],))
    atomic_write_text(done, json.dumps({"created": datetime.now(UTC).isoformat(), "clerk": DEMO_CLERK_LABEL,
                                        "org": DEMO_ORG_LABEL, "clerk_name": DEMO_CLERK_NAME,
                                        "version": DEMO_VERSION}, ensure_ascii=False))
    return tok


def _made_for(done: Path, clerk_name: str) -> bool:
    """A store made by an older station carried another clerk name on its certificate: make it anew."""
    try:
        made = json.loads(done.read_text("utf-8"))
        return bool(made.get("clerk_name") == clerk_name and made.get("version") == DEMO_VERSION)
    except (OSError, ValueError):
        return False
