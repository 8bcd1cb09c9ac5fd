"""When to try again: the clock (injectable), backoff with jitter, the upload window, bandwidth limit."""

from __future__ import annotations

import queue
import random
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from scanstation.errors import SettingsError


class Clock(Protocol):
    """Wall-clock seconds since the epoch, and a way to wait for a message or a time-out."""

    def now(self) -> float: ...

    def wait(self, inbox: queue.Queue, timeout: float) -> Any: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def wait(self, inbox: queue.Queue, timeout: float) -> Any:
        try:
            return inbox.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None


class FakeClock:
    """Virtual time for tests: waiting with nothing in the inbox jumps the clock forward instantly,
    so days of backoff pass in milliseconds while the HTTP calls stay real."""

    def __init__(self, start: float | None = None) -> None:
        self._t = time.time() if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += max(0.0, seconds)

    def wait(self, inbox: queue.Queue, timeout: float) -> Any:
        try:
            return inbox.get_nowait()
        except queue.Empty:
            self.advance(timeout)
            return None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with "equal jitter": half the delay fixed, half random, never above ``cap``.

    The fixed half keeps a retry storm from collapsing onto zero; the random half spreads many
    stations that lost the link at the same moment."""

    base: float = 2.0
    factor: float = 2.0
    cap: float = 900.0

    def delay(self, failures: int, rng: random.Random | None = None, retry_after: float | None = None) -> float:
        if retry_after is not None and retry_after >= 0:
            # The server said when: honour it, even beyond our cap (within reason: one day).
            return min(float(retry_after), 86400.0)
        exp = min(self.cap, self.base * (self.factor ** min(max(0, failures - 1), 60)))
        return exp / 2 + (rng or random).uniform(0, exp / 2)


_WINDOW = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class UploadWindow:
    """Local-time window (``HH:MM-HH:MM``, may wrap past midnight) in which uploads may start."""

    start_min: int | None = None
    end_min: int | None = None

    @classmethod
    def parse(cls, text: str) -> UploadWindow:
        if not text or not text.strip():
            return cls()
        m = _WINDOW.match(text)
        if not m:
            raise SettingsError(f"sync.window: '{text}' is not HH:MM-HH:MM",
                                f"sync.window: '{text}' không đúng dạng GG:PP-GG:PP", field="sync.window")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
            raise SettingsError(f"sync.window: '{text}' is not a valid time range",
                                f"sync.window: '{text}' không phải khoảng giờ hợp lệ", field="sync.window")
        return cls(h1 * 60 + m1, h2 * 60 + m2)

    @property
    def always(self) -> bool:
        return self.start_min is None or self.start_min == self.end_min

    def seconds_until_open(self, now: float) -> float:
        """0 inside the window, else seconds until it next opens (local time)."""
        if self.always:
            return 0.0
        dt = datetime.fromtimestamp(now)
        minute = dt.hour * 60 + dt.minute
        s, e = self.start_min, self.end_min
        inside = (s <= minute < e) if s < e else (minute >= s or minute < e)
        if inside:
            return 0.0
        start = dt.replace(hour=s // 60, minute=s % 60, second=0, microsecond=0)
        if start <= dt:
            start += timedelta(days=1)
        return max(1.0, start.timestamp() - now)


class Bandwidth:
    """Token bucket shared by every upload thread (physical time: it paces real bytes on the wire)."""

    def __init__(self, bytes_per_second: float) -> None:
        self.rate = float(bytes_per_second)
        self._lock = threading.Lock()
        self._allowance = 0.0
        self._last = time.monotonic()

    @property
    def limited(self) -> bool:
        return self.rate > 0

    def acquire(self, n: int) -> None:
        if self.rate <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._allowance = min(self.rate, self._allowance + (now - self._last) * self.rate)
            self._last = now
            self._allowance -= n
            debt = -self._allowance / self.rate if self._allowance < 0 else 0.0
        if debt > 0:
            time.sleep(debt)
