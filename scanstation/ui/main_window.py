"""The main window: navigation between screens, the message bar, health lights and task progress."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from scanstation.flow.pages import UndoStep
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.health import describe as describe_health
from scanstation.ui.i18n import current_language, describe_error, set_language
from scanstation.ui.screens.base import Screen, status_text
from scanstation.ui.tasks import Task
from scanstation.ui.widgets import HealthLight, MessageBar, ProgressPanel, guard_wheel

HEALTH_INTERVAL_MS = 15_000


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setObjectName("mainWindow")
        central = QWidget(self)
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(8, 8, 8, 8)
        head = QHBoxLayout()
        self.heading = QLabel(central)
        self.heading.setStyleSheet("font-size: 14pt; font-weight: 700;")
        self.dossier_label = QLabel(central)
        self.dossier_label.setStyleSheet("font-size: 11pt; color: #3c4043;")
        self.dossier_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        head.addWidget(self.heading)
        head.addWidget(self.dossier_label, 1)
        outer.addLayout(head)
        self.message_bar = MessageBar(central)
        outer.addWidget(self.message_bar)
        body = QHBoxLayout()
        self.nav = QListWidget(central)
        self.nav.setFixedWidth(190)
        # The sidebar is for the mouse and Ctrl+1..8: never a Tab stop, never the focus (typing there
        # jumped screens by first letter and lost what the clerk typed).
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.nav.setStyleSheet("QListWidget { font-size: 11pt; } QListWidget::item { padding: 8px 6px; }")
        self.stack = QStackedWidget(central)
        body.addWidget(self.nav)
        body.addWidget(self.stack, 1)
        outer.addLayout(body, 1)

        sb = self.statusBar()
        self.scanner_light, self.token_light, self.queue_light = HealthLight(), HealthLight(), HealthLight()
        for light in (self.scanner_light, self.token_light, self.queue_light):
            sb.addWidget(light)
        self.progress = ProgressPanel()
        sb.addPermanentWidget(self.progress)

        self.screens: dict[str, Screen] = {}
        from scanstation.ui.screens import registry
        for cls in registry.SCREENS:
            self.add_screen(cls(ctx, self.stack))
        self.nav.currentRowChanged.connect(self._nav_changed)
        guard_wheel(self)               # no value changes under a wheel that only meant to scroll

        ctx.navigate.connect(self.show_screen)
        ctx.message.connect(self.show_message)
        ctx.undo_offered.connect(self.offer_undo)
        ctx.problems_noted.connect(self._problems_noted)
        ctx.health_probe.connect(self.probe_health)
        ctx.findings_changed.connect(self._findings_changed)
        ctx.dossier_changed.connect(self._findings_changed)
        self.message_bar.action_triggered.connect(self.undo)
        ctx.dossier_changed.connect(self._dossier_changed)
        ctx.health_changed.connect(self._health_changed)
        ctx.settings_changed.connect(lambda _keys: self.retranslate())
        ctx.it_mode_changed.connect(lambda _on: self._show_it_screens())
        ctx.tasks.started.connect(self._task_started)
        ctx.tasks.finished.connect(self.progress.finished)
        ctx.tasks.failed.connect(self._task_failed)

        for i in range(min(len(self.screens), 10)):     # Ctrl+1 ... Ctrl+9, and Ctrl+0 for the tenth
            QShortcut(QKeySequence(f"Ctrl+{(i + 1) % 10}"), self, lambda i=i: self.nav.setCurrentRow(i))
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_dossier)
        QShortcut(QKeySequence("Ctrl+Shift+L"), self, self.toggle_language)
        QShortcut(QKeySequence("Ctrl+Q"), self, self.close)
        # Ctrl+Z: in a text field the field's own undo (Qt gives it the key first), elsewhere the last page operation
        QShortcut(QKeySequence("Ctrl+Z"), self, self.undo)
        self.esc = QShortcut(QKeySequence("Escape"), self, self._escape)
        self.esc.setContext(Qt.ShortcutContext.WindowShortcut)

        self._health_timer = QTimer(self)
        self._health_timer.setInterval(HEALTH_INTERVAL_MS)
        self._health_timer.timeout.connect(self.probe_health)
        self._health_timer.start()
        self.retranslate()
        self._show_it_screens()
        # Never larger than the screen (counter PCs: 1366x768, status lights on the last line); the
        # application then shows it maximised. Without a window manager (Xvfb) this size is what shows.
        avail = self.screen().availableGeometry()
        self.resize(min(1366, avail.width()), min(768, avail.height()))
        self.nav.setCurrentRow(0)
        QTimer.singleShot(0, self.probe_health)

    # --- screens ---------------------------------------------------------------------------------
    def add_screen(self, screen: Screen) -> None:
        self.screens[screen.key] = screen
        self.stack.addWidget(screen)
        item = QListWidgetItem(self.nav)
        item.setData(Qt.ItemDataRole.UserRole, screen.key)

    def show_screen(self, key: str) -> None:
        if key == "new":
            self.new_dossier()
            return
        keys = list(self.screens)
        if key in keys:
            self.nav.setCurrentRow(keys.index(key))

    def current_screen(self) -> Screen:
        return self.stack.currentWidget()

    def _show_it_screens(self) -> None:
        """Screens for IT staff only (``it_only``) are listed while IT mode is on."""
        for i, screen in enumerate(self.screens.values()):
            if getattr(screen, "it_only", False):
                self.nav.item(i).setHidden(not self.ctx.it_mode)
                if not self.ctx.it_mode and self.stack.currentWidget() is screen:
                    self.show_screen("settings")

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        screen = list(self.screens.values())[row]
        if getattr(screen, "it_only", False) and not self.ctx.it_mode:    # its shortcut outside IT mode
            self.show_screen("settings")
            return
        self.stack.setFocus()           # park the focus: Qt would otherwise pass it to any widget of the new screen
        self.stack.setCurrentWidget(screen)
        screen.activated()
        if QApplication.focusWidget() in (self.stack, None):    # the screen did not choose: its first open field
            screen.focus_first()

    # --- language ----------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Scan station — {0}").format(self.ctx.settings.get("station.name")))
        self.heading.setText(self.ctx.settings.get("station.name"))
        for i, screen in enumerate(self.screens.values()):
            self.nav.item(i).setText(f"{i + 1}. {screen.title()}")
            self.nav.item(i).setToolTip(f"Ctrl+{(i + 1) % 10}" if i < 10 else "")
        self.progress.retranslate()
        self._dossier_changed()
        self._health_changed(self.ctx.health)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def toggle_language(self) -> None:
        lang = "en" if current_language() == "vi" else "vi"
        set_language(lang)

        def save() -> None:
            if not self.ctx.settings.is_locked_for_clerk("ui.language"):
                self.ctx.settings.set("ui.language", lang)

        self.ctx.tasks.run(save)

    # --- messages, tasks, health -------------------------------------------------------------------
    def show_message(self, text: str, level: str) -> None:
        self.message_topic = ""
        self.message_bar.show_message(text, level, timeout_ms=8000 if level == "info" else 0)

    # One source of truth: a message about the findings is redrawn from them, never left stale beside
    # the check screen's banner (a yellow "4 problems" next to a green "nothing blocks signing").
    message_topic = ""

    def _problems_noted(self) -> None:
        self.message_topic = "problems"
        self._findings_changed()

    def _findings_changed(self) -> None:
        if self.message_topic != "problems":
            return
        n = services.blocking_count(self.ctx) if self.ctx.session is not None else 0
        if not n:
            self.message_topic = ""
            self.message_bar.hide()
            return
        self.message_bar.show_message(self.tr("{0} problem(s) to fix before signing: press F8 to see them.").format(n),
                                      "warn")

    def new_dossier(self) -> None:
        """Ctrl+N: the intake form, blank, for a new dossier (the open one stays open until it is saved)."""
        self.show_screen("intake")
        intake = self.screens.get("intake")
        if intake is not None and hasattr(intake, "new_dossier"):
            intake.new_dossier()

    def offer_undo(self, text: str) -> None:
        self.message_topic = ""
        self.message_bar.show_message(text, "info", action=self.tr("Undo (Ctrl+Z)"), timeout_ms=20000)

    def undo(self) -> None:
        """Take back the last page operation (journaled as its inverse by the flow, off the GUI thread)."""
        capture = self.screens.get("capture")
        if self.ctx.session is None or self.ctx.scanning:
            return
        self.message_bar.action.hide()
        labels = {"exclude": self.tr("excluding a page"), "restore": self.tr("restoring a page"),
                  "remove": self.tr("deleting a sheet"), "order": self.tr("moving a page"),
                  "rotate": self.tr("rotating a page")}

        def done(step: UndoStep | None) -> None:
            if step is None:
                self.show_message(self.tr("Nothing to undo."), "info")
                return
            cid, label = step.component_id, step.label
            what = labels.get(label) or (self.tr("a scan") if label.startswith("capture.") else label)
            if capture is not None and hasattr(capture, "after_page_op"):
                capture.after_page_op(cid)
            else:
                self.ctx.pages_changed.emit(cid)
            self.show_message(self.tr("Undone: {0}.").format(what), "info")

        self.ctx.tasks.run(lambda: services.undo(self.ctx), on_done=done, label=self.tr("Undoing"))

    def _task_started(self, task: Task) -> None:
        if task.progress is not None and not getattr(task.progress, "shown_by_screen", False):
            self.progress.track(task)

    def _task_failed(self, task: Task, exc: BaseException) -> None:
        self.show_message(describe_error(exc), "error")

    def _escape(self) -> None:
        screen = self.current_screen()
        if hasattr(screen, "escape") and screen.escape():
            return
        if self.progress.task is not None:
            self.progress.task.cancel()
        elif self.message_bar.isVisible():
            self.message_bar.hide()

    def _dossier_changed(self) -> None:
        d = self.ctx.dossier
        if d is None:
            self.dossier_label.setText(self.tr("No dossier open"))
        else:
            self.dossier_label.setText(self.tr("Dossier {0} · {1} · {2}").format(
                d.receipt_code, d.applicant.name, status_text(d.status)))

    def probe_health(self) -> None:
        self.ctx.tasks.run(lambda: services.health(self.ctx), on_done=self._set_health, on_error=lambda e: None)

    def _set_health(self, raw: dict) -> None:
        self.ctx.health = raw
        self.ctx.health_changed.emit(raw)

    def _health_changed(self, raw: dict) -> None:
        d = describe_health(raw)
        self.scanner_light.set_state(d["scanner"][0], self.tr("Scanner"), d["scanner"][1])
        self.token_light.set_state(d["token"][0], self.tr("Token"), d["token"][1])
        self.queue_light.set_state(d["queue"][0], self.tr("Network"), d["queue"][1])

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop timers, workers and threads (once; from closeEvent, SIGTERM or the end of the session)."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        self._health_timer.stop()
        self.ctx.heartbeat.stop()
        for screen in self.screens.values():
            if hasattr(screen, "shutdown"):
                screen.shutdown()
        from scanstation.ui import services

        services.stop_sync(self.ctx)
        services.close_qc(self.ctx)
        sim = getattr(self.ctx, "simulator", None)
        if sim is not None:
            sim.stop()
            self.ctx.simulator = None
        self.ctx.tasks.shutdown()
