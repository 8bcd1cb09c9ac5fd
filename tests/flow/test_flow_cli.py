"""The scriptable flow, end to end from a fresh home, through real processes: the contract of
``scanstation dossier new|scan|check|override|exclude|restore|resolve-event|build|sign|show``."""

from __future__ import annotations

import json

import pytest

from tests.flow.conftest import cli, cli_json
from tests.sync.conftest import spawn_sim

pytestmark = pytest.mark.e2e


def test_scripted_flow_runs_end_to_end_from_a_fresh_home(station_home, tmp_path):
    from scanstation.resources import resource
    from scanstation.signing.softtoken import ensure_demo_token

    tok = ensure_demo_token()
    env = {"SOFTHSM2_CONF": str(tok.conf), "DEMO_PIN": tok.pin}
    new = cli_json("dossier", "new", str(resource("demo", "dossier.json")))
    assert {"id", "receipt_code", "components"} <= set(new)
    assert [(c["index"], c["document_type_code"], c["class"]) for c in new["components"]] == [
        (1, "GCS", "must"), (2, "VBUQ", "on_request"), (3, "GXNHN", "not_digitised")]
    did = new["id"]

    # Nothing scanned: build and sign are refused with exit 1, naming what blocks.
    p = cli("dossier", "build", did)
    assert p.returncode == 1 and "QC_NOT_RUN" in p.stderr and "error:" not in p.stderr
    # Bad input: exit 2, one English line, no traceback.
    p = cli("dossier", "scan", did, "--component", "9")
    assert p.returncode == 2 and p.stderr.startswith("error:") and "Traceback" not in p.stderr
    p = cli("dossier", "scan", did, "--component", "GXNHN")
    assert p.returncode == 2 and "not digitised" in p.stderr

    # Component by 1-based index, then by document type code; the sample feed of seed 1 has a cut-off sheet.
    s1 = cli_json("dossier", "scan", did, "--component", "1", "--option", "seed=1")
    assert len(s1["new_pages"]) == 4
    cli_json("dossier", "scan", did, "--component", "VBUQ", "--option", "seed=2")
    rep = cli_json("dossier", "check", did, ok=(1,))
    assert rep["blocking"] >= 1
    blocking = [f for c in rep["components"] for f in c["findings"] if f["severity"] == "block" and not f["override"]]
    assert {"id", "code", "severity", "pages", "message_en", "message_vi", "overridable", "override"} <= set(blocking[0])
    cut = next(f for f in blocking if f["code"] == "PAGE_CUT_OFF")
    assert not cli_json("dossier", "show", did)["files"]
    p = cli("dossier", "build", did)
    assert p.returncode == 1 and cut["id"] in p.stderr

    # A rescan in place: the sheet with the cut-off page is fed again; the new images take its place.
    comp = next(c for c in rep["components"] if any(f["id"] == cut["id"] for f in c["findings"]))
    sheet = next(pg["sheet"] for pg in cli_json("dossier", "show", did)["components"][1]["pages"]
                 if pg["position"] == cut["pages"][0])
    before = [pg["id"] for pg in cli_json("dossier", "show", did)["components"][1]["pages"]]
    r = cli_json("dossier", "scan", did, "--component", comp["id"], "--rescan-sheet", str(sheet), "--option", "seed=2")
    after = [pg["id"] for pg in r["pages"]]
    assert len(after) == len(before) and set(r["new_pages"]) <= set(after)
    assert after.index(r["new_pages"][0]) == before.index(next(i for i in before if i not in after))
    rep = cli_json("dossier", "check", did, ok=(0, 1))
    for f in [f for c in rep["components"] for f in c["findings"] if f["severity"] == "block" and not f["override"]]:
        assert f["overridable"], f
        cli_json("dossier", "override", did, f["id"], "--reason", "Đã xem bằng mắt: hai tờ khác nhau")
    assert cli_json("dossier", "check", did)["blocking"] == 0

    # Exclude a page and restore it (journaled; the check sees the change).
    cli_json("dossier", "exclude", did, "1", "--component", "VBUQ", "--reason", "thử")
    assert not cli_json("dossier", "show", did)["components"][1]["pages"][0]["kept"]
    cli_json("dossier", "restore", did, "1", "--component", "VBUQ")
    assert cli_json("dossier", "show", did)["components"][1]["pages"][0]["kept"]

    built = cli_json("dossier", "build", did)
    assert len(built["files"]) == 2 and built["status"] == "assembled"
    p = cli("dossier", "sign", did, "--role", "copy", "--token", tok.org_label, "--module", tok.module,
            "--trust", str(tok.ca_pem), "--pin-env", "DEMO_PIN", env=env)
    assert p.returncode == 2                      # SAO Y is not on for this station yet
    cli("settings", "set", "signing.certified_copy", "true", "--station")
    cli("settings", "set", "station.org_name", "UBND phường Tân Lợi", "--station")
    p = cli("dossier", "sign", did, "--role", "copy", "--token", tok.org_label, "--module", tok.module,
            "--trust", str(tok.ca_pem), "--pin-env", "DEMO_PIN", env=env)
    assert p.returncode == 2 and "after the clerk" in p.stderr
    signed = cli_json("dossier", "sign", did, "--role", "clerk", "--token", tok.clerk_label, "--module", tok.module,
                      "--trust", str(tok.ca_pem), "--pin-env", "DEMO_PIN", env=env)
    assert signed["signer"] == "Trần Văn Đức" and not signed["queued"]
    show = cli_json("dossier", "show", did)
    assert show["status"] == "signed" and [f["state"] for f in show["files"]] == ["signed", "signed"]
    assert all(f["signatures"] == ["clerk"] for f in show["files"])
    copy = cli_json("dossier", "sign", did, "--role", "copy", "--token", tok.org_label, "--module", tok.module,
                    "--trust", str(tok.ca_pem), "--pin-env", "DEMO_PIN", env=env)
    assert copy["queued"]
    show = cli_json("dossier", "show", did)
    assert show["status"] == "queued" and {f["state"] for f in show["files"]} == {"queued"}
    assert all(f["signatures"] == ["clerk", "copy"] for f in show["files"])
    vr = cli_json("verify", "--trust", str(tok.ca_pem), *[f["path"] for f in show["files"]])
    assert all(r["ok"] for r in vr)
    assert [s["role"] for s in vr[0]["signatures"]] == ["clerk", "copy"]

    # The upload worker run from the command line finishes the dossier (not only the window). Just before each
    # upload it checks the file against the station's anchors: the demo CA the commands above were given with
    # --trust must be one of them -- IT staff allow it as a test CA.
    p = cli("sync", "run", "--once", "--endpoint", "http://127.0.0.1:9", env={**env, "SCANSTATION_PROVINCIAL_SECRET": "k"})
    assert p.returncode == 1 and "does not chain to a trusted" in cli("queue", "status").stdout
    for j in cli_json("queue", "status")["jobs"]:
        cli("queue", "retry", j["id"])
    cli("settings", "set", "signing.trust_test_ca", json.dumps([str(tok.ca_pem)]), "--station")
    sim, url = spawn_sim(tmp_path / "sim", "--secret", "k")
    try:
        p = cli("sync", "run", "--until-empty", "--max-seconds", "60", "--endpoint", url, "--json",
                env={"SCANSTATION_PROVINCIAL_SECRET": "k"})
        assert p.returncode == 0, p.stderr
    finally:
        sim.terminate()
        sim.wait(10)
    show = cli_json("dossier", "show", did)
    assert show["status"] == "uploaded" and {f["state"] for f in show["files"]} == {"uploaded"}
    audit = cli_json("audit", "list", "--dossier", show["receipt_code"])
    actions = [e["action"] for e in audit]
    assert actions.count("dossier.uploaded") == 1 and "capture.rescan" in actions and "page.excluded" in actions
    assert json.loads(cli("audit", "verify", "--json").stdout)["ok"]
