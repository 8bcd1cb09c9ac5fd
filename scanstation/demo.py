"""The headless demo: one sample dossier through every stage the station has, on embedded defaults.

Each stage is one function taking the shared :class:`DemoRun` and returning a short summary
dict; a stage that is not built yet says so instead of pretending.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
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
    assert run.dossier is not None
    station = run.station
    run.workarea = station.begin_capture(run.dossier)
    per_component: list[dict[str, Any]] = []
    truth: dict[str, list[dict[str, Any] | None]] = {}
    for n, comp in enumerate(run.dossier.components, start=1):
        if not comp.digitised:
            continue
        # one seed per component so each paper looks different
        result = _scan(run, comp, f"seed={n}", f"sheets={comp.declared_sheets or 1}")
        comp.pages.extend(result.pages)
        truth[comp.id] = result.truths
        per_component.append({"component": comp.name, "sheets": comp.declared_sheets, "pages": len(result.pages),
                              "events": [e.kind for e in result.events]})
    station.save_dossier(run.dossier)
    run.outputs["capture"] = {"device": _DEMO_SCANNER, "ground_truth": truth}
    return {"device": _DEMO_SCANNER, "dpi": result.request.dpi if per_component else None,
            "pages": sum(c["pages"] for c in per_component), "components": per_component}


_DEMO_SCANNER = "virtual:demo"


def _scan(run: DemoRun, comp, *options: str):
    """Feed the virtual scanner with the station's scanner profile, duplex as the clerk declared it."""
    from scanstation.devices import Overrides, capture, get_profile, open_scanner, to_request

    station = run.station
    profile = get_profile(station.settings)
    scanner = open_scanner(_DEMO_SCANNER)
    ov = Overrides(source="adf-duplex" if comp.duplex else "adf", options=options)
    request = to_request(type(profile)(name=profile.name, device=_DEMO_SCANNER), scanner.capabilities(),
                         station.settings.profile, ov)
    return capture(request, run.workarea, comp.id, scanner=scanner)


def stage_qc(run: DemoRun) -> dict[str, Any]:
    """Check every captured page in a QC worker process, then each component's rules.

    Blank backs the profile's rule leaves out are excluded (journaled, restorable). A sheet whose
    capture was incomplete (cut-off side, folded corner) is fed again, as a clerk would, and its
    pages are replaced in place; whatever still blocks stops the demo before signing.
    """
    if run.dossier is None or run.workarea is None:
        raise NotBuilt("QC needs the dossier and work area from intake and capture")
    comps = [c for c in run.dossier.components if c.digitised and c.pages]
    if not comps:
        raise NotBuilt("QC needs captured pages on run.dossier's components (capture stage)")
    reports, cpu = _check_components(run, comps)
    rescanned: list[str] = []
    for comp in comps:
        rep = reports[comp.id]
        sheets = sorted({comp.pages[i].sheet for i, p in enumerate(rep["pages"]) for f in p["findings"]
                         if f["code"] in _FIXED_BY_REFEED and f["severity"] == "block" and not f.get("override")})
        for sheet in sheets:
            _refeed_sheet(run, comp, sheet)
            rescanned.append(f"{comp.name}: tờ {sheet}")
    if rescanned:
        again, cpu2 = _check_components(run, [c for c in comps if any(r.startswith(c.name) for r in rescanned)])
        reports.update(again)
        cpu += cpu2
    run.station.save_dossier(run.dossier)
    run.outputs["qc"] = reports
    summary = []
    for comp in comps:
        s = reports[comp.id]["summary"]
        summary.append({"component": comp.name, "images": s["images"], "sheets": s["sheets"], "kept": s["kept"],
                        "excluded_blank_backs": s["excluded_blank_backs"],
                        "blocking": [f["code"] for f in _blocking(reports[comp.id])],
                        "pairs": reports[comp.id]["pairs"]})
    out = {"components": summary, "rescanned": rescanned, "worker_cpu_s": round(cpu, 2)}
    if any(c["blocking"] for c in summary):
        raise Blocked("QC findings block signing: " + "; ".join(
            f"{c['component']}: {', '.join(c['blocking'])}" for c in summary if c["blocking"]), out)
    return out


class Blocked(Exception):
    """A rule of the regulations stops the flow here until a clerk fixes or overrides it."""

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


# Findings a clerk fixes by feeding the same sheet again with care.
_FIXED_BY_REFEED = {"PAGE_CUT_OFF", "CORNER_FOLDED"}


