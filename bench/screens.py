"""GUI stalls at start-up and on each screen change (issue 17: target ≤ 50 ms each).

Start-up: the window is built and shown, then the heartbeat (a 10 ms timer on the GUI thread) measures
the longest stall of the event loop over the next seconds, while the deferred start-up work runs
(health probe, QC workers, uploads). Building the window before the loop starts is reported too.
Screen change: with a two-component dossier open (real page images), each screen is shown in turn
(``Ctrl+1..8``'s slot); its stall is the longer of the switch call itself and the heartbeat's longest
stall in the second after it. Each screen is visited ``--rounds`` times (the first visit of a screen
builds its lists; later visits show what a clerk meets all day). Run: ``python -m bench.screens``.
The window runs offscreen.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 50.0


def _pump(app, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def _page_png(label: str) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (1240, 1754), "white")              # A4 at 150 dpi
    d = ImageDraw.Draw(im)
    d.text((60, 60), label, fill="black")
    for y in range(160, 1650, 30):
        d.line([60, y, 1150, y], fill=(40, 40, 40))
    buf = io.BytesIO()
    im.save(buf, "PNG", dpi=(150, 150))
    return buf.getvalue()


def _compiled_like_installed(prefix: Path) -> None:
    """Byte-compile the station's modules first, as an installed station has them (pip, the installer).

    From a source tree run with PYTHONDONTWRITEBYTECODE (as on the build machine) every module is compiled
    from source when first imported; a module first imported by a worker thread (the health probe, QC
    coordination) then holds the GIL for the whole compile, 40-60 ms, and the GUI thread waits on it: a
    stall of the bench's making, not the clerk's. The byte code goes to a private cache folder
    (``sys.pycache_prefix``, inherited by the QC worker processes), never into the source tree."""
    import compileall

    import scanstation

    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.pycache_prefix = str(prefix)
    compileall.compile_dir(str(Path(scanstation.__file__).parent), quiet=1)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench.screens")
    ap.add_argument("--rounds", type=int, default=3, help="visits of every screen")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds watched after each screen change")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="bench-screens-"))
    os.environ["SCANSTATION_HOME"] = str(home)
    _compiled_like_installed(home / "pycache")

    from PySide6.QtWidgets import QApplication

    from scanstation.dossier_io import load_dossier_file
    from scanstation.model import Side
    from scanstation.resources import resource
    from scanstation.ui.app import build_window, ensure_app

    app = ensure_app()
    t0 = time.perf_counter()
    w = build_window()
    build_ms = (time.perf_counter() - t0) * 1000
    hb = w.ctx.heartbeat
    t1 = time.perf_counter()
    w.show()
    show_ms = (time.perf_counter() - t1) * 1000
    hb.reset()
    _pump(app, 5.0)                       # the deferred start-up work: health probe, QC workers, uploads
    startup_ms = hb.max_stall_ms

    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    for c in d.components:
        if c.digitised:
            for sheet in range(1, c.declared_sheets + 1):
                for side in ((Side.FRONT, Side.BACK) if c.duplex else (Side.FRONT,)):
                    c.pages.append(wa.add_page(c.id, _page_png(f"{c.name} {sheet} {side.value}"), ext="png",
                                               sheet=sheet, side=side, dpi=(150, 150), mode="RGB", width=1240,
                                               height=1754, device="bench"))
            st.record_pages(d, c, c.pages)
    st.save_dossier(d)
    w.ctx.open_dossier(d, wa)
    _pump(app, 2.0)
    while w.ctx.tasks.active:
        _pump(app, 0.2)

    keys = list(w.screens)
    worst: dict[str, float] = {k: 0.0 for k in keys}
    first: dict[str, float] = {}
    for r in range(args.rounds):
        for key in keys[1:] + keys[:1]:
            hb.reset()
            t = time.perf_counter()
            w.show_screen(key)
            call_ms = (time.perf_counter() - t) * 1000
            _pump(app, args.settle)
            stall = max(call_ms, hb.max_stall_ms)
            if r == 0:
                first[key] = stall
            worst[key] = max(worst[key], stall)
    print(f"start-up: window built in {build_ms:.0f} ms (before the event loop runs), shown in {show_ms:.0f} ms; "
          f"longest GUI stall in the 5 s after showing: {startup_ms:.0f} ms "
          f"-> {startup_ms / TARGET_MS:.2f}x the {TARGET_MS:.0f} ms target")
    for key in keys:
        print(f"screen {key:<9} first visit {first[key]:6.0f} ms   worst of {args.rounds} visits {worst[key]:6.0f} ms"
              f"  -> {worst[key] / TARGET_MS:.2f}x")
    longest = max([startup_ms, *worst.values()])
    print(f"longest stall (start-up and screen changes): {longest:.0f} ms -> {longest / TARGET_MS:.2f}x the target")
    w.close()
    st.store.dispose()
    QApplication.processEvents()
    return 0 if longest <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
