"""Fixtures for the sync tests: signed PDFs, a station with fast sync settings, simulators."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync.signed_pdf import signed_pdf, sync_ca_pem

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def trust_sync_test_ca(station_home):
    """The station of every sync test trusts the CA of :func:`signed_pdf` -- as a test CA, the way IT staff
    allow one (``signing.trust_test_ca``); the shipped Vietnamese anchors stay trusted as well."""
    from scanstation.config import Settings

    Settings().set("signing.trust_test_ca", [str(sync_ca_pem())], layer="station")


@pytest.fixture
def make_signed(tmp_path):
    """make_signed(name, padding=0) -> Path of a real signed PDF."""
    folder = tmp_path / "signed"
    folder.mkdir(exist_ok=True)

    def make(name: str, padding: int = 0) -> Path:
        return signed_pdf(folder / name, padding=padding, text=name)

    return make


@pytest.fixture
def fast_settings(station):
    """Short timeouts and backoff so failure paths run in a test's time."""
    for k, v in (("sync.chunk_kb", 16), ("sync.timeout_s", 2), ("sync.backoff_max_s", 1), ("sync.concurrency", 2)):
        station.settings.set(k, v, layer="station")
    return station.settings


@pytest.fixture
def sim_factory(tmp_path):
    """Start in-process simulators; all stopped at the end."""
    from scanstation.sync.simulator import ProvincialSimulator

    started = []

    def start(faults: str = "", seed: int = 1, secret: str = "s3cret", port: int = 0, data: Path | None = None,
              **kw) -> ProvincialSimulator:
        sim = ProvincialSimulator(data or tmp_path / f"sim{len(started)}", "127.0.0.1", port, faults=faults,
                                  seed=seed, secret=secret, **kw).start()
        started.append(sim)
        return sim

    yield start
    for s in started:
        with contextlib.suppress(Exception):
            s.stop()


def spawn_sim(data: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """The simulator as a real separate process; returns (process, base URL)."""
    p = subprocess.Popen([sys.executable, "-m", "scanstation", "provincial-sim", "--port", "0", "--data", str(data),
                          *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    return p, json.loads(line)["listening"]


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env
