"""``scanstation qc``: check a component's images (blank backs, sticky notes, whole page, counts ...)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanstation.cli import emit
from scanstation.errors import ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    from scanstation.compliance import PROFILES

    p = sub.add_parser("qc", help="check scanned images of one component (feed order)",
                       description="Check the images of one component in feed order: front, back, front, "
                                   "back ... with --duplex. A page with a sticky note must be followed by the "
                                   "same page rescanned without it.")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--duplex", action="store_true", help="images alternate front and back")
    p.add_argument("--sheets", type=int, help="number of sheets declared at intake")
    # Paper names are checked in cmd_qc: importing the QC package here would load OpenCV for every
    # command of the CLI.
    p.add_argument("--paper", default="A4", help="expected paper size (default A4; 'any' skips the size check)")
    p.add_argument("--profile", choices=sorted(PROFILES), help="compliance profile (default: the station's)")
    p.add_argument("--event", action="append", default=[], metavar="KIND[:IMAGE]",
                   help="an unresolved scanner event, e.g. double_feed:3 (image numbers from 1)")
    p.add_argument("--json", action="store_true", help="print the JSON report")
    p.set_defaults(func=cmd_qc)


def _events(specs: list[str]):
    from scanstation.qc.component import DeviceEvent

    out = []
    for s in specs:
        kind, _, page = s.partition(":")
        if not kind or (page and not page.isdigit()):
            raise ValidationError(f"--event '{s}': expected KIND or KIND:IMAGE_NUMBER",
                                  f"--event '{s}': cần dạng LOẠI hoặc LOẠI:SỐ_ẢNH", field="--event")
        out.append(DeviceEvent(kind=kind, page=int(page) - 1 if page else None))
    return out


def cmd_qc(args) -> int:
    from scanstation.config import Settings
    from scanstation.qc.batch import run_batch
    from scanstation.qc.geometry import PAPER_SIZES_MM

    if args.paper != "any" and args.paper not in PAPER_SIZES_MM:
        valid = ", ".join([*sorted(PAPER_SIZES_MM), "any"])
        raise ValidationError(f"--paper '{args.paper}' is not a known paper size; valid: {valid}",
                              f"--paper '{args.paper}' không phải khổ giấy đã biết; hợp lệ: {valid}", field="--paper")
    if args.sheets is not None and args.sheets < 0:
        raise ValidationError("--sheets must be 0 or more", "--sheets phải lớn hơn hoặc bằng 0", field="--sheets")
    profile = args.profile or Settings().get("compliance.profile")
    rep = run_batch([str(p) for p in args.images], duplex=args.duplex, declared_sheets=args.sheets,
                    paper=None if args.paper == "any" else args.paper, profile=profile,
                    device_events=_events(args.event), strict=True)
    data = rep.to_dict()
    emit(data, args.json, _text(data))
    return 0


def _text(data: dict) -> str:
    lines = []
    for p in data["pages"]:
        flags = [f"{f['severity']}:{f['code']}" for f in p["findings"] if f["severity"] != "info"]
        kept = "" if p["kept"] else f"  EXCLUDED ({p['excluded_reason']})"
        notes = f"  notes: {', '.join(n['color'] for n in p['sticky_notes'])}" if p["sticky_notes"] else ""
        lines.append(f"{p['index'] + 1:>3} s{p['sheet']:<3} {p['side']:<5} {p['blank']['verdict']:<7} "
                     f"{p['file']}{notes}{kept}  {' '.join(flags)}")
    for pr in data["pairs"]:
        lines.append(f"pair: {pr['with_note'] + 1} -> {'-' if pr['note_removed'] is None else pr['note_removed'] + 1}"
                     f" {'verified' if pr['verified'] else 'NOT VERIFIED (' + pr['reason'] + ')'}")
    for c in data["checks"]:
        lines.append(f"{c['severity']:<5} {c['code']}: {c['message_en']}")
    s = data["summary"]
    lines.append(f"{s['images']} images, {s['sheets']} sheets, {s['kept']} kept, "
                 f"{s['excluded_blank_backs']} blank backs excluded, {s['blocking']} blocking")
    return "\n".join(lines)
