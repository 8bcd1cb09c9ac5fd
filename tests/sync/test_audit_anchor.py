"""The audit chain's head anchored at the provincial side: sent with each upload, kept by the
simulator, and checked by ``scanstation audit verify --against-server`` (real simulator, real CLI)."""

from __future__ import annotations

import json
import subprocess
import sys

from sqlalchemy import text

from scanstation import audit as audit_mod
from scanstation.audit import GENESIS, AuditLog, load_key
from scanstation.sync import ProvincialClient, ProvincialConfig, audit_hook, queue_files
from tests.sync.conftest import ROOT, cli_env


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT,
                          env=cli_env(SCANSTATION_PROVINCIAL_SECRET="s3cret"), capture_output=True, text=True,
                          timeout=180)


def _upload_some(station, make_signed, sim, n=2, via_cli=True):
    for i in range(4):
        station.audit.append("Trần Văn Đức", "page.captured", dossier="HS-1", details={"i": i})
    files = [make_signed(f"a{i}-{station.audit.count()}.pdf") for i in range(n)]
    queue_files(station.store, files, dossier_code="HS-1", verifier=lambda p: None, station="STATION-01",
                audit=audit_hook(station.audit, "t"))
    if via_cli:
        p = _cli("sync", "run", "--until-empty", "--endpoint", sim.url, "--json")
        assert p.returncode == 0, p.stderr
    else:
        from scanstation.flow.upload import build_worker

        build_worker(station, endpoint=sim.url, secret="s3cret").run(until_empty=True, max_seconds=60)


def _hashes(station):
    return {e.seq: e.hash for e in station.audit.events()}


def test_each_upload_anchors_the_head_and_verify_against_server_passes(station, fast_settings, make_signed,
                                                                       sim_factory):
    sim = sim_factory()
    _upload_some(station, make_signed, sim)
    anchors = sim.state.anchor_view("STATION-01")["anchors"]
    assert anchors, "no audit head reached the provincial side"
    mine = _hashes(station)
    assert all(mine[a["seq"]] == a["hash"] for a in anchors)
    assert anchors[-1]["seq"] >= 6          # 4 events + 2 sync.queued, at least, before the first upload
    p = _cli("audit", "verify", "--against-server", "--endpoint", sim.url, "--json")
    assert p.returncode == 0, p.stdout + p.stderr
    out = json.loads(p.stdout)
    assert out["ok"] and out["anchors_checked"] == len(anchors) and out["station"] == "STATION-01"


def test_window_worker_sends_the_head_too(station, fast_settings, make_signed, sim_factory):
    sim = sim_factory()
    _upload_some(station, make_signed, sim, n=1, via_cli=False)
    assert sim.state.anchor_view("STATION-01")["anchors"]


def test_deleted_events_and_head_file_are_caught_by_the_server_anchor(station, fast_settings, make_signed,
                                                                      sim_factory):
    sim = sim_factory()
    _upload_some(station, make_signed, sim)
    anchored = sim.state.anchor_view("STATION-01")["anchors"][-1]["seq"]
    with station.store.engine.begin() as c:
        c.execute(text("DELETE FROM audit_event WHERE seq >= :s"), {"s": anchored - 1})
    station.audit.anchor.unlink()
    p = _cli("audit", "verify", "--against-server", "--endpoint", sim.url, "--json")
    assert p.returncode == 1, p.stdout + p.stderr
    probs = json.loads(p.stdout)["problems"]
    assert any(q["problem"] == "missing" and "provincial system" in q["detail"] for q in probs), probs
    assert any(q["problem"] == "head" for q in probs)


