"""The headless demo: the sample dossier through every step, as a script over the same flow calls
the window and ``scanstation dossier ...`` make (intake, capture, check and fix, build, clerk and
SAO Y signatures, upload to a local provincial simulator).

Each stage takes the shared :class:`DemoRun` and returns a short summary dict.
"""

from __future__ import annotations

import dataclasses
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scanstation.dossier_io import load_dossier_file
from scanstation.errors import GateBlocked, TokenModuleError
from scanstation.flow import checking, signing
from scanstation.flow.capture import CaptureAction, scan
from scanstation.flow.pages import layout
from scanstation.flow.session import DossierSession, new_dossier, open_dossier
from scanstation.flow.station import Station
from scanstation.model import new_id
from scanstation.resources import resource

#: Blocking findings a clerk fixes by feeding the same sheet again with care.
REFEED_CODES = {"PAGE_CUT_OFF", "CORNER_FOLDED"}


@dataclass
class DemoRun:
    station: Station
    session: DossierSession | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def s(self) -> DossierSession:
        if self.session is None:
            raise Blocked("the demo has no dossier yet (intake did not run)", {})
        return self.session


class Blocked(Exception):
    """A rule of the regulations stops the flow here until a clerk fixes or overrides it."""

    status = "blocked"

    def __init__(self, message: str, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


class Unavailable(Blocked):
    """This machine lacks what the stage needs (no software PKCS#11 token on Windows); the stages
    before it ran, the ones after it are skipped."""

    status = "unavailable"


def stage_intake(run: DemoRun) -> dict[str, Any]:
    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    # A fresh receipt code per run so repeated demos on one station do not collide.
    dossier.receipt_code = f"{dossier.receipt_code}-{new_id()[:6]}"
    run.session = new_dossier(run.station, dossier)
    return {"receipt_code": dossier.receipt_code, "components": len(dossier.components),
            "applicant": dossier.applicant.name, "workdir": str(run.session.workarea.root)}


def stage_capture(run: DemoRun) -> dict[str, Any]:
    """Scan every digitised component's declared sheets from the virtual scanner (one sample paper each)."""
    s = run.s
    per: list[dict[str, Any]] = []
    dpi = None
    for n, comp in enumerate(s.dossier.components, start=1):
        if not comp.digitised:
            continue
        out = scan(s, CaptureAction(component_id=comp.id, device="virtual:demo", options=(f"seed={n}",)))
        dpi = out.pages[0].dpi[0] if out.pages else dpi
        per.append({"component": comp.name, "sheets": comp.declared_sheets, "pages": len(out.pages),
                    "event": out.event["code"] if out.event else None})
    return {"device": "virtual:demo", "dpi": dpi, "pages": sum(c["pages"] for c in per), "components": per}


def stage_qc(run: DemoRun) -> dict[str, Any]:
    """Check every page and component; feed again each sheet whose capture was incomplete (replaced in
    place), scan a sticky-note page again without its note; whatever still blocks stops the demo."""
    s = run.s
    checker = checking.Checker(s.profile)
    rescanned: list[str] = []
    t0 = time.process_time()
    try:
        checking.check(s, checker)
        for _round in range(3):
            fixes = 0
            for f in checking.blocking(s):
                c = s.dossier.component(f.component_id)
                if f.code in REFEED_CODES and f.page_ids:
                    sheet = layout(c)[f.page_ids[0]][0]
                    scan(s, CaptureAction(component_id=c.id, action="rescan", target=f.page_ids[0],
                                          device="virtual:demo",
                                          options=(f"seed={s.dossier.components.index(c) + 1}",)))
                    rescanned.append(f"{c.name}: tờ {sheet}")
                    fixes += 1
                    break                      # pages moved: findings are recomputed after each fix
                if f.code == "STICKY_NOTE_UNPAIRED" and f.page_ids:
                    scan(s, CaptureAction(component_id=c.id, action="note_removed", target=f.page_ids[0],
                                          device="virtual:demo",
                                          options=(f"seed={s.dossier.components.index(c) + 1}",)))
                    fixes += 1
                    break
            if not fixes:
                break
            checking.check(s, checker, components=[c for c in s.dossier.components if c.digitised and c.pages and
                                                   s.checks.get(c.id, {}).get("pages") != [p.id for p in c.pages]])
    finally:
        checker.close()
    summary = []
    for c in s.dossier.components:
        if not c.digitised:
            continue
        rec = s.checks.get(c.id, {}).get("summary", {})
        summary.append({"component": c.name, "images": len(c.pages), "sheets": rec.get("sheets"),
                        "kept": len(c.kept_pages()), "excluded_blank_backs": rec.get("excluded_blank_backs"),
                        "blocking": [f.code for f in checking.component_findings(s, c) if f.blocking]})
    out = {"components": summary, "rescanned": rescanned, "cpu_s": round(time.process_time() - t0, 2)}
    if any(c["blocking"] for c in summary):
        raise Blocked("QC findings block signing: " + "; ".join(
            f"{c['component']}: {', '.join(c['blocking'])}" for c in summary if c["blocking"]), out)
    return out


def stage_assemble(run: DemoRun) -> dict[str, Any]:
    s = run.s
    try:
        report = signing.build(s)
    except GateBlocked as e:
        raise Blocked(e.message_en, {"blocking": [f["code"] for f in e.findings]}) from e
    return {"profile": s.profile.id, "pdfa": report["pdfa"],
            "layers": "image + OCR text" if s.profile.ocr_text_layer else "image",
            "out_dir": report["out_dir"],
            "files": [f"{f['file_name']} ({f['pages']} pages, {f['size'] / 1024:.0f} KB)" for f in report["files"]],
            "skipped": [f"{x['component']}: {x['reason']}" for x in report["skipped"]],
            **({"left_out": [x["reason"] for x in report["left_out"]]} if report["left_out"] else {})}


def stage_sign(run: DemoRun) -> dict[str, Any]:
    """The clerk signs every file (one PIN entry), then the organisation adds its SAO Y copy signature;
    the last signature queues the files (one transaction with "signed")."""
    from scanstation.signing.softtoken import ensure_demo_token

    s = run.s
    try:
        tok = ensure_demo_token()
    except TokenModuleError as e:
        # SoftHSM2 is the demo's token and exists only on Linux; a Windows station signs with the
        # clerk's USB token (the vendor's PKCS#11 driver), which a demo cannot have.
        raise Unavailable(
            "signing cannot run here: no software PKCS#11 token (SoftHSM2) on this machine "
            f"({e.message_en}); capture, checks and assembly ran; a real station signs with the clerk's USB token",
            {"reason": "no_pkcs11_module", "platform": sys.platform}) from e
    base = signing.SigningPlan.from_settings(s.settings)
    # the demo token's CA is a TEST CA: trusted here only as one (verify marks its signatures "test")
    plan = dataclasses.replace(base, certified_copy=True, module=tok.module,
                               trust_test_files=(*base.trust_test_files, str(tok.ca_pem)),
                               org_name=base.org_name or tok.org_name)
    t0 = time.perf_counter()
    clerk = signing.sign(s, "clerk", token_label=tok.clerk_label, pin=tok.pin, plan=plan)
    copy = signing.sign(s, "copy", token_label=tok.org_label, pin=tok.pin, plan=plan)
    run.outputs["trust_test_ca"] = [str(tok.ca_pem)]
    run.outputs["trust"] = plan.trust_store()
    _trust_demo_ca_in_demo_home(s.station, str(tok.ca_pem))
    return {"files": len(copy["files"]), "clerk": clerk["signer"], "certified_copy_by": plan.org_name,
            "dossier_status": copy["status"], "folder": str(signing.signed_dir(s)),
            "ms_per_file": round(1000 * (time.perf_counter() - t0) / max(1, len(copy["files"])), 1)}


def _trust_demo_ca_in_demo_home(station: Station, ca_pem: str) -> None:
    """In a self-contained demo home (its station layer inside ``SCANSTATION_HOME``), IT's part of the demo:
    the demo CA becomes a TEST CA of that home, so ``verify``/``queue``/``sync run`` there accept its
    signatures, marked "test". Never on a real station's machine-wide settings: the run then trusts it
    only in this process."""
    from scanstation import paths
    from scanstation.flow.station_settings import change_setting

    settings = station.settings
    home = paths.home().resolve()
    if home not in settings.station_path.resolve().parents:
        return
    current = list(settings.get("signing.trust_test_ca"))
    if ca_pem not in current:
        change_setting("signing.trust_test_ca", [*current, ca_pem], layer="station", station=station)


def stage_queue(run: DemoRun) -> dict[str, Any]:
    """Upload the queued files to a local provincial simulator; the confirmation marks the dossier uploaded."""
    from scanstation import paths
    from scanstation.flow.upload import build_worker, check_signed_for_queue
    from scanstation.sync import Outbox
    from scanstation.sync.simulator import ProvincialSimulator

    s = run.s
    jobs = [o.upload_job for o in s.dossier.outputs if o.upload_job]
    if not jobs:
        raise Blocked("no queued files (the signing stage queued none)", {})
    secret = secrets.token_hex(16)   # a one-off secret for this run's simulator; never written anywhere
    with ProvincialSimulator(paths.home() / "provincial-sim", "127.0.0.1", 0, secret=secret) as sim:
        trust = run.outputs.get("trust")
        check = (lambda path, sha, _queued: check_signed_for_queue(path, trust, expected_sha256=sha)) if trust \
            else None
        worker = build_worker(s.station, endpoint=sim.url, secret=secret,
                              **({"pre_upload": check} if check else {}))
        rep = worker.run(until_empty=True, max_seconds=120)
        received = [f for f in sim.received()["files"] if f["dossier_code"] == s.dossier.receipt_code]
        url = sim.url
    states = {j: Outbox(s.station.store).get(j).state.value for j in jobs}
    run.session = open_dossier(s.station, s.dossier.id)      # as the database has it now
    return {"simulator": url, "queued": len(jobs), "confirmed": rep.confirmed,
            "states": sorted(set(states.values())), "dossier": run.session.dossier.status.value,
            "bytes_sent": rep.bytes_sent,
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
    """Run every stage in order; stop at the first that is blocked, report the rest as skipped."""
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
        except Blocked as e:
            report.append({"stage": name, "status": e.status, "detail": str(e), **e.summary})
            failed = True
    return report
