"""``scanstation devices`` and ``scanstation scan``: list scanners, scan pages to a folder with a manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scanstation.cli import EXIT_ERROR, emit
from scanstation.errors import DeviceError, UnsupportedScanSetting


def register(sub) -> None:
    p = sub.add_parser("devices", help="list scanners and what they can do")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("scan", help="scan pages into a folder (PNG pages + manifest.json)")
    p.add_argument("--device", help="device id from 'scanstation devices' (default: the station's scanner)")
    p.add_argument("--profile", help="scanner profile (preset) to start from (default: the station's)")
    p.add_argument("--source", choices=("flatbed", "adf", "adf-duplex"))
    p.add_argument("--dpi", type=int)
    p.add_argument("--mode", choices=("color", "gray"))
    p.add_argument("--paper", help="A4, Letter or max (whole scan area)")
    p.add_argument("--sheets", type=int, dest="max_sheets", help="stop after this many sheets")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="raw driver option, repeatable (NAME@N=VALUE: from sheet N on)")
    p.add_argument("--out", required=True, type=Path, help="folder for the pages and manifest.json")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=cmd_scan)


def cmd_devices(args: argparse.Namespace) -> int:
    from scanstation.devices import list_devices, open_scanner

    rows = []
    for dev in list_devices():
        try:
            rows.append(open_scanner(dev.id).capabilities().to_dict())
        except DeviceError as e:        # one broken device must not hide the others
            rows.append({**dev.to_dict(), "error": e.to_dict()})
    lines = []
    for r in rows:
        if "error" in r:
            lines.append(f"{r['id']}  {r['name']}  [{r['driver']}]  unavailable: {r['error']['message_en']}")
            continue
        res = ", ".join(map(str, r["resolutions"]))
        if r["resolution_range"]:
            res += f" (any {r['resolution_range'][0]}-{r['resolution_range'][1]})"
        lines.append(f"{r['id']}  {r['name']}  [{r['driver']}]\n"
                     f"    sources: {', '.join(r['sources'])}; duplex: {'yes' if r['duplex'] else 'no'}; "
                     f"double-feed detection: {'yes' if r['double_feed_detection'] else 'no'}\n"
                     f"    modes: {', '.join(r['modes'])}; dpi: {res}; paper: {', '.join(r['paper_sizes'])}")
    emit({"devices": rows}, args.json, "\n".join(lines) or "no scanners found")
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from scanstation.config import Settings
    from scanstation.devices import Overrides, capture, get_profile, open_scanner, to_request, write_manifest
    from scanstation.devices.profiles import compliance_problems
    from scanstation.workarea import WorkArea

    settings = Settings()
    profile = get_profile(settings, args.profile)
    device = args.device or profile.device
    scanner = open_scanner(device)
    caps = scanner.capabilities()
    if args.paper and args.paper.lower() == "letter":
        args.paper = "Letter"
    elif args.paper and args.paper.lower() in ("a4", "max"):
        args.paper = args.paper.upper() if args.paper.lower() == "a4" else "max"
    if args.max_sheets is not None and args.max_sheets < 1:
        raise UnsupportedScanSetting("--sheets must be 1 or more", "--sheets phải từ 1 trở lên", field="sheets")
    ov = Overrides(device=args.device, source=args.source, dpi=args.dpi, mode=args.mode, paper=args.paper,
                   options=tuple(args.option), max_sheets=args.max_sheets)
    if args.device and args.device != profile.device:
        profile = type(profile)(name=profile.name, device=args.device, locked=profile.locked)
    request = to_request(profile, caps, settings.profile, ov)
    out: Path = args.out
    if (out / "manifest.json").exists():
        raise UnsupportedScanSetting(f"{out} already holds a scan (manifest.json); choose an empty folder",
                                     f"Thư mục {out} đã có bản quét (manifest.json); hãy chọn thư mục trống",
                                     field="out")
    scanner.validate(request)            # before creating anything: bad input scans nothing
    out.mkdir(parents=True, exist_ok=True)
    wa = WorkArea(out)

    def show(pc) -> None:
        if not args.json:
            p = pc.page
            sys.stderr.write(f"  page {pc.index}: sheet {p.sheet} {p.side.value}  {p.width}x{p.height}  {p.file}\n")

    from scanstation.flow import exclusive

    # two scans into one folder at once are refused, not interleaved
    with exclusive(out, f"Folder {out}", f"Thư mục {out}"):
        if (out / "manifest.json").exists():
            raise UnsupportedScanSetting(f"{out} already holds a scan (manifest.json); choose an empty folder",
                                         f"Thư mục {out} đã có bản quét (manifest.json); hãy chọn thư mục trống",
                                         field="out")
        result = capture(request, wa, "scan", on_page=show, scanner=scanner, raise_on_stop=False)
        warnings = compliance_problems(request.dpi, request.mode, settings.profile)
        data = write_manifest(result, out / "manifest.json", warnings=warnings)
    text = (f"{len(result.pages)} page(s) from {request.device} -> {out}\n"
            + "".join(f"  warning: {w}\n" for w in warnings)
            + "".join(f"  event: {e.kind} (sheet {e.sheet}) {e.detail}\n" for e in result.events))
    emit(data, args.json, text)
    if result.error is not None:
        sys.stderr.write(f"error: {result.error.message_en} ({len(result.pages)} page(s) captured before it "
                         f"were kept)\n")
        return EXIT_ERROR
    return 0
