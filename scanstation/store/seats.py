"""Which counter PC holds each station.id on a shared database (PostgreSQL): its seat.

On a shared database the station id says whose upload jobs are whose (their files are on that counter's
disk) and whose audit chain an event extends. Two counters with one id, a PC image cloned with its
station settings or an id typed twice, would each claim the other's jobs and find their files missing,
and would fork one audit chain. So the first PC to open a station id holds it, and another PC opening the
same id is refused, naming the PC that holds it, until IT staff release the seat (the old PC was replaced).

A PC is its host name plus the operating system's machine id (``/etc/machine-id``, Windows' MachineGuid):
a reinstalled station on the same PC keeps its seat; a cloned image renamed on the network does not.
SQLite is one counter's own file: no seats there."""

from __future__ import annotations

import hashlib
import socket
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scanstation import paths
from scanstation.errors import StationIdInUseError
from scanstation.store.db import Store
from scanstation.store.tables import StationSeatRow


@dataclass(frozen=True)
class Machine:
    """This PC as a seat knows it."""

    fingerprint: str     # sha256 of the host name and the machine id, hex, 64 characters
    host: str
    home: str


@dataclass(frozen=True)
class Seat:
    station: str
    host: str
    home: str
    first_seen: float
    last_seen: float
    mine: bool

    def to_dict(self) -> dict[str, object]:
        return {"station": self.station, "host": self.host, "home": self.home, "first_seen": _iso(self.first_seen),
                "last_seen": _iso(self.last_seen), "this_pc": self.mine}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def _machine_id() -> str:
    """The OS's own id of this installation, or '' where none can be read (then the host name alone)."""
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography", 0,
                                winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as k:
                return str(winreg.QueryValueEx(k, "MachineGuid")[0]).strip().lower()
        except OSError:
            return ""
    for p in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            got = Path(p).read_text(encoding="ascii", errors="replace").strip().lower()
        except OSError:
            continue
        if got:
            return got
    return ""


def this_machine() -> Machine:
    host = socket.gethostname()
    raw = f"scanstation-seat|{host.strip().lower()}|{_machine_id()}".encode()
    return Machine(hashlib.sha256(raw).hexdigest(), host, str(paths.home()))


def take_seat(store: Store, station: str, machine: Machine | None = None, now: float | None = None) -> Seat:
    """Hold ``station`` for this PC on a shared database, or refuse (:class:`StationIdInUseError`) when
    another PC holds it. The first PC to open an id takes it; each later opening refreshes ``last_seen``."""
    m = machine or this_machine()
    now = time.time() if now is None else now
    with store.session() as s:
        row = s.get(StationSeatRow, station, with_for_update=True)
        if row is None:
            try:
                with s.begin_nested():         # two PCs taking a new id at once: one insert wins
                    s.add(StationSeatRow(station=station, machine=m.fingerprint, host=m.host, home=m.home,
                                         first_seen=now, last_seen=now))
                return Seat(station, m.host, m.home, now, now, True)
            except IntegrityError:
                row = s.get(StationSeatRow, station, with_for_update=True, populate_existing=True)
                if row is None:                # released again in between: let the next opening take it
                    raise StationIdInUseError(
                        f"station.id {station} was being taken by another counter PC at the same moment; "
                        "open the station again", f"Mã trạm {station} vừa được một máy khác nhận; hãy mở lại "
                        "trạm", field="station.id") from None
        if row.machine != m.fingerprint:
            when = _iso(row.last_seen)
            raise StationIdInUseError(
                f"station.id {station} is already used by another counter PC on this shared database: "
                f"{row.host} (data folder {row.home}, last opened {when}). Two counters with one id take each "
                "other's upload jobs and fork one audit log. IT staff: give this counter its own id "
                "(scanstation settings set station.id NAME --station --lock), or, if this PC replaces "
                f"{row.host}, release the id first (scanstation db release-station {station})",
                f"Mã trạm {station} đang được máy {row.host} dùng trên cơ sở dữ liệu chung (mở lần cuối lúc "
                f"{datetime.fromtimestamp(row.last_seen).astimezone():%H:%M ngày %d/%m/%Y}). "
                "Hai quầy không được dùng chung một mã trạm; nhờ bộ phận CNTT đặt mã trạm riêng cho quầy này, "
                "hoặc giải phóng mã trạm nếu máy này thay cho máy kia", field="station.id",
                holder=row.host)
        row.last_seen = now
        row.host, row.home = m.host, m.home
        return Seat(station, row.host, row.home, row.first_seen, now, True)


def seats(store: Store, machine: Machine | None = None) -> list[Seat]:
    """Every station id held on this database, by which PC, oldest first."""
    mine = (machine or this_machine()).fingerprint
    with store.session() as s:
        return [Seat(r.station, r.host, r.home, r.first_seen, r.last_seen, r.machine == mine)
                for r in s.scalars(select(StationSeatRow).order_by(StationSeatRow.first_seen,
                                                                   StationSeatRow.station))]


def release_seat(store: Store, station: str, machine: Machine | None = None) -> Seat | None:
    """Free ``station`` so that the next PC to open it takes it; the seat that was freed, or None."""
    mine = (machine or this_machine()).fingerprint
    with store.session() as s:
        row = s.get(StationSeatRow, station, with_for_update=True)
        if row is None:
            return None
        seat = Seat(row.station, row.host, row.home, row.first_seen, row.last_seen, row.machine == mine)
        s.delete(row)
        return seat


__all__ = ["Machine", "Seat", "release_seat", "seats", "take_seat", "this_machine"]
