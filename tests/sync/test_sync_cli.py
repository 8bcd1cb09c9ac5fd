"""The CLI contract: queue add/status/retry/cancel/export/import, sync run, provincial-sim (real processes)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.sync.conftest import ROOT, cli_env, spawn_sim
from tests.sync.signed_pdf import sync_ca_pem, unsigned_pdf


def run(*args, env=None, check=True):
    p = subprocess.run([sys.executable, "-m", "scanstation", *args], cwd=ROOT, env=env or cli_env(),
                       capture_output=True, text=True, timeout=120)
    if check and p.returncode not in (0, 1):
        raise AssertionError(f"{args}: rc={p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def test_queue_add_refuses_unsigned_and_broken_files(make_signed, tmp_path):
    good = make_signed("good.pdf")
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(unsigned_pdf())
    broken = tmp_path / "broken.pdf"
    data = bytearray(good.read_bytes())
    data[len(data) // 3] ^= 0x01          # inside the signed byte range
    broken.write_bytes(bytes(data))
    notpdf = tmp_path / "notes.txt"
    notpdf.write_text("hello")
    for bad, why in ((unsigned, "no digital signature"), (broken, "broken"), (notpdf, "not a readable PDF")):
        p = run("queue", "add", "--dossier", "D1", str(good), str(bad), check=False)
        assert p.returncode == 2 and why in p.stderr and bad.name in p.stderr, p.stderr
    st = json.loads(run("queue", "status", "--json").stdout)
    assert st["total"] == 0                       # all or nothing: the good file was not queued either
    p = run("queue", "add", "--dossier", "D1", "--doc-type", "KS01", str(good), "--json")
    job = json.loads(p.stdout)["jobs"][0]
    assert job["created"] and len(job["sha256"]) == 64


def test_status_retry_cancel_and_sync_run_against_a_simulator_process(make_signed, tmp_path):
    files = [make_signed(f"s{i}.pdf", padding=30_000) for i in range(3)]
    run("queue", "add", "--dossier", "D2", *map(str, files))
    st = json.loads(run("queue", "status", "--json").stdout)
    assert st["counts"]["pending"] == 3
    jobs = st["jobs"]
    assert {"id", "file", "state", "attempts", "next_attempt", "last_error"} <= set(jobs[0])
    cancelled = jobs[0]["id"]
    assert json.loads(run("queue", "cancel", cancelled[:10], "--json").stdout)["state"] == "cancelled"

    # No keyring on this machine and no env secret: a clear error, nothing changes.
    sim, url = spawn_sim(tmp_path / "sim", "--secret", "k")
    try:
        env = cli_env()
        env.pop("SCANSTATION_PROVINCIAL_SECRET", None)
        p = run("sync", "run", "--once", "--endpoint", url, env=env, check=False)
        assert p.returncode == 2 and "SCANSTATION_PROVINCIAL_SECRET" in p.stderr
        p = run("sync", "run", "--until-empty", "--max-seconds", "30", "--endpoint", url, "--json",
                env=cli_env(SCANSTATION_PROVINCIAL_SECRET="k"))
        rep = json.loads(p.stdout)
        assert p.returncode == 0 and rep["confirmed"] == 2 and rep["counts"]["cancelled"] == 1
        import urllib.request

        with urllib.request.urlopen(url + "/_sim/received") as r:
            got = json.load(r)
        assert len(got["files"]) == 2
        assert all({"idempotency_key", "sha256", "size", "submissions"} <= set(f) for f in got["files"])
    finally:
        sim.terminate()
        sim.wait(10)
    assert json.loads(run("queue", "retry", cancelled, "--json").stdout)["state"] == "pending"
    text = run("queue", "status").stdout
    assert "pending: 1" in text and "confirmed: 2" in text and cancelled[:12] in text


def test_export_and_import_from_the_cli(make_signed, tmp_path, station_home):
    f = make_signed("x.pdf")
    run("queue", "add", "--dossier", "D3", str(f))
    rep = json.loads(run("queue", "export", "--to", str(tmp_path / "usb"), "--json").stdout)
    assert rep["exported"] == 1
    other = tmp_path / "other-home"
    other.mkdir()
    env = cli_env(SCANSTATION_HOME=str(other))
    # the importing station checks signatures against its own anchors: untrusted until its IT staff allow the CA
    rep = json.loads(run("queue", "import", str(tmp_path / "usb"), "--json", env=env).stdout)
    assert rep["imported"] == 0 and "does not chain to a trusted" in rep["refused"][0]["reason"]
    run("settings", "set", "signing.trust_test_ca", json.dumps([str(sync_ca_pem())]), "--station", env=env)
    rep = json.loads(run("queue", "import", str(tmp_path / "usb"), "--json", env=env).stdout)
    assert rep["imported"] == 1
    st = json.loads(run("queue", "status", "--json", env=env).stdout)
    assert st["counts"]["pending"] == 1 and st["jobs"][0]["file"] == "x.pdf"
    copied = list((other / "imports").rglob("*.pdf"))      # the stick can be unplugged now
    assert len(copied) == 1 and copied[0].read_bytes() == f.read_bytes()


def test_simulator_rejects_bad_fault_specs(tmp_path):
    p = run("provincial-sim", "--port", "0", "--data", str(tmp_path / "d"), "--faults", "meteor=0.5", check=False)
    assert p.returncode == 2 and "Bad fault" in p.stderr
