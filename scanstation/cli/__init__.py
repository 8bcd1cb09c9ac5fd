"""The ``scanstation`` command line: the same core as the GUI, with ``--json`` on every report.

Each ``scanstation/cli/cmd_*.py`` module defines ``register(subparsers)`` and adds its own
subcommands; a subcommand's handler takes the parsed args and returns an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import pkgutil
import sys
from typing import Any

from scanstation import __version__
from scanstation.errors import ScanStationError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERNAL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="scanstation", description="Scan station for the one-stop counter.")
    p.add_argument("--version", action="version", version=f"scanstation {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    pkg = importlib.import_module(__name__)
    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if m.name.startswith("cmd_")):
        importlib.import_module(f"{__name__}.{mod}").register(sub)
    return p


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print a report: JSON for machines, or the given text for people."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    elif text is not None:
        sys.stdout.write(text.rstrip("\n") + "\n")


def fail(err: ScanStationError, as_json: bool = False) -> int:
    """Report a refused command: exit 1 when findings stand in the way (each one named), else 2."""
    from scanstation.errors import GateBlocked

    blocked = isinstance(err, GateBlocked)
    if as_json:
        data = {"error": err.to_dict(), **({"blocking": err.findings} if blocked else {})}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    if blocked:
        sys.stderr.write(f"refused: {len(err.findings)} blocking finding(s)\n")
        for f in err.findings:
            pages = f" pages {','.join(map(str, f.get('pages', [])))}" if f.get("pages") else ""
            sys.stderr.write(f"  {f['id']}  {f['code']}{pages}: {f['message_en']}\n")
        return EXIT_FINDINGS
    sys.stderr.write(f"error: {err.message_en}\n")
    return EXIT_ERROR


def main(argv: list[str] | None = None) -> int:
    from scanstation.paths import private_umask

    private_umask()   # before anything is written: the station's files are the clerk's account's only
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # These libraries log, at WARNING, findings the station reports itself in plain words
        # (an untrusted chain, a font table not subset); keep them for --verbose.
        for noisy in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    if not args.command:
        args = parser.parse_args(["gui", *(argv or [])])
    try:
        return int(args.func(args) or 0)
    except ScanStationError as e:
        logging.getLogger("scanstation").debug("command failed", exc_info=True)
        return fail(e, getattr(args, "json", False))
    except OSError as e:   # the disk, a name too long, no inodes...: a clear line, never a traceback
        logging.getLogger("scanstation").debug("command failed", exc_info=True)
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        sys.stderr.write(f"error: {e.strerror or e}{where}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
