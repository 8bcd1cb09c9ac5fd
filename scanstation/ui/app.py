"""Start the counter application: Qt application, language, station, main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from scanstation.flow import Station
from scanstation.ui.context import AppContext
from scanstation.ui.heartbeat import Heartbeat
from scanstation.ui.i18n import describe_error, set_language
from scanstation.ui.main_window import MainWindow
from scanstation.ui.tasks import TaskManager

log = logging.getLogger(__name__)


def ensure_app() -> QApplication:
    # Worker threads run Python (drivers, journaling); a shorter GIL switch interval lets the GUI
    # thread get the interpreter back within 1 ms instead of 5 ms at each of its callbacks.
    sys.setswitchinterval(0.001)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("scanstation")
    app.setOrganizationName("scanstation")
    font = QFont("Noto Sans", 10)   # full Vietnamese coverage; falls back through fontconfig elsewhere
    app.setFont(font)
    app.setStyleSheet(STYLE)
    return app


# Read-only fields must not look editable (locked settings, values a clerk cannot change).
STYLE = """
QLineEdit[readOnly="true"], QPlainTextEdit[readOnly="true"] { background: #f1f3f4; color: #5f6368; }
QListWidget::item:selected { background: #1a73e8; color: white; }
"""


def build_window(*, demo: bool = False, station: Station | None = None) -> MainWindow:
    """The window with its context, ready to show (tests build it through here too)."""
    ensure_app()
    if demo and station is None:
        from scanstation.ui import demo_setup
        demo_setup.use_demo_home()
    station = station or Station()
    set_language(station.settings.get("ui.language"))
    # Import the capability packages now: a first import later, in a worker, would hold the
    # interpreter lock while the window is in use.
    import scanstation.devices  # noqa: F401
    import scanstation.pdf  # noqa: F401
    import scanstation.qc  # noqa: F401
    import scanstation.signing  # noqa: F401
    import scanstation.sync  # noqa: F401
    tasks = TaskManager()
    heartbeat = Heartbeat()
    heartbeat.start()
    ctx = AppContext(station, tasks, heartbeat, demo=demo)
    if demo:
        from scanstation.ui import demo_setup
        demo_setup.prepare(ctx)
    window = MainWindow(ctx)
    start_uploads(ctx)
    # QC workers are separate processes: start them now rather than when the first page arrives
    from scanstation.ui import services
    tasks.run(lambda: services.checker(ctx).pool().warm_up(), on_error=lambda e: log.warning("QC workers: %s", e))
    ctx.settings_changed.connect(lambda keys: start_uploads(ctx) if any(
        k.startswith(("provincial.", "sync.")) for k in keys) else None)
    return window


def start_uploads(ctx: AppContext) -> None:
    """(Re)start the upload worker off the GUI thread (reading the keyring may take a moment)."""
    from scanstation.ui import services

    secret = getattr(ctx, "provincial_secret", None)
    ctx.tasks.run(lambda: services.start_sync(ctx, secret=secret), on_done=lambda _w: ctx.health_changed.emit(
        ctx.health), on_error=lambda e: ctx.warn(describe_error(e)))


def run(demo: bool = False, screenshots: Path | None = None) -> int:
    """Entry point of ``scanstation gui``."""
    app = ensure_app()
    window = build_window(demo=demo or screenshots is not None)
    if screenshots is not None:
        from scanstation.ui.walkthrough import Walkthrough
        walk = Walkthrough(window, Path(screenshots))
        window.showMaximized()
        walk.start()
        code = app.exec()
        return code or walk.exit_code
    window.showMaximized()      # counter PCs have 1366x768 screens: every pixel is needed
    return app.exec()
