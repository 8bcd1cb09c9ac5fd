"""Issue 15 end to end through the command line and real processes: intake -> digital identity -> reuse of
one component from the electronic store -> scan of the rest -> clerk + SAO Y -> upload -> the result
digitised by the records officer with a second (organisation) token -> upload -> revocation."""

from __future__ import annotations

import json

import pytest

from tests.flow.conftest import cli, cli_json
from tests.sync.conftest import spawn_sim

pytestmark = pytest.mark.e2e


def _sign_args(tok, label):
    return ["--token", label, "--module", tok.module, "--trust", str(tok.ca_pem), "--pin-env", "DEMO_PIN"]


def test_counter_steps_end_to_end(station_home, tmp_path):
    from scanstation.resources import resource
    from scanstation.signing.softtoken import ensure_demo_token

    tok = ensure_demo_token()
    env = {"SOFTHSM2_CONF": str(tok.conf), "DEMO_PIN": tok.pin, "SCANSTATION_PROVINCIAL_SECRET": "k"}
    cli("settings", "set", "signing.certified_copy", "true", "--station")
    # IT staff allow the demo token's CA as a TEST CA: the queue and the check before upload trust it then
    cli("settings", "set", "signing.trust_test_ca", json.dumps([str(tok.ca_pem)]), "--station")
    sim, url = spawn_sim(tmp_path / "sim", "--secret", "k")
    try:
        new = cli_json("dossier", "new", str(resource("demo", "dossier.json")))
        did = new["id"]

        # Digital identity: the applicant has an account; the store offers GXNHN and VBUQ (the expired GCS
        # is not offered); only VBUQ is a component still to scan (GXNHN is not digitised anyway).
        idn = cli_json("dossier", "identity", did, "--endpoint", url, env=env)
        assert idn["status"] == "checked" and idn["has_account"] is True and idn["account_level"] == 2
        assert {p["document_id"] for p in idn["papers"]} == {"KHO-066190001234-0001", "KHO-066190001234-0002"}
        assert [(p["document_type_code"], p["document_id"]) for p in idn["proposals"]] == [
            ("VBUQ", "KHO-066190001234-0002")]
        # No wrong link: a document the store did not offer, or of another type, is refused.
        p = cli("dossier", "reuse", did, "--component", "VBUQ", "--document", "KHO-066190001234-0003")
        assert p.returncode == 2 and "did not offer" in p.stderr
        p = cli("dossier", "reuse", did, "--component", "VBUQ", "--document", "KHO-066190001234-0001")
        assert p.returncode == 2 and "is a GXNHN" in p.stderr
        r = cli_json("dossier", "reuse", did, "--component", "VBUQ", "--document", "KHO-066190001234-0002")
        assert r["class"] == "not_digitised" and "already held as valid electronic data" in r["reason"]
        assert r["document_id"] == "KHO-066190001234-0002"

        # Scan the rest (one component), check, build: the reused component has no pages and blocks nothing.
        s1 = cli_json("dossier", "scan", did, "--component", "GCS", "--option", "seed=1")
        assert s1["new_pages"]
        rep = cli_json("dossier", "check", did, ok=(0, 1))
        for f in [f for c in rep["components"] for f in c["findings"] if f["severity"] == "block" and not f["override"]]:
            cli_json("dossier", "override", did, f["id"], "--reason", "Đã xem bằng mắt")
        assert cli_json("dossier", "check", did)["blocking"] == 0
        built = cli_json("dossier", "build", did)
        assert [f["name"] for f in built["files"]] == ["066190001234.GCS.pdf"]
        cli_json("dossier", "sign", did, "--role", "clerk", *_sign_args(tok, tok.clerk_label), env=env)

        # SAO Y: not without the organisation's name (no placeholder any more), never with a personal certificate.
        p = cli("dossier", "sign", did, "--role", "copy", *_sign_args(tok, tok.org_label), env=env)
        assert p.returncode == 2 and "station.org_name" in p.stderr
        cli("settings", "set", "station.org_name", "UBND phường Tân Lợi", "--station")
        p = cli("dossier", "sign", did, "--role", "copy", *_sign_args(tok, tok.clerk_label), env=env)
        assert p.returncode == 2 and "personal" in p.stderr and "UID CCCD:" in p.stderr
        assert cli_json("dossier", "sign", did, "--role", "copy", *_sign_args(tok, tok.org_label), env=env)["queued"]
        p = cli("sync", "run", "--until-empty", "--max-seconds", "60", "--endpoint", url, "--json", env=env)
        assert p.returncode == 0, p.stderr
        assert cli_json("dossier", "show", did)["status"] == "uploaded"
        p = cli("dossier", "reuse", did, "--component", "GCS", "--document", "KHO-066190001234-0001")
        assert p.returncode == 2 and "can no longer change" in p.stderr       # signed: the components are fixed

        # The result, digitised by the records officer: scanned and checked; signed only with the organisation token.
        res = cli_json("dossier", "result", did, "--name", "Giấy khai sinh", "--code", "KQKS", "--number", "15/2026",
                       "--issue-date", "2026-12-01", "--issuer", "UBND phường Tân Lợi", "--summary", "Khai sinh",
                       "--option", "seed=3", env=env, ok=(0, 1))
        for f in [f for f in res["findings"] if f["severity"] == "block" and not f["override"]]:
            cli_json("dossier", "override", did, f["id"], "--reason", "Đã xem bằng mắt")
        assert res["pages"] >= 1 and res["signed"] is None
        p = cli("dossier", "result", did, *_sign_args(tok, tok.clerk_label), env=env)
        assert p.returncode == 2 and "personal" in p.stderr
        res = cli_json("dossier", "result", did, *_sign_args(tok, tok.org_label), env=env)
        assert res["signed"]["role"] == "result" and res["signed"]["org_name"] == "UBND phường Tân Lợi"
        assert res["signed"]["signer"] == tok.org_name
        vr = cli_json("verify", "--trust", str(tok.ca_pem), res["signed"]["path"])
        assert vr[0]["ok"] and [s["role"] for s in vr[0]["signatures"]] == ["copy"]
        p = cli("sync", "run", "--until-empty", "--max-seconds", "60", "--endpoint", url, "--json", env=env)
        assert p.returncode == 0, p.stderr
        got = _received(url)
        kq = next(f for f in got["files"] if f["file_name"] == res["signed"]["file_name"])
        assert kq["metadata"]["role"] == "result" and kq["sha256"] == res["signed"]["sha256"]
        show = cli_json("dossier", "show", did)
        assert {f["name"]: f["state"] for f in show["files"]} == {"066190001234.GCS.pdf": "uploaded",
                                                                  "066190001234.KQKS.pdf": "uploaded"}

        # Revocation: marked with time and reason, kept, the province told, audited; never uploaded again.
        rv = cli_json("dossier", "revoke", did, "066190001234.KQKS.pdf", "--reason", "Cấp sai ngày sinh",
                      "--endpoint", url, env=env)
        assert rv["provincial_notified"] and rv["revoked_at"] and rv["reason"] == "Cấp sai ngày sinh"
        got = _received(url)
        assert [(r["file_name"], r["reason"], r["known_file"]) for r in got["revocations"]] == [
            ("066190001234.KQKS.pdf", "Cấp sai ngày sinh", True)]
        assert next(f for f in got["files"] if f["file_name"] == "066190001234.KQKS.pdf")["revoked"]
        show = cli_json("dossier", "show", did)
        kq = next(f for f in show["files"] if f["name"] == "066190001234.KQKS.pdf")
        assert kq["state"] == "revoked" and kq["revoked_reason"] == "Cấp sai ngày sinh" and kq["revoked_at"]
        vbuq = next(c for c in show["components"] if c["document_type_code"] == "VBUQ")
        assert vbuq["reused_document_id"] == "KHO-066190001234-0002" and vbuq["class"] == "not_digitised"
        p = cli("dossier", "revoke", did, "066190001234.KQKS.pdf", "--reason", "another reason")
        assert p.returncode == 2 and "already revoked" in p.stderr
        actions = [e["action"] for e in cli_json("audit", "list", "--dossier", show["receipt_code"])]
        for a in ("identity.checked", "component.reused", "result.added", "result.signed.copy.queued",
                  "file.revoked", "file.revocation.notified"):
            assert a in actions, a
        assert json.loads(cli("audit", "verify", "--json").stdout)["ok"]
    finally:
        sim.terminate()
        sim.wait(10)


def _received(url: str) -> dict:
    import requests

    return requests.get(url + "/_sim/received", timeout=10).json()
