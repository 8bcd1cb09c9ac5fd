"""Database administration: ``scanstation db upgrade`` (IT staff, once per release) and ``db status``."""

from __future__ import annotations

import argparse
import logging

from scanstation.cli import EXIT_FINDINGS, emit

log = logging.getLogger(__name__)


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
    p = d.add_parser("stations", help="shared database: which counter PC holds each station.id")
    p.add_argument("--url", default=None, metavar="URL", help="database URL (default: the setting db.url)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stations)
    p = d.add_parser("release-station", help="shared database: free a station.id held by a PC that was replaced, "
                                             "so that the next PC to open it takes it")
    p.add_argument("station_id", metavar="ID")
    p.add_argument("--url", default=None, metavar="URL", help="database URL (default: the setting db.url)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_release_station)


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


def _shared_store(args: argparse.Namespace):
    from scanstation.errors import ValidationError
    from scanstation.store.db import open_store

    store = open_store(_url(args))
    if not store.shared:
        store.dispose()
        raise ValidationError("This station's database is its own SQLite file: station ids are held only on a "
                              "shared database (db.url = postgresql://...)",
                              "Trạm dùng cơ sở dữ liệu riêng; mã trạm chỉ được giữ trên cơ sở dữ liệu dùng chung",
                              field="db.url")
    return store


def cmd_stations(args: argparse.Namespace) -> int:
    from scanstation.store.seats import seats

    store = _shared_store(args)
    try:
        got = seats(store)
    finally:
        store.dispose()
    rows = [s.to_dict() for s in got]
    lines = [f"{r['station']}: {r['host']} ({r['home']}), first opened {r['first_seen']}, last opened "
             f"{r['last_seen']}" + (" - this PC" if r["this_pc"] else "") for r in rows]
    emit({"stations": rows}, args.json, "\n".join(lines) or "no station has opened this database yet")
    return 0


def cmd_release_station(args: argparse.Namespace) -> int:
    from scanstation.errors import ValidationError
    from scanstation.store.seats import release_seat

    sid = str(args.station_id).strip()
    store = _shared_store(args)
    try:
        seat = release_seat(store, sid)
    finally:
        store.dispose()
    if seat is None:
        raise ValidationError(f"No counter PC holds station.id {sid} on this database (see: scanstation db "
                              "stations)", f"Không có máy nào đang giữ mã trạm {sid}", field="station_id")
    log.warning("station.id %s released from %s (%s); the next PC to open it takes it", sid, seat.host, seat.home)
    freed = seat.to_dict()
    emit({"released": freed}, args.json, f"station.id {sid} released from {seat.host} ({seat.home}, last opened "
                                         f"{freed['last_seen']}); the next counter PC to open it takes it")
    return 0
