"""Progress and cancellation passed into every long operation (the UI and CLI supply their own)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from scanstation.errors import Cancelled


class Progress:
    """Thread-safe progress/cancel state; ``on_progress`` is called from the worker's thread."""

    def __init__(self, on_progress: Callable[[int, int, str], None] | None = None) -> None:
        self._cancel = threading.Event()
        self._on_progress = on_progress
        self.done = 0
        self.total = 0
        self.message = ""

    def report(self, done: int, total: int = 0, message: str = "") -> None:
        self.done, self.total, self.message = done, total, message
        if self._on_progress:
            self._on_progress(done, total, message)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self, what: str = "operation") -> None:
        """Raise :class:`Cancelled` if someone asked to stop."""
        if self._cancel.is_set():
            raise Cancelled(what)


NULL_PROGRESS = Progress()
