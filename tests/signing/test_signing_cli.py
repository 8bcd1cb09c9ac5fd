"""The sign / verify / tokens commands, run in-process like a clerk's terminal would."""

from __future__ import annotations

import json

import pytest

from scanstation.cli import main
from tests.signing.conftest import CLERK_NAME, CLERK_PIN, ORG_NAME, ORG_PIN


def test_sign_then_copy_then_verify_json(pki, pdf_factory, tmp_path, monkeypatch, capsys):
    src = pdf_factory(2, name="GKS.pdf")
    monkeypatch.setenv("CLERK_PIN", CLERK_PIN)
    rc = main(["sign", "--module", pki.module, "--token", "CLERK", "--key-id", "01", "--pin-env", "CLERK_PIN",
               "--scan-time", "2025-03-04T08:09:10+07:00", "--trust", str(pki.ca_pem),
               "--out", str(tmp_path / "clerk"), "--json", str(src)])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["complete"] and out["signed"][0]["signer"] == CLERK_NAME
    monkeypatch.setenv("ORG_PIN", ORG_PIN)
    rc = main(["sign", "--module", pki.module, "--token", "ORG", "--pin-env", "ORG_PIN", "--role", "copy",
               "--org-name", ORG_NAME, "--trust", str(pki.ca_pem), "--out", str(tmp_path / "copy"), "--json",
               str(tmp_path / "clerk" / "GKS.pdf")])
    assert rc == 0, capsys.readouterr()
    capsys.readouterr()
    rc = main(["verify", "--trust", str(pki.ca_pem), "--json", str(tmp_path / "copy" / "GKS.pdf")])
    rep = json.loads(capsys.readouterr().out)[0]
    assert rc == 0 and rep["ok"] and rep["pdfa"]["claim"] == "2B"
    clerk, copy = rep["signatures"]
    assert clerk["role"] == "clerk" and clerk["page"] == 1 and clerk["intact"] and clerk["trusted"]
    assert clerk["coverage"] == "entire_revision" and copy["coverage"] == "entire_file"
    assert copy["signer"] == ORG_NAME and copy["signing_time"] and len(copy["rect"]) == 4


def test_wrong_pin_exits_2_and_writes_nothing(pki, pdf_factory, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("P", "000000")
    rc = main(["sign", "--module", pki.module, "--token", "PINTEST", "--pin-env", "P", "--trust", str(pki.ca_pem),
               "--out", str(tmp_path / "o"), str(pdf_factory())])
    err = capsys.readouterr().err
    assert rc == 2 and "Wrong PIN" in err and "000000" not in err
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_pin_is_not_accepted_on_the_command_line(pki, pdf_factory, tmp_path, capsys):
    with pytest.raises(SystemExit):     # no --pin option, and no abbreviation of --pin-env either
        main(["sign", "--token", "CLERK", "--pin", CLERK_PIN, "--out", str(tmp_path), str(pdf_factory())])
    rc = main(["sign", "--module", pki.module, "--token", "CLERK", "--pin-env", CLERK_PIN, "--out", str(tmp_path),
               str(pdf_factory())])
    err = capsys.readouterr().err
    assert rc == 2 and "NAME of an environment variable" in err and CLERK_PIN not in err


def test_verify_flags_unsigned_file_and_tokens_lists_without_pin(pki, pdf_factory, capsys):
    assert main(["verify", "--trust", str(pki.ca_pem), str(pdf_factory())]) == 1
    assert "no signature" in capsys.readouterr().out
    assert main(["tokens", "--module", pki.module, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    clerk = next(t for t in data["tokens"] if t["label"] == "CLERK")
    assert clerk["pin"]["login_required"] and any(c["common_name"] == CLERK_NAME for c in clerk["certificates"])
