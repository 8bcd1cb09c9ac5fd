"""TWAIN worker process: owns the data source (pytwain) so a crashing or 32-bit driver cannot take the station down.

Protocol over a multiprocessing pipe (parent -> worker: tuples; worker -> parent: tuples)::

    ("list",)                 -> ("ok", [source names])
    ("caps", name)            -> ("ok", {capabilities})
    ("scan", name, request)   -> ("page", meta) + send_bytes(pixels) ... each waits for ("next",)
                                 then ("done", [events]) | ("error", kind, message, sheet)
    ("quit",)

The worker never asks the source for the next image before the parent answers ("next",): that is
where the parent writes and journals the page. Backends: ``pytwain`` (Windows) and ``fake`` (the same
protocol with a scripted source, for tests and training on any OS).
"""

from __future__ import annotations

import builtins
import os
import sys
from typing import Any

import numpy as np

FAKE_SCRIPT_ENV = "SCANSTATION_TWAIN_FAKE"
#: Path of the TWAIN Data Source Manager DLL. Unset: pytwain's choice, ``twaindsm.dll`` (TWAIN 2.x DSM
#: from twain.org, installed by scanner drivers) for a 64-bit station. IT staff set it where a vendor
#: installs the DSM elsewhere; the Wine test points it at Wine's own 64-bit DSM.
TWAIN_DSM_ENV = "SCANSTATION_TWAIN_DSM"

# TWAIN 2.x capability ids and values (twain.h); pytwain exposes most, older builds miss the 2.2+ ones
CAP_DOUBLEFEEDDETECTION = 0x1158
CAP_DOUBLEFEEDDETECTIONLENGTH = 0x1159
CAP_DOUBLEFEEDDETECTIONSENSITIVITY = 0x115A
CAP_DOUBLEFEEDDETECTIONRESPONSE = 0x115B
TWDF_ULTRASONIC, TWDF_BYLENGTH = 0, 1
TWDP_STOP = 0


class PageSink:
    def __init__(self, conn) -> None:
        self.conn = conn

    def page(self, pixels: np.ndarray, sheet: int, side: str, dpi: int) -> bool:
        """Send one image; return False when the parent asked to stop."""
        pixels = np.ascontiguousarray(pixels)
        self.conn.send(("page", {"sheet": sheet, "side": side, "dpi": dpi, "shape": list(pixels.shape)}))
        self.conn.send_bytes(pixels.data.cast("B"))
        reply = self.conn.recv()
        return reply == ("next",)


class StopScan(Exception):
    def __init__(self, kind: str, message: str, sheet: int | None = None) -> None:
        super().__init__(message)
        self.kind, self.message, self.sheet = kind, message, sheet


# --- the fake data source ------------------------------------------------------------------------
class FakeBackend:
    """A scripted TWAIN source: duplex feeder with double-feed detection. It records every capability
    the adapter negotiates so tests can check the negotiation. Script (env SCANSTATION_TWAIN_FAKE):
    comma-separated ``sheets=N``, ``jam=N``, ``doublefeed=N``, ``offline=N``, ``crash=N`` (the worker
    process dies at sheet N), ``noduplex``, ``nodf``."""

    NAME = "Fake TWAIN Scanner"

    def __init__(self) -> None:
        self.script: dict[str, Any] = {"sheets": 3}
        for item in filter(None, os.environ.get(FAKE_SCRIPT_ENV, "").split(",")):
            k, _, v = item.partition("=")
            self.script[k.strip()] = int(v) if v.strip().isdigit() else True

    def list(self) -> list[str]:
        return [self.NAME]

    def caps(self, name: str) -> dict[str, Any]:
        self._check(name)
        return {"sources": ["flatbed", "adf"] + ([] if self.script.get("noduplex") else ["adf-duplex"]),
                "resolutions": [100, 150, 200, 300, 400, 600], "modes": ["color", "gray"],
                "double_feed": not self.script.get("nodf"), "feeder_loaded": True,
                "max_area_mm": [216.0, 356.0], "transfers": ["native"],
                "raw": {"ICAP_BRIGHTNESS": "-1000-1000", "ICAP_CONTRAST": "-1000-1000"}}

    def _check(self, name: str) -> None:
        if name != self.NAME:
            raise StopScan("not_found", f"no TWAIN source '{name}'")

    def scan(self, name: str, req: dict[str, Any], sink: PageSink) -> list[dict[str, Any]]:
        self._check(name)
        negotiated = negotiation(req, self.caps(name))
        dpi = req["dpi"]
        w, h = round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)
        sheets = 1 if req["source"] == "flatbed" else int(self.script.get("sheets", 3))
        if req.get("max_sheets"):
            sheets = min(sheets, req["max_sheets"])
        sides = ["front", "back"] if req["source"] == "adf-duplex" else ["front"]
        for sheet in range(1, sheets + 1):
            if self.script.get("crash") == sheet:
                os._exit(70)                                    # a driver that takes its process down
            if self.script.get("jam") == sheet:
                raise StopScan("jam", f"paper jam at sheet {sheet}", sheet)
            if self.script.get("doublefeed") == sheet and req.get("double_feed_detection"):
                raise StopScan("double_feed", f"double feed at sheet {sheet}", sheet)
            if self.script.get("offline") == sheet:
                raise StopScan("gone", "TWCC_CHECKDEVICEONLINE: the device went offline", sheet)
            for side in sides:
                shade = 250 - 10 * sheet - (5 if side == "back" else 0)
                px = np.full((h, w, 3) if req["mode"] == "color" else (h, w), shade, np.uint8)
                if not sink.page(px, sheet, side, dpi):
                    return [{"kind": "cancelled", "sheet": sheet, "detail": "cancelled by the station"}]
        return [{"kind": "negotiated", "sheet": None, "detail": negotiated},
                {"kind": "feeder-empty", "sheet": sheets + 1, "detail": "no more sheets in the feeder"}]


