"""A heartbeat on the GUI thread: measures how long the event loop was kept from running."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer

log = logging.getLogger(__name__)


class Heartbeat(QObject):
    """Ticks every ``interval_ms``; a tick that comes late by more than that means the loop stalled.

    ``max_stall_ms`` is the longest delay beyond the interval since the last ``reset()``; stalls over
    ``warn_ms`` are logged with the time they happened, so a slow slot can be found.
    """

    def __init__(self, interval_ms: int = 10, warn_ms: float = 50.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.warn_ms = warn_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.max_stall_ms = 0.0
        self.stalls: list[float] = []          # every stall over warn_ms, in ms
        self.stall_times: list[float] = []     # perf_counter() when each of them ended
        self.ticks = 0

    def start(self) -> None:
        """Start ticking. Until the first tick the event loop may not be running yet (the window is
        still being built): that wait is start-up, not a stall, and is not counted."""
        self._last = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self.max_stall_ms = 0.0
        self.stalls.clear()
        self.stall_times.clear()
        self.ticks = 0
        self._last = time.perf_counter()

    def _tick(self) -> None:
        now = time.perf_counter()
        if not self._last:
            self._last = now
            return
        stall = (now - self._last) * 1000.0 - self.interval_ms
        self._last = now
        self.ticks += 1
        if stall > self.max_stall_ms:
            self.max_stall_ms = stall
        if stall > self.warn_ms:
            self.stalls.append(stall)
            self.stall_times.append(now)
            log.warning("GUI event loop stalled for %.0f ms", stall)
