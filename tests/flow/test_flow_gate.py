"""The flow without Qt: the QC gate, overrides, scanner events, variants after reopening, one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from scanstation.errors import DiskSpaceError, DossierBusy, GateBlocked, StorageError, ValidationError
from scanstation.flow import checking, exclusive, open_dossier, signing
from scanstation.flow.capture import CaptureAction, resolve_event, scan
from scanstation.model import DossierStatus, PageVariant
from scanstation.store.tables import DossierRow, OutboxRow, OutputFileRow
from tests.flow.conftest import cli, demo_plan


def _scan(s, comp, *options, **kw):
    return scan(s, CaptureAction(component_id=comp, device="virtual:demo", options=tuple(options), **kw))


def test_gate_refuses_build_and_sign_for_a_cut_off_page_a_grey_150_dpi_scan_and_missing_metadata(
        sample_session, demo_token):
    s = sample_session
    _scan(s, "GCS", "seed=1", dpi=150, mode="gray")
    _scan(s, "VBUQ", "seed=2")                 # sheet 3 of this sample feed has a cut-off side
    with pytest.raises(GateBlocked) as e:      # nothing checked yet
        signing.build(s)
    assert {f["code"] for f in e.value.findings} == {"QC_NOT_RUN"}
    checking.check(s)
    codes = {f.code for f in checking.blocking(s)}
    # the whole grey 150-dpi component is one finding with one fix (rescan it), naming both reasons
    assert {"PAGE_CUT_OFF", "COMPONENT_RESCAN"} <= codes and not {"DPI_TOO_LOW", "COLOUR_REQUIRED"} & codes
    whole = next(f for f in checking.blocking(s) if f.code == "COMPONENT_RESCAN")
    assert whole.component_id == s.component("GCS").id and "dpi" in whole.message_en
    assert "colour" in whole.message_en.lower() and not whole.overridable
    with pytest.raises(GateBlocked) as e:
        signing.build(s)
    assert "PAGE_CUT_OFF" in e.value.message_en and not s.workarea.out_dir.exists()
    with pytest.raises(GateBlocked):
        signing.sign(s, "clerk", token_label=demo_token.clerk_label, pin=demo_token.pin,
                     plan=demo_plan(s.station, demo_token))
    assert not (s.workarea.root / "signed").exists()
    dpi = next(f for f in checking.blocking(s) if f.code == "COMPONENT_RESCAN")
    with pytest.raises(ValidationError):       # the law's hard limits cannot be accepted with a reason
        checking.override(s, dpi.id, "vội")

    # The required metadata is part of the gate too, and cannot be overridden.
    gcs = s.component("GCS")
    gcs.metadata.number_symbol = ""
    meta = next(f for f in checking.blocking(s) if f.code == "METADATA_MISSING")
    assert meta.component_id == gcs.id and "number and symbol" in meta.message_en
    with pytest.raises(ValidationError):
        checking.override(s, meta.id, "không có")


def test_an_override_is_journaled_with_who_why_when_and_survives_reopening(sample_session):
    s = sample_session
    _scan(s, "GCS", "seed=1")
    s.component("GCS").declared_sheets = 3     # the applicant declared 3 sheets, brought 2
    s.save()
    checking.check(s)
    f = next(f for f in checking.blocking(s) if f.overridable)
    with pytest.raises(ValidationError):
        checking.override(s, f.id, "   ")
    done = checking.override(s, f.id, "Người nộp bổ sung tờ 3 sau")
    assert done.override["reason"] == "Người nộp bổ sung tờ 3 sau" and done.override["by"]
    again = open_dossier(s.station, s.dossier.receipt_code)        # by receipt code, as a clerk types it
    g = next(x for x in checking.findings(again) if x.id == f.id)
    assert g.override["reason"] == "Người nộp bổ sung tờ 3 sau" and not g.blocking
    assert g.override["at"]
    ev = [e for e in s.station.audit.events(s.dossier.receipt_code) if e.action == "qc.override"]
    assert ev and ev[0].details["finding"] == f.id


def test_a_scanner_event_blocks_until_the_clerk_resolves_it_and_that_survives_a_restart(sample_session):
    s = sample_session
    out = _scan(s, "VBUQ", "seed=2", "double-feed=2")
    assert out.event is not None and out.event["code"] == "DEVICE_DOUBLE_FEED" and len(out.pages) == 2
    _scan(s, "VBUQ", "seed=2")                 # the clerk feeds the rest; the event is still not resolved
    ev = next(f for f in checking.blocking(s) if f.code == "DEVICE_EVENT")
    assert not ev.overridable
    with pytest.raises(ValidationError):
        checking.override(s, ev.id, "ok")
    assert open_dossier(s.station, s.dossier.id).events[out.event["id"]]["resolved"] is None
    resolve_event(s, out.event["id"], "Đã kiểm tra: tờ 2 và 3 đều có trong bản quét")
    assert not any(f.code == "DEVICE_EVENT" for f in checking.blocking(s))
    again = open_dossier(s.station, s.dossier.id)
    assert again.events[out.event["id"]]["resolved"]["reason"].startswith("Đã kiểm tra")
    assert not any(f.code == "DEVICE_EVENT" for f in checking.blocking(again))


def test_note_removed_rescan_keeps_its_variant_qc_and_exclusions_after_recovery(sample_session):
    s = sample_session
    _scan(s, "VBUQ", "seed=2")
    first = s.component("VBUQ").pages[0]
    out = _scan(s, "VBUQ", "seed=2", action="note_removed", target=first.id)
    checking.check(s)
    comp = s.component("VBUQ")
    assert [p.variant for p in comp.pages[:2]] == [PageVariant.NORMAL, PageVariant.NOTE_REMOVED]
    assert comp.pages[1].id == out.pages[0].id
    restored = s.station.restore(s.dossier.id)              # `dossier recover --restore`
    rc = restored.component(comp.id)
    assert [p.variant for p in rc.pages] == [p.variant for p in comp.pages]
    assert [p.kept for p in rc.pages] == [p.kept for p in comp.pages]
    with s.station.store.session() as db:
        row = db.get(DossierRow, s.dossier.id)
        assert '"note_removed"' in row.data                  # written to the database as restored
    again = open_dossier(s.station, s.dossier.id)
    assert all(p.qc for p in again.component("VBUQ").pages)      # page QC is back after reopening
    assert again.checks[comp.id]["pages"] == [p.id for p in comp.pages]


def test_signed_and_queued_commit_in_one_transaction_or_not_at_all(sample_session, demo_token, monkeypatch):
    s = sample_session
    _scan(s, "GCS", "seed=1")
    _scan(s, "VBUQ", "seed=5")
    checking.check(s)
    for f in checking.blocking(s):
        checking.override(s, f.id, "đã đối chiếu bản gốc")
    plan = demo_plan(s.station, demo_token, certified_copy=False)
    real = s.station.audit.append

    def fail_on_queued(actor, action, **kw):
        if action == "dossier.queued":
            raise StorageError("audit log unavailable")
        return real(actor, action, **kw)

    monkeypatch.setattr(s.station.audit, "append", fail_on_queued)
    with pytest.raises(StorageError):
        signing.sign(s, "clerk", token_label=demo_token.clerk_label, pin=demo_token.pin, plan=plan)
    with s.station.store.session() as db:
        assert db.scalar(select(OutputFileRow)) is None and db.scalar(select(OutboxRow)) is None
        assert db.get(DossierRow, s.dossier.id).status == "assembled"
    assert s.dossier.status == DossierStatus.ASSEMBLED and not any(o.upload_job for o in s.dossier.outputs)
    monkeypatch.setattr(s.station.audit, "append", real)
    res = signing.sign(s, "clerk", token_label=demo_token.clerk_label, pin=demo_token.pin, plan=plan)
    assert res["queued"] and s.dossier.status == DossierStatus.QUEUED     # signed files resumed, then queued
    with s.station.store.session() as db:
        rows = list(db.scalars(select(OutputFileRow)))
        jobs = list(db.scalars(select(OutboxRow)))
    assert len(rows) == len(jobs) == 2 and {j.output_file_id for j in jobs} == {r.id for r in rows}
    assert {r.state for r in rows} == {"queued"}


def test_clerk_name_differing_from_the_certificate_is_said_and_the_certificate_wins(sample_session, demo_token):
    s = sample_session
    s.settings.set("clerk.name", "Nguyễn Văn Khác")
    _scan(s, "GCS", "seed=1")
    _scan(s, "VBUQ", "seed=5")
    checking.check(s)
    for f in checking.blocking(s):
        checking.override(s, f.id, "đã đối chiếu bản gốc")
    res = signing.sign(s, "clerk", token_label=demo_token.clerk_label, pin=demo_token.pin,
                       plan=demo_plan(s.station, demo_token))
    assert res["signer"] == "Trần Văn Đức" and "Nguyễn Văn Khác" in res["warnings"][0]
    from scanstation.signing import verify_file

    rep = verify_file(res["files"][0]["path"], [])
    assert rep.signatures[0].signer == "Trần Văn Đức"


def test_two_captures_into_one_dossier_are_refused_not_interleaved(sample_session):
    s = sample_session
    with exclusive(s.workarea.root, "Dossier", "Hồ sơ"):
        with pytest.raises(DossierBusy):
            _scan(s, "GCS", "seed=1")
        p = cli("dossier", "scan", s.dossier.id, "--component", "GCS")     # another process
        assert p.returncode == 2 and "being captured" in p.stderr
    assert s.component("GCS").pages == [] and s.workarea.replay().pages == {}
    assert len(_scan(s, "GCS", "seed=1").pages) == 4                       # free again afterwards


def test_scan_refuses_to_start_below_the_free_space_floor(sample_session):
    s = sample_session
    s.settings.set("storage.min_free_mb", 10**9, layer="station")
    with pytest.raises(DiskSpaceError):
        _scan(s, "GCS", "seed=1")
    assert s.workarea.replay().pages == {}


def test_two_scans_into_one_folder_are_refused(tmp_path):
    out = tmp_path / "scan"
    with exclusive(out, "Folder", "Thư mục"):
        p = cli("scan", "--device", "virtual:demo", "--out", str(out), "--option", "sheets=1")
        assert p.returncode == 2 and "being captured" in p.stderr
    assert not (out / "manifest.json").exists()
    p = cli("scan", "--device", "virtual:demo", "--out", str(out), "--option", "sheets=1", "--json")
    assert p.returncode == 0, p.stderr


@pytest.mark.e2e
def test_the_2025_profile_builds_a_two_layer_file_with_vietnamese_text(sample_session):
    import subprocess

    s = sample_session
    s.dossier.profile_id = "vn-2025"
    s.save()
    _scan(s, "GCS", "seed=1")
    s.dossier.components[1].digitisation_class = s.dossier.components[2].digitisation_class   # one paper only
    s.save()
    checking.check(s)
    for f in checking.blocking(s):
        checking.override(s, f.id, "đã đối chiếu bản gốc")
    rep = signing.build(s)
    [f] = rep["files"]
    assert "ocr_text_layer" not in str(rep["left_out"])
    text = subprocess.run(["pdftotext", "-layout", f["path"], "-"], capture_output=True, text=True).stdout
    import unicodedata

    assert unicodedata.normalize("NFC", text) == text
    assert any(w in text for w in ("Cộng", "CỘNG", "Độc lập", "ĐỘC LẬP", "Giấy", "GIẤY")), text[:400]
    assert list((s.workarea.root / "ocr").glob("*.json"))            # cached by page hash for the next build