def negotiation(req: dict[str, Any], caps: dict[str, Any]) -> str:
    """What the adapter asks of a source, in TWAIN terms (the real backend sets exactly these)."""
    feeder = req["source"] != "flatbed"
    parts = [f"CAP_FEEDERENABLED={feeder}", f"CAP_DUPLEXENABLED={req['source'] == 'adf-duplex'}",
             f"ICAP_PIXELTYPE={'TWPT_RGB' if req['mode'] == 'color' else 'TWPT_GRAY'}", "ICAP_BITDEPTH=8",
             f"ICAP_XRESOLUTION={req['dpi']}", f"ICAP_YRESOLUTION={req['dpi']}", "CAP_INDICATORS=False",
             "ICAP_XFERMECH=TWSX_NATIVE",
             "ICAP_AUTODISCARDBLANKPAGES=TWBP_DISABLE"]
    if feeder:
        parts.append("CAP_AUTOFEED=True")
    if feeder and req.get("double_feed_detection") and caps.get("double_feed"):
        parts.append("CAP_DOUBLEFEEDDETECTION=TWDF_ULTRASONIC,TWDF_BYLENGTH;CAP_DOUBLEFEEDDETECTIONRESPONSE=TWDP_STOP")
    return "; ".join(parts)


# --- the real data source (Windows, pytwain) ----------------------------------------------------
class NoSourceManager(Exception):
    """No TWAIN Data Source Manager DLL on this machine: no TWAIN scanner can be installed either."""


