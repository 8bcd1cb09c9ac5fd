"""One dedicated thread for every PKCS#11 call.

Token middleware (SoftHSM, vendor DLLs of the Vietnamese CAs) is often not thread-safe, and some
modules tie a login to the thread that made it. Every call into a token therefore goes through
one long-lived thread. The UI submits work with :meth:`TokenThread.submit` and gets a
:class:`concurrent.futures.Future` (never blocking its own event loop); the CLI and the core use
:meth:`TokenThread.call`, which blocks. A call made *from* the token thread runs in place, so
token-facing functions can call each other freely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

THREAD_NAME = "scanstation-token"


class TokenThread:
    """A single-thread executor that knows whether the caller is already on it."""

    def __init__(self, name: str = THREAD_NAME) -> None:
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._ident: int | None = None

    def _ensure(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name,
                                                    initializer=self._remember)
            return self._executor

    def _remember(self) -> None:
        self._ident = threading.get_ident()

    @property
    def ident(self) -> int | None:
        """Thread id of the token thread once it has started."""
        return self._ident

    def on_thread(self) -> bool:
        return self._ident is not None and threading.get_ident() == self._ident

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Run ``fn`` on the token thread; returns a Future (for the UI)."""
        if self.on_thread():
            fut: Future[T] = Future()
            try:
                fut.set_result(fn(*args, **kwargs))
            except BaseException as e:  # noqa: BLE001 - handed to the caller through the future
                fut.set_exception(e)
            return fut
        return self._ensure().submit(fn, *args, **kwargs)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the token thread and wait for its result (or re-raise its error)."""
        if self.on_thread():
            return fn(*args, **kwargs)
        return self._ensure().submit(fn, *args, **kwargs).result()

    def shutdown(self) -> None:
        with self._lock:
            ex, self._executor, self._ident = self._executor, None, None
        if ex is not None:
            ex.shutdown(wait=True)


_default: TokenThread | None = None
_default_lock = threading.Lock()


def token_thread() -> TokenThread:
    """The process-wide token thread shared by the core, the CLI and the UI."""
    global _default
    with _default_lock:
        if _default is None:
            _default = TokenThread()
        return _default
