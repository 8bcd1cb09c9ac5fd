"""Test helper: real signed PDFs (pyHanko; a throw-away test CA the sync tests trust as a test CA, and
self-signed signers for the attacks)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_SIGNER = None
_CA_DIR: Path | None = None
_CA = None


def _cert(subject: str, key, issuer_name: x509.Name | None = None, issuer_key=None, ca: bool = False,
          valid: tuple[float, float] = (-1, 30)):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name or name).public_key(key.public_key())
         .serial_number(x509.random_serial_number()).not_valid_before(now + dt.timedelta(days=valid[0]))
         .not_valid_after(now + dt.timedelta(days=valid[1])))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), True).add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
    else:
        b = b.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
    return b.sign(issuer_key or key, hashes.SHA256())


def _simple_signer(folder: Path, key, cert, chain=()):
    from pyhanko.sign import signers

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_files = []
    for i, c in enumerate(chain):
        (folder / f"chain{i}.pem").write_bytes(c.public_bytes(serialization.Encoding.PEM))
        ca_files.append(str(folder / f"chain{i}.pem"))
    return signers.SimpleSigner.load(str(folder / "key.pem"), str(folder / "cert.pem"), ca_chain_files=ca_files or None)


def sync_ca_pem() -> Path:
    """The PEM of the test CA every :func:`signed_pdf` chains to (the sync tests trust it as a test CA)."""
    global _CA_DIR, _SIGNER, _CA
    if _CA_DIR is None:
        import tempfile

        _CA_DIR = Path(tempfile.mkdtemp(prefix="sync-test-ca-"))
        ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca = _cert("Sync Test CA", ca_key, ca=True, valid=(-30, 30))
        _CA = (ca, ca_key)
        (_CA_DIR / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        _SIGNER = _simple_signer(_CA_DIR / "clerk", key, _cert("Test Clerk", key, ca.subject, ca_key), [ca])
    return _CA_DIR / "ca.pem"


def _signer(tmp: Path):
    sync_ca_pem()
    return _SIGNER


def expired_clerk_signer(folder: Path, name: str = "Clerk Whose Certificate Expired"):
    """A clerk certificate from the test CA that was valid until yesterday (valid from 10 days ago)."""
    sync_ca_pem()
    ca, ca_key = _CA
    key = ec.generate_private_key(ec.SECP256R1())
    return _simple_signer(folder, key, _cert(name, key, ca.subject, ca_key, valid=(-10, -1)), [ca])


def self_signed_signer(folder: Path, name: str = "Trần Văn Đức"):
    """A throw-away key with a self-signed certificate named like a clerk (what an attacker can make)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _simple_signer(folder, key, _cert(name, key))


def unsigned_pdf(padding: int = 0, text: str = "scan") -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    if padding:   # a stream of incompressible-ish bytes to make the file as big as a real scan
        import os

        pdf.Root.Padding = pikepdf.Stream(pdf, os.urandom(padding))
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def signed_pdf(path: Path, padding: int = 0, text: str = "scan", signer=None) -> Path:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = signer or _signer(path.parent / ".testkey")
    w = IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf(padding, text)))
    out = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Clerk"), signer=signer)
    path.write_bytes(out.getvalue())
    return path
