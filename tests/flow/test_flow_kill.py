"""SIGKILL at random moments through capture, page operations, override, build, sign and queue.

After every kill the dossier reopens with every acknowledged page, variant, exclusion and override;
a signed file is either verified under its final name or absent; a queued dossier has its jobs.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from tests.flow.conftest import ROOT

pytestmark = [pytest.mark.kill, pytest.mark.slow, pytest.mark.timeout(900)]

MIN_KILLS = 30


def _new(station):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier
    from scanstation.model import new_id
    from scanstation.resources import resource

    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    d.receipt_code = f"{d.receipt_code}-{new_id()[:6]}"
    return new_dossier(station, d).dossier.id


def _check(did, acked):
    """The invariants, read by a fresh station as after a restart."""
    from scanstation.flow import Station, open_dossier
    from scanstation.model import DossierStatus
    from scanstation.signing import verify_file
    from scanstation.store.tables import OutboxRow

    st = Station()
    try:
        s = open_dossier(st, did)
        pages = {p.id: p for c in s.dossier.components for p in c.pages}
        missing = set(acked["page"]) - set(pages)
        assert not missing, f"acknowledged pages lost: {missing}"
        for pid in acked["variant"]:
            assert pages[pid].variant.value == "note_removed", pid
        for pid in acked["exclude"]:
            assert not pages[pid].kept, pid
        assert set(acked["override"]) <= set(s.overrides), "acknowledged override lost"
        signed = s.workarea.root / "signed"
        for f in signed.glob("*.pdf") if signed.is_dir() else []:
            rep = verify_file(f, [])
            assert rep.signatures and all(x.intact and x.valid for x in rep.signatures), f"{f.name} does not verify"
        if s.dossier.status in (DossierStatus.QUEUED, DossierStatus.UPLOADED):
            with st.store.session() as db:
                jobs = db.scalar(select(func.count()).select_from(OutboxRow)
                                 .where(OutboxRow.dossier_code == s.dossier.receipt_code))
            assert jobs == len(s.dossier.outputs) == 2
        return s.dossier.status.value
    finally:
        st.store.dispose()


def test_sigkill_through_the_whole_flow_loses_nothing_acknowledged(station, station_home, demo_token):
    station.settings.set("signing.certified_copy", True, layer="station")
    station.settings.set("station.org_name", "UBND phường Tân Lợi", layer="station")
    station.settings.set("signing.trust_roots", [str(demo_token.ca_pem)], layer="station")
    station.settings.set("token.module", demo_token.module, layer="station")
    rng = random.Random(20261204)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOFTHSM2_CONF=str(demo_token.conf))
    kills, finished, runs = 0, 0, 0
    killed_in = collections.Counter()
    acked_total = collections.Counter()
    deadline = time.monotonic() + 700
    while (kills < MIN_KILLS or finished < 2) and time.monotonic() < deadline:
        did = _new(station)
        acked = {"page": [], "variant": [], "exclude": [], "override": []}
        while time.monotonic() < deadline:
            runs += 1
            log = station_home / f"run{runs}.log"
            with open(log, "w") as fout:    # a file, not a pipe: what was acknowledged is on disk
                p = subprocess.Popen([sys.executable, "-m", "tests.flow.kill_driver", did], cwd=ROOT, env=env,
                                     stdout=fout, stderr=subprocess.STDOUT, text=True, start_new_session=True)
                try:
                    p.wait(timeout=rng.uniform(0.8, 7.0))
                    done = True
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)     # a power cut: the station and its QC workers at once
                    p.wait()
                    kills += 1
                    done = False
            out = log.read_text("utf-8", errors="replace")
            if done:
                assert p.returncode == 0, out
            steps = []
            for line in out.splitlines():
                if not line.startswith("ACK "):
                    continue
                _, step, data = line.split(" ", 2)
                steps.append(step)
                import json

                rec = json.loads(data)
                if step in acked:
                    acked[step].append(rec["id"])
                    acked_total[step] += 1
            if not done:
                killed_in[steps[-1] if steps else "startup"] += 1
            status = _check(did, acked)
            sys.stderr.write(f"run {runs}: {'done' if done else 'killed'} after {steps[-1] if steps else '-'} "
                             f"({status})\n")
            if done:
                assert status == "queued" and steps[-1] == "done"
                signed = (station_home / "work" / did / "signed")
                assert not list(signed.glob(".*.tmp")), "a killed signing left temporary files"
                finished += 1
                break
    print(f"\nkills={kills} runs={runs} dossiers finished={finished} killed after={dict(killed_in)} "
          f"acknowledged={dict(acked_total)} lost=0")
    assert kills >= MIN_KILLS and finished >= 2
    assert len(killed_in) >= 4, f"kills should land in several steps: {dict(killed_in)}"