def _blocking(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = [f for p in report["pages"] for f in p["findings"]] + report["checks"]
    return [f for f in found if f["severity"] == "block" and not f.get("override")]


def _check_components(run: DemoRun, comps: list) -> tuple[dict[str, Any], float]:
    """QC every page of ``comps`` in worker processes; record results and exclusions in the journal."""
    from scanstation.qc import QCPool

    wa = run.workarea
    reports: dict[str, Any] = {}
    with QCPool(run.dossier.profile_id or None) as pool:
        sessions = []
        for comp in comps:       # every page queued at once: the workers check them off this thread
            session = pool.component(duplex=comp.duplex)
            for page in comp.pages:
                session.add(str(wa.root / page.file), sheet=page.sheet, side=page.side.value,
                            variant=page.variant.value)
            sessions.append((comp, session))
        for comp, session in sessions:
            rep = session.finish(declared_sheets=comp.declared_sheets or None, timeout=300)
            reports[comp.id] = {**rep.to_dict(), "summary": rep.summary()}
            for page, res in zip(comp.pages, rep.pages, strict=True):
                page.qc = res.to_dict()
                wa.record("qc", page=page.id, result=page.qc)
                if not res.kept and page.kept:
                    page.kept, page.excluded_reason = False, res.excluded_reason
                    wa.record("exclude", page=page.id, reason=res.excluded_reason, by="qc")
        cpu = pool.cpu_seconds
    return reports, cpu


def _refeed_sheet(run: DemoRun, comp, sheet: int) -> None:
    """Scan ``sheet`` of ``comp`` again and put the new images in place of the old ones (journaled)."""
    station, wa = run.station, run.workarea
    seed = run.dossier.components.index(comp) + 1          # the same paper as the first capture
    result = _scan(run, comp, f"seed={seed}", "sheets=1", f"first-sheet={sheet}", f"refeed={sheet}")
    for new in result.pages:
        old = next(p for p in comp.pages if p.sheet == sheet and p.side == new.side and p.variant == new.variant)
        wa.record("replace", page=old.id, by=new.id, reason="rescanned: incomplete capture")
        comp.pages[comp.pages.index(old)] = new
    station.audit.append(station.actor, "sheet.rescanned", dossier=run.dossier.receipt_code,
                         details={"component": comp.name, "sheet": sheet, "pages": [p.id for p in result.pages]})


def stage_assemble(run: DemoRun) -> dict[str, Any]:
    if run.dossier is None or run.workarea is None:
        raise NotBuilt("PDF/A assembly needs the dossier from intake")
    report = run.station.assemble(run.dossier)
    run.outputs["pdfs"] = [{"component_id": f["component_id"], "path": f["path"], "file_name": f["file_name"],
                            "sha256": f["sha256"]} for f in report["files"]]
    return {"pdfa": report["pdfa"], "out_dir": report["out_dir"],
            "files": [f"{f['file_name']} ({f['pages']} pages)" for f in report["files"]],
            "skipped": [f"{s['component']}: {s['reason']}" for s in report["skipped"]],
            **({"left_out": [x["reason"] for x in report["left_out"]]} if report["left_out"] else {})}


def stage_sign(run: DemoRun) -> dict[str, Any]:
    """Sign every assembled PDF with the demo software token: the clerk, then the SAO Y copy.

    Each role is one session (one PIN entry for the whole dossier); every file is verified before
    it is listed in ``run.outputs["signed"]``.
    """
    from scanstation import paths
    from scanstation.signing import SignOptions, load_trust_roots, open_session, sign_batch
    from scanstation.signing.softtoken import ensure_demo_token

    pdfs = run.outputs.get("pdfs")
    if not pdfs:
        raise NotBuilt("signing needs the assembled PDFs (run.outputs['pdfs'])")
    tok = ensure_demo_token()
    roots = load_trust_roots([tok.ca_pem])
    out_dir = (run.workarea.root if run.workarea else paths.home()) / "signed"
    when = ScanTimes(run)
    t0 = time.perf_counter()
    clerk_items = [(Path(p["path"]), out_dir / p["file_name"], {"scan_time": when.of(p["component_id"])})
                   for p in pdfs]
    with open_session(tok.module, tok.clerk_label, tok.pin, trust_roots=roots) as ts:
        clerk = sign_batch(ts, clerk_items, SignOptions(role="clerk", trust_roots=roots))
    _raise_if_incomplete(clerk)
    org = run.station.settings.get("station.org_name") or tok.org_name
    with open_session(tok.module, tok.org_label, tok.pin, trust_roots=roots) as ts:
        copy = sign_batch(ts, [(s.path, s.path) for s in clerk.signed],
                          SignOptions(role="copy", org_name=org, trust_roots=roots))
    _raise_if_incomplete(copy)
    run.outputs["signed"] = [{"path": s.path, "sha256": s.sha256, "size": s.size, "component_id": p["component_id"]}
                             for s, p in zip(copy.signed, pdfs)]
    run.outputs["trust_roots"] = [str(tok.ca_pem)]   # for verify_file() before upload
    return {"files": len(copy.signed), "clerk": tok.clerk_name, "certified_copy_by": org, "folder": str(out_dir),
            "ms_per_file": round(1000 * (time.perf_counter() - t0) / max(1, len(pdfs)), 1)}


class ScanTimes:
    """Time of scanning per component: when its last kept page was captured."""

    def __init__(self, run: DemoRun) -> None:
        self.run = run

    def of(self, component_id: str):
        if self.run.dossier is None:
            return None
        try:
            comp = self.run.dossier.component(component_id)
        except KeyError:
            return None
        times = [p.captured_at for p in comp.kept_pages() if p.captured_at]
        if not times:
            return None
        t = max(times)
        return t if t.tzinfo else t.astimezone()


def _raise_if_incomplete(res) -> None:
    if not res.complete:
        why = res.stopped.message_en if res.stopped else "; ".join(f["message_en"] for f in res.failed)
        raise RuntimeError(f"demo signing incomplete: {why}")


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
        except Blocked as e:
            report.append({"stage": name, "status": "blocked", "detail": str(e), **e.summary})
            failed = True
    return report
