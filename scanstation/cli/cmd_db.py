"""Database administration: ``scanstation db upgrade`` (IT staff, once per release) and ``db status``."""

from __future__ import annotations

import argparse

from scanstation.cli import EXIT_FINDINGS, emit


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("db", help="the station database: schema status and upgrade (IT staff)").add_subparsers(
        dest="sub", required=True)
    p = d.add_parser("upgrade", help="bring the database schema to this version's (PostgreSQL: under an "
                                     "advisory lock, once for every counter sharing it)")
    p.add_argument("--url", default=None, metavar="URL", help="database URL (default: the setting db.url)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_upgrade)
    p = d.add_parser("status", help="the schema revision of the database and the one this version needs "
                                    "(exit 1 when they differ)")
    p.add_argument("--url", default=None, metavar="URL", help="database URL (default: the setting db.url)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)


def _url(args: argparse.Namespace) -> str | None:
    if args.url:
        return str(args.url)
    from scanstation.config import Settings

    return Settings().get("db.url") or None


def cmd_upgrade(args: argparse.Namespace) -> int:
    from scanstation.store.db import upgrade

    rep = upgrade(_url(args))
    text = (f"{rep['database']}: upgraded from {rep['from'] or 'empty'} to {rep['to']}" if rep["upgraded"]
            else f"{rep['database']}: already at {rep['to']}, nothing to do")
    emit(rep, args.json, text)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from scanstation.store.db import schema_status

    rep = schema_status(_url(args))
    hint = {"current": "", "empty": " (run: scanstation db upgrade)", "behind": " (run: scanstation db upgrade)",
            "newer": " (update this station's software)"}[rep["state"]]
    emit(rep, args.json, f"{rep['database']}: revision {rep['revision'] or 'none'}, this version needs "
                         f"{rep['code_revision']}: {rep['state']}{hint}")
    return 0 if rep["state"] == "current" else EXIT_FINDINGS
