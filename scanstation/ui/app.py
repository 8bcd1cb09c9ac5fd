"""Start the counter application: Qt application, language, station, main window."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import sys
from pathlib import Path

from PySide6.QtCore import QSocketNotifier
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from scanstation import lifeline
from scanstation.errors import ScanStationError
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
    # ... and what the first health probe and the Sign screen's stamp preview import lazily: the scanner
    # drivers (OpenCV, the sample pages) and fontTools' subsetter (~200 ms under the lock, measured by
    # bench.screens as a 116-210 ms stall when the Sign screen first drew its stamp)
    import fontTools.subset  # noqa: F401
    import fontTools.ttLib  # noqa: F401

    import scanstation.devices  # noqa: F401
    import scanstation.devices._sane  # noqa: F401
    import scanstation.devices._virtual  # noqa: F401
    import scanstation.flow.sign_preview  # noqa: F401
    import scanstation.pdf  # noqa: F401
    import scanstation.qc  # noqa: F401
    import scanstation.signing  # noqa: F401
    import scanstation.sync  # noqa: F401
    from scanstation.errors import ScanStationError
    from scanstation.flow import sign_preview
    from scanstation.flow.signing import SigningPlan

    plan = SigningPlan.from_settings(station.settings)
    try:
        sign_preview.prepare_fonts(plan.stamp_font, plan.copy_font, copy=plan.certified_copy)
    except (ScanStationError, OSError) as e:      # no usable font: the Sign screen and the signing say so
        log.warning("stamp fonts: %s", e)
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
    tasks.run(lambda: services.checker(ctx).warm_up(), on_error=lambda e: log.warning("QC workers: %s", e))
    ctx.settings_changed.connect(lambda keys: start_uploads(ctx) if any(
        k.startswith(("provincial.", "sync.")) for k in keys) else None)
    # Python's cyclic garbage collector walks every live object when it runs a full pass, holding the
    # interpreter lock: with Qt, NumPy, OpenCV and the signing stack loaded that is 100-300 ms, a stall
    # of the window mid-scan (py-spy --gil: gc_collect_main). What start-up built lives as long as the
    # window: freeze it out of the collector's walks (objects still go when their count drops to zero).
    gc.collect()
    gc.freeze()
    return window


def start_uploads(ctx: AppContext) -> None:
    """(Re)start the upload worker off the GUI thread (reading the keyring may take a moment)."""
    from scanstation.ui import services

    secret = getattr(ctx, "provincial_secret", None)
    ctx.tasks.run(lambda: services.start_sync(ctx, secret=secret), on_done=lambda _w: ctx.health_changed.emit(
        ctx.health), on_error=lambda e: ctx.warn(describe_error(e)))


_KEEP: list[object] = []


def install_shutdown_handlers(app: QApplication, window: MainWindow) -> None:
    """Close the window cleanly on SIGTERM/SIGINT/SIGHUP (shutdown, logoff, Ctrl+C in a terminal) and
    on the session manager's end-of-session request.

    A Python signal handler only runs when the interpreter gets control, which the Qt event loop does
    not give it; so the handler does nothing itself: Python writes the signal number into a socket
    (``signal.set_wakeup_fd``) that a QSocketNotifier watches on the GUI thread, and the slot closes the
    window there (workers stopped, journal flushed) and quits the loop."""
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)
    try:
        signal.set_wakeup_fd(wsock.fileno(), warn_on_full_buffer=False)
    except ValueError:                  # not the main thread (an embedding test): nothing to install
        rsock.close()
        wsock.close()
        return
    wanted = [s for s in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, s)]
    for name in wanted:
        signal.signal(getattr(signal, name), lambda _n, _f: None)   # the wakeup fd carries it to Qt
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read, window)

    def on_signal() -> None:
        with contextlib.suppress(OSError):
            data = rsock.recv(64)
            log.warning("signal %s: closing the window", ", ".join(str(b) for b in data))
        close_and_quit()

    def close_and_quit() -> None:
        window.close()
        window.shutdown()               # also when a dialog is open and refuses the close
        app.quit()

    notifier.activated.connect(on_signal)
    _KEEP.append((rsock, wsock, notifier))          # alive as long as the process
    app.commitDataRequest.connect(lambda _manager: close_and_quit())   # end of the desktop session
    app.aboutToQuit.connect(window.shutdown)


def refuse_to_start(exc: ScanStationError) -> int:
    """Tell the clerk, in words, why the station cannot start (no window, no traceback); exit code 2."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QMessageBox

    set_language("vi")                  # the station's settings may be what failed: the counter's language
    box = QMessageBox(QMessageBox.Icon.Critical, QCoreApplication.translate("Startup", "The station cannot start"),
                      describe_error(exc))
    box.setInformativeText(QCoreApplication.translate(
        "Startup", "Nothing was changed and no page is lost. Tell IT staff this message; the details below are "
        "for them."))
    box.setDetailedText(f"{type(exc).__name__}: {exc.message_en}")
    box.setObjectName("startupRefusal")
    box.exec()
    return 2


def run(demo: bool = False, screenshots: Path | None = None) -> int:
    """Entry point of ``scanstation gui``."""
    from scanstation.paths import private_umask

    private_umask()   # also when the window is started without the command line (python -c, a launcher)
    lifeline.kill_children_with_me()    # Windows: every worker ends with the station (job object)
    app = ensure_app()
    try:
        window = build_window(demo=demo or screenshots is not None)
    except ScanStationError as e:       # a database of another version, unreadable settings, a full disk...
        log.error("the station cannot start: %s", e.message_en)
        return refuse_to_start(e)
    install_shutdown_handlers(app, window)
    if screenshots is not None:
        from scanstation.ui.walkthrough import Walkthrough
        walk = Walkthrough(window, Path(screenshots))
        window.showMaximized()
        walk.start()
        code = app.exec()
        return code or walk.exit_code
    window.showMaximized()      # counter PCs have 1366x768 screens: every pixel is needed
    return app.exec()
