"""`scanstation devices` and `scanstation scan` as a user runs them; a kill -9 mid-scan loses no journaled page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import img2pdf
import numpy as np
import pytest
from PIL import Image

from scanstation.cli import main
from scanstation.devices.pngio import encode_png
from scanstation.workarea import WorkArea

ROOT = Path(__file__).resolve().parents[2]


def run_cli(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_devices_json_lists_capabilities(capsys):
    rc, out, _ = run_cli(capsys, "devices", "--json")
    assert rc == 0
    devs = {d["id"]: d for d in json.loads(out)["devices"]}
    v, s = devs["virtual:demo"], devs["sane:test:0"]
    for d in (v, s):
        assert {"id", "name", "driver", "sources", "resolutions", "modes", "duplex", "double_feed_detection"} <= set(d)
    assert v["duplex"] is True and v["double_feed_detection"] is True and s["duplex"] is False
    assert s["driver"] == "sane" and "adf" in s["sources"]


def test_devices_text(capsys):
    rc, out, _ = run_cli(capsys, "devices")
    assert rc == 0 and "virtual:demo" in out and "sane:test:0" in out and "double-feed detection" in out


def test_scan_writes_pages_and_manifest(capsys, tmp_path):
    out_dir = tmp_path / "out"
    rc, out, _ = run_cli(capsys, "scan", "--device", "virtual:demo", "--dpi", "75", "--option", "sheets=2",
                         "--out", str(out_dir), "--json")
    assert rc == 0
    m = json.loads((out_dir / "manifest.json").read_text())
    assert json.loads(out) == m
    assert m["status"] == "complete" and m["device"]["id"] == "virtual:demo"
    assert m["request"]["source"] == "adf-duplex" and m["request"]["dpi"] == 75
    assert m["events"][-1]["kind"] == "feeder-empty"
    assert len(m["pages"]) == 4
    for p in m["pages"]:
        assert {"file", "sheet", "side", "dpi", "mode", "width", "height", "sha256", "captured_at"} <= set(p)
        f = out_dir / p["file"]
        import hashlib
        assert hashlib.sha256(f.read_bytes()).hexdigest() == p["sha256"]
        with Image.open(f) as im:
            assert im.size == (p["width"], p["height"])
    assert "ground_truth" in m["pages"][0]
    assert m["warnings"]           # 75 dpi is below the rules: said, not hidden


def test_scan_error_keeps_pages_and_exits_2(capsys, tmp_path):
    out_dir = tmp_path / "out"
    rc, _, err = run_cli(capsys, "scan", "--device", "sane:test:0", "--source", "adf", "--dpi", "30",
                         "--option", "read-return-value@3=SANE_STATUS_JAMMED", "--out", str(out_dir))
    assert rc == 2 and "Paper jam at sheet 3" in err and "2 page(s)" in err
    m = json.loads((out_dir / "manifest.json").read_text())
    assert m["status"] == "stopped" and m["error"]["code"] == "DEVICE_JAMMED" and len(m["pages"]) == 2
    assert m["events"][-1] == {"kind": "jammed", "sheet": 3, "detail": m["error"]["message_en"]}


@pytest.mark.parametrize("args,needle", [
    (["--device", "nope:1"], "available devices: virtual:demo"),
    (["--device", "sane:test:0", "--dpi", "5000"], "valid resolutions: 1-1200"),
    (["--device", "virtual:demo", "--option", "jam=0"], "valid values: 1-100000"),
    (["--device", "virtual:demo", "--option", "nonsense=1"], "valid options: seed, sheets"),
    (["--device", "sane:test:0", "--source", "adf-duplex"], "valid sources: flatbed, adf"),
])
def test_bad_input_scans_nothing(capsys, tmp_path, args, needle):
    out_dir = tmp_path / "out"
    rc, _, err = run_cli(capsys, "scan", *args, "--out", str(out_dir))
    assert rc == 2 and needle in err and err.startswith("error: ")
    assert not out_dir.exists()


def _idat_chunks(png: bytes) -> list[bytes]:
    out, i = [], 8
    while i < len(png):
        n = int.from_bytes(png[i:i + 4], "big")
        if png[i + 4:i + 8] == b"IDAT":
            out.append(png[i + 8:i + 8 + n])
        i += 12 + n
    return out


def test_png_is_lossless_records_dpi_and_img2pdf_embeds_it_unchanged(tmp_path):
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.integers(0, 3, (1400, 900, 3), dtype=np.uint8), axis=0, dtype=np.uint8)
    noisy = rng.integers(0, 256, (1300, 1000, 3), dtype=np.uint8)       # > 1 MiB compressed: several IDAT chunks
    for px in (rng.integers(0, 256, (370, 530, 3), dtype=np.uint8), rng.integers(0, 256, (200, 110), dtype=np.uint8),
               smooth, noisy):
        data = encode_png(px, 300)
        f = tmp_path / "p.png"
        f.write_bytes(data)
        with Image.open(f) as im:
            assert np.array_equal(np.asarray(im), px) and round(im.info["dpi"][0]) == 300
        pdf = img2pdf.convert(data)
        idats = _idat_chunks(data)
        assert len(idats) > 1 or px is not noisy
        assert b"".join(idats) in pdf   # the compressed stream went into the PDF as-is: no re-encoding


@pytest.mark.kill
def test_kill_9_mid_scan_loses_no_journaled_page(tmp_path):
    """A real scan in a real process, killed without warning: every journaled page survives intact."""
    out_dir = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "scanstation", "scan", "--device", "virtual:demo", "--dpi", "100",
                             "--option", "sheets=40", "--option", "delay-ms=50", "--out", str(out_dir)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out_dir / "journal.jsonl"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if journal.exists() and journal.read_text().count('"op":"page"') >= 5:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the scan did not journal 5 pages in time")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert not (out_dir / "manifest.json").exists()        # it really died mid-run
    rec = WorkArea(out_dir).replay()
    pages = rec.pages["scan"]
    assert len(pages) >= 5 and not rec.damaged
    assert [p.sheet for p in pages if p.side.value == "front"] == list(range(1, len(pages) // 2 + len(pages) % 2 + 1))
    for p in pages:
        with Image.open(out_dir / p.file) as im:
            im.load()                                       # complete, decodable images only
