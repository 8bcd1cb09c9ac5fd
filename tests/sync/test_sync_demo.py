"""The demo's queue stage: signed files -> outbox -> local simulator -> confirmed."""

from __future__ import annotations

from scanstation.demo import DemoRun, stage_intake, stage_queue
from scanstation.fsio import sha256_file
from scanstation.model import DossierStatus
from tests.sync.signed_pdf import signed_pdf


def test_stage_queue_uploads_every_signed_file(station):
    run = DemoRun(station)
    stage_intake(run)
    out = run.workarea.root / "out"
    out.mkdir(exist_ok=True)
    signed = []
    for c in run.dossier.components[:3]:
        p = signed_pdf(out / f"{c.document_type_code or 'doc'}-{c.id[:6]}.pdf", padding=5000)
        signed.append({"path": str(p), "sha256": sha256_file(p), "size": p.stat().st_size, "component_id": c.id})
    run.outputs["signed"] = signed
    rep = stage_queue(run)
    assert rep["queued"] == len(signed) == rep["confirmed"] and rep["states"] == ["confirmed"]
    assert sorted(r["sha256"] for r in rep["received"]) == sorted(s["sha256"] for s in signed)
    assert run.dossier.status == DossierStatus.UPLOADED
