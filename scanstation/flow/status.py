"""What the station has plugged in and waiting: scanner, token, upload queue (probes may block: call off the GUI thread)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scanstation.config import Settings
from scanstation.errors import ScanStationError


def health(settings: Settings, store: Any, worker: Any = None, *, scanning: bool = False,
           last: dict[str, Any] | None = None) -> dict[str, Any]:
    """Probe scanner, token and queue. While pages stream in, the token is left alone (its middleware holds
    the interpreter lock while it enumerates slots) and the scanner's last state is kept."""
    last = last or {}
    if scanning:
        return {"scanner": last.get("scanner") or {"state": "ok", "device": ""}, "token": last.get("token"),
                "queue": queue_health(store, worker, settings.get("station.id"))}
    return {"scanner": scanner_health(settings), "token": token_health(settings),
            "queue": queue_health(store, worker, settings.get("station.id"))}


def scanner_health(settings: Settings) -> dict[str, Any]:
    """Is the configured scanner there? (SANE/TWAIN enumeration can take a second.)"""
    from scanstation.devices import capabilities, get_profile

    try:
        device = get_profile(settings).device
    except ScanStationError:
        device = settings.get("scanner.device")
    try:
        caps = capabilities(device)
    except ScanStationError as e:
        if getattr(e, "code", "") == "DEVICE_NOT_FOUND":
            return {"state": "missing", "device": device}
        return {"state": "error", "device": device, "error_vi": e.message_vi, "error_en": e.message_en}
    return {"state": "ok", "device": caps.device.name or device, "id": device}


def token_health(settings: Settings) -> dict[str, Any]:
    """The preferred token (or the first one) and its PIN flags; never waits long on a busy token."""
    from concurrent.futures import TimeoutError as FutureTimeout

    from scanstation.signing import token_thread
    from scanstation.signing.tokens import list_tokens as _list

    fut = token_thread().submit(_list, settings.get("token.module") or None)
    try:
        tokens = fut.result(timeout=3)
    except FutureTimeout:
        return {"state": "busy"}
    except ScanStationError as e:
        if getattr(e, "code", "") in ("TOKEN_MODULE", "NO_MODULE"):
            return {"state": "absent"}
        return {"state": "error", "error_vi": e.message_vi, "error_en": e.message_en}
    if not tokens:
        return {"state": "absent"}
    pref = settings.get("token.label")
    t = next((t for t in tokens if t.label == pref), tokens[0])
    return {"state": "ok", "label": t.label, "pin_low": t.pin.count_low or t.pin.final_try, "locked": t.pin.locked}


def queue_health(store: Any, worker: Any = None, station: str | None = None) -> dict[str, Any]:
    """This station's queue (``station``: its id; on a shared database the others' jobs are theirs)."""
    from scanstation.sync import JobState, Outbox

    counts = Outbox(store, station).counts()
    pending = sum(counts.get(s.value, 0) for s in (JobState.PENDING, JobState.UPLOADING, JobState.RETRY))
    out = {"pending": pending, "attention": counts.get(JobState.ATTENTION.value, 0)}
    if worker is None:
        return {"state": "not_configured", **out}
    offline = getattr(worker, "offline", None)
    if offline is None:
        offline = getattr(worker, "_offline", False)
    return {"state": "offline" if offline else "online", **out}


# --- tokens for the signing screen ------------------------------------------------------------------
@dataclass
class CertChoice:
    label: str
    key_id: str
    organisation: bool = False       # an organisation's certificate (for the SAO Y copy), not a person's


@dataclass
class TokenChoice:
    label: str
    certificates: list[CertChoice] = field(default_factory=list)
    tries_left: int | None = None
    final_try: bool = False
    pin_warning_en: str = ""
    pin_warning_vi: str = ""


def list_token_choices(settings: Settings) -> list[TokenChoice]:
    """Tokens plugged in, with their signing certificates and PIN status (no PIN asked). Token thread."""
    from scanstation.signing import list_tokens as _list

    out = []
    for t in _list(settings.get("token.module") or None):
        certs = [CertChoice(label=f"{c.common_name} — {_cn(c.issuer)} · {c.not_after:%d/%m/%Y}", key_id=c.id_hex,
                            organisation="O=" in (getattr(c, "subject", "") or ""))
                 for c in t.certificates if c.can_sign]
        w = t.pin.warning()
        out.append(TokenChoice(label=t.label, certificates=certs, tries_left=t.pin.tries_left,
                               final_try=t.pin.final_try, pin_warning_en=w[0] if w else "",
                               pin_warning_vi=w[1] if w else ""))
    return out


def _cn(name: str) -> str:
    m = re.search(r"CN=([^,]+)", name or "")
    return m.group(1) if m else name
