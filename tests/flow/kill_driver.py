"""A flow run the kill test SIGKILLs at random moments: ``python -m tests.flow.kill_driver DOSSIER_ID``.

Each run resumes from what the dossier holds (so a killed run is simply started again) and prints one
``ACK <step> <json>`` line, flushed, each time the flow has returned: what it acknowledged then must
survive any later kill. Steps: capture, note-removed rescan, exclude, check + override, build, clerk
signature, SAO Y signature (which queues).
"""

from __future__ import annotations

import json
import os
import sys


def ack(step: str, **data: object) -> None:
    sys.stdout.write(f"ACK {step} {json.dumps(data, ensure_ascii=False)}\n")
    sys.stdout.flush()


def main(dossier_id: str) -> int:
    from scanstation.flow import Station, checking, open_dossier, signing
    from scanstation.flow.capture import CaptureAction, scan
    from scanstation.model import DossierStatus, PageVariant
    from scanstation.signing.softtoken import ensure_demo_token

    tok = ensure_demo_token()
    st = Station()
    s = open_dossier(st, dossier_id)
    plan = signing.SigningPlan.from_settings(st.settings)
    d = s.dossier
    ack("start", status=d.status.value)

    def on_page(page, _t, _preview):
        ack("page", id=page.id, component=page.file.split("/")[1])

    for code, seed, want in (("GCS", 1, 4), ("VBUQ", 5, 6)):
        c = s.component(code)
        regular = [p for p in c.pages if p.variant != PageVariant.NOTE_REMOVED]
        if len(regular) < want:
            scan(s, CaptureAction(component_id=c.id, device="virtual:demo",
                                  options=(f"seed={seed}", "delay-ms=40")), on_page=on_page)
    vb = s.component("VBUQ")
    if not any(p.variant == PageVariant.NOTE_REMOVED for p in vb.pages):
        out = scan(s, CaptureAction(component_id=vb.id, action="note_removed", target=vb.pages[0].id,
                                    device="virtual:demo", options=("seed=5", "delay-ms=40")), on_page=on_page)
        ack("variant", id=out.pages[0].id, variant="note_removed")
    gcs = s.component("GCS")
    if gcs.pages[1].kept and d.status in (DossierStatus.INTAKE, DossierStatus.CAPTURING):
        from scanstation.flow.pages import exclude

        exclude(s, gcs, gcs.pages[1], "mặt sau trắng")
        ack("exclude", id=gcs.pages[1].id)
    if d.status in (DossierStatus.INTAKE, DossierStatus.CAPTURING, DossierStatus.CHECKED, DossierStatus.ASSEMBLED):
        stale = [c for c in d.components if c.digitised and c.pages and
                 s.checks.get(c.id, {}).get("pages") != [p.id for p in c.pages]]
        if stale:
            checking.check(s, components=stale)
        for f in checking.blocking(s):
            if f.overridable:
                checking.override(s, f.id, "kiểm tra khi bị ngắt điện")
                ack("override", id=f.id)
        if d.status != DossierStatus.ASSEMBLED or signing.stale_outputs(s):
            signing.build(s)
            ack("build", files=[o.file_name for o in d.outputs])
    if d.status == DossierStatus.ASSEMBLED:
        res = signing.sign(s, "clerk", token_label=tok.clerk_label, pin=tok.pin, plan=plan)
        ack("sign", files=[f["path"] for f in res["files"]])
    if d.status == DossierStatus.SIGNED:
        res = signing.sign(s, "copy", token_label=tok.org_label, pin=tok.pin, plan=plan)
        ack("queue", files=[f["path"] for f in res["files"]])
    ack("done", status=d.status.value, pid=os.getpid())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
