"""`scanstation calibrate target` and `calibrate measure` as IT staff run them, on the virtual scanner's scans."""

from __future__ import annotations

import json

import pytest

from scanstation.cli import main


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def target_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cal")
    assert main(["calibrate", "target", "--out", str(d / "t")]) == 0
    return d


def scan(capsys, target_dir, name, defect=None, **kw):
    out = target_dir / name
    opts = ["--option", f"sheet-image={target_dir / 't' / 'target.png'}"]
    if defect:
        opts += ["--option", f"defect={defect}"]
    rc, _, err = run(capsys, "scan", "--device", "virtual:demo", "--source", kw.get("source", "adf"), "--dpi",
                     kw.get("dpi", 300), *opts, "--out", out)
    assert rc == 0, err
    return sorted((out / "pages" / "scan").glob("*.png"))


def test_target_writes_pdf_json_png(target_dir, capsys):
    files = sorted(p.name for p in (target_dir / "t").iterdir())
    assert files == ["target.json", "target.pdf", "target.png"]
    assert (target_dir / "t" / "target.pdf").read_bytes().startswith(b"%PDF")
    rc, _, err = run(capsys, "calibrate", "target", "--out", target_dir / "x", "--paper", "A3")
    assert rc == 2 and "valid: A4, Letter" in err and not (target_dir / "x").exists()


def test_measure_json_clean_then_drifted_against_the_baseline(target_dir, capsys, tmp_path):
    clean = scan(capsys, target_dir, "clean")
    rc, out, _ = run(capsys, "calibrate", "measure", *clean, "--target", target_dir / "t" / "target.json", "--json")
    assert rc == 0
    base = json.loads(out)
    img = base["images"][0]
    assert img["verdict"] == "pass" and img["markers_found"] == 6 and img["dpi_x"] == pytest.approx(300, abs=0.2)
    (tmp_path / "baseline.json").write_text(out)

    worn = scan(capsys, target_dir, "worn", "scale-y:-1.5,gamma:1.5,streak:1500/2/-30")
    rc, out, _ = run(capsys, "calibrate", "measure", *worn, "--reference", tmp_path / "baseline.json", "--json",
                     "--annotate", tmp_path / "ann")
    assert rc == 1                                                 # a check failed
    m = json.loads(out)["images"][0]
    failed = {c["name"] for c in m["checks"] if c["verdict"] == "fail"}
    assert failed == {"scale_y_pct", "tone_delta_L", "colour_delta_e_mean", "streak_delta_L"}   # gamma moves colours too
    assert m["tone"]["reference"] == "baseline" and abs(m["streaks"][0]["x_px"] - 1500) <= 5
    assert (tmp_path / "ann" / f"{worn[0].stem}.measured.png").stat().st_size > 0


def test_measure_text_and_bad_inputs(target_dir, capsys, tmp_path):
    clean = scan(capsys, target_dir, "clean150", dpi=150)
    (tmp_path / "junk.png").write_bytes(b"junk")
    rc, out, err = run(capsys, "calibrate", "measure", clean[0], tmp_path / "junk.png")
    assert rc == 2 and "not a readable image" in err
    assert "PASS" in out and "warning: scanned at 150 dpi" in out and "cannot measure" in out
    rc, out, err = run(capsys, "calibrate", "measure", clean[0], "--reference", tmp_path / "junk.png")
    assert rc == 2 and "--reference" in err and out == ""


def test_tolerance_setting_changes_the_verdict(target_dir, capsys):
    worn = scan(capsys, target_dir, "worn2", "scale-x:1.4")
    rc, out, _ = run(capsys, "calibrate", "measure", *worn, "--json")
    assert rc == 1
    assert main(["settings", "set", "calibration.tolerances", '{"scale_x_pct": 2}', "--station"]) == 0
    rc, out, _ = run(capsys, "calibrate", "measure", *worn, "--json")
    assert rc == 0 and json.loads(out)["images"][0]["verdict"] == "pass"
    rc, _, err = run(capsys, "settings", "set", "calibration.tolerances", '{"scale_x_pct": "x"}', "--station")
    assert rc == 2 and "positive number" in err
