"""Small shared widgets: the inline message bar, the task progress panel, health lights."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollBar,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from scanstation.ui.tasks import Task

COLOURS = {"ok": "#1e8e3e", "warn": "#b06000", "error": "#c5221f", "info": "#1a73e8", "off": "#80868b"}
BACKGROUNDS = {"ok": "#e6f4ea", "warn": "#fef7e0", "error": "#fce8e6", "info": "#e8f0fe", "off": "#f1f3f4"}


class MessageBar(QFrame):
    """A non-modal message across the top of the window: information needs no click to go away."""

    action_triggered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 6, 6)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.action = QPushButton(self)
        self.action.clicked.connect(self.action_triggered)
        self.close_btn = QToolButton(self)
        self.close_btn.setText("✕")
        self.close_btn.clicked.connect(self.hide)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.action)
        lay.addWidget(self.close_btn)
        self.level = "info"
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, level: str = "info", action: str | None = None, timeout_ms: int = 0) -> None:
        self.level = level
        self.text.setText(text)
        self.setStyleSheet(f"#messageBar {{ background: {BACKGROUNDS[level]}; border: 1px solid {COLOURS[level]};"
                           f" border-radius: 4px; }} #messageBar QLabel {{ color: #202124; }}")
        self.action.setVisible(bool(action))
        if action:
            self.action.setText(action)
        self.show()
        if timeout_ms:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()


class ProgressPanel(QWidget):
    """Label, bar and Cancel for the running long task (status bar)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(200)
        self.cancel = QPushButton(self)
        self.cancel.clicked.connect(self._cancel)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        self.task: Task | None = None
        self.retranslate()
        self.hide()

    def retranslate(self) -> None:
        self.cancel.setText(self.tr("Cancel"))

    def track(self, task: Task) -> None:
        if task.progress is None:
            return
        self.task = task
        self.label.setText(task.label)
        self.bar.setRange(0, 0)
        task.progress.listeners.append(self._update)
        self.show()

    def _update(self, done: int, total: int, message: str) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
        if message:
            self.label.setText(message)

    def finished(self, task: Task) -> None:
        if task is self.task:
            self.task = None
            self.hide()

    def _cancel(self) -> None:
        if self.task:
            self.task.cancel()


class HealthLight(QLabel):
    """A coloured dot and a short word: scanner, token, network."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "off"
        self.set_state("off", "")

    def set_state(self, state: str, text: str, tooltip: str = "") -> None:
        self.state = state
        self.setText(f"<span style='color:{COLOURS[state]}'>●</span> {text}")
        self.setToolTip(tooltip or text)


def banner_style(level: str) -> str:
    return (f"background: {BACKGROUNDS[level]}; color: #202124; border: 1px solid {COLOURS[level]};"
            " border-radius: 4px; padding: 8px; font-weight: 600;")


def make_banner(parent: QWidget, level: str = "warn") -> QLabel:
    """A coloured, word-wrapped label used as an in-screen banner (offline, blocking findings)."""
    lab = QLabel(parent)
    lab.setWordWrap(True)
    lab.setStyleSheet(banner_style(level))
    return lab


class WheelGuard(QObject):
    """Application-wide: a mouse wheel over a spin box, combo box or slider that does not have the
    focus scrolls the page instead of changing the value (the wheel over Settings once changed
    "Số tệp gửi đồng thời" from 2 to 0 while the clerk only scrolled)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and isinstance(obj, (QAbstractSpinBox, QComboBox, QAbstractSlider)) \
                and not isinstance(obj, QScrollBar) and not obj.hasFocus():
            parent = obj.parentWidget()
            while parent is not None and not isinstance(parent, QAbstractScrollArea):
                parent = parent.parentWidget()
            if parent is not None:
                QCoreApplication.sendEvent(parent.verticalScrollBar(), event)
            return True
        return False


def guard_wheel(root: QWidget) -> None:
    """Install the guard on every spin box, combo box and slider inside ``root`` (and ``root`` itself).

    Per widget, not on the application: an application-wide Python filter would run for every event
    of the window (a screen change sends ~1000), which costs milliseconds on the GUI thread."""
    if not _GUARDS:
        _GUARDS.append(WheelGuard(QCoreApplication.instance()))   # lives and dies with the application
    guard = _GUARDS[0]
    kinds = (QAbstractSpinBox, QComboBox, QAbstractSlider)
    targets = [root] if isinstance(root, kinds) else []
    for kind in kinds:
        targets += root.findChildren(kind)
    for w in targets:
        if not isinstance(w, QScrollBar) and not w.property("wheelGuard"):
            w.installEventFilter(guard)
            w.setProperty("wheelGuard", True)
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)       # the wheel does not take the focus either


_GUARDS: list[WheelGuard] = []
