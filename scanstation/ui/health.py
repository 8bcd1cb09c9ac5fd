"""Wording of the station's health (scanner, token, network/queue) from the raw probe results."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def _t(text: str) -> str:
    return QCoreApplication.translate("Health", text)


def describe(raw: dict) -> dict[str, tuple[str, str]]:
    """``{"scanner"|"token"|"queue": (level, text)}`` for the lights and the home tiles."""
    out: dict[str, tuple[str, str]] = {}
    s = raw.get("scanner")
    if s is None:
        out["scanner"] = ("off", _t("Checking…"))
    elif s["state"] == "ok":
        out["scanner"] = ("ok", _t("Ready: {0}").format(s.get("device", "")))
    elif s["state"] == "missing":
        out["scanner"] = ("error", _t("Not found: {0}. Check the cable and power, then press F5.").format(
            s.get("device", "")))
    elif s["state"] == "unavailable":
        out["scanner"] = ("off", _t("Scanner support is not installed on this station"))
    else:
        out["scanner"] = ("error", s.get("error", _t("Error")))
    k = raw.get("token")
    if k is None:
        out["token"] = ("off", _t("Checking…"))
    elif k["state"] == "ok":
        text = _t("Ready: {0}").format(k.get("label", ""))
        if k.get("pin_low"):
            out["token"] = ("warn", text + " — " + _t("few PIN tries left"))
        else:
            out["token"] = ("ok", text)
    elif k["state"] == "absent":
        out["token"] = ("warn", _t("No token plugged in (needed only to sign)"))
    elif k["state"] == "unavailable":
        out["token"] = ("off", _t("Signing is not installed on this station"))
    else:
        out["token"] = ("error", k.get("error", _t("Error")))
    q = raw.get("queue")
    if q is None:
        out["queue"] = ("off", _t("Checking…"))
    elif q["state"] == "unavailable":
        out["queue"] = ("off", _t("Upload queue is not installed on this station"))
    else:
        counts = _t("{0} waiting, {1} need attention").format(q.get("pending", 0), q.get("attention", 0))
        if q["state"] == "online":
            out["queue"] = ("warn" if q.get("attention") else "ok", _t("Online") + " — " + counts)
        elif q["state"] == "not_configured":
            out["queue"] = ("warn", _t("Provincial system not configured") + " — " + counts)
        else:
            out["queue"] = ("error", _t("Offline: files wait safely on this station") + " — " + counts)
    return out
