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
    """Scan every digitised component's declared sheets from the virtual scanner into the work area."""
    from scanstation.devices import Overrides, capture, get_profile, open_scanner, to_request

    assert run.dossier is not None
    station = run.station
    run.workarea = station.begin_capture(run.dossier)
    profile = get_profile(station.settings)
    scanner = open_scanner(_DEMO_SCANNER)
    caps = scanner.capabilities()
    per_component: list[dict[str, Any]] = []
    truth: dict[str, list[dict[str, Any] | None]] = {}
    for n, comp in enumerate(run.dossier.components, start=1):
        if not comp.digitised:
            continue
        # one seed per component so each paper looks different; duplex as the clerk declared it
        ov = Overrides(source="adf-duplex" if comp.duplex else "adf",
                       options=(f"seed={n}", f"sheets={comp.declared_sheets or 1}"))
        request = to_request(type(profile)(name=profile.name, device=_DEMO_SCANNER), caps, station.settings.profile, ov)
        result = capture(request, run.workarea, comp.id, scanner=scanner)
        comp.pages.extend(result.pages)
        truth[comp.id] = result.truths
        per_component.append({"component": comp.name, "sheets": comp.declared_sheets, "pages": len(result.pages),
                              "events": [e.kind for e in result.events]})
    station.save_dossier(run.dossier)
    run.outputs["capture"] = {"device": _DEMO_SCANNER, "ground_truth": truth}
    return {"device": _DEMO_SCANNER, "dpi": request.dpi if per_component else None,
            "pages": sum(c["pages"] for c in per_component), "components": per_component}


_DEMO_SCANNER = "virtual:demo"


def stage_qc(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("image QC (issue: image QC)")


def stage_assemble(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("PDF/A assembly (issue: PDF/A and signing)")


def stage_sign(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("signing with the demo token (issue: PDF/A and signing)")


def stage_queue(run: DemoRun) -> dict[str, Any]:
    raise NotBuilt("upload queue and provincial simulator (issue: offline upload queue)")


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
