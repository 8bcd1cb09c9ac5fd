"""SANE worker process: owns libsane (python-sane) so that a backend that crashes, hangs or corrupts its
process's allocator (SANE's ``sanei_thread`` cancels reader threads asynchronously) takes only this
process down. The station's side is ``scanstation.devices._sane``.

Protocol over a multiprocessing pipe (parent -> worker: tuples; worker -> parent: tuples). The worker
says ``("ready",)`` once libsane is initialised (or ``("error", None, text)`` when it cannot be)::

    ("list",)                       -> ("ok", [(name, vendor, model, type)])
    ("describe", name)              -> ("ok", {"options": [option tuples], "model": (vendor, model)})
    ("open", name)                  -> ("ok", None)                 a scan session starts
    ("set", [(name, value, lenient, remember)])  -> ("ok", None)    lenient: an inactive/absent option is
                                                                    skipped; remember: restored at close
    ("start", shm_name, shm_size)   -> ("frame", {lines, width, bpl, channels}), then ("rows", n)... as
                                       the page arrives straight into the shared memory, then
                                       ("end", rows, extra_bytes) | ("fail", status)
                                     | ("need", nbytes) -> expects ("buffer", shm_name, size) first
                                     | ("image", {width, height, samples, sample_size}) + bytes (snap())
    ("close",)                      -> ("ok", None)                 sane_cancel, options restored, sane_close
    ("quit",)
    any call may answer ("error", status_or_None, text)

A separate one-way control pipe carries ``("cancel",)``: a thread calls ``sane_cancel`` while the main
thread is blocked in ``sane_read``. The worker never calls ``sane_start`` on its own: the next page is
requested only when the station sends ``start``, after it has written and journaled the previous one.

Test hooks (``SCANSTATION_SANE_WORKER_TEST``, read at start, comma-separated): ``snap`` (always read
through python-sane's snap()), ``hang=<call>[@N]`` (sleep for ever in the N-th such call of a session)
and ``crash=<call>[@N]`` (``os._exit(70)`` there), where call is list, describe, open, set, start,
read (mid-page, after the first rows), close or cancel (the
control thread's sane_cancel).
"""

from __future__ import annotations

import contextlib
import mmap
import os
import sys
import threading
import time
from typing import Any

TEST_ENV = "SCANSTATION_SANE_WORKER_TEST"
CRASH_EXIT_CODE = 70


class _Faults:
    def __init__(self, spec: str) -> None:
        self.snap = False
        self.rules: dict[str, tuple[str, int]] = {}
        self.count: dict[str, int] = {}
        for item in filter(None, (s.strip() for s in spec.split(","))):
            if item == "snap":
                self.snap = True
                continue
            kind, _, target = item.partition("=")
            call, _, n = target.partition("@")
            self.rules[call] = (kind, int(n) if n.isdigit() else 1)

    def reset(self) -> None:
        self.count = {k: v for k, v in self.count.items() if k in ("list", "describe")}

    def hit(self, call: str) -> None:
        if call not in self.rules:
            return
        self.count[call] = self.count.get(call, 0) + 1
        kind, n = self.rules[call]
        if self.count[call] == n:
            if kind == "crash":
                os._exit(CRASH_EXIT_CODE)
            if kind == "hang":
                while True:
                    time.sleep(3600)