def test_chain_rewritten_with_the_key_is_caught_by_the_server_anchor(station, fast_settings, make_signed,
                                                                     sim_factory):
    """An insider who has the database, the home AND the key can rewrite everything consistently;
    only the copy of the head at the provincial side still tells."""
    sim = sim_factory()
    _upload_some(station, make_signed, sim)
    log = station.audit
    key = load_key(log.station)
    from datetime import UTC, datetime

    prev = GENESIS
    with station.store.engine.begin() as c:
        for r in c.execute(text("SELECT * FROM audit_event WHERE station = :s ORDER BY seq"),
                           {"s": log.station}).mappings().all():
            actor = "someone else" if r["seq"] == 2 else r["actor"]
            at = r["at"] if isinstance(r["at"], datetime) else datetime.fromisoformat(str(r["at"]))
            at = at if at.tzinfo else at.replace(tzinfo=UTC)
            h = audit_mod._digest(log.station, r["seq"], at, actor, r["action"], r["dossier"], r["page"],
                                  r["file"], json.loads(r["details"]), prev)
            c.execute(text("UPDATE audit_event SET actor=:a, prev_hash=:p, hash=:h, mac=:m WHERE id=:i"),
                      {"a": actor, "p": prev, "h": h, "m": audit_mod._mac(key, h), "i": r["id"]})
            prev, last = h, r["seq"]
    log.anchor.write_text(json.dumps({"station": log.station, "seq": last, "hash": prev,
                                      "mac": audit_mod._head_mac(key, log.station, last, prev)}))
    assert AuditLog(station.store, station=log.station).verify().ok       # locally consistent
    p = _cli("audit", "verify", "--against-server", "--endpoint", sim.url)
    assert p.returncode == 1 and "rewritten" in p.stdout, p.stdout + p.stderr


def test_verify_against_server_needs_an_endpoint_and_says_so(station):
    station.audit.append("x", "y")
    p = _cli("audit", "verify", "--against-server")
    assert p.returncode == 2 and p.stderr.startswith("error:") and "provincial.endpoint" in p.stderr
    assert "Traceback" not in p.stderr


def test_simulator_keeps_anchors_records_conflicts_and_survives_a_restart(station, sim_factory, tmp_path):
    from scanstation.sync.simulator import SimState

    sim = sim_factory(data=tmp_path / "prov")
    client = ProvincialClient(ProvincialConfig(endpoint=sim.url), "s3cret")
    base = dict(dossier_code="HS-1", component_id="c", document_type="d", file_name="a.pdf", size=3,
                sha256="1" * 64, metadata={})
    client.begin(key="a" * 40, **base, audit_head={"station": "QUAY 7/á", "seq": 5, "hash": "2" * 64})
    client.begin(key="b" * 40, **base, audit_head={"station": "QUAY 7/á", "seq": 5, "hash": "3" * 64})
    got = client.audit_anchors("QUAY 7/á")
    assert [(a["seq"], a["hash"]) for a in got["anchors"]] == [(5, "2" * 64)]
    assert got["conflicts"][0]["hash"] == "3" * 64
    assert client.audit_anchors("OTHER") == {"station": "OTHER", "anchors": [], "conflicts": []}
    assert SimState(tmp_path / "prov", sim.state.faults, 1, "s", None, 60, 0).anchor_view("QUAY 7/á")["anchors"]
    # A conflict is a problem for verify even when the chain itself is intact.
    station.audit.append("x", "y")
    rep = station.audit.verify(anchors=[], conflicts=got["conflicts"])
    assert [p["problem"] for p in rep.problems] == ["anchor-conflict"]


def test_malformed_audit_head_is_refused_by_the_simulator(sim_factory):
    import requests

    sim = sim_factory()
    tok = requests.post(sim.url + "/oauth/token", data={"grant_type": "client_credentials"},
                        auth=("scanstation", "s3cret"), timeout=5).json()["access_token"]
    body = {"idempotency_key": "k" * 40, "dossier_code": "D", "file_name": "a.pdf", "size": 1, "sha256": "0" * 64,
            "audit_head": {"station": "S", "seq": "5", "hash": "x"}}
    r = requests.post(sim.url + "/api/v1/uploads", json=body, timeout=5,
                      headers={"Authorization": f"Bearer {tok}", "Idempotency-Key": "k" * 40})
    assert r.status_code == 400 and "audit_head" in r.json()["error"]
