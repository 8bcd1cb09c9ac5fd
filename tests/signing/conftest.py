"""SoftHSM2 tokens made for the signing tests: a test CA, a clerk token with several keys, an organisation token."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from scanstation.signing import softtoken as st
from scanstation.signing.tokens import rescan

CLERK_PIN, ORG_PIN, PINTEST_PIN, EMPTY_PIN = "1111", "2222", "3333", "4444"
CLERK_NAME = "Trần Văn Đức"
ORG_NAME = "Ủy ban nhân dân phường Bến Nghé"


@dataclass
class Pki:
    module: str
    conf: Path
    ca_cert: x509.Certificate
    ca_pem: Path
    other_ca_pem: Path

    @property
    def roots(self) -> list[x509.Certificate]:
        return [self.ca_cert]


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> Pki:
    folder = tmp_path_factory.mktemp("softhsm")
    conf = st.write_softhsm_conf(folder)
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    module = st.softhsm_module()
    for label, pin in (("CLERK", CLERK_PIN), ("ORG", ORG_PIN), ("PINTEST", PINTEST_PIN), ("EMPTY", EMPTY_PIN)):
        st.init_token(conf, label, pin, "99999999")
    rescan(module)
    ca = st.make_ca("Test Root CA – Kiểm thử")
    other = st.make_ca("Some Other CA")
    now = datetime.now(UTC)
    rsa1, ec2, aa3, exp4, fut5, enc6, unt7 = (st.new_key("rsa"), st.new_key("ec"), st.new_key("rsa"), st.new_key("rsa"),
                                              st.new_key("rsa"), st.new_key("rsa"), st.new_key("rsa"))
    put = st.put_key_and_cert
    put(module, "CLERK", CLERK_PIN, rsa1, st.issue_cert(ca, CLERK_NAME, rsa1), b"\x01", extra_certs=(ca[1],))
    put(module, "CLERK", CLERK_PIN, ec2, st.issue_cert(ca, CLERK_NAME + " EC", ec2), b"\x02")
    put(module, "CLERK", CLERK_PIN, aa3, st.issue_cert(ca, CLERK_NAME + " AA", aa3), b"\x03", always_authenticate=True)
    put(module, "CLERK", CLERK_PIN, exp4, st.issue_cert(ca, "Expired", exp4, not_before=now - timedelta(days=800),
                                                          not_after=now - timedelta(days=1)), b"\x04")
    put(module, "CLERK", CLERK_PIN, fut5, st.issue_cert(ca, "Future", fut5, not_before=now + timedelta(days=10)), b"\x05")
    put(module, "CLERK", CLERK_PIN, enc6, st.issue_cert(ca, "Encryption only", enc6, signing=False), b"\x06")
    put(module, "CLERK", CLERK_PIN, unt7, st.issue_cert(other, "Untrusted", unt7), b"\x07")
    org = st.new_key("rsa")
    put(module, "ORG", ORG_PIN, org, st.issue_cert(ca, ORG_NAME, org, org=ORG_NAME), b"\x01")
    pt = st.new_key("rsa")
    put(module, "PINTEST", PINTEST_PIN, pt, st.issue_cert(ca, "Pin Test", pt), b"\x01")
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(ca[1].public_bytes(serialization.Encoding.PEM))
    other_pem = folder / "other.pem"
    other_pem.write_bytes(other[1].public_bytes(serialization.Encoding.PEM))
    yield Pki(module=module, conf=conf, ca_cert=ca[1], ca_pem=ca_pem, other_ca_pem=other_pem)
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


@pytest.fixture(autouse=True)
def _softhsm_conf(pki, monkeypatch):
    """Every test sees the session token store (a test may switch it; this puts it back)."""
    monkeypatch.setenv("SOFTHSM2_CONF", str(pki.conf))


def make_pdf(path: Path, pages: int = 1, *, dpi: int = 50, pdfa: bool = True) -> Path:
    """A scanned-looking A4 PDF made with img2pdf; optionally with a PDF/A-2b claim in its XMP."""
    import img2pdf
    import pikepdf
    from PIL import Image, ImageDraw

    imgs = []
    w, h = int(8.27 * dpi), int(11.69 * dpi)
    for i in range(pages):
        im = Image.new("RGB", (w, h), "white")
        d = ImageDraw.Draw(im)
        d.rectangle((w // 4, h // 4, 3 * w // 4, 3 * h // 4), outline="black", width=3)
        d.text((w // 3, h // 2), f"page {i + 1}", fill="black")
        buf = io.BytesIO()
        im.save(buf, "JPEG", dpi=(dpi, dpi), quality=70)
        imgs.append(buf.getvalue())
    raw = img2pdf.convert(imgs)
    if pdfa:
        with pikepdf.open(io.BytesIO(raw)) as pdf:
            with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
                meta["pdfaid:part"] = "2"
                meta["pdfaid:conformance"] = "B"
                meta["dc:title"] = "Giấy khai sinh"
            out = io.BytesIO()
            pdf.save(out)
            raw = out.getvalue()
    path.write_bytes(raw)
    return path


@pytest.fixture
def pdf_factory(tmp_path):
    counter = iter(range(1000))

    def make(pages: int = 1, *, name: str | None = None, pdfa: bool = True) -> Path:
        (tmp_path / "in").mkdir(exist_ok=True)
        return make_pdf(tmp_path / "in" / (name or f"doc{next(counter)}.pdf"), pages, pdfa=pdfa)

    return make


def pdfsig(path: Path) -> str:
    """pdfsig's report as text (its exit code is 0 even for a digest mismatch, so read the text)."""
    import subprocess

    r = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60)
    return r.stdout + r.stderr
