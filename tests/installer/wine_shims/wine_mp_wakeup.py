"""TEST-ONLY (never shipped): Wine 8 does not deliver a zero-length message on a message-mode named
pipe, and ``concurrent.futures.ProcessPoolExecutor`` wakes its manager thread with exactly that
(``_ThreadWakeup.wakeup`` sends ``b""``): ``clear()`` then blocks for ever in ``recv_bytes`` and the
station's QC pool hangs. Real Windows delivers empty messages. Loaded through ``wine_mp_wakeup.pth``,
which the Wine smoke test drops into the *installed* site-packages of its throw-away prefix."""

import concurrent.futures.process as _cfp


def _wakeup(self) -> None:
    if not self._closed:
        self._writer.send_bytes(b"\0")     # one byte instead of none; clear() only drains the pipe


_cfp._ThreadWakeup.wakeup = _wakeup
