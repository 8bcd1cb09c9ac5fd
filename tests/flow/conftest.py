"""Fixtures for the flow tests: the sample dossier opened as a session, the demo token, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sample_session(station):
    """The sample dossier taken in (no pages yet), with a receipt code of its own."""
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier
    from scanstation.resources import resource

    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    return new_dossier(station, dossier)


@pytest.fixture
def demo_token(station_home, monkeypatch):
    from scanstation.signing.softtoken import ensure_demo_token

    monkeypatch.setenv("SOFTHSM2_CONF", os.environ.get("SOFTHSM2_CONF", ""))   # restored after the test
    return ensure_demo_token()


def demo_plan(station, tok, **kw):
    """The station's signing plan with the demo token's module and CA (SAO Y on unless told otherwise), and
    the demo token's organisation as the SAO Y organisation when the station names none (no default)."""
    import dataclasses

    from scanstation.flow.signing import SigningPlan

    base = SigningPlan.from_settings(station.settings)
    return dataclasses.replace(base, module=tok.module, trust_root_files=(str(tok.ca_pem),),
                               **{"certified_copy": True, "org_name": base.org_name or tok.org_name, **kw})


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT, env=e, capture_output=True,
                          text=True, timeout=timeout)


def cli_json(*args: str, ok: tuple[int, ...] = (0,), **kw) -> dict:
    p = cli(*args, "--json", **kw)
    assert p.returncode in ok, f"{args}: rc={p.returncode}\n{p.stdout}\n{p.stderr}"
    return json.loads(p.stdout)
