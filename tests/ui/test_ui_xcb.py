"""The window on a real X server (Xvfb, Qt's xcb platform), not offscreen.

The other GUI tests run offscreen, which needs none of the X libraries: a station missing one of them
could not start (`make run`: "Could not load the Qt platform plugin xcb") while every test passed.
This test runs the window in its own process with QT_QPA_PLATFORM=xcb, so a missing library fails it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.ui.xserver import xvfb

SCRIPT = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from scanstation.ui.app import build_window, ensure_app

app = ensure_app()
w = build_window(demo=True)
w.showMaximized()

def finish():
    scr = w.screen().geometry()
    frame = w.frameGeometry()
    bar = w.statusBar()
    bottom = bar.mapTo(w, bar.rect().bottomLeft()).y() + w.geometry().y()
    w.screen().grabWindow(0).save(sys.argv[1])
    print(json.dumps({"platform": QGuiApplication.platformName(), "screen": [scr.width(), scr.height()],
                      "frame": [frame.x(), frame.y(), frame.width(), frame.height()], "status_bottom": bottom,
                      "visible": w.isVisible()}))
    w.close()
    app.quit()

QTimer.singleShot(2000, finish)
sys.exit(app.exec())
"""


def test_window_starts_on_a_real_x_server_and_fits_1366x768(tmp_path: Path):
    shot = tmp_path / "home-xcb.png"
    with xvfb(1366, 768) as display:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "SCANSTATION_HOME": str(tmp_path / "home")}
        env.pop("WAYLAND_DISPLAY", None)
        proc = subprocess.run([sys.executable, "-c", SCRIPT, str(shot)], env=env, capture_output=True, text=True,
                              timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["platform"] == "xcb"
    assert info["visible"]
    assert info["screen"] == [1366, 768]
    x, y, fw, fh = info["frame"]
    assert x >= 0 and y >= 0 and x + fw <= 1366 and y + fh <= 768, info     # nothing falls off the screen
    assert info["status_bottom"] <= 768, info                                # the status lights are visible
    img = Image.open(shot)
    assert img.size == (1366, 768)
    # the screen shows the window, not an empty X root: many distinct colours (text, thumbnails, lights)
    assert len(img.convert("RGB").getcolors(1 << 20) or []) > 50
