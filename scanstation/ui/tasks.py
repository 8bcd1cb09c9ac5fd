"""The one helper that runs background work: work off the GUI thread, callbacks back on it.

Modelled on Anki's ``taskman``/``operations``: the work function is plain Python that touches no
widget; ``on_done`` and ``on_error`` run on the GUI thread; an error is turned into a translated,
actionable message by the window unless the caller handles it. Lanes are named after the resource
they protect (Picard's habit): ``io`` (database, disk, network, QC coordination; a small pool),
``device`` (one thread: one scanner is driven by one thread) and ``token`` (one thread: every
PKCS#11 call of a session must stay on the same thread).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from scanstation.progress import Progress

log = logging.getLogger(__name__)

LANES = {"io": 3, "device": 1, "token": 1}
# Background lanes run at a lower CPU priority than the GUI thread (Linux: per thread; the QC worker
# processes and the upload worker started from them inherit it), so on a busy two-core PC the
# window keeps its share of the CPU. The token thread is left alone (PKCS#11 middleware).
NICENESS = {"io": 10, "device": 5}


def _lower_priority(niceness: int) -> None:
    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))


class UiProgress(Progress):
    """A Progress whose reports reach the GUI thread, at most every ``interval`` seconds."""

    def __init__(self, label: str = "", interval: float = 0.05, *, shown_by_screen: bool = False) -> None:
        super().__init__(self._report_from_worker)
        self.label = label
        # the screen shows this task's own bar and stop button: the status bar shows none (one bar, one cancel)
        self.shown_by_screen = shown_by_screen
        self.interval = interval
        self._last = 0.0
        self.listeners: list[Callable[[int, int, str], None]] = []   # run on the GUI thread
        self._post: Callable[[Callable[[], None]], None] | None = None

    def _report_from_worker(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if self._post is None or (now - self._last < self.interval and done < total):
            return
        self._last = now
        self._post(lambda: [cb(done, total, message) for cb in list(self.listeners)])


class _TokenLane:
    """The ``token`` lane is the signing package's process-wide token thread, so that a login made
    from the window and the signatures that follow run on the one thread the token middleware saw."""

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        from scanstation.signing import token_thread

        return token_thread().submit(fn, *args)

    def shutdown(self, wait: bool = False, cancel_futures: bool = False) -> None:
        """The token thread belongs to the process; it ends with it."""


class Task:
    """Handle on one background job: its progress (cancel through it) and its future."""

    def __init__(self, label: str, progress: UiProgress | None, future: Future) -> None:
        self.label = label
        self.progress = progress
        self.future = future

    def cancel(self) -> None:
        if self.progress:
            self.progress.cancel()
        self.future.cancel()

    @property
    def done(self) -> bool:
        return self.future.done()


class TaskManager(QObject):
    """Runs work functions in named lanes and brings results back on the GUI thread."""

    _closure = Signal(object)
    started = Signal(object)      # Task
    finished = Signal(object)     # Task
    failed = Signal(object, object)   # Task, exception not handled by the caller

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes: dict[str, Any] = {
            name: ThreadPoolExecutor(max_workers=n, thread_name_prefix=f"scanstation-{name}",
                                     initializer=_lower_priority, initargs=(NICENESS.get(name, 0),))
            for name, n in LANES.items() if name != "token"}
        self._lanes["token"] = _TokenLane()
        self._closure.connect(self._run_closure)
        self._active: set[Task] = set()
        self._lock = threading.Lock()
        self._closing = False

    # --- GUI-thread side -------------------------------------------------------------------------
    def run_on_main(self, closure: Callable[[], Any]) -> None:
        """Ask the GUI thread to run ``closure`` (safe to call from any thread)."""
        if not self._closing:
            self._closure.emit(closure)

    @Slot(object)
    def _run_closure(self, closure: Callable[[], Any]) -> None:
        try:
            closure()
        except Exception:   # a callback bug must not kill the event loop
            log.exception("callback failed")

    def run(self, work: Callable[..., Any], *, on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, progress: UiProgress | bool | None = None,
            lane: str = "io", label: str = "") -> Task:
        """Run ``work(progress)`` (or ``work()`` without progress) in ``lane``; call back on the GUI thread.

        ``on_error`` handles the error itself; without it the ``failed`` signal lets the window show a
        translated message. A cancelled task calls neither callback's error path with a message: the
        clerk asked for it.
        """
        if progress is True:
            progress = UiProgress(label)
        if isinstance(progress, UiProgress):
            progress._post = self.run_on_main
        task_ref: list[Task] = []

        def body() -> Any:
            return work(progress) if progress else work()

        if self._closing:          # a closing window may still get events: do nothing, quietly
            future: Future = Future()
            future.cancel()
            return Task(label, progress or None, future)
        future = self._lanes[lane].submit(body)
        task = Task(label, progress or None, future)
        task_ref.append(task)
        with self._lock:
            self._active.add(task)
        self.started.emit(task)

        def _done(f: Future) -> None:
            def deliver() -> None:
                with self._lock:
                    self._active.discard(task)
                self.finished.emit(task)
                if f.cancelled():
                    return
                exc = f.exception()
                if exc is None:
                    if on_done:
                        on_done(f.result())
                elif on_error:
                    on_error(exc)
                else:
                    self.failed.emit(task, exc)
            self.run_on_main(deliver)

        future.add_done_callback(_done)
        return task

    def submit_raw(self, lane: str, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn`` in ``lane`` and return its future (for work that drives its own callbacks)."""
        return self._lanes[lane].submit(fn, *args)

    @property
    def active(self) -> list[Task]:
        with self._lock:
            return list(self._active)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every task has finished (for shutdown and tests; never called in a GUI slot)."""
        end = time.monotonic() + timeout
        for t in self.active:
            with contextlib.suppress(Exception):
                t.future.result(max(0.0, end - time.monotonic()))
        return not any(not t.done for t in self.active)

    def shutdown(self) -> None:
        """Cancel what can be cancelled and stop the lanes (pages already journaled stay on disk)."""
        self._closing = True
        for t in self.active:
            t.cancel()
        for ex in self._lanes.values():
            ex.shutdown(wait=False, cancel_futures=True)
