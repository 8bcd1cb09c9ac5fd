"""Wording of the station's health (scanner, token, network/queue) from the raw probe results."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from scanstation.ui.i18n import pick


def describe(raw: dict) -> dict[str, tuple[str, str]]:
    """``{"scanner"|"token"|"queue": (level, text)}`` for the lights and the home tiles."""
    out: dict[str, tuple[str, str]] = {}
    s = raw.get("scanner")
    if s is None or s.get("state") == "ok" and not s.get("device"):
        out["scanner"] = ("off", QCoreApplication.translate("Health", "Checking…"))
    elif s["state"] == "ok":
        name = s.get("device", "")
        if str(s.get("id", "")).startswith("virtual:"):     # our own device: its name in the clerk's language
            name = QCoreApplication.translate("Health", "virtual scanner (sample dossiers)")
        out["scanner"] = ("ok", QCoreApplication.translate("Health", "Ready: {0}").format(name))
    elif s["state"] == "missing":
        out["scanner"] = ("error", QCoreApplication.translate("Health", "Not found: {0}. Check the cable and power, then press F5.").format(
            s.get("device", "")))
    elif s["state"] == "unavailable":
        out["scanner"] = ("off", QCoreApplication.translate("Health", "Scanner support is not installed on this station"))
    else:
        out["scanner"] = ("error", pick(s.get("error_vi", ""), s.get("error_en", ""))
                          or QCoreApplication.translate("Health", "Error"))
    k = raw.get("token")
    if k is None:
        out["token"] = ("off", QCoreApplication.translate("Health", "Checking…"))
    elif k["state"] == "busy":
        out["token"] = ("ok", QCoreApplication.translate("Health", "Busy signing"))
    elif k["state"] == "ok" and k.get("locked"):
        out["token"] = ("error", QCoreApplication.translate("Health", "{0}: PIN locked").format(k.get("label", "")))
    elif k["state"] == "ok":
        text = QCoreApplication.translate("Health", "Ready: {0}").format(k.get("label", ""))
        if k.get("pin_low"):
            out["token"] = ("warn", text + " — " + QCoreApplication.translate("Health", "few PIN tries left"))
        else:
            out["token"] = ("ok", text)
    elif k["state"] == "absent":
        out["token"] = ("warn", QCoreApplication.translate("Health", "No token plugged in (needed only to sign)"))
    elif k["state"] == "unavailable":
        out["token"] = ("off", QCoreApplication.translate("Health", "Signing is not installed on this station"))
    else:
        out["token"] = ("error", pick(k.get("error_vi", ""), k.get("error_en", ""))
                        or QCoreApplication.translate("Health", "Error"))
    q = raw.get("queue")
    if q is None:
        out["queue"] = ("off", QCoreApplication.translate("Health", "Checking…"))
    elif q["state"] == "unavailable":
        out["queue"] = ("off", QCoreApplication.translate("Health", "Upload queue is not installed on this station"))
    else:
        counts = QCoreApplication.translate("Health", "{0} waiting, {1} need attention").format(q.get("pending", 0), q.get("attention", 0))
        if q["state"] == "online":
            out["queue"] = ("warn" if q.get("attention") else "ok", QCoreApplication.translate("Health", "Online") + " — " + counts)
        elif q["state"] == "not_configured":
            out["queue"] = ("warn", QCoreApplication.translate("Health", "Provincial system not configured") + " — " + counts)
        else:
            out["queue"] = ("error", QCoreApplication.translate("Health", "Offline: files wait safely on this station") + " — " + counts)
    return out
