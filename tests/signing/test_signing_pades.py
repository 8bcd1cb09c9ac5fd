"""PAdES signatures on SoftHSM2 tokens, checked by pyHanko and independently by poppler's pdfsig."""

from __future__ import annotations

import http.server
import subprocess
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from scanstation.errors import TokenRemovedError
from scanstation.signing import SignOptions, open_session, sign_batch, verify_file
from tests.signing.conftest import CLERK_NAME, CLERK_PIN, ORG_NAME, ORG_PIN, pdfsig

VN = timezone(timedelta(hours=7))


def _sign(pki, src: Path, dst: Path, *, key_id="01", role="clerk", label="CLERK", pin=CLERK_PIN, **kw):
    opts = SignOptions(role=role, trust_roots=pki.roots, **kw)
    with open_session(pki.module, label, pin, key_id=key_id, trust_roots=pki.roots) as ts:
        res = sign_batch(ts, [(src, dst)], opts)
    assert res.complete, res.to_dict()
    return res.signed[0]


@pytest.mark.parametrize("key_id", ["01", "02", "03"], ids=["rsa2048", "ecdsa-p256", "always-authenticate"])
def test_each_key_kind_makes_a_pades_signature_pdfsig_accepts(pki, pdf_factory, tmp_path, key_id):
    src = pdf_factory(2)
    s = _sign(pki, src, tmp_path / "out" / "a.pdf", key_id=key_id, scan_time=datetime(2025, 3, 4, 8, 9, 10, tzinfo=VN))
    rep = verify_file(s.path, pki.roots)
    assert rep.ok, rep.problems
    sig = rep.signatures[0]
    assert sig.subfilter == "ETSI.CAdES.detached" and sig.digest_algorithm == "sha256"
    assert sig.role == "clerk" and sig.whole_file and sig.trusted and sig.page == 1
    assert rep.pdfa == {"part": 2, "conformance": "B", "claim": "2B"}
    text = pdfsig(Path(s.path))
    assert "Signature is Valid" in text and "Total document signed" in text and "ETSI.CAdES.detached" in text


def test_always_authenticate_key_gets_the_pin_for_every_signature_of_one_session(pki, pdf_factory, tmp_path):
    srcs = [pdf_factory() for _ in range(3)]
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="03", trust_roots=pki.roots) as ts:
        assert ts.always_authenticate
        res = sign_batch(ts, [(s, tmp_path / "o" / s.name) for s in srcs], SignOptions(trust_roots=pki.roots))
        assert res.complete and ts.stats.signatures == 3
    assert ts._pin is None     # forgotten when the session closes


