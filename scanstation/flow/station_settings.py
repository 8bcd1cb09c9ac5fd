"""Changing settings as IT staff or a clerk: the OS decides who may write the station layer; every change,
and every refused attempt at the station layer, is an audit event (OS account, machine, key, old -> new).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from scanstation.config import Settings, machine_name, os_account
from scanstation.errors import ScanStationError, StationSettingsReadOnlyError

log = logging.getLogger(__name__)


def change_setting(key: str, value: Any = None, *, layer: str = "clerk", lock: bool | None = None,
                   settings: Settings | None = None, station: Any = None) -> dict[str, Any]:
    """Set ``key`` in ``layer`` (``value`` None: leave the value) and/or lock (True) or unlock (False) it.

    Raises :class:`StationSettingsReadOnlyError` when this OS account may not write the station file (the
    attempt is audited too). Returns what changed: the audit event's details."""
    s = settings or (station.settings if station is not None else Settings())
    if lock is not None:
        layer = "station"
    base = {"key": key, "layer": layer, "os_account": os_account(), "machine": machine_name(),
            "file": str(s.station_path if layer == "station" else s.clerk_path)}
    old, was_locked = s.layer_value(key, layer), key in s.locked
    try:
        if value is not None:
            s.set(key, value, layer=layer)
        if lock is not None:
            s.lock(key, lock)
    except StationSettingsReadOnlyError as e:
        _audit(station, s, "settings.refused", {**base, "new": value, "lock": lock, "reason": e.message_en})
        raise
    details = {**base, "old": old, "new": s.layer_value(key, layer), "locked_before": was_locked,
               "locked": key in s.locked}
    _audit(station, s, "settings.changed", details)
    return details


def _audit(station: Any, settings: Settings, action: str, details: dict[str, Any]) -> None:
    """Append through the station's AuditLog (opened for this when the caller has none)."""
    if station is None:
        from scanstation.flow.station import Station

        try:
            station = Station(settings)
        except ScanStationError as e:   # no database reachable: the change stands, say it was not audited
            log.error("settings change not audited (%s): %s", e.message_en, details)
            if action == "settings.changed":
                raise
            return
    with contextlib.suppress(Exception) if action == "settings.refused" else contextlib.nullcontext():
        station.audit.append(station.actor, action, details=details)
