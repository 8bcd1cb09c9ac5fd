"""Start the counter application: Qt application, language, station, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from scanstation.ui.context import AppContext
from scanstation.ui.heartbeat import Heartbeat
from scanstation.ui.i18n import set_language
from scanstation.ui.main_window import MainWindow
from scanstation.ui.tasks import TaskManager
from scanstation.workflow import Station

log = logging.getLogger(__name__)


def ensure_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("scanstation")
    app.setOrganizationName("scanstation")
    font = QFont("Noto Sans", 10)   # full Vietnamese coverage; falls back through fontconfig elsewhere
    app.setFont(font)
    return app


def build_window(*, demo: bool = False, station: Station | None = None) -> MainWindow:
    """The window with its context, ready to show (tests build it through here too)."""
    ensure_app()
    if demo and station is None:
        from scanstation.ui import demo_setup
        demo_setup.use_demo_home()
    station = station or Station()
    set_language(station.settings.get("ui.language"))
    tasks = TaskManager()
    heartbeat = Heartbeat()
    heartbeat.start()
    ctx = AppContext(station, tasks, heartbeat, demo=demo)
    if demo:
        from scanstation.ui import demo_setup
        demo_setup.prepare(ctx)
    window = MainWindow(ctx)
    return window


def run(demo: bool = False, screenshots: Path | None = None) -> int:
    """Entry point of ``scanstation gui``."""
    app = ensure_app()
    window = build_window(demo=demo or screenshots is not None)
    if screenshots is not None:
        from scanstation.ui.walkthrough import Walkthrough
        walk = Walkthrough(window, Path(screenshots))
        window.show()
        walk.start()
        code = app.exec()
        return code or walk.exit_code
    window.show()
    return app.exec()
