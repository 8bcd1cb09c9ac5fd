"""``scanstation gui --demo --screenshots DIR``: walk every screen with the demo devices, one PNG per screen.

The walk drives the real window the way a clerk would (it calls the same slots the shortcuts call),
waiting for background work between steps, so the pictures show real scans, findings and files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from scanstation.ui.main_window import MainWindow

log = logging.getLogger(__name__)

Step = tuple  # ("wait", predicate, timeout_s) | ("shot", name, widget|None) | ("do", callable)


class Walkthrough(QObject):
    def __init__(self, window: MainWindow, out_dir: Path, *, quit_when_done: bool = True) -> None:
        super().__init__(window)
        self.window = window
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.quit_when_done = quit_when_done
        self.written: list[Path] = []
        self.texts: dict[str, list[str]] = {}      # screenshot name -> every string visible then (tests read it)
        self.problems: list[str] = []
        self.exit_code = 0
        self._steps: Iterator[Step] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._poll)
        self._waiting: tuple[Callable[[], bool], float] | None = None
        self._pending_shot: tuple[str, QWidget | None] | None = None
        self._wait_label = ""
        self.done = False

    def start(self) -> None:
        from scanstation.ui import demo_setup

        if QGuiApplication.platformName() == "offscreen":
            self.window.resize(1366, 768)       # a counter PC's screen; offscreen has no real one
        else:
            self.window.showMaximized()         # as a clerk sees it (make screenshots: Xvfb 1366x768)
        self._steps = demo_setup.walk(self.window, self)
        QTimer.singleShot(300, self._next)

    def _idle(self) -> bool:
        return not self.window.ctx.tasks.active

    def _next(self) -> None:
        assert self._steps is not None
        while True:
            try:
                step = next(self._steps)
            except StopIteration:
                self._finish()
                return
            except Exception as e:   # a broken step must not leave the window open forever
                log.exception("walkthrough step failed")
                self.problems.append(f"{type(e).__name__}: {e}")
                self.exit_code = 1
                self._finish()
                return
            kind = step[0]
            if kind == "do":
                step[1]()
                continue
            if kind == "wait":
                self._waiting = (step[1], time.monotonic() + step[2])
                self._pending_shot = None
                self._wait_label = f"wait after {self.written[-1].name if self.written else 'start'}"
                self._timer.start()
                return
            if kind == "shot":
                self._waiting = (self._idle, time.monotonic() + 30)
                self._pending_shot = (step[1], step[2] if len(step) > 2 else None)
                self._wait_label = f"shot {step[1]}"
                self._timer.start()
                return

    def _poll(self) -> None:
        pred, deadline = self._waiting
        ok = False
        try:
            ok = bool(pred()) and self._idle()
        except Exception as e:
            self.problems.append(f"wait failed: {e}")
        if ok or time.monotonic() > deadline:
            if not ok:
                self.problems.append(f"timed out: {self._wait_label}")
            self._timer.stop()
            shot = self._pending_shot
            self._pending_shot = None
            if shot:
                QTimer.singleShot(250, lambda: self._take(*shot))
            else:
                QTimer.singleShot(0, self._next)

    def _take(self, name: str, widget: QWidget | None) -> None:
        QApplication.processEvents()
        self.texts[name] = visible_strings(self.window)
        path = self.out / f"{name}.png"
        if widget is None and QGuiApplication.platformName() != "offscreen":
            # the X server's own pixels: what the clerk sees, window frame and screen edge included
            self.window.screen().grabWindow(0).save(str(path))
        else:
            (widget or self.window).grab().save(str(path))
        self.written.append(path)
        log.info("screenshot %s", path)
        self._next()

    def _finish(self) -> None:
        self.done = True
        (self.out / "README.txt").write_text(
            "Screens of the scan station (Vietnamese), written by `scanstation gui --demo --screenshots DIR`.\n"
            + "\n".join(p.name for p in self.written) + "\n"
            + ("\nProblems:\n" + "\n".join(self.problems) + "\n" if self.problems else ""), "utf-8")
        if self.problems:
            self.exit_code = 1
        if self.quit_when_done:
            self.window.close()
            QApplication.instance().exit(self.exit_code)


def visible_strings(window: QWidget) -> list[str]:
    """Every string a clerk can see in the window now: labels, buttons, titles, fields, list and table
    rows, combo boxes, the window title, the status bar's lights and the message bar."""
    from PySide6.QtWidgets import (
        QAbstractButton,
        QComboBox,
        QGroupBox,
        QLabel,
        QLineEdit,
        QListWidget,
        QPlainTextEdit,
        QTableWidget,
    )

    from scanstation.ui.pages_view import PagePreview

    out: list[str] = [window.windowTitle()]

    def shown(w: QWidget) -> bool:
        return w.isVisible() and w.window() is window

    for lab in window.findChildren(QLabel):
        if shown(lab) and lab.text():
            out.append(lab.text())
    for btn in window.findChildren(QAbstractButton):
        if shown(btn) and btn.text():
            out.append(btn.text())
    for box in window.findChildren(QGroupBox):
        if shown(box) and box.title():
            out.append(box.title())
    for line in window.findChildren(QLineEdit):
        if shown(line):
            out.append(line.text() or line.placeholderText())
    for text in window.findChildren(QPlainTextEdit):
        if shown(text):
            out.append(text.toPlainText() or text.placeholderText())
    for combo in window.findChildren(QComboBox):
        if shown(combo):
            out.append(combo.currentText())
    for lst in window.findChildren(QListWidget):
        if shown(lst):
            out.extend(lst.item(i).text() for i in range(lst.count()))
    for table in window.findChildren(QTableWidget):
        if shown(table):
            for r in range(table.rowCount()):
                for c in range(table.columnCount()):
                    item = table.item(r, c)
                    if item is not None and not table.isColumnHidden(c):
                        out.append(item.text())
            for c in range(table.columnCount()):
                h = table.horizontalHeaderItem(c)
                if h is not None and not table.isColumnHidden(c):
                    out.append(h.text())
    for preview in window.findChildren(PagePreview):
        if shown(preview):
            out.append(preview.caption())
            out.extend(preview.region_labels())
    return [t for t in out if t and t.strip()]
