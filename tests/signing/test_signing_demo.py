"""The demo software token and the demo's sign stage."""

from __future__ import annotations

import hashlib
import os

from scanstation.signing import list_tokens, load_trust_roots, verify_file
from scanstation.signing.softtoken import ensure_demo_token


def test_demo_token_is_made_once_and_signs_the_demo_dossier(station, station_home, pdf_factory, monkeypatch):
    from scanstation.demo import DemoRun, stage_sign

    monkeypatch.setenv("SOFTHSM2_CONF", os.environ["SOFTHSM2_CONF"])   # restored after the test
    tok = ensure_demo_token()
    assert tok.folder == station_home / "demo-token"
    ca_bytes = tok.ca_pem.read_bytes()
    assert ensure_demo_token().ca_pem.read_bytes() == ca_bytes          # idempotent: same CA, same tokens
    labels = {t.label for t in list_tokens(tok.module)}
    assert {tok.clerk_label, tok.org_label} <= labels

    srcs = [pdf_factory(2, name=f"comp{i}.pdf") for i in range(2)]
    run = DemoRun(station)
    run.outputs["pdfs"] = [{"component_id": f"c{i}", "path": str(p), "file_name": p.name,
                            "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for i, p in enumerate(srcs)]
    summary = stage_sign(run)
    assert summary["files"] == 2
    roots = load_trust_roots(run.outputs["trust_roots"])
    for item, src in zip(run.outputs["signed"], srcs):
        rep = verify_file(item["path"], roots)
        assert rep.ok and [s.role for s in rep.signatures] == ["clerk", "copy"]
        assert item["sha256"] == rep.sha256 and item["size"] == rep.size and item["path"] != str(src)
