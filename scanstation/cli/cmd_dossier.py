"""The scriptable flow: ``scanstation dossier new|scan|check|override|exclude|restore|resolve-event|build|sign|show``.

Each command opens the dossier (id or receipt code), calls one use case of :mod:`scanstation.flow`
and prints what it did (``--json`` for scripts). Exit codes: 0 done, 1 refused because of findings
(each named), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scanstation.cli import EXIT_FINDINGS, emit
from scanstation.errors import ScanStationError, ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("dossier", help="dossiers: the scriptable flow (new, scan, check, build, sign, show ...)"
                       ).add_subparsers(dest="sub", required=True)

    def cmd(name: str, helptext: str, func: Any, *, dossier: bool = True, **kw: Any) -> argparse.ArgumentParser:
        p = d.add_parser(name, help=helptext, **kw)
        if dossier:
            p.add_argument("dossier", metavar="ID", help="dossier id or receipt code")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
        return p

    p = cmd("new", "take in a dossier from a JSON file (format: README)", cmd_new, dossier=False)
    p.add_argument("file", type=Path)
    p = cmd("list", "list dossiers", cmd_list, dossier=False)
    p.add_argument("--unfinished", action="store_true")
    p = cmd("recover", "list unfinished dossiers and what their page journals hold", cmd_recover, dossier=False)
    p.add_argument("--restore", metavar="ID", help="restore this dossier (all journaled pages)")

    p = cmd("scan", "scan pages into a component (append, or rescan/insert/replace/note-removed)", cmd_scan)
    p.add_argument("--component", required=True, metavar="C", help="component id, 1-based index or document type code")
    p.add_argument("--device", help="scanner device id (default: the scanner profile's)")
    p.add_argument("--profile", help="saved scanner profile (default: scanner.profile)")
    p.add_argument("--source", choices=("flatbed", "adf", "adf-duplex"))
    p.add_argument("--dpi", type=int)
    p.add_argument("--mode", choices=("color", "gray"))
    p.add_argument("--option", action="append", default=[], metavar="K=V", help="raw driver option")
    p.add_argument("--sheets", type=int, help="sheets to feed (default: what is left of the declared count)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rescan-sheet", type=int, metavar="N", help="feed sheet N again; its images are replaced")
    g.add_argument("--insert-before", metavar="PAGE", help="insert the new pages before this page")
    g.add_argument("--replace", metavar="PAGE", help="replace this one page")
    g.add_argument("--note-removed", metavar="PAGE", help="rescan this sticky-note page with the note taken off")

    cmd("check", "check every page and component; list findings (exit 1 while any blocks)", cmd_check)
    p = cmd("override", "accept a finding with a reason (journaled and audited)", cmd_override)
    p.add_argument("finding", metavar="FINDING")
    p.add_argument("--reason", required=True)
    for name, helptext in (("exclude", "leave a page out of the file (it is kept on disk)"),
                           ("restore", "put an excluded page back")):
        p = cmd(name, helptext, cmd_exclude if name == "exclude" else cmd_restore)
        p.add_argument("page", metavar="PAGE", help="page id, or 1-based position with --component")
        p.add_argument("--component", metavar="C")
        if name == "exclude":
            p.add_argument("--reason", default="excluded by the clerk")
    p = cmd("rotate", "turn a page clockwise by 90, 180 or 270 degrees (a new image; the original stays)",
            cmd_rotate)
    p.add_argument("page", metavar="PAGE", help="page id, or 1-based position with --component")
    p.add_argument("degrees", type=int, choices=(90, 180, 270))
    p.add_argument("--component", metavar="C")
    p = cmd("resolve-event", "say what was done about a scanner event (double feed, jam ...)", cmd_resolve_event)
    p.add_argument("event", metavar="EVENT")
    p.add_argument("--reason", required=True)
    cmd("build", "assemble one PDF/A per component (refused while a finding blocks)", cmd_build)

    p = cmd("sign", "sign the dossier's files with a token: clerk, then (when set) the SAO Y copy", cmd_sign,
            allow_abbrev=False)
    p.add_argument("--role", choices=("clerk", "copy"), default="clerk")
    p.add_argument("--token", required=True, help="token label")
    p.add_argument("--key-id", help="CKA_ID of the key in hex (when the token holds several)")
    p.add_argument("--module", help="PKCS#11 module (default: token.module, then the known modules)")
    p.add_argument("--trust", action="append", type=Path, metavar="CA.pem",
                   help="trusted CA certificate (default: signing.trust_roots)")
    p.add_argument("--pin-env", metavar="VAR", help="environment variable holding the PIN (default: prompt)")
    cmd("show", "the dossier, its files and their states", cmd_show)

    p = cmd("identity", "check the applicant's digital identity and the papers the electronic store holds; "
            "propose per component a stored paper to reuse", cmd_identity)
    p.add_argument("--endpoint", help="provincial system URL (default: provincial.endpoint)")
    p.add_argument("--timeout", type=float, help="seconds to wait for the answer (default 8)")
    p = cmd("reuse", "record a component as not digitised: already held as valid electronic data (a stored "
            "paper the last identity check offered)", cmd_reuse)
    p.add_argument("--component", required=True, metavar="C")
    p.add_argument("--document", required=True, metavar="DOC_ID")

    p = cmd("revoke", "revoke a signed file (hủy hiệu lực): marked with time and reason and kept, never uploaded "
            "again, the provincial system told (run again to repeat the notice)", cmd_revoke)
    p.add_argument("file", metavar="FILE", help="the file's name (or its component id / document type code)")
    p.add_argument("--reason", required=True)
    p.add_argument("--endpoint", help="provincial system URL (default: provincial.endpoint)")

    p = cmd("result", "records officer: scan the signed paper result, check it, sign it as SAO Y with the "
            "organisation's certificate and queue it (role result)", cmd_result, allow_abbrev=False)
    p.add_argument("--name", help="the result's name (first run: adds the result component)")
    p.add_argument("--code", help="its document type code (first run)")
    p.add_argument("--sheets", type=int, default=1)
    p.add_argument("--simplex", action="store_true", help="one side per sheet")
    p.add_argument("--number", dest="number_symbol", help="number and symbol (số, ký hiệu)")
    p.add_argument("--issue-date", help="issue date (dd/mm/yyyy or yyyy-mm-dd)")
    p.add_argument("--issuer", dest="issuing_body", help="issuing body (cơ quan cấp)")
    p.add_argument("--summary", help="summary (trích yếu)")
    p.add_argument("--rescan", action="store_true", help="scan the result again (its pages are replaced)")
    p.add_argument("--device")
    p.add_argument("--profile")
    p.add_argument("--dpi", type=int)
    p.add_argument("--option", action="append", default=[], metavar="K=V")
    p.add_argument("--token", help="the ORGANISATION's token label (without it: scan and check only)")
    p.add_argument("--key-id")
    p.add_argument("--module")
    p.add_argument("--trust", action="append", type=Path, metavar="CA.pem")
    p.add_argument("--pin-env", metavar="VAR")


# --- helpers ------------------------------------------------------------------------------------------
def _station() -> Any:
    from scanstation.flow import Station

    return Station()


def _open(args: argparse.Namespace) -> Any:
    from scanstation.flow import open_dossier

    return open_dossier(_station(), args.dossier)


def _component(comp: Any, i: int) -> dict[str, Any]:
    return {"id": comp.id, "index": i, "document_type_code": comp.document_type_code, "name": comp.name,
            "class": comp.digitisation_class.value, "sheets": comp.declared_sheets, "duplex": comp.duplex,
            "role": comp.role, **({"reused_document_id": comp.reused_document_id,
                                   "not_digitised_reason": comp.not_digitised_reason} if comp.reused_document_id else {})}


def _page_view(s: Any, comp: Any) -> list[dict[str, Any]]:
    from scanstation.flow.pages import layout

    lay = layout(comp)
    return [{"id": p.id, "position": i + 1, "sheet": lay[p.id][0], "side": lay[p.id][1], "variant": p.variant.value,
             "kept": p.kept, "excluded_reason": p.excluded_reason, "file": p.file, "sha256": p.sha256}
            for i, p in enumerate(comp.pages)]


def _page_ref(s: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    if args.component:
        c = s.component(args.component)
        return c, s.page(c, args.page)
    if args.page.isdigit():
        raise ValidationError("A page position needs --component (or give the page id)",
                              "Cần chỉ rõ thành phần (--component) khi chọn trang theo số thứ tự", field="page")
    return s.find_page(args.page)


# --- handlers -----------------------------------------------------------------------------------------
def cmd_new(args: argparse.Namespace) -> int:
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import new_dossier

    dossier, _ = load_dossier_file(args.file)   # validates everything before anything is written
    s = new_dossier(_station(), dossier)
    data = {"id": dossier.id, "receipt_code": dossier.receipt_code, "workdir": str(s.workarea.root),
            "components": [_component(c, i) for i, c in enumerate(dossier.components, 1)]}
    emit(data, args.json, f"dossier {dossier.receipt_code} created: {dossier.id}\n" +
         "\n".join(f"  {c['index']}. {c['document_type_code']:<8} {c['name']} ({c['class']})"
                   for c in data["components"]))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    rows = _station().list_dossiers(unfinished_only=args.unfinished)
    data = [{"id": r.id, "receipt_code": r.receipt_code, "status": r.status, "updated_at": r.updated_at} for r in rows]
    emit(data, args.json, "\n".join(f"{r['receipt_code']:<32} {r['status']:<10} {r['id']}" for r in data) or
         "no dossiers")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    st = _station()
    if args.restore:
        d = st.restore(args.restore)
        data = {"id": d.id, "receipt_code": d.receipt_code,
                "components": [{"id": c.id, "name": c.name, "pages": len(c.pages),
                                "variants": [p.variant.value for p in c.pages],
                                "kept": [p.kept for p in c.pages]} for c in d.components]}
        emit(data, args.json, f"restored {d.receipt_code}: " +
             ", ".join(f"{c['name']}: {c['pages']} pages" for c in data["components"]))
        return 0
    items = st.unfinished()
    data = [vars(u) for u in items]
    emit(data, args.json, "\n".join(f"{u.receipt_code:<32} {u.status:<10} {u.pages} pages"
                                    f"{' DAMAGED: ' + ', '.join(u.damaged) if u.damaged else ''}"
                                    f"{' PROBLEM: ' + u.problem if u.problem else ''}  {u.dossier_id}"
                                    for u in items) or "nothing to recover")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from scanstation.flow.capture import CaptureAction, scan
    from scanstation.flow.pages import pages_of_sheet

    s = _open(args)
    c = s.component(args.component)
    action, target = "append", None
    if args.rescan_sheet is not None:
        sheet = pages_of_sheet(c, args.rescan_sheet)
        if not sheet:
            raise ValidationError(f"Component '{c.name}' has no sheet {args.rescan_sheet}",
                                  f"Thành phần '{c.name}' không có tờ {args.rescan_sheet}", field="rescan_sheet")
        action, target = "rescan", sheet[0].id
    elif args.insert_before:
        action, target = "insert", s.page(c, args.insert_before).id
    elif args.replace:
        action, target = "replace", s.page(c, args.replace).id
    elif args.note_removed:
        action, target = "note_removed", s.page(c, args.note_removed).id
    if args.sheets is not None and args.sheets < 1:
        raise ValidationError("--sheets must be at least 1", "Số tờ phải từ 1 trở lên", field="sheets")
    act = CaptureAction(component_id=c.id, action=action, target=target, profile=args.profile, device=args.device,
                        source=args.source, dpi=args.dpi, mode=args.mode, options=tuple(args.option),
                        sheets=args.sheets)
    out = scan(s, act)
    data = {"id": s.dossier.id, "component": c.id, "action": action, "device": out.device,
            "new_pages": [p.id for p in out.pages], "pages": _page_view(s, c),
            "stopped": out.stopped.to_dict() if out.stopped else None, "event": out.event,
            "warnings": out.warnings}
    lines = [f"{action}: {len(out.pages)} page(s) into '{c.name}' from {out.device}"]
    lines += [f"warning: {w}" for w in out.warnings]
    if out.stopped is not None:
        lines.append(f"scanner stopped: {out.stopped.message_en}")
    if out.event:
        lines.append(f"scanner event {out.event['id']} to resolve: dossier resolve-event {s.dossier.receipt_code} "
                     f"{out.event['id']} --reason ...")
    emit(data, args.json, "\n".join(lines))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from scanstation.flow import checking

    s = _open(args)
    stale = [c for c in s.dossier.components if c.digitised and c.pages and
             s.checks.get(c.id, {}).get("pages") != [p.id for p in c.pages]]
    checking.check(s, components=stale) if stale else None
    rep = checking.report(s)
    lines = [f"{s.dossier.receipt_code}: {rep['blocking']} blocking finding(s)"]
    for comp in rep["components"]:
        lines.append(f"  {comp['name']}:")
        for f in comp["findings"]:
            state = " (accepted: " + f["override"]["reason"] + ")" if f["override"] else ""
            pages = f" pages {','.join(map(str, f['pages']))}" if f["pages"] else ""
            lines.append(f"    {f['severity']:<5} {f['id']} {f['code']}{pages}: {f['message_en']}{state}")
    emit(rep, args.json, "\n".join(lines))
    return EXIT_FINDINGS if rep["blocking"] else 0


def cmd_override(args: argparse.Namespace) -> int:
    from scanstation.flow import checking

    s = _open(args)
    f = checking.override(s, args.finding, args.reason)
    emit(f.to_dict(), args.json, f"accepted {f.code} [{f.id}]: {args.reason}")
    return 0


def cmd_exclude(args: argparse.Namespace) -> int:
    from scanstation.flow import pages

    s = _open(args)
    c, p = _page_ref(s, args)
    pages.exclude(s, c, p, args.reason)
    emit({"page": p.id, "kept": p.kept}, args.json, f"page {p.id} excluded")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from scanstation.flow import pages

    s = _open(args)
    c, p = _page_ref(s, args)
    pages.restore(s, c, p)
    emit({"page": p.id, "kept": p.kept}, args.json, f"page {p.id} restored")
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    from scanstation.flow import pages

    s = _open(args)
    c, p = _page_ref(s, args)
    new = pages.rotate(s, c, p, args.degrees)
    emit({"page": p.id, "new_page": new.id, "degrees": args.degrees}, args.json,
         f"page {p.id} turned {args.degrees}° clockwise (now {new.id}); run 'dossier check' again")
    return 0


def cmd_resolve_event(args: argparse.Namespace) -> int:
    from scanstation.flow.capture import resolve_event

    s = _open(args)
    ev = resolve_event(s, args.event, args.reason)
    emit(ev, args.json, f"scanner event {ev['id']} resolved: {args.reason}")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from scanstation.flow import signing

    s = _open(args)
    rep = signing.build(s)
    data = {"id": s.dossier.id, "status": s.dossier.status.value, "complete": rep["complete"],
            "files": [{"component": f["component_id"], "name": f["file_name"], "sha256": f["sha256"],
                       "size": f["size"], "pages": f["pages"], "path": f["path"]} for f in rep["files"]],
            "skipped": rep["skipped"]}
    emit(data, args.json, "\n".join(f"built {f['name']} ({f['pages']} pages, {f['size']} bytes)"
                                    for f in data["files"]) or "nothing to build")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    from scanstation.cli.cmd_signing import _read_pin
    from scanstation.flow import signing

    s = _open(args)
    plan = signing.SigningPlan.from_settings(s.settings, trust=[str(t) for t in args.trust] if args.trust else None,
                                             module=args.module)
    pin = _read_pin(args, args.token, plan.module)
    res = signing.sign(s, args.role, token_label=args.token, pin=pin, key_id=args.key_id, plan=plan)
    del pin
    for w in res["warnings"]:
        sys.stderr.write(f"warning: {w}\n")
    emit(res, args.json, "\n".join([f"signed as {args.role} by {res['signer']}: {len(res['files'])} file(s)"
                                    + ("; queued for upload" if res["queued"] else "")]
                                   + [f"  {f['file_name']}  sha256 {f['sha256'][:16]}…" for f in res["files"]]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from scanstation.flow import signing

    s = _open(args)
    d = s.dossier
    data = {"id": d.id, "receipt_code": d.receipt_code, "status": d.status.value,
            "applicant": d.applicant.name, "profile": d.profile_id,
            "components": [{**_component(c, i), "pages": _page_view(s, c)} for i, c in enumerate(d.components, 1)],
            "events": list(s.events.values()), "overrides": s.overrides, "files": signing.files_view(s)}
    lines = [f"{d.receipt_code}  {d.status.value}  {d.applicant.name}"]
    for comp in data["components"]:
        lines.append(f"  {comp['index']}. {comp['name']}: {len(comp['pages'])} image(s), "
                     f"{sum(1 for p in comp['pages'] if p['kept'])} kept")
    for f in data["files"]:
        lines.append(f"  file {f['name']}  {f['state']}  [{', '.join(f['signatures'])}]"
                     + (f"  revoked {f['revoked_at']}: {f['revoked_reason']}" if f.get("revoked_at") else ""))
    emit(json.loads(json.dumps(data, default=str)), args.json, "\n".join(lines))
    return 0


def cmd_result(args: argparse.Namespace) -> int:
    from scanstation.errors import GateBlocked
    from scanstation.flow import checking, results, signing
    from scanstation.flow.capture import CaptureAction, scan

    s = _open(args)
    c = results.result_component(s)
    lines: list[str] = []
    if c is None:
        if not (args.name and args.code):
            raise ValidationError("The first 'dossier result' needs --name and --code of the result",
                                  "Lần đầu cần tên (--name) và mã loại giấy tờ (--code) của kết quả", field="name")
        meta = {"number_symbol": args.number_symbol, "issue_date": args.issue_date,
                "issuing_body": args.issuing_body, "summary": args.summary}
        c = results.add_result(s, name=args.name, code=args.code, sheets=args.sheets, duplex=not args.simplex,
                               metadata={k: v for k, v in meta.items() if v})
        lines.append(f"result component added: {c.name} ({c.document_type_code})")
    signed = any(o.component_id == c.id for o in s.dossier.outputs)
    if not signed and (args.rescan or not c.pages):
        for p in list(c.pages):
            if p.kept:
                from scanstation.flow import pages

                pages.exclude(s, c, p, "result scanned again")
        out = scan(s, CaptureAction(component_id=c.id, action="append", profile=args.profile, device=args.device,
                                    dpi=args.dpi, options=tuple(args.option), sheets=args.sheets))
        lines.append(f"scanned {len(out.pages)} page(s) of the result from {out.device}")
        if out.stopped is not None:
            lines.append(f"scanner stopped: {out.stopped.message_en}")
    if not signed and c.pages and s.checks.get(c.id, {}).get("pages") != [p.id for p in c.pages]:
        checking.check(s, components=[c])
    data: dict[str, Any] = {"id": s.dossier.id, "component": c.id, "pages": len(c.kept_pages()),
                            "findings": [f.to_dict() for f in checking.component_findings(s, c)], "signed": None}
    if signed:
        o = next(o for o in s.dossier.outputs if o.component_id == c.id)
        data["signed"] = {"file_name": o.file_name, "sha256": o.sha256, "state": o.state}
        emit(data, args.json, "\n".join(lines + [f"result already signed: {o.file_name} ({o.state})"]))
        return 0
    try:
        results.require_result_clear(s, c)
    except GateBlocked:
        if args.json:
            emit(data, True)
            return EXIT_FINDINGS
        raise
    if not args.token:
        lines.append("result checked; sign it with --token ORG-TOKEN")
        emit(data, args.json, "\n".join(lines))
        return 0
    from scanstation.cli.cmd_signing import _read_pin

    plan = signing.SigningPlan.from_settings(s.settings, trust=[str(t) for t in args.trust] if args.trust else None,
                                             module=args.module)
    pin = _read_pin(args, args.token, plan.module)
    res = results.sign_result(s, token_label=args.token, pin=pin, key_id=args.key_id, plan=plan)
    del pin
    data["signed"] = res
    lines.append(f"result signed as SAO Y by {res['signer']} for {res['org_name']}: {res['file_name']}; "
                 "queued for upload (role result)")
    emit(data, args.json, "\n".join(lines))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    from scanstation.flow import revocation

    s = _open(args)
    client = None
    problem = ""
    try:
        client = revocation.provincial_client(s, endpoint=args.endpoint)
    except ScanStationError as e:        # no secret, bad endpoint: the file is still revoked here
        problem = e.message_en
    try:
        res = revocation.revoke(s, args.file, args.reason, client=client)
    finally:
        if client is not None:
            client.close()
    if problem and not res["provincial_notified"]:
        res["provincial"]["error"] = problem
    lines = [f"{res['file_name']} revoked at {res['revoked_at']}: {res['reason']}"
             + (" (already revoked)" if res["already_revoked"] else "")]
    if res["provincial_notified"]:
        lines.append(f"provincial system told (revocation {res['provincial'].get('revocation_id')})")
    else:
        sys.stderr.write(f"warning: the provincial system was not told: {res['provincial'].get('error')}; "
                         "run the same command again to repeat the notice\n")
    emit(res, args.json, "\n".join(lines))
    return 0


def cmd_identity(args: argparse.Namespace) -> int:
    from scanstation.flow import reuse
    from scanstation.flow.revocation import lookup_client

    s = _open(args)
    client = None
    try:
        client = lookup_client(s, endpoint=args.endpoint, timeout_s=args.timeout)
    except ScanStationError as e:
        sys.stderr.write(f"warning: {e.message_en}\n")
    try:
        ans = reuse.check_identity(s, client)
    finally:
        if client is not None:
            client.close()
    props = reuse.proposals(s, ans)
    data = {**ans.to_dict(), "proposals": [{"component": c.id, "component_name": c.name,
                                            "document_type_code": c.document_type_code,
                                            "document_id": p.document_id, "name": p.name,
                                            "number_symbol": p.number_symbol, "issue_date": p.issue_date,
                                            "valid_until": p.valid_until} for c, p in props]}
    lines = [f"{ans.status}: {ans.message_en}"] + [f"  note: {p}" for p in ans.problems]
    lines += [f"  reuse for {c.name} ({c.document_type_code}): {p.document_id} {p.name} {p.number_symbol} "
              f"(dossier reuse {s.dossier.receipt_code} --component {c.document_type_code} --document "
              f"{p.document_id})" for c, p in props]
    emit(data, args.json, "\n".join(lines))
    return 0


def cmd_reuse(args: argparse.Namespace) -> int:
    from scanstation.flow import reuse

    s = _open(args)
    c = reuse.reuse(s, args.component, args.document)
    emit({"component": c.id, "name": c.name, "class": c.digitisation_class.value,
          "reason": c.not_digitised_reason, "document_id": c.reused_document_id}, args.json,
         f"'{c.name}' not digitised: {c.not_digitised_reason}")
    return 0
