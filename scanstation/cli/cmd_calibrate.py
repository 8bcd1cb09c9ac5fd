"""``scanstation calibrate``: print the station's calibration target, measure scans of it, and keep each
scanner's record (run, baseline, history)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from scanstation.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, emit
from scanstation.errors import ScanStationError, ValidationError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="scanner calibration: the target sheet and measurements of its scans",
                       description="Print the target (calibrate target), scan it on the scanner to check, then "
                                   "measure the scans (calibrate measure). See docs/calibration.md.")
    csub = p.add_subparsers(dest="calibrate_command", metavar="SUBCOMMAND", required=True)

    t = csub.add_parser("target", help="write target.pdf (print at 100 %%), target.json and target.png",
                        description="Write DIR/target.pdf (print it at 100 %%, 'actual size'), DIR/target.json "
                                    "(its nominal geometry and patches) and DIR/target.png (the same artwork at "
                                    "600 dpi: the virtual scanner feeds it with --option sheet-image=...).")
    t.add_argument("--out", type=Path, required=True, metavar="DIR")
    # paper names are checked in the handler: importing the package here would load OpenCV for every command
    t.add_argument("--paper", default="A4", help="A4 (default) or Letter")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_target)

    m = csub.add_parser("measure", help="measure scans of the target against the station's limits",
                        description="Measure each scan of the target: delivered dpi in X and Y, scale error, skew, "
                                    "tone, white balance, noise, MTF50, uniformity, streaks, with checks against the "
                                    "limits (setting calibration.tolerances). Exit status 1 when a check fails, 2 "
                                    "when an image cannot be measured (not the target, cut off, upside down, "
                                    "mirrored).")
    m.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    m.add_argument("--target", type=Path, metavar="target.json", help="the target's layout (default: the A4 target)")
    m.add_argument("--dpi", type=float, help="the resolution the scanner was asked for (default: the image's own)")
    m.add_argument("--reference", metavar="FILE|nominal",
                   help="what the patches should read: an earlier 'measure --json' output (the scanner's "
                        "baseline), a JSON file of values measured on the print ({\"wedge\": [[L,a,b], ...], "
                        "\"colours\": [...]}), or 'nominal' (a perfect print). Without it tone is not checked")
    m.add_argument("--annotate", type=Path, metavar="DIR", help="also write each scan with the findings drawn on it")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_measure)

    r = csub.add_parser("run", help="scan the target on a scanner, measure it and record the result",
                        description="Scan the printed target through the station's capture path (both sides with "
                                    "adf-duplex: print the target on both sides of the sheet), measure each side "
                                    "against the scanner's baseline and record the result with an audit event. "
                                    "The virtual scanner feeds the target itself. Exit status 1 when a check fails, "
                                    "2 on bad input or a scan that cannot be measured.")
    r.add_argument("--device", required=True, metavar="ID", help="scanner id (see 'scanstation devices')")
    r.add_argument("--source", choices=("flatbed", "adf", "adf-duplex"),
                   help="default: the duplex feeder when the scanner has one, else the feeder, else the flatbed")
    r.add_argument("--dpi", type=int, help="resolution (default: the compliance profile's, 300)")
    r.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="raw driver option, repeatable (virtual scanner: defect=scale-y:-1.5,streak:900/3/-40)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_run)

    b = csub.add_parser("baseline", help="make the scanner's last calibration run its baseline",
                        description="The last run (it must not have failed a check) becomes the scanner's baseline: "
                                    "later runs compare tone and colour with it, and history shows the drift.")
    b.add_argument("--device", required=True, metavar="ID")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_baseline)

    h = csub.add_parser("history", help="a scanner's calibration runs with their drift from the baseline",
                        description="Every recorded run of the scanner, oldest first, one line per side: verdict, "
                                    "failed checks, drift of scale and skew from the baseline, and the passing "
                                    "checks already near their limit (watch).")
    h.add_argument("--device", required=True, metavar="ID")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=cmd_history)


def cmd_target(args) -> int:
    from scanstation.calibrate import make_target, target_png
    from scanstation.calibrate.target import PAPERS_MM
    from scanstation.fsio import atomic_write_bytes, atomic_write_text

    if args.paper not in PAPERS_MM:
        raise ValidationError(f"--paper '{args.paper}': valid: {', '.join(PAPERS_MM)}",
                              f"--paper '{args.paper}': hợp lệ: {', '.join(PAPERS_MM)}", field="--paper")
    pdf, layout = make_target(args.paper)
    png = target_png(layout)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = {"pdf": out / "target.pdf", "json": out / "target.json", "png": out / "target.png"}
    atomic_write_bytes(files["pdf"], pdf)
    atomic_write_text(files["json"], json.dumps(layout.to_dict(), ensure_ascii=False, indent=2))
    atomic_write_bytes(files["png"], png)
    data = {"paper": layout.paper, "files": {k: str(v) for k, v in files.items()}}
    emit(data, args.json, f"{files['pdf']}  (print at 100 %, actual size)\n{files['json']}\n{files['png']}")
    return EXIT_OK


def _reference(spec: str | None, layout):
    from scanstation.calibrate import Reference
    from scanstation.calibrate.errors import TargetFileError

    if spec is None:
        return None
    if spec == "nominal":
        return Reference.nominal(layout)
    p = Path(spec)
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TargetFileError(f"--reference {p}: cannot read it ({e})", f"--reference {p}: không đọc được tệp",
                              field="--reference") from e
    if isinstance(data, dict) and isinstance(data.get("images"), list):       # a whole 'measure --json' output
        good = [d for d in data["images"] if "error" not in d]
        if not good:
            raise TargetFileError(f"--reference {p}: holds no measurement", f"--reference {p}: không có kết quả đo",
                                  field="--reference")
        data = good[0]
    return Reference.from_dict(data if isinstance(data, dict) else {}, layout, str(p))


def cmd_measure(args) -> int:
    import sys

    from scanstation.calibrate import Tolerances, load_layout, make_layout, measure
    from scanstation.config import Settings

    layout = load_layout(args.target) if args.target else make_layout("A4")
    reference = _reference(args.reference, layout)
    tolerances = Tolerances.from_overrides(Settings().get("calibration.tolerances"))
    if args.dpi is not None and not 50 <= args.dpi <= 4800:
        raise ValidationError("--dpi must be between 50 and 4800", "--dpi phải từ 50 đến 4800", field="--dpi")
    results, rc = [], EXIT_OK
    for path in args.images:
        try:
            m = measure(path, layout, tolerances, dpi=args.dpi, reference=reference)
        except ScanStationError as e:
            results.append({"file": str(path), "error": e.to_dict()})
            sys.stderr.write(f"error: {e.message_en}\n")
            rc = EXIT_ERROR
            continue
        results.append(m.to_dict())
        if m.verdict == "fail" and rc == EXIT_OK:
            rc = EXIT_FINDINGS
        if args.annotate:
            _write_annotated(args.annotate, path, m, layout)
    emit({"version": 1, "target": layout.paper, "images": results}, args.json, _text(results))
    return rc


def _write_annotated(out: Path, path: Path, m, layout) -> None:
    import cv2

    from scanstation.calibrate import load_image
    from scanstation.calibrate.annotate import annotate
    from scanstation.fsio import atomic_write_bytes

    img, _ = load_image(path)
    ok, buf = cv2.imencode(".png", cv2.cvtColor(annotate(img, m, layout), cv2.COLOR_RGB2BGR))
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out / f"{path.stem}.measured.png", buf.tobytes())


def _text(results: list[dict]) -> str:
    lines = []
    for r in results:
        if "error" in r:
            lines.append(f"{r['file']}: cannot measure: {r['error']['message_en']}")
            continue
        lines.append(f"{r['file']}: {r['verdict'].upper()}  {r['dpi_x']:.1f} x {r['dpi_y']:.1f} dpi "
                     f"(nominal {r['nominal_dpi']:g}), markers {r['markers_found']}/{r['markers_expected']}")
        for c in r["checks"]:
            v = "-" if c["value"] is None else c["value"]
            lines.append(f"  {c['verdict']:<4} {c['name']:<24} {v} (limit {c['limit']:g} {c['unit']})")
        for s in r["streaks"]:
            lines.append(f"  streak at x={s['x_px']} px, {s['width_px']} px wide, {s['contrast']:+.1f} L*")
        for w in r["warnings"]:
            lines.append(f"  warning: {w['message_en']}")
    return "\n".join(lines)


# --- the record per scanner (scanstation.flow.calibration) -----------------------------------------------
def _station() -> Any:
    from scanstation.flow import Station

    return Station()


def cmd_run(args: argparse.Namespace) -> int:
    from scanstation.flow import calibration

    if args.dpi is not None and not 50 <= args.dpi <= 4800:
        raise ValidationError("--dpi must be between 50 and 4800", "--dpi phải từ 50 đến 4800", field="--dpi")
    res = calibration.run(_station(), args.device, args.source, dpi=args.dpi, options=tuple(args.option))
    lines = [f"{res['device']} ({res['model']}), {res['source']}, {res['dpi']} dpi: {res['verdict'].upper()}"]
    for side in res["sides"]:
        m = side["measurement"]
        lines.append(f"  {side['side']}: {side['verdict'].upper()}  scale X {m['scale_error_x_pct']:+.2f} %, "
                     f"Y {m['scale_error_y_pct']:+.2f} %, skew {m['skew_deg']:+.2f}°, reference "
                     f"{side['reference'] or 'none'}")
        for c in m["checks"]:
            if c["verdict"] in ("fail", "warn"):
                lines.append(f"    {c['verdict']:<4} {c['name']:<24} {c['value']} (limit {c['limit']:g} {c['unit']})")
    lines.append(f"recorded as run {res['run_id']}")
    emit(res, args.json, "\n".join(lines))
    return EXIT_FINDINGS if res["verdict"] == "fail" else EXIT_OK


def cmd_baseline(args: argparse.Namespace) -> int:
    from scanstation.flow import calibration

    res = calibration.set_baseline(_station(), args.device)
    emit(res, args.json, f"{res['device']}: baseline = run {res['run_id']} of {res['at']} ({', '.join(res['sides'])})")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from scanstation.flow import calibration

    rows = calibration.history(_station(), args.device)
    lines = [f"{args.device}: {len(rows)} measured side(s)" if rows else f"{args.device}: no calibration recorded"]
    for r in rows:
        d = r["drift"]
        drift = (f"drift X {d['scale_x_pct']:+.2f} Y {d['scale_y_pct']:+.2f} skew {d['skew_deg']:+.2f}"
                 if d and None not in (d.get("scale_x_pct"), d.get("scale_y_pct"), d.get("skew_deg"))
                 else "no baseline")
        mark = " [baseline]" if r["baseline"] else ""
        extra = f"  failed: {', '.join(r['failed'])}" if r["failed"] else ""
        watch = f"  watch: {', '.join(r['watch'])}" if r["watch"] else ""
        lines.append(f"  {r['at'][:19]} {r['side']:<5} {r['verdict']:<4} {drift}{mark}{extra}{watch}")
    emit({"device": args.device, "runs": rows}, args.json, "\n".join(lines))
    return EXIT_OK
