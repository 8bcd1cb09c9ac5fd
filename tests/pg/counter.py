"""One counter of the load test, as its own process: ``python -m tests.pg.counter PREFIX N ENDPOINT OUT``.

Its station home (SCANSTATION_HOME) is set up by the test: db.url (the shared PostgreSQL), station.id,
fast sync settings; the provincial secret comes from SCANSTATION_PROVINCIAL_SECRET. It takes N dossiers
from intake to upload while its upload worker runs beside it, as at a real counter:

- intake: the flow's ``new_dossier`` (database row, work folder, audit event), with the sample
  dossier's first paper;
- the assembled file: a small one-page PDF in the work area's out folder (capture, QC and PDF/A
  assembly have their own tests and would make a 100-dossier run take many minutes on two cores);
- signing: the counter's own SoftHSM token (the demo token made in its home) through the same calls as
  ``flow.signing.sign`` after its QC gate: ``sign_batch``, the queue's signature check
  (``check_signed_for_queue``) and ``record_signed`` (signed + queued + audited in one transaction);
- upload: ``flow.upload.build_worker`` (the confirming hook marks files and dossiers uploaded).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(prefix: str, n: int, endpoint: str, out: Path) -> int:
    from scanstation.config import Settings
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import Station
    from scanstation.flow import upload as fupload
    from scanstation.flow.session import new_dossier
    from scanstation.flow.signing import record_signed, signed_dir
    from scanstation.flow.trust import station_trust
    from scanstation.model import DossierStatus, OutputFile, to_plain
    from scanstation.resources import resource
    from scanstation.signing import SignOptions, open_session, sign_batch
    from scanstation.signing.softtoken import ensure_demo_token
    from scanstation.sync import Outbox
    from tests.sync.signed_pdf import unsigned_pdf

    t0 = time.monotonic()
    tok = ensure_demo_token()                         # this counter's own token (in its home)
    settings = Settings()
    settings.set("signing.trust_test_ca", [str(tok.ca_pem)], layer="station")   # IT allows the demo CA
    st = Station(settings)
    station_id = settings.get("station.id")
    roots = station_trust(settings)                   # shipped anchors + the demo CA as an allowed test CA
    worker = fupload.build_worker(st, endpoint=endpoint)
    worker.start()
    files: dict[str, dict[str, object]] = {}
    try:
        for i in range(n):
            dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
            dossier.components = dossier.components[:1]
            dossier.receipt_code = f"{prefix}-{i:03d}"
            s = new_dossier(st, dossier)
            c = s.dossier.components[0]
            name = f"{dossier.receipt_code}.pdf"
            src = s.workarea.out_dir / name
            src.parent.mkdir(parents=True, exist_ok=True)
            src.write_bytes(unsigned_pdf(padding=20_000 + 1_000 * i, text=f"{station_id} {dossier.receipt_code}"))
            s.dossier.outputs = [OutputFile(component_id=c.id, file_name=name, path=str(src), state="assembled")]
            s.dossier.status = DossierStatus.ASSEMBLED
            st.save_dossier(s.dossier)
            ts = open_session(tok.module, tok.clerk_label, tok.pin, trust_roots=roots)
            with ts:
                res = sign_batch(ts, [(src, signed_dir(s) / name, {})],
                                 SignOptions(role="clerk", signer_name=ts.signer_name, trust_roots=roots))
                holder, serial = ts.signer_name, ts.cert.serial
            if not res.complete:
                raise SystemExit(f"signing {name} failed: {res.to_dict()}")
            sf = res.signed[0]
            fupload.check_signed_for_queue(Path(sf.path), roots)
            record_signed(s, "clerk", [{"component_id": c.id, "file_name": name, "path": sf.path,
                                        "sha256": sf.sha256, "size": sf.size}],
                          signer=holder, certificate_serial=str(serial), queue=True)
            worker.wake()
            files[dossier.receipt_code] = {"sha256": sf.sha256, "size": sf.size, "path": sf.path,
                                           "dossier": to_plain(s.dossier)["id"]}
        intake_s = time.monotonic() - t0
        ob = Outbox(st.store, station_id)
        deadline = time.monotonic() + 150
        while ob.has_active() and time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        worker.stop()
        worker.join(60)
    counts = ob.counts()
    out.write_text(json.dumps({"station": station_id, "files": files, "counts": counts,
                               "intake_and_sign_s": round(intake_s, 1),
                               "total_s": round(time.monotonic() - t0, 1), "bytes_sent": worker.bytes_sent}))
    st.store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])))
