"""The headless demo: one sample dossier through every stage the station has, on embedded defaults.

Each stage is one function taking the shared :class:`DemoRun` and returning a short summary
dict; a stage that is not built yet says so instead of pretending.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scanstation.dossier_io import load_dossier_file
from scanstation.model import Dossier, new_id
from scanstation.resources import resource
from scanstation.workarea import WorkArea
from scanstation.workflow import Station


@dataclass
class DemoRun:
    station: Station
    dossier: Dossier | None = None
    workarea: WorkArea | None = None
    outputs: dict[str, Any] = field(default_factory=dict)   # what one stage hands to the next


class NotBuilt(Exception):
    """This stage of the station is not built yet."""


def stage_intake(run: DemoRun) -> dict[str, Any]:
    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    # A fresh receipt code per run so repeated demos on one station do not collide.
    dossier.receipt_code = f"{dossier.receipt_code}-{new_id()[:6]}"
    run.dossier = dossier
    run.workarea = run.station.create_dossier(dossier)
    return {"receipt_code": dossier.receipt_code, "components": len(dossier.components),
            "applicant": dossier.applicant.name, "workdir": str(run.workarea.root)}


def stage_capture(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("capture from the virtual scanner (issue: scanners)")


def stage_qc(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("image QC (issue: image QC)")


def stage_assemble(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("PDF/A assembly (issue: PDF/A and signing)")


def stage_sign(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("signing with the demo token (issue: PDF/A and signing)")


def stage_queue(run: DemoRun) -> dict[str, Any]:
    """Queue every signed file (same transaction as "signed") and upload it to a local simulator."""
    import secrets

    from scanstation import paths
    from scanstation.model import DossierStatus
    from scanstation.sync import Outbox, audit_hook, build_worker
    from scanstation.sync.simulator import ProvincialSimulator

    signed = run.outputs.get("signed") or []
    if not signed:
        raise NotBuilt("no signed files to queue (the signing stage produced none)")
    st = run.station
    secret = secrets.token_hex(16)   # a one-off secret for this run's simulator; never written anywhere
    with ProvincialSimulator(paths.home() / "provincial-sim", "127.0.0.1", 0, secret=secret) as sim:
        jobs = [st.record_signed_file(run.dossier, f["component_id"], f["path"], f["sha256"], f["size"])
                for f in signed]
        st.set_status(run.dossier, DossierStatus.QUEUED)
        worker = build_worker(st.settings, st.store, audit=audit_hook(st.audit, st.actor), endpoint=sim.url,
                              secret=secret)
        rep = worker.run(until_empty=True, max_seconds=120)
        received = [f for f in sim.received()["files"] if f["dossier_code"] == run.dossier.receipt_code]
        url = sim.url
    states = {j: Outbox(st.store).get(j).state.value for j in jobs}
    if all(v == "confirmed" for v in states.values()):
        st.set_status(run.dossier, DossierStatus.UPLOADED)
    run.outputs["upload_jobs"] = jobs
    return {"simulator": url, "queued": len(jobs), "confirmed": rep.confirmed,
            "states": sorted(set(states.values())), "bytes_sent": rep.bytes_sent,
            "received": [{"file": f["file_name"], "sha256": f["sha256"], "size": f["size"],
                          "times_submitted": f["submissions"]} for f in received]}


STAGES: list[tuple[str, Callable[[DemoRun], dict[str, Any]]]] = [
    ("intake", stage_intake),
    ("capture", stage_capture),
    ("qc", stage_qc),
    ("assemble", stage_assemble),
    ("sign", stage_sign),
    ("queue", stage_queue),
]


def run_demo(station: Station | None = None) -> list[dict[str, Any]]:
    """Run every stage in order; stop at the first failure, report the rest as skipped."""
    run = DemoRun(station or Station())
    report: list[dict[str, Any]] = []
    failed = False
    for name, fn in STAGES:
        if failed:
            report.append({"stage": name, "status": "skipped"})
            continue
        t0 = time.perf_counter()
        try:
            out = fn(run)
            report.append({"stage": name, "status": "done", "seconds": round(time.perf_counter() - t0, 3), **out})
        except NotBuilt as e:
            report.append({"stage": name, "status": "not built yet", "detail": str(e)})
            failed = True
    return report
