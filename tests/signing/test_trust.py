"""Trust anchors: the shipped Vietnamese roots (checked against the fingerprint table), a chain built to an
anchor installed the same way and named, IT staff's additions and removals, test CAs marked "test"."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scanstation.errors import CertificateError
from scanstation.resources import resource
from scanstation.signing.trust import build_trust_store, chain_to_anchor, fingerprint, load_shipped
from scanstation.signing.verify import verify_file
from tests.signing.conftest import CLERK_PIN

TRUST = resource("trust")


def _readme_table() -> dict[str, str]:
    """file -> fingerprint, from the table in resources/trust/README.md (a copy of shared/trust/README.md)."""
    rows = {}
    for line in (TRUST / "README.md").read_text("utf-8").splitlines():
        m = re.match(r"\|\s*([\w.-]+\.pem)\s*\|.*\|\s*([0-9A-F:]{95})\s*\|\s*$", line)
        if m:
            rows[m[1]] = m[2]
    return rows


def test_shipped_pems_match_the_published_fingerprints():
    table = _readme_table()
    assert set(table) == {"rootcag2.pem", "cpcag2.pem", "vnrca256.pem", "vnpt-ca-sha2.pem"}
    for name, fp in table.items():
        certs = x509.load_pem_x509_certificates((TRUST / name).read_bytes())
        assert len(certs) == 1 and fingerprint(certs[0]) == fp, name
    index = json.loads((TRUST / "anchors.json").read_text("utf-8"))["anchors"]
    assert {e["file"]: e["sha256"] for e in index} == table
    assert set(TRUST.glob("*.pem")) == {TRUST / n for n in table}    # nothing shipped that is not in the table


def test_shipped_anchors_are_trusted_by_default_and_named():
    shipped = load_shipped()
    roots = {a.subject: a for a in shipped if a.role == "root"}
    assert roots["RootCA chuyên dùng Chính phủ G2"].name == "Ban Cơ yếu Chính phủ"
    assert roots["Vietnam National Root CA"].name == "NEAC"
    assert {a.subject for a in shipped if a.role == "intermediate"} == {"CA phục vụ các cơ quan Nhà nước G2",
                                                                        "VNPT-CA SHA2"}
    store = build_trust_store()
    assert len(store.roots) == 2 and len(store.intermediates) == 2 and all(a.kind == "shipped" for a in store.anchors)
    # the shipped intermediates chain to the shipped roots (path building with only the store's certificates)
    for inter, anchor in (("cpcag2.pem", "Ban Cơ yếu Chính phủ"), ("vnpt-ca-sha2.pem", "NEAC")):
        der = x509.load_pem_x509_certificate((TRUST / inter).read_bytes()).public_bytes(serialization.Encoding.DER)
        res = chain_to_anchor(der, store)
        assert res.anchor is not None and res.anchor.name == anchor, (inter, res)


# --- a synthetic anchor, installed the same way as the shipped ones -----------------------------------
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer: tuple[x509.Name, object] | None = None, *, ca: bool = False) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer[0] if issuer else _name(subject))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365)))
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), True).add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
    else:
        b = b.add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
    return b.sign(issuer[1] if issuer else key, hashes.SHA256())


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A root and an intermediate laid out like resources/trust (PEMs + anchors.json with fingerprints), and a
    clerk certificate issued by the intermediate."""
    folder = tmp_path_factory.mktemp("anchors")
    rk, ik, ck = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _cert("Root CA Thử nghiệm G9", rk, ca=True)
    inter = _cert("CA cấp dưới Thử nghiệm G9", ik, (root.subject, rk), ca=True)
    clerk = _cert("Nguyễn Thị Lan", ck, (inter.subject, ik))
    for name, c in (("synroot.pem", root), ("syninter.pem", inter)):
        (folder / name).write_bytes(c.public_bytes(serialization.Encoding.PEM))
    (folder / "anchors.json").write_text(json.dumps({"version": 1, "anchors": [
        {"file": "synroot.pem", "anchor": "Ban Thử nghiệm Quốc gia", "role": "root", "sha256": fingerprint(root)},
        {"file": "syninter.pem", "anchor": "Ban Thử nghiệm Quốc gia", "role": "intermediate",
         "sha256": fingerprint(inter)}]}, ensure_ascii=False), "utf-8")
    keydir = folder / "clerk"
    keydir.mkdir()
    (keydir / "key.pem").write_bytes(ck.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    (keydir / "cert.pem").write_bytes(clerk.public_bytes(serialization.Encoding.PEM))
    return {"dir": folder, "root": root, "inter": inter, "clerk": clerk, "keydir": keydir}


def _sign_with_only_the_leaf(keydir: Path, out: Path) -> Path:
    """A PDF whose signature embeds only the signer's own certificate (as real Vietnamese PDFs often do)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from tests.sync.signed_pdf import unsigned_pdf

    signer = signers.SimpleSigner.load(str(keydir / "key.pem"), str(keydir / "cert.pem"))
    w = IncrementalPdfFileWriter(io.BytesIO(unsigned_pdf()))
    out.write_bytes(signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="ScanStationClerk"),
                                     signer=signer).getvalue())
    return out


def test_a_chain_is_built_to_an_installed_anchor_through_its_shipped_intermediate_and_named(synthetic, tmp_path):
    store = build_trust_store(shipped_dir=synthetic["dir"])
    der = synthetic["clerk"].public_bytes(serialization.Encoding.DER)
    res = chain_to_anchor(der, store)           # no intermediate given: the store's own is used
    assert res.anchor is not None and res.anchor.name == "Ban Thử nghiệm Quốc gia" and res.anchor.kind == "shipped"
    assert res.path == ("Root CA Thử nghiệm G9", "CA cấp dưới Thử nghiệm G9", "Nguyễn Thị Lan")
    # the same through a signed PDF: verify names the anchor, the signature is not a test one
    pdf = _sign_with_only_the_leaf(synthetic["keydir"], tmp_path / "a.pdf")
    rep = verify_file(pdf, store)
    assert rep.ok, rep.problems
    s = rep.signatures[0]
    assert s.anchor is not None and s.anchor["name"] == "Ban Thử nghiệm Quốc gia" and not s.test and not rep.test
    assert s.chain == list(res.path)
    assert s.modification_ok and s.modification_en == "nothing was changed after this signature"
    # the real shipped anchors alone do not reach it
    assert verify_file(pdf, build_trust_store()).signatures[0].trusted is False
    # IT staff disable the root: its whole tree (the intermediate too) stops being trusted
    off = build_trust_store(shipped_dir=synthetic["dir"], disabled=[fingerprint(synthetic["root"]).replace(":", "")])
    assert not off.roots and chain_to_anchor(der, off).anchor is None
    assert not verify_file(pdf, off).ok
    # as a configured (IT-added) anchor and as a test CA: named, and "test" marked
    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(synthetic["root"].public_bytes(serialization.Encoding.PEM))
    inter_pem = tmp_path / "inter.pem"
    inter_pem.write_bytes(synthetic["inter"].public_bytes(serialization.Encoding.PEM))
    test_store = build_trust_store(test_files=[root_pem], extra_files=[])
    assert not verify_file(pdf, test_store).ok          # the intermediate is not known: no path
    test_store = build_trust_store(test_files=[root_pem, inter_pem])
    rep = verify_file(pdf, test_store)
    assert rep.ok and rep.test and rep.signatures[0].anchor["kind"] == "test"


def test_an_anchor_that_does_not_match_its_fingerprint_is_refused(synthetic, tmp_path):
    bad = tmp_path / "anchors"
    shutil.copytree(synthetic["dir"], bad)
    (bad / "synroot.pem").write_bytes(synthetic["inter"].public_bytes(serialization.Encoding.PEM))   # swapped
    with pytest.raises(CertificateError, match="does not match its fingerprint"):
        build_trust_store(shipped_dir=bad)
    idx = json.loads((bad / "anchors.json").read_text("utf-8"))
    idx["anchors"][0]["role"] = "god"
    (bad / "anchors.json").write_text(json.dumps(idx), "utf-8")
    with pytest.raises(CertificateError, match="role must be root or intermediate"):
        build_trust_store(shipped_dir=bad)


def test_verify_cli_names_the_anchor_and_marks_a_test_ca(pki, tmp_path, capsys, pdf_factory, monkeypatch):
    """The SoftHSM test CA: untrusted by default (only the shipped anchors), trusted and marked "test" when
    signing.trust_test_ca names it, named when IT staff add it as an anchor."""
    from scanstation.cli import main
    from scanstation.config import Settings

    monkeypatch.setenv("P", CLERK_PIN)
    assert main(["sign", "--module", pki.module, "--token", "CLERK", "--key-id", "01", "--pin-env", "P",
                 "--trust", str(pki.ca_pem), "--out", str(tmp_path / "o"), str(pdf_factory())]) == 0
    signed = next((tmp_path / "o").glob("*.pdf"))
    capsys.readouterr()
    assert main(["verify", "--json", str(signed)]) == 1
    rep = json.loads(capsys.readouterr().out)[0]
    assert not rep["ok"] and rep["signatures"][0]["trusted"] is False
    Settings().set("signing.trust_test_ca", [str(pki.ca_pem)], layer="station")
    assert main(["verify", "--json", str(signed)]) == 0
    rep = json.loads(capsys.readouterr().out)[0]
    s = rep["signatures"][0]
    assert rep["ok"] and rep["test"] and s["test"] and s["anchor"]["kind"] == "test"
    assert s["anchor"]["name"].startswith("Test Root CA") and s["modification_ok"] is True
    assert s["modification_en"] and s["modification_vi"]
    assert main(["verify", str(signed)]) == 0
    out = capsys.readouterr().out
    assert "TEST" in out and "anchor" in out


def test_trust_settings_are_it_only_and_checked(tmp_path):
    from scanstation.config import Settings
    from scanstation.errors import SettingLockedError, SettingsError

    s = Settings(tmp_path)
    for key in ("signing.trust_roots", "signing.trust_disabled", "signing.trust_test_ca"):
        with pytest.raises(SettingLockedError):
            s.set(key, "[]")
    with pytest.raises(SettingsError, match="not a SHA-256 fingerprint"):
        s.set("signing.trust_disabled", '["F0:4B"]', layer="station")
    s.set("signing.trust_disabled", '["' + "ab" * 32 + '"]', layer="station")
