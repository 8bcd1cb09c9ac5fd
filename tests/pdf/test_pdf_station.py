"""Station.assemble (the storage side of flow.signing.build): kept pages of the work area → PDF/A files in out/."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pikepdf
import pytest

from scanstation.dossier_io import load_dossier_file
from scanstation.errors import Cancelled
from scanstation.flow import assemble_dossier
from scanstation.fsio import sha256_file
from scanstation.model import DossierStatus
from scanstation.progress import Progress
from scanstation.resources import resource
from tests.pdf.pdf_pages import draw_page


def _png(size, dpi=(200, 200)) -> bytes:
    buf = io.BytesIO()
    draw_page(size).save(buf, "PNG", dpi=dpi)
    return buf.getvalue()


def _captured(station):
    """The demo dossier after intake and a capture: 3 pages + 1 excluded blank back, and 2 pages."""
    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = station.create_dossier(dossier)
    gcs, uq = dossier.components[0], dossier.components[1]
    sizes = [(400, 560), (410, 560), (420, 560), (430, 560)]
    gcs.pages = [wa.add_page(gcs.id, _png(s), ext="png", sheet=i // 2 + 1, side="front" if i % 2 == 0 else "back",
                             dpi=(200, 200), width=s[0], height=s[1], mode="RGB") for i, s in enumerate(sizes)]
    gcs.pages[3].kept, gcs.pages[3].excluded_reason = False, "blank back"
    uq.pages = [wa.add_page(uq.id, _png((500, 700), (300, 300)), ext="png", sheet=i + 1, side="front")
                for i in range(2)]
    return dossier, wa


def test_station_builds_one_pdfa_per_digitised_component_from_kept_pages(station):
    dossier, wa = _captured(station)
    summary = station.assemble(dossier)
    pdfs = summary["files"]
    assert [p["file_name"] for p in pdfs] == ["066190001234.GCS.pdf", "066190001234.VBUQ.pdf"]
    assert [p["component_id"] for p in pdfs] == [c.id for c in dossier.components[:2]]
    for p in pdfs:
        assert Path(p["path"]).parent == wa.out_dir and sha256_file(Path(p["path"])) == p["sha256"]
    with pikepdf.open(pdfs[0]["path"]) as pdf:   # three kept pages, in order; the excluded back is left out
        widths = [int(next(iter(pg.get_images().values())).Width) for pg in pdf.pages]
    assert widths == [400, 410, 420]
    side = json.loads(Path(pdfs[0]["path"] + ".json").read_text("utf-8"))
    assert [(p["sheet"], p["side"]) for p in side["pages"]] == [(1, "front"), (1, "back"), (2, "front")]
    assert [p["page_id"] for p in side["pages"]] == [p.id for p in dossier.components[0].kept_pages()]
    assert summary["pdfa"] == "2B" and len(summary["skipped"]) == 1
    # the station recorded it: outputs, status, audit event
    assert dossier.status == DossierStatus.ASSEMBLED
    assert [o.file_name for o in dossier.outputs] == [p["file_name"] for p in pdfs]
    saved = json.loads((wa.root / "dossier.json").read_text("utf-8"))
    assert saved["status"] == "assembled" and len(saved["outputs"]) == 2
    (ev,) = [e for e in station.audit.events() if e.action == "dossier.assembled"]
    assert ev.details["files"] == {p["file_name"]: p["sha256"] for p in pdfs}
    assert station.audit.verify().ok


def test_cancelling_a_dossier_build_removes_what_it_wrote(station):
    dossier, wa = _captured(station)
    images = {c.id: [wa.root / p.file for p in c.kept_pages()] for c in dossier.components}
    seen = []

    def on_progress(done, total, message):
        seen.append(message)
        if message.startswith("wrote "):      # the first file is on disk: stop now
            progress.cancel()

    progress = Progress(on_progress)
    with pytest.raises(Cancelled):
        assemble_dossier(dossier, images, wa.out_dir, progress=progress)
    assert any(m.startswith("wrote ") for m in seen)
    assert list(wa.out_dir.iterdir()) == []