def test_clerk_then_certified_copy_stamps_in_their_corners(pki, pdf_factory, tmp_path):
    src = pdf_factory(1)
    clerk = _sign(pki, src, tmp_path / "c" / "doc.pdf", scan_time=datetime(2025, 3, 4, 8, 9, 10, tzinfo=VN))
    copy = _sign(pki, Path(clerk.path), tmp_path / "s" / "doc.pdf", role="copy", label="ORG", pin=ORG_PIN,
                 org_name=ORG_NAME)
    rep = verify_file(copy.path, pki.roots)
    assert rep.ok, rep.problems
    first, second = rep.signatures
    assert (first.role, first.signer, first.coverage) == ("clerk", CLERK_NAME, "entire_revision")
    assert first.intact and first.modification == "form_filling"   # the copy only added its signature
    assert (second.role, second.signer, second.whole_file) == ("copy", ORG_NAME, True)
    text = pdfsig(Path(copy.path))
    assert text.count("Signature is Valid") == 2 and "Total document signed" in text

    with pikepdf.open(copy.path) as pdf:
        pw, ph = (float(v) for v in pdf.pages[0].mediabox[2:])
        # stamp fonts are embedded
        fonts = [f for f in pdf.objects if isinstance(f, pikepdf.Dictionary) and f.get("/Type") == "/FontDescriptor"]
        assert fonts and all("/FontFile2" in f or "/FontFile3" in f for f in fonts)
    x1, y1, x2, y2 = first.rect
    assert 0 < x1 < pw / 4 and y2 > ph * 0.9 and y2 < ph           # top left, inside the page
    x1, y1, x2, y2 = second.rect
    assert x2 < pw and x1 > pw / 2 and y2 > ph * 0.9 and y2 < ph    # top right, inside the page

    png = tmp_path / "p1"
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", "-singlefile", copy.path, str(png)],
                   check=True, timeout=60)
    img = Image.open(f"{png}.png").convert("L")
    w, h = img.size

    def ink(box):
        import numpy as np

        return float((np.asarray(img.crop(box)) < 128).mean())

    band = int(h * 0.07)
    assert ink((0, 0, w // 3, band)) > 0.01                  # clerk's stamp
    assert ink((2 * w // 3, 0, w, band)) > 0.01              # SAO Y text
    assert ink((w // 3 + 10, 0, 2 * w // 3 - 10, band)) == 0  # nothing in between
    # the text itself, as a PDF reader extracts it (diacritics intact)
    txt = subprocess.run(["pdftotext", "-f", "1", "-l", "1", copy.path, "-"], capture_output=True, text=True,
                         check=True).stdout
    assert "SAO Y" in txt and ORG_NAME in txt and "Thời gian ký:" in txt and "+07:00" in txt
    assert f"Người số hóa: {CLERK_NAME}" in txt and "Thời gian số hóa: 04/03/2025 08:09:10" in txt


def test_one_byte_tamper_breaks_verification(pki, pdf_factory, tmp_path):
    s = _sign(pki, pdf_factory(), tmp_path / "t" / "a.pdf")
    data = bytearray(Path(s.path).read_bytes())
    i = data.index(b"/Subtype /Image") if b"/Subtype /Image" in data else len(data) // 3
    data[i + 2] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    rep = verify_file(bad, pki.roots)
    assert not rep.ok and rep.problems
    assert "Signature is Valid" not in pdfsig(bad)


def test_untrusted_unsigned_and_foreign_files_are_refused_by_verify(pki, pdf_factory, tmp_path):
    s = _sign(pki, pdf_factory(), tmp_path / "u" / "a.pdf")
    from scanstation.signing import load_trust_roots

    assert not verify_file(s.path, load_trust_roots([pki.other_ca_pem])).ok
    assert verify_file(pdf_factory(), pki.roots).problems == ["no signature"]
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"hello")
    assert verify_file(junk, pki.roots).problems == ["not a PDF file"]
    appended = tmp_path / "app.pdf"
    appended.write_bytes(Path(s.path).read_bytes() + b"\n% appended\n")
    assert not verify_file(appended, pki.roots).ok


def test_bad_input_is_reported_and_nothing_is_written(pki, pdf_factory, tmp_path):
    junk = tmp_path / "in" / "not-ours.pdf"
    junk.parent.mkdir(parents=True, exist_ok=True)
    junk.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    good = pdf_factory()
    out = tmp_path / "out"
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots) as ts:
        res = sign_batch(ts, [(junk, out / junk.name), (good, out / good.name)], SignOptions(trust_roots=pki.roots))
    assert [f["code"] for f in res.failed] == ["NOT_SIGNABLE"] and len(res.signed) == 1
    assert sorted(p.name for p in out.iterdir()) == [good.name]      # no temp file, no half-signed file


def test_token_removed_mid_batch_keeps_signed_files_and_resumes(pki, pdf_factory, tmp_path, monkeypatch):
    import pkcs11.exceptions as p11e

    import scanstation.signing.tokens as tokens

    srcs = [pdf_factory(name=f"c{i}.pdf") for i in range(5)]
    out = tmp_path / "signed"
    items = [(s, out / s.name) for s in srcs]
    real = tokens._token_sign
    calls = {"n": 0}

    def unplug_after_two(*a, **kw):
        calls["n"] += 1
        if calls["n"] > 2:
            raise p11e.DeviceRemoved()
        return real(*a, **kw)

    monkeypatch.setattr(tokens, "_token_sign", unplug_after_two)
    opts = SignOptions(trust_roots=pki.roots)
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots) as ts:
        res = sign_batch(ts, items, opts)
    assert isinstance(res.stopped, TokenRemovedError) and "rút ra" in res.stopped.message_vi
    assert [Path(s.path).name for s in res.signed] == ["c0.pdf", "c1.pdf"]
    assert res.pending == [str(s) for s in srcs[2:]]
    assert sorted(p.name for p in out.iterdir()) == ["c0.pdf", "c1.pdf"]
    kept = {p.name: p.read_bytes() for p in out.iterdir()}
    assert all(verify_file(out / n, pki.roots).ok for n in kept)

    monkeypatch.setattr(tokens, "_token_sign", real)        # plugged back in: a new session, same batch
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots) as ts:
        res2 = sign_batch(ts, items, opts)
        assert ts.stats.signatures == 3
    assert res2.complete and [s.skipped for s in res2.signed] == [True, True, False, False, False]
    assert {n: (out / n).read_bytes() for n in kept} == kept          # untouched
    assert all(verify_file(out / s.name, pki.roots).ok for s in srcs)


def test_a_file_that_does_not_verify_is_never_written(pki, pdf_factory, tmp_path, monkeypatch):
    import scanstation.signing.pades as pades
    from scanstation.signing.verify import verify_bytes

    def corrupting_verify(data, roots, **kw):
        return verify_bytes(data[:-200] + b"x" * 200, roots, **kw)

    monkeypatch.setattr(pades, "verify_bytes", corrupting_verify)
    src = pdf_factory()
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots) as ts:
        res = sign_batch(ts, [(src, tmp_path / "o" / "a.pdf")], SignOptions(trust_roots=pki.roots))
    assert [f["code"] for f in res.failed] == ["SIGNATURE_NOT_VERIFIED"] and not res.signed
    assert not (tmp_path / "o" / "a.pdf").exists()


@pytest.fixture
def tsa_url(pki):
    """A real RFC 3161 server on loopback (pyHanko's test TSA behind http.server)."""
    from asn1crypto import keys, tsp
    from asn1crypto import x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from scanstation.signing import softtoken as st

    ca = st.make_ca("TSA Root")
    key = st.new_key("rsa")
    now = datetime.now(UTC) - timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(st._name("Test TSA")).issuer_name(ca[1].subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca[0], hashes.SHA256()))
    stamper = DummyTimeStamper(
        tsa_cert=ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption())))

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(req).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/tsa"
    srv.shutdown()


def test_timestamp_from_a_reachable_tsa_and_offline_without_one(pki, pdf_factory, tmp_path, tsa_url):
    s = _sign(pki, pdf_factory(), tmp_path / "ts" / "a.pdf", tsa_url=tsa_url)
    assert s.timestamped
    rep = verify_file(s.path, pki.roots)
    assert rep.signatures[0].timestamp_time is not None
    with open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots) as ts:
        res = sign_batch(ts, [(pdf_factory(), tmp_path / "off" / "b.pdf")],
                         SignOptions(trust_roots=pki.roots, tsa_url="http://127.0.0.1:9/nothing"))
    assert res.complete and not res.tsa_used and res.tsa_problem
    assert not res.signed[0].timestamped and verify_file(res.signed[0].path, pki.roots).ok
