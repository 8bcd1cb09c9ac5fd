"""Test helper: real signed PDFs (pyHanko + a throwaway self-signed key made with cryptography)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_SIGNER = None


def _signer(tmp: Path):
    global _SIGNER
    if _SIGNER is None:
        from pyhanko.sign import signers

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Clerk")])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
                .sign(key, hashes.SHA256()))
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
        (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _SIGNER = signers.SimpleSigner.load(str(tmp / "key.pem"), str(tmp / "cert.pem"))
    return _SIGNER


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


def signed_pdf(path: Path, padding: int = 0, text: str = "scan") -> Path:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = _signer(path.parent / ".testkey")
    w = IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf(padding, text)))
    out = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Clerk"), signer=signer)
    path.write_bytes(out.getvalue())
    return path
