import json
import subprocess
import sys
from pathlib import Path

import pytest

from scanstation.dossier_io import load_dossier_file, parse_dossier
from scanstation.errors import DossierFormatError, InvalidIdentifier, UnknownProfileError, ValidationError
from scanstation.resources import resource


def demo_data():
    return json.loads(resource("demo", "dossier.json").read_text("utf-8"))


def test_demo_dossier_parses():
    d, images = parse_dossier(demo_data())
    assert d.applicant.name == "Nguyễn Thị Hồng Nhung"
    assert [c.digitised for c in d.components] == [True, True, False]
    assert d.components[1].metadata.document_name == "Văn bản ủy quyền"   # defaults from the component
    assert all(v == [] for v in images.values())


@pytest.mark.parametrize("mutate,field,exc", [
    (lambda d: d.pop("receipt_code"), "receipt_code", DossierFormatError),
    (lambda d: d["applicant"].update(id_number="12345"), "applicant.id_number", InvalidIdentifier),
    (lambda d: d["applicant"].update(id_type="passport_x"), "applicant.id_type", DossierFormatError),
    (lambda d: d.update(profile="vn-1999"), "compliance.profile", UnknownProfileError),
    (lambda d: d["components"][0].update(sheets="two"), "components[0].sheets", DossierFormatError),
    (lambda d: d["components"][2].update(not_digitised_reason=""), "components[2].not_digitised_reason",
     DossierFormatError),
    (lambda d: d["components"][1]["metadata"].update(issue_date="18/11/2026"), "components[1].metadata.issue_date",
     DossierFormatError),
    (lambda d: d.update(components=[]), "components", DossierFormatError),
    (lambda d: d["applicant"].update(id_type="none", id_number=""), "applicant.birth_date", DossierFormatError),
])
def test_bad_dossier_names_the_field(mutate, field, exc):
    data = demo_data()
    mutate(data)
    with pytest.raises(exc) as e:
        parse_dossier(data)
    assert e.value.field == field
    assert e.value.message_vi and e.value.message_en


def test_cli_rejects_bad_dossier_and_writes_nothing(tmp_path, station_home):
    data = demo_data()
    data["applicant"]["id_number"] = "0661900012"
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    r = subprocess.run([sys.executable, "-m", "scanstation", "dossier", "new", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "applicant.id_number" in r.stderr and "12 digits" in r.stderr
    assert not (station_home / "work").exists() or not any((station_home / "work").iterdir())
    (tmp_path / "broken.json").write_text("{ not json")
    r = subprocess.run([sys.executable, "-m", "scanstation", "dossier", "new", str(tmp_path / "broken.json")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "not valid JSON" in r.stderr


def test_duplicate_receipt_code_refused(station):
    d1, _ = load_dossier_file(resource("demo", "dossier.json"))
    d2, _ = load_dossier_file(resource("demo", "dossier.json"))
    station.create_dossier(d1)
    with pytest.raises(ValidationError) as e:
        station.create_dossier(d2)
    assert e.value.field == "receipt_code"


def test_recovery_lists_and_restores_unfinished_dossier(station):
    from scanstation.flow import Station

    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = station.create_dossier(d)
    station.begin_capture(d)
    comp = d.components[0]
    pages = [wa.add_page(comp.id, f"img{i}".encode(), ext="png", sheet=i // 2 + 1,
                         side="front" if i % 2 == 0 else "back") for i in range(4)]
    wa.record("exclude", page=pages[3].id, reason="blank back")
    station.store.dispose()

    st2 = Station()                                       # the station restarts after a crash
    [u] = st2.unfinished()
    assert (u.receipt_code, u.pages, u.damaged) == (d.receipt_code, 4, [])
    restored = st2.restore(d.id)
    rc = restored.component(comp.id)
    assert [p.sha256 for p in rc.pages] == [p.sha256 for p in pages]
    assert [p.kept for p in rc.pages] == [True, True, True, False]
    assert st2.audit.verify().ok
    st2.store.dispose()


def test_demo_runs_every_stage_and_rescans_the_cut_off_sheet(fresh_station):
    """``make demo`` on a new station: the rules in force (vn-2025), two-layer files of a few hundred KB."""
    r = subprocess.run([sys.executable, "-m", "scanstation", "demo", "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert [s["stage"] for s in report] == ["intake", "capture", "qc", "assemble", "sign", "queue"]
    assert [s["status"] for s in report] == ["done"] * 6
    qc = report[2]
    assert qc["rescanned"] == ["Văn bản ủy quyền: tờ 3"]         # the sample feed has one cut-off sheet
    assert all(c["blocking"] == [] for c in qc["components"])
    assert report[5]["confirmed"] == 2 and all(f["times_submitted"] == 1 for f in report[5]["received"])
    assert report[4]["clerk"] == "Trần Văn Đức"                   # the dossier's clerk, never its applicant
    assert report[4]["dossier_status"] == "queued" and report[5]["dossier"] == "uploaded"
    assemble = report[3]
    assert (assemble["profile"], assemble["layers"]) == ("vn-2025", "image + OCR text")
    assert all(f["size"] < 1_000_000 for f in report[5]["received"]), report[5]["received"]


def test_demo_stops_before_signing_while_a_finding_blocks(station, monkeypatch):
    from scanstation.flow import demo
    from scanstation.workarea import WorkArea

    monkeypatch.setattr(demo, "REFEED_CODES", set())          # the clerk does not rescan
    report = demo.run_demo(station)
    status = {s["stage"]: s["status"] for s in report}
    assert status["qc"] == "blocked" and "PAGE_CUT_OFF" in report[2]["detail"]
    assert status["assemble"] == status["sign"] == status["queue"] == "skipped"
    [row] = station.list_dossiers()
    rec = WorkArea(Path(row.workdir)).replay()
    assert sum(len(v) for v in rec.pages.values()) == 10 and rec.damaged == []   # every page kept


def test_demo_says_signing_is_unavailable_without_a_software_token(station, monkeypatch):
    """A Windows station has no SoftHSM2: the demo captures, checks and assembles, then says why it
    cannot sign (the Wine smoke test sees the same on the installed runtime)."""
    from scanstation.errors import TokenModuleError
    from scanstation.flow import demo
    from scanstation.signing import softtoken

    def no_softhsm():
        raise TokenModuleError("SoftHSM2 is not installed (Debian package softhsm2)", "Chưa cài SoftHSM2")

    monkeypatch.setattr(softtoken, "ensure_demo_token", no_softhsm)
    report = {s["stage"]: s for s in demo.run_demo(station)}
    assert [report[k]["status"] for k in ("intake", "capture", "qc", "assemble")] == ["done"] * 4
    assert report["sign"]["status"] == "unavailable" and report["sign"]["reason"] == "no_pkcs11_module"
    assert "no software PKCS#11 token" in report["sign"]["detail"] and "SoftHSM2" in report["sign"]["detail"]
    assert report["queue"]["status"] == "skipped"
