"""`scanstation pdf` and `scanstation build`: the command line contract, and the rendered page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from PIL import Image

from scanstation.cli import main
from scanstation.pdf import check_pdfa
from scanstation.resources import resource


def _dossier_json(folder: Path, make_page, profile: str = "vn-2019-seeds", second_type: str = "VBUQ") -> Path:
    data = json.loads(resource("demo", "dossier.json").read_text("utf-8"))
    data["profile"] = profile
    scans = folder / "scans"
    scans.mkdir()
    for name in ("gcs-1.png", "gcs-2.jpg", "uq-1.png"):
        shutil.copy(make_page(name), scans / name)
    data["components"][0]["images"] = ["scans/gcs-1.png", "scans/gcs-2.jpg"]
    data["components"][1]["images"] = ["scans/uq-1.png"]
    data["components"][1]["document_type_code"] = second_type
    path = folder / "dossier.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


def test_pdf_command_with_metadata_writes_pdfa_and_sidecar(tmp_path, make_page, capsys):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"document_type_code": "GKS", "document_name": "Giấy khai sinh",
                                "issue_date": "2026-11-20", "extra": {"quyển số": "01"}}), "utf-8")
    out = tmp_path / "gks.pdf"
    rc = main(["pdf", str(make_page("1.png")), str(make_page("2.png")), "--out", str(out), "--meta", str(meta),
               "--json"])
    assert rc == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["pages"] == 2 and rep["pdfa"] == "2B" and Path(rep["sidecar"]) == tmp_path / "gks.pdf.json"
    side = json.loads((tmp_path / "gks.pdf.json").read_text("utf-8"))
    assert side["title"] == "Giấy khai sinh" and side["metadata"]["extra"] == {"quyển số": "01"}
    assert check_pdfa(out).passed


def test_pdf_command_errors_name_the_input(tmp_path, make_page, capsys):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"isue_date": "2026-11-20"}), "utf-8")
    assert main(["pdf", str(make_page("1.png")), "--out", str(tmp_path / "x.pdf"), "--meta", str(meta)]) == 2
    assert "isue_date" in capsys.readouterr().err
    meta.write_text(json.dumps({"issue_date": "20/11/2026"}), "utf-8")
    assert main(["pdf", str(make_page("1.png")), "--out", str(tmp_path / "x.pdf"), "--meta", str(meta)]) == 2
    assert "meta.issue_date" in capsys.readouterr().err
    nodpi = make_page("nodpi.png", dpi=None)
    assert main(["pdf", str(nodpi), "--out", str(tmp_path / "x.pdf")]) == 2
    assert f"error: Page image {nodpi}: records no resolution" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_build_writes_one_file_per_digitised_component_and_reports_the_skipped(tmp_path, make_page, capsys):
    dj = _dossier_json(tmp_path, make_page)
    out = tmp_path / "out"
    assert main(["build", "--dossier", str(dj), "--out", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [f["file_name"] for f in rep["files"]] == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]
    assert [f["pages"] for f in rep["files"]] == [2, 1]
    (skip,) = rep["skipped"]
    assert skip["status"] == "not_digitised" and skip["reason"].startswith("Bản sao có chứng thực")
    assert rep["complete"] and rep["left_out"] == []
    assert sorted(p.name for p in out.iterdir()) == [
        "066190001234.GCS.pdf", "066190001234.GCS.pdf.json", "066190001234.VBUQ.pdf", "066190001234.VBUQ.pdf.json"]
    for f in rep["files"]:
        assert check_pdfa(Path(f["path"])).passed


def test_build_with_vn_2025_profile_and_two_papers_of_one_type(tmp_path, make_page, capsys):
    dj = _dossier_json(tmp_path, make_page, profile="vn-2025")
    assert main(["build", "--dossier", str(dj), "--out", str(tmp_path / "low")]) == 2    # 150 dpi: below 200
    assert "below the 200 dpi the vn-2025 profile requires" in capsys.readouterr().err
    (tmp_path / "ok").mkdir()
    dj = _dossier_json(tmp_path / "ok", lambda name: make_page(name, size=(1654, 2339), dpi=(200, 200)),
                       profile="vn-2025")
    assert main(["build", "--dossier", str(dj), "--out", str(tmp_path / "o"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [f["file_name"] for f in rep["files"]] == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]
    # build gets no OCR data from the workflow yet: the profile's text layer is reported as left out
    assert [x["feature"] for x in rep["left_out"]] == ["ocr_text_layer"]
    (tmp_path / "b").mkdir()
    dj2 = _dossier_json(tmp_path / "b", make_page, second_type="GCS")
    assert main(["build", "--dossier", str(dj2), "--out", str(tmp_path / "o2")]) == 0
    text = capsys.readouterr().out
    assert "066190001234.GCS_1.pdf" in text and "066190001234.GCS_2.pdf" in text


def test_build_is_all_or_nothing_and_flags_a_missing_must_component(tmp_path, make_page, capsys):
    dj = _dossier_json(tmp_path, make_page)
    (tmp_path / "scans" / "uq-1.png").write_bytes(b"")           # the second component's page is empty
    out = tmp_path / "out"
    assert main(["build", "--dossier", str(dj), "--out", str(out)]) == 2
    assert "uq-1.png: file is empty" in capsys.readouterr().err
    assert list(out.iterdir()) == []                              # the first component's file was removed again
    data = json.loads(dj.read_text("utf-8"))
    data["components"][0]["images"] = []
    data["components"][1]["images"] = []
    dj.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    assert main(["build", "--dossier", str(dj), "--out", str(out), "--json"]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert not rep["complete"] and rep["files"] == []
    assert {s["component"]: s["status"] for s in rep["skipped"]}["Giấy chứng sinh"] == "no_pages"


def test_rendered_page_one_has_the_papers_size_and_orientation(tmp_path, make_page):
    # An A5 page at 150 dpi (874 x 1240 px): rendered at 72 dpi it must be 420 x 595 px (148 x 210 mm),
    # upright, with the red block of the original's top-left corner in the top-left corner.
    src = make_page("a5.png", size=(874, 1240), dpi=(150, 150))
    out = tmp_path / "a5.pdf"
    assert main(["pdf", str(src), "--out", str(out)]) == 0
    subprocess.run(["pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-png", "-singlefile", str(out),
                    str(tmp_path / "page1")], check=True)
    with Image.open(tmp_path / "page1.png") as im:
        assert abs(im.width - 420) <= 1 and abs(im.height - 595) <= 1
        rgb = im.convert("RGB")
        r, g, b = rgb.getpixel((int(im.width * 0.12), int(im.height * 0.08)))
        assert r > 180 and g < 60 and b < 60                    # red, top left
        for x, y in ((0.88, 0.08), (0.12, 0.92), (0.88, 0.92)):
            r, g, b = rgb.getpixel((int(im.width * x), int(im.height * y)))
            assert not (r > 180 and g < 60)                      # not red in the other corners
