"""The demo software token and the demo's sign stage."""

from __future__ import annotations

import os

from scanstation.signing import list_tokens
from scanstation.signing.softtoken import ensure_demo_token


def test_demo_token_is_made_once_for_the_sample_clerk(station, station_home, monkeypatch):
    monkeypatch.setenv("SOFTHSM2_CONF", os.environ["SOFTHSM2_CONF"])   # restored after the test
    tok = ensure_demo_token()
    assert tok.folder == station_home / "demo-token"
    ca_bytes = tok.ca_pem.read_bytes()
    assert ensure_demo_token().ca_pem.read_bytes() == ca_bytes          # idempotent: same CA, same tokens
    labels = {t.label for t in list_tokens(tok.module)}
    assert {tok.clerk_label, tok.org_label} <= labels

    from scanstation.signing.softtoken import DEMO_CLERK_NAME

    assert tok.clerk_name == DEMO_CLERK_NAME == "Trần Văn Đức"       # the sample dossier's clerk, not its applicant