class _Worker:
    def __init__(self, conn, ctl, sane) -> None:
        self.conn, self.ctl, self.sane = conn, ctl, sane
        self.faults = _Faults(os.environ.get(TEST_ENV, ""))
        self.dev: Any = None
        self.dev_lock = threading.Lock()          # a cancel never runs on a handle being closed
        self.cancelled = threading.Event()
        self.restore: dict[str, Any] = {}
        self.shm_name: str | None = None
        self.shm: mmap.mmap | None = None
        self.shm_arr: Any = None

    # --- control thread ---------------------------------------------------------------------------
    def control_loop(self) -> None:
        while True:
            try:
                msg = self.ctl.recv()
            except (EOFError, OSError):
                return
            if msg[0] == "cancel":
                self.cancelled.set()
                self.faults.hit("cancel")
                with self.dev_lock:
                    if self.dev is not None:
                        with contextlib.suppress(Exception):   # sane_cancel may be called from another thread
                            self.dev.cancel()

    # --- calls ------------------------------------------------------------------------------------
    def list(self) -> list[tuple]:
        self.faults.hit("list")
        return [tuple(d) for d in self.sane.get_devices()]

    def describe(self, name: str) -> dict[str, Any]:
        self.faults.hit("describe")
        dev = self.sane.open(name)
        try:
            opts = [tuple(t) for t in dev.get_options()]
            try:
                vendor, model = dev.scanner_model
            except Exception:
                vendor, model = "", name
        finally:
            dev.close()
        return {"options": opts, "model": (vendor, model)}

    def open(self, name: str) -> None:
        self.faults.reset()
        self.faults.hit("open")
        dev = self.sane.open(name)
        with self.dev_lock:
            self.dev = dev
        self.restore = {}
        self.cancelled.clear()

    def set(self, ops: list[tuple[str, Any, bool, bool]]) -> None:
        self.faults.hit("set")
        dev = self.dev
        for name, value, lenient, remember in ops:
            attr = name.replace("-", "_")
            if lenient:
                o = dev.opt.get(attr)
                if o is None or not o.is_active():
                    continue
            if remember and name not in self.restore:
                # some backends (the test backend among them) keep option values across close/open
                with contextlib.suppress(Exception):
                    self.restore[name] = getattr(dev, attr)
            try:
                setattr(dev, attr, value)
            except AttributeError:
                if not lenient:
                    raise

    def close(self) -> None:
        with self.dev_lock:
            dev, self.dev = self.dev, None
        if dev is None:
            return
        self.faults.hit("close")
        with contextlib.suppress(Exception):
            dev.cancel()
        for name, value in self.restore.items():
            with contextlib.suppress(Exception):
                setattr(dev, name.replace("-", "_"), value)
        self.restore = {}
        dev.close()

    def _attach(self, name: str, size: int) -> Any:
        if name != self.shm_name:
            self._detach()
            import _posixshmem

            fd = _posixshmem.shm_open(name, os.O_RDWR, mode=0o600)   # the parent owns (and unlinks) it
            try:
                self.shm = mmap.mmap(fd, size)
            finally:
                os.close(fd)
            import numpy as np

            self.shm_arr = np.frombuffer(self.shm, np.uint8)
            self.shm_name = name
        return self.shm_arr

    def _detach(self) -> None:
        self.shm_arr = None
        if self.shm is not None:
            with contextlib.suppress(BufferError, OSError):
                self.shm.close()
        self.shm, self.shm_name = None, None

    def start(self, shm_name: str | None, shm_size: int) -> None:
        """One image: sane_start, then stream it into shared memory (or snap() it), telling the parent."""
        from scanstation.devices._sane_read import Frame, SaneReadError, frame_params
        from scanstation.devices.pngio import ROW_BLOCK

        self.faults.hit("start")
        dev, conn = self.dev, self.conn
        try:
            dev.start()
            fp = None if self.faults.snap else frame_params(dev.dev)
        except Exception as e:
            conn.send(("error", None, str(e)))
            return
        if fp is not None:
            lib, h, p = fp
            need = p.lines * p.bytes_per_line
            if shm_name is None or shm_size < need:
                conn.send(("need", need))
                reply = conn.recv()
                shm_name, shm_size = reply[1], reply[2]
            if shm_name is None:        # the parent has no shared memory for it: snap() below
                fp = None
        if fp is None:
            try:
                data, width, height, samples, sample_size = dev.dev.snap(True, True, None)
            except Exception as e:
                conn.send(("error", None, str(e)))
                return
            conn.send(("image", {"width": width, "height": height, "samples": samples, "sample_size": sample_size}))
            conn.send_bytes(data)
            return
        frame = Frame(lib, h, p, self.cancelled.is_set, buf=self._attach(shm_name, shm_size))
        conn.send(("frame", {"lines": frame.lines, "width": frame.width, "bpl": frame.bpl,
                             "channels": frame.channels}))
        sent = rows = 0
        try:
            for rows, _px in frame.read():
                if rows - sent >= ROW_BLOCK:
                    conn.send(("rows", rows))
                    if sent == 0:
                        self.faults.hit("read")
                    sent = rows
        except SaneReadError as e:
            conn.send(("fail", e.status))
            return
        conn.send(("end", rows, frame.extra or None))

    # --- loop -------------------------------------------------------------------------------------
    def serve(self) -> None:
        conn = self.conn
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                return
            op = msg[0]
            try:
                if op == "quit":
                    with contextlib.suppress(Exception):
                        self.close()
                    return
                if op == "start":
                    self.start(msg[1], msg[2])
                    continue
                result = getattr(self, op)(*msg[1:]) if op in ("list", "describe", "open", "set", "close") \
                    else None
                conn.send(("ok", result))
            except Exception as e:   # anything a driver throws becomes a message, not a dead worker
                try:
                    conn.send(("error", None, str(e) or type(e).__name__))
                except OSError:
                    return


def worker_main(conn, ctl) -> None:
    from scanstation.lifeline import exit_with_parent

    exit_with_parent()      # even while libsane blocks this thread, the station's end ends this process
    try:
        import sane  # python-sane; compiled against libsane

        sane.init()
    except Exception as e:
        conn.send(("error", None, f"cannot load SANE (python-sane): {type(e).__name__}: {e}"))
        return
    w = _Worker(conn, ctl, sane)
    threading.Thread(target=w.control_loop, name="sane-cancel", daemon=True).start()
    conn.send(("ready",))
    w.serve()
    with contextlib.suppress(Exception):
        sane.exit()


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run through scanstation.devices._sane")
