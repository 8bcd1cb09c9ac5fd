"""Foundation commands: demo, gui, audit, settings, id."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scanstation import paths
from scanstation.cli import EXIT_ERROR, EXIT_FINDINGS, emit
from scanstation.config import OPTIONS, Settings
from scanstation.errors import ValidationError
from scanstation.identifiers import check_identifier
from scanstation.model import IdType


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole flow headless on the embedded defaults")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("gui", help="start the counter application (default)")
    p.add_argument("--demo", action="store_true", help="virtual scanner, demo token, local simulator")
    p.add_argument("--screenshots", type=Path, help="walk every screen and write one PNG each here")
    p.set_defaults(func=cmd_gui)

    a = sub.add_parser("audit", help="the hash-chained audit log").add_subparsers(dest="sub", required=True)
    p = a.add_parser("verify", help="detect edited, removed, reordered or forged events")
    p.add_argument("--against-server", action="store_true",
                   help="also check the chain against the heads the provincial system kept (sent with each upload)")
    p.add_argument("--endpoint", help="provincial endpoint (default: setting provincial.endpoint)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit_verify)
    p = a.add_parser("list", help="print events")
    p.add_argument("--dossier")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_audit_list)

    s = sub.add_parser("settings", help="station settings").add_subparsers(dest="sub", required=True)
    p = s.add_parser("show", help="effective settings with their source and lock")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_settings_show)
    p = s.add_parser("set", help="set a value (clerk layer, or --station for IT staff)")
    p.add_argument("key", choices=sorted(OPTIONS))
    p.add_argument("value")
    p.add_argument("--station", action="store_true", help="write the station layer (IT staff)")
    p.add_argument("--lock", action="store_true", help="also lock it for clerks (implies --station)")
    p.add_argument("--json", action="store_true", help="print what changed (also in the audit log)")
    p.set_defaults(func=cmd_settings_set)
    p = s.add_parser("unlock", help="let clerks change a value again")
    p.add_argument("key", choices=sorted(OPTIONS))
    p.add_argument("--json", action="store_true", help="print what changed (also in the audit log)")
    p.set_defaults(func=cmd_settings_unlock)

    p = sub.add_parser("id", help="check an identifier (CCCD, CMND, tax code, organisation code, passport), "
                       "or read a chip CCCD's QR: id cccd-qr (IMAGE | --text STRING)")
    p.add_argument("type", choices=[t.value for t in IdType if t != IdType.NONE] + ["cccd-qr"])
    p.add_argument("value", nargs="?", help="the identifier; for cccd-qr: a scanned image of the card")
    p.add_argument("--text", help="cccd-qr: the QR text as a handheld reader types it ('-' = stdin)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_id)


def _station():
    from scanstation.flow import Station

    return Station()


def cmd_demo(args) -> int:
    from scanstation.flow.demo import run_demo

    report = run_demo(_station())
    lines = [f"Scan station demo — home: {paths.home()}"]
    for r in report:
        extra = {k: v for k, v in r.items() if k not in ("stage", "status")}
        lines.append(f"  {r['stage']:<9} {r['status']:<14} {json.dumps(extra, ensure_ascii=False) if extra else ''}")
    emit(report, args.json, "\n".join(lines))
    return 0


def cmd_gui(args) -> int:
    import importlib

    # Loaded by name so that only scanstation.ui imports Qt (the CLI stays Qt-free).
    return importlib.import_module("scanstation.ui.app").run(demo=args.demo, screenshots=args.screenshots)


def cmd_audit_verify(args) -> int:
    st = _station()
    if args.against_server:
        from scanstation.flow.upload import verify_audit_against_server

        rep = verify_audit_against_server(st, endpoint=args.endpoint)
    else:
        rep = st.audit.verify()
    data = {"ok": rep.ok, "station": rep.station, "events": rep.events, "anchors_checked": rep.anchors_checked,
            "problems": rep.problems}
    against = f", {rep.anchors_checked} anchor(s) from the provincial system checked" if args.against_server else ""
    text = (f"audit log intact: {rep.events} events (station {rep.station}){against}" if rep.ok else
            "AUDIT LOG TAMPERED:\n" + "\n".join(f"  event {p['seq']}: {p['detail']}" for p in rep.problems))
    emit(data, args.json, text)
    return 0 if rep.ok else EXIT_FINDINGS


def cmd_audit_list(args) -> int:
    evs = _station().audit.events(args.dossier)
    data = [{"station": e.station, "seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action,
             "dossier": e.dossier, "page": e.page, "file": e.file, "details": e.details} for e in evs]
    emit(data, args.json, "\n".join(f"{e.seq:>6} {e.at:%Y-%m-%d %H:%M:%S} {e.actor:<16} {e.action:<20} "
                                    f"{e.dossier or ''}" for e in evs))
    return 0


def cmd_settings_show(args) -> int:
    eff = Settings().effective()
    emit(eff, args.json, "\n".join(f"{k:<24} {json.dumps(v['value'], ensure_ascii=False):<30} {v['source']}"
                                   f"{' (locked)' if v['locked'] else ''}" for k, v in eff.items()))
    return 0


def cmd_settings_set(args) -> int:
    from scanstation.flow.station_settings import change_setting

    d = change_setting(args.key, args.value, layer="station" if (args.station or args.lock) else "clerk",
                       lock=True if args.lock else None)
    if args.json:
        emit(d, True)
    return 0


def cmd_settings_unlock(args) -> int:
    from scanstation.flow.station_settings import change_setting

    d = change_setting(args.key, lock=False)
    if args.json:
        emit(d, True)
    return 0


def cmd_id(args) -> int:
    if args.type == "cccd-qr":
        from scanstation.cli._cccd import cmd_cccd_qr

        return cmd_cccd_qr(args)
    if args.value is None or args.text is not None:
        raise ValidationError("id TYPE VALUE: give the identifier to check (--text is for cccd-qr)",
                              "Cần nhập số định danh cần kiểm tra", field="value")
    res = check_identifier(args.type, args.value)
    data = {"type": res.id_type.value, "value": res.value, "ok": res.ok,
            "errors": [vars(n) for n in res.errors], "hints": [vars(n) for n in res.hints]}
    text = "\n".join([f"{res.value}: {'valid' if res.ok else 'INVALID'}"] +
                     [f"  error: {n.en}" for n in res.errors] + [f"  hint: {n.en}" for n in res.hints])
    emit(data, args.json, text)
    return 0 if res.ok else EXIT_ERROR