class NoTwainBackend:
    """What the worker answers when no DSM exists: an empty source list, the reason beside it."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def list(self) -> builtins.list[str]:
        return []

    def caps(self, name: str) -> dict[str, Any]:
        raise StopScan("not_found", self.reason)

    def scan(self, name: str, req: dict[str, Any], sink: PageSink) -> builtins.list[dict[str, Any]]:
        raise StopScan("not_found", self.reason)


class PyTwainBackend:  # pragma: no cover - runs only on Windows (the Wine test, the `windows` test)
    def __init__(self) -> None:
        import twain
        from twain import exceptions as twain_errors

        self.twain = twain
        dsm = os.environ.get(TWAIN_DSM_ENV) or None
        try:
            self.sm = twain.SourceManager(0, dsm_name=dsm)
        except (twain_errors.SMLoadFileFailed, OSError) as e:
            raise NoSourceManager(f"no TWAIN data source manager is installed ({dsm or 'twaindsm.dll'}: {e}); "
                                  "no TWAIN scanner on this machine") from e

    def list(self) -> list[str]:
        return list(self.sm.source_list)

    def _open(self, name: str):
        return self.sm.open_source(name)

    def _supported(self, src, cap) -> Any:
        try:
            return src.get_capability(cap)
        except Exception:
            return None

    def caps(self, name: str) -> dict[str, Any]:
        t = self.twain
        src = self._open(name)
        try:
            duplex = self._supported(src, t.CAP_DUPLEX)
            feeder = self._supported(src, t.CAP_FEEDERENABLED) is not None
            df = self._supported(src, CAP_DOUBLEFEEDDETECTION) is not None
            res = self._supported(src, t.ICAP_XRESOLUTION)
            resolutions = [100, 150, 200, 300, 400, 600]
            if res and isinstance(res[1], tuple) and isinstance(res[1][-1], list | tuple):
                resolutions = sorted({int(v) for v in res[1][-1]})
            ptypes = self._supported(src, t.ICAP_PIXELTYPE)
            modes = ["color", "gray"]
            if ptypes and isinstance(ptypes[1], tuple) and isinstance(ptypes[1][-1], list | tuple):
                modes = [m for m, pt in (("color", t.TWPT_RGB), ("gray", t.TWPT_GRAY)) if pt in ptypes[1][-1]]
            sources = ["flatbed"] + (["adf"] if feeder else []) + (["adf-duplex"] if feeder and duplex and
                                                                   duplex[1] not in (0, None) else [])
            return {"sources": sources, "resolutions": resolutions, "modes": modes, "double_feed": df,
                    "feeder_loaded": self._supported(src, t.CAP_FEEDERLOADED) is not None,
                    "max_area_mm": None, "transfers": ["native"], "raw": {}}
        finally:
            src.close()

    def scan(self, name: str, req: dict[str, Any], sink: PageSink) -> list[dict[str, Any]]:
        t = self.twain
        src = self._open(name)
        events: list[dict[str, Any]] = []
        try:
            feeder = req["source"] != "flatbed"

            def setcap(cap, ty, value, required=True):
                try:
                    src.set_capability(cap, ty, value)
                except Exception as e:
                    if required:
                        raise StopScan("unsupported", f"the source refused capability {cap:#x}={value}: {e}") from e

            setcap(t.CAP_INDICATORS, t.TWTY_BOOL, False, required=False)
            setcap(t.CAP_FEEDERENABLED, t.TWTY_BOOL, feeder, required=feeder)
            if feeder:
                setcap(t.CAP_AUTOFEED, t.TWTY_BOOL, True, required=False)
                setcap(t.CAP_DUPLEXENABLED, t.TWTY_BOOL, req["source"] == "adf-duplex",
                       required=req["source"] == "adf-duplex")
            setcap(t.ICAP_PIXELTYPE, t.TWTY_UINT16, t.TWPT_RGB if req["mode"] == "color" else t.TWPT_GRAY)
            setcap(t.ICAP_BITDEPTH, t.TWTY_UINT16, 8, required=False)
            setcap(t.ICAP_XRESOLUTION, t.TWTY_FIX32, float(req["dpi"]))
            setcap(t.ICAP_YRESOLUTION, t.TWTY_FIX32, float(req["dpi"]))
            setcap(getattr(t, "ICAP_AUTODISCARDBLANKPAGES", 0x1134), t.TWTY_INT32, -2, required=False)  # TWBP_DISABLE
            if feeder and req.get("double_feed_detection"):
                setcap(CAP_DOUBLEFEEDDETECTION, t.TWTY_UINT16, TWDF_ULTRASONIC, required=False)
                setcap(CAP_DOUBLEFEEDDETECTIONRESPONSE, t.TWTY_UINT16, TWDP_STOP, required=False)
            # native transfer (a DIB per image); memory transfer (TWSX_MEMORY, strips) is a follow-up
            setcap(t.ICAP_XFERMECH, t.TWTY_UINT16, t.TWSX_NATIVE, required=False)
            src.request_acquire(show_ui=False, modal_ui=False)
            image_no, more = 0, 1
            while more:
                image_no += 1
                sheet = (image_no + 1) // 2 if req["source"] == "adf-duplex" else image_no
                side = "back" if req["source"] == "adf-duplex" and image_no % 2 == 0 else "front"
                try:
                    handle, more = src.xfer_image_natively()
                    bmp = t.dib_to_bm_file(handle)
                    t.global_handle_free(handle)
                except Exception as e:
                    raise StopScan(_kind_of(e), f"{type(e).__name__}: {e}", sheet) from e
                from io import BytesIO

                from PIL import Image

                with Image.open(BytesIO(bmp)) as im:
                    px = np.asarray(im.convert("RGB" if req["mode"] == "color" else "L"))
                if not sink.page(px, sheet, side, req["dpi"]):
                    break
                if req.get("max_sheets") and sheet >= req["max_sheets"] and side == ("back" if req["source"] == "adf-duplex" else "front"):
                    break
            events.append({"kind": "feeder-empty", "sheet": None, "detail": "the source has no more images"})
        finally:
            src.close()
        return events


def _kind_of(e: BaseException) -> str:
    n = type(e).__name__.lower() + " " + str(e).lower()
    for key, kind in (("jam", "jam"), ("doublefeed", "double_feed"), ("double feed", "double_feed"),
                      ("online", "gone"), ("offline", "gone"), ("cancel", "cancelled"), ("nomedia", "no_docs"),
                      ("cover", "cover_open"), ("busy", "busy")):
        if key in n:
            return kind
    return "failure"


def worker_main(conn, backend_name: str) -> None:
    from scanstation.lifeline import exit_with_parent

    exit_with_parent()      # even while the data source blocks this thread, the station's end ends this process
    backend: Any
    try:
        backend = FakeBackend() if backend_name == "fake" else PyTwainBackend()
    except NoSourceManager as e:
        backend = NoTwainBackend(str(e))
    except Exception as e:
        conn.send(("error", "failure", f"cannot load the TWAIN source manager: {e}", None))
        return
    sink = PageSink(conn)
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        try:
            if msg[0] == "quit":
                return
            if msg[0] == "list":
                conn.send(("ok", backend.list(), getattr(backend, "reason", "")))
            elif msg[0] == "caps":
                conn.send(("ok", backend.caps(msg[1])))
            elif msg[0] == "scan":
                conn.send(("done", backend.scan(msg[1], msg[2], sink)))
        except StopScan as e:
            conn.send(("error", e.kind, e.message, e.sheet))
        except Exception as e:  # anything a driver throws becomes a message, not a dead station
            conn.send(("error", "failure", f"{type(e).__name__}: {e}", None))


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through scanstation.devices._twain")
