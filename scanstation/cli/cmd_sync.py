"""Upload queue commands: queue add/status/retry/cancel/export/import/purge, sync run, provincial-sim."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import signal
import sys
import time
from pathlib import Path

from scanstation.cli import EXIT_FINDINGS, emit


def register(sub: argparse._SubParsersAction) -> None:
    q = sub.add_parser("queue", help="the upload queue (outbox)").add_subparsers(dest="sub", required=True)
    p = q.add_parser("add", help="verify signed files and queue them for upload")
    p.add_argument("--dossier", required=True, metavar="CODE", help="dossier (receipt) code")
    p.add_argument("--component", default="", metavar="ID", help="component id")
    p.add_argument("--doc-type", default="", metavar="CODE", help="document type code (mã loại giấy tờ)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue_add)

    p = q.add_parser("status", help="counts per state and every job")
    p.add_argument("--limit", type=int, default=200,
                   help="list at most N jobs, oldest first (default 200; 0: every job); counts stay complete")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue_status)

    for name, helptext in (("retry", "try a failed, held or cancelled job again now"),
                           ("cancel", "cancel a job (the file stays on disk)")):
        p = q.add_parser(name, help=helptext)
        p.add_argument("job", metavar="JOB", help="job id (or its first characters)")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=cmd_queue_change, action=name)

    p = q.add_parser("export", help="write waiting jobs to a bundle folder (USB stick) for a connected machine")
    p.add_argument("--to", required=True, type=Path, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue_export)

    p = q.add_parser("import", help="verify and queue a bundle exported by another station (all or nothing)")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue_import)

    p = q.add_parser("purge", help="delete local copies confirmed longer ago than sync.retention_days")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_queue_purge)

    s = sub.add_parser("sync", help="upload to the provincial system").add_subparsers(dest="sub", required=True)
    p = s.add_parser("run", help="run the uploader (until stopped, once, or until the queue is empty)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--once", action="store_true", help="one attempt at every job due now, then exit")
    g.add_argument("--until-empty", action="store_true", help="exit when nothing is left to upload")
    p.add_argument("--max-seconds", type=float, default=None, metavar="N")
    p.add_argument("--endpoint", default=None, metavar="URL", help="override provincial.endpoint (training, tests)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sync_run)
    p = s.add_parser("set-secret", help="store the provincial client secret in the OS keyring (reads stdin "
                                        "when it is not a terminal)")
    p.add_argument("--client-id", default=None)
    p.set_defaults(func=cmd_sync_set_secret)

    p = sub.add_parser("provincial-sim", help="run the provincial-system simulator (training, demo, tests)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed on start)")
    p.add_argument("--data", type=Path, required=True, metavar="DIR", help="where received files are stored")
    p.add_argument("--faults", default="", metavar="SPEC",
                   help="NAME=RATE[:PARAM],... with NAME in 5xx, 429, timeout, reset, slow, expired-token, wrong-hash")
    p.add_argument("--seed", type=int, default=None, metavar="N")
    p.add_argument("--secret", default=None, metavar="S",
                   help="client secret it accepts (default: $SCANSTATION_PROVINCIAL_SECRET or demo-secret)")
    p.add_argument("--client-id", default=None, help="only accept this client id (default: any)")
    p.add_argument("--rate", type=float, default=0, metavar="BYTES_PER_S", help="limit the receive rate")
    p.add_argument("--token-ttl", type=float, default=3600, metavar="SECONDS")
    p.set_defaults(func=cmd_provincial_sim)


# --- signature check before queueing --------------------------------------------------------------------
def _gate(st):
    from scanstation.flow.upload import signature_gate

    return signature_gate(st.settings)


# --- handlers --------------------------------------------------------------------------------------------
def _station():
    from scanstation.flow import Station

    return Station()


def _hook(st):
    """Audit every job event; a confirmation also marks its file (and, when all are, its dossier) uploaded."""
    from scanstation.flow.upload import confirming_hook

    return confirming_hook(st)


def cmd_queue_add(args) -> int:
    from scanstation.sync import queue_files

    st = _station()
    results = queue_files(st.store, args.files, dossier_code=args.dossier, verifier=_gate(st),
                          station=st.settings.get("station.id"), component_id=args.component,
                          document_type=args.doc_type, audit=_hook(st))
    lines = [f"{'queued' if r['created'] else 'already queued'}  {r['job'][:12]}  {r['file']}" for r in results]
    emit({"jobs": results}, args.json, "\n".join(lines))
    return 0


def cmd_queue_status(args) -> int:
    from scanstation.store.db import open_store
    from scanstation.sync import Outbox

    settings = _settings()
    data = Outbox(open_store(settings.get("db.url") or None), settings.get("station.id")).status(limit=args.limit)
    if args.json:
        # Compact and ASCII-escaped: twice as fast to write for a long queue, same data for any JSON reader.
        sys.stdout.write(json.dumps(data, separators=(",", ":")) + "\n")
        return 0
    c = data["counts"]
    out = ["  ".join(f"{k}: {v}" for k, v in c.items()), ""]
    for j in data["jobs"]:
        extra = j["reason"] or j["last_error"] or ""
        nxt = f" next {j['next_attempt']}" if j["next_attempt"] else ""
        out.append(f"{j['id'][:12]}  {j['state']:<18} {j['attempts']:>3}x  {j['dossier']}  {j['file']}{nxt}"
                   + (f"  — {extra}" if extra else ""))
    emit(None, False, "\n".join(out))
    return 0


def _settings():
    from scanstation.config import Settings

    return Settings()


def cmd_queue_change(args) -> int:
    from scanstation.sync import Job, Outbox

    st = _station()
    hook = _hook(st)

    def on_change(session, row, prev):
        hook(session, f"sync.{args.action}", Job.from_row(row), {"job": row.id, "from": prev})

    ob = Outbox(st.store, st.settings.get("station.id"))
    job = (ob.retry if args.action == "retry" else ob.cancel)(args.job, on_change=on_change)
    emit({"job": job.id, "state": job.state.value}, args.json, f"{job.id[:12]}  {job.state.value}  {job.file_name}")
    return 0


def cmd_queue_export(args) -> int:
    from scanstation.sync import export_bundle

    st = _station()
    rep = export_bundle(st.store, args.to, station=st.settings.get("station.id"))
    st.audit.append(st.actor, "sync.exported", details={"bundle": rep["bundle"], "jobs": rep["exported"],
                                                        "skipped": len(rep["skipped"])})
    text = [f"exported {rep['exported']} file(s), {rep['bytes']} bytes, to {rep['bundle']}"]
    text += [f"skipped {s['file']}: {s['reason']}" for s in rep["skipped"]]
    emit(rep, args.json, "\n".join(text))
    return EXIT_FINDINGS if rep["skipped"] else 0


def cmd_queue_import(args) -> int:
    from scanstation.sync import import_bundle

    st = _station()
    rep = import_bundle(st.store, args.dir, verifier=_gate(st), station=st.settings.get("station.id"),
                        audit=_hook(st))
    if rep["refused"]:
        text = [f"nothing imported: {len(rep['refused'])} file(s) refused (one refused file refuses the import)"]
    else:
        text = [f"imported {rep['imported']} file(s), {rep['already_queued']} already queued"]
    text += [f"refused {r['file']}: {r['reason']}" for r in rep["refused"]]
    text += [f"ignored the manifest's idempotency key for {m['file']} (it does not match the file; "
             f"using {m['key'][:12]}…)" for m in rep["key_mismatches"]]
    emit(rep, args.json, "\n".join(text))
    return EXIT_FINDINGS if rep["refused"] else 0


def cmd_queue_purge(args) -> int:
    from scanstation.sync import purge_confirmed

    st = _station()
    n = purge_confirmed(st.store, st.settings.get("sync.retention_days"), time.time(), _hook(st),
                        station=st.settings.get("station.id"))
    emit({"purged": n}, args.json, f"purged {n} file(s)")
    return 0


def cmd_sync_run(args) -> int:
    from scanstation.flow.upload import build_worker
    from scanstation.sync import Outbox

    st = _station()
    worker = build_worker(st, endpoint=args.endpoint)   # the confirming hook and the pre-upload signature check
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    rep = worker.run(until_empty=args.until_empty, once=args.once, max_seconds=args.max_seconds)
    counts = Outbox(st.store, st.settings.get("station.id")).counts()
    data = {**rep.as_dict(), "counts": counts}
    emit(data, args.json, f"confirmed {rep.confirmed}, retrying {rep.retried}, needs attention {rep.attention} "
                          f"({rep.attempts} attempts, {rep.bytes_sent} bytes, {rep.seconds:g} s)\n"
                          + "  ".join(f"{k}: {v}" for k, v in counts.items()))
    left = counts["pending"] + counts["failed-will-retry"] + counts["uploading"]
    return EXIT_FINDINGS if (args.until_empty and left) or counts["needs-attention"] else 0


def cmd_sync_set_secret(args) -> int:
    from scanstation.sync import set_secret

    client_id = args.client_id or _settings().get("provincial.client_id") or "scanstation"
    secret = getpass.getpass("Client secret: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if not secret:
        from scanstation.errors import ValidationError

        raise ValidationError("Empty secret", "Mật khẩu trống", field="secret")
    set_secret(client_id, secret)
    sys.stdout.write(f"secret for client '{client_id}' stored in the OS keyring\n")
    return 0


def cmd_provincial_sim(args) -> int:
    from scanstation.sync.simulator import ProvincialSimulator

    secret = args.secret or os.environ.get("SCANSTATION_PROVINCIAL_SECRET") or "demo-secret"
    sim = ProvincialSimulator(args.data, args.host, args.port, faults=args.faults, seed=args.seed, secret=secret,
                              client_id=args.client_id, token_ttl=args.token_ttl, rate=args.rate)
    signal.signal(signal.SIGTERM, _interrupt)
    sys.stdout.write(json.dumps({"listening": sim.url, "data": str(args.data)}) + "\n")
    sys.stdout.flush()
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.server_close()
    return 0


def _interrupt(*_):
    raise KeyboardInterrupt
