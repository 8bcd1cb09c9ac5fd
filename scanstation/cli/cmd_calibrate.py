"""``scanstation calibrate``: print the station's calibration target and measure scans of it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

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
