"""Driver worker processes: a spawned process per driver session, a pipe protocol, and a watchdog.

A scanner driver runs native code the station does not control: a backend can crash (segfault,
``abort()``), or hang for ever (SANE's ``sanei_thread`` cancels its reader thread asynchronously and
can leave a malloc lock held, after which ``sane_cancel`` waits on a join that never returns). Both
TWAIN and SANE therefore run their driver in a worker process. Every wait for the worker has a
deadline: a worker that does not answer in time is killed (:class:`DeviceHung`), one whose pipe
breaks has died (:class:`DriverCrashed`). Either way the station's process, its allocator and the
pages already written and journaled are untouched.

Workers are started with the ``spawn`` method (no fork of a process that may run Qt threads).
``WorkerPool`` keeps idle workers warm, so the start-up cost (a fresh interpreter, the driver
library) is paid once, not per scan.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

from scanstation.errors import DeviceHung, DriverCrashed

log = logging.getLogger(__name__)


class WorkerProcess:
    """One worker process, its request pipe and (optionally) a one-way control pipe for out-of-band
    messages such as a cancel, which the worker reads on its own thread while its main thread is
    blocked in the driver. Any break in the pipe means the driver died; any missed deadline means it
    hangs, and the worker is killed."""

    def __init__(self, target: Callable[..., None], args: tuple, *, label: str, name: str,
                 control: bool = False) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.label = label
        self.conn, child = ctx.Pipe()
        self.ctl = child_ctl = None
        if control:
            child_ctl, self.ctl = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=target, args=(child, child_ctl, *args) if control else (child, *args),
                                daemon=True, name=name)
        self.proc.start()
        child.close()
        if child_ctl is not None:
            child_ctl.close()
        self._ctl_lock = threading.Lock()
        self.dead = False

    @property
    def alive(self) -> bool:
        return not self.dead and self.proc.is_alive()

    def send(self, msg: tuple) -> None:
        try:
            self.conn.send(msg)
        except (BrokenPipeError, OSError) as e:
            raise self.crashed() from e

    def control(self, msg: tuple) -> None:
        """Send on the control pipe (thread-safe; a dead worker is ignored)."""
        if self.ctl is None:
            return
        with self._ctl_lock, contextlib.suppress(OSError, ValueError):
            self.ctl.send(msg)

    def recv(self, timeout: float, what: str, deadline: Callable[[], float | None] | None = None) -> Any:
        """The worker's next message within ``timeout`` seconds, else the worker is killed and DeviceHung raised.

        ``deadline`` (optional) may bring the limit forward while waiting: it returns an absolute
        ``time.monotonic()`` limit or None (e.g. "within N s of a cancel").
        """
        start = time.monotonic()
        limit = start + timeout
        try:
            while True:
                now = time.monotonic()
                earlier = deadline() if deadline is not None else None
                end = min(limit, earlier) if earlier is not None else limit
                if now >= end:
                    raise self.hung(what, now - start)
                if self.conn.poll(min(end - now, 0.25) if deadline is not None else end - now):
                    return self.conn.recv()
        except (EOFError, BrokenPipeError, ConnectionResetError, OSError) as e:
            raise self.crashed() from e

    def recv_bytes(self, timeout: float, what: str) -> bytes:
        try:
            if not self.conn.poll(timeout):
                raise self.hung(what, timeout)
            return self.conn.recv_bytes()
        except (EOFError, OSError) as e:
            raise self.crashed() from e

    def hung(self, what: str, waited: float) -> DeviceHung:
        self.kill()
        return DeviceHung(
            f"The {self.label} driver stopped answering ({what}, {waited:.0f} s) and was stopped; the station is fine",
            f"Trình điều khiển {self.label} không phản hồi ({what}, {waited:.0f} giây) và đã bị dừng; "
            "trạm vẫn hoạt động bình thường", call=what)

    def crashed(self) -> DriverCrashed:
        self.dead = True
        self.proc.join(2)
        code = self.proc.exitcode
        return DriverCrashed(f"The {self.label} driver crashed (worker exit code {code}); the station is fine",
                             f"Trình điều khiển {self.label} bị lỗi và đã dừng (mã {code}); "
                             "trạm vẫn hoạt động bình thường", exit_code=code)

    def kill(self) -> None:
        """Stop the worker now (SIGKILL: a hung driver ignores everything else)."""
        self.dead = True
        with contextlib.suppress(Exception):
            self.proc.kill()
        self.proc.join(5)
        self._close_pipes()

    def close(self, timeout: float = 5.0) -> None:
        """Ask the worker to quit, kill it if it does not within ``timeout``."""
        if not self.dead:
            with contextlib.suppress(Exception):
                self.conn.send(("quit",))
            self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.dead = True
        self._close_pipes()

    def _close_pipes(self) -> None:
        for c in (self.conn, self.ctl):
            if c is not None:
                with contextlib.suppress(OSError):
                    c.close()


class WorkerPool:
    """Idle workers kept warm between sessions, keyed by what they were started with (a worker reads
    its environment once). Only a worker whose session ended cleanly comes back; at most
    ``max_idle`` wait (the oldest are closed), all are closed at exit."""

    def __init__(self, max_idle: int = 2) -> None:
        self.max_idle = max_idle
        self._idle: list[tuple[Any, WorkerProcess]] = []
        self._lock = threading.Lock()
        atexit.register(self.close_all)

    def acquire(self, key: Any, start: Callable[[], WorkerProcess]) -> WorkerProcess:
        with self._lock:
            for i, (k, w) in enumerate(self._idle):
                if k == key:
                    del self._idle[i]
                    if w.alive:
                        return w
                    w.close(0)
                    break
        return start()

    def release(self, key: Any, w: WorkerProcess) -> None:
        if not w.alive:
            w.close(0)
            return
        with self._lock:
            self._idle.append((key, w))
            extra = self._idle[:-self.max_idle] if len(self._idle) > self.max_idle else []
            del self._idle[:len(extra)]
        for _k, old in extra:
            old.close(2)

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for _k, w in idle:
            w.close(2)
