"""QC off the caller's thread: worker processes check pages as they arrive; results come back as futures.

Typical use from the workflow (the UI wraps the callbacks onto its own thread)::

    with QCPool(profile="vn-2019-seeds") as pool:
        session = pool.component(duplex=True)
        for page in captured_pages:                       # as the scanner delivers them
            session.add(path, sheet=page.sheet, side=page.side, variant=page.variant)
        report = session.finish(declared_sheets=3)        # waits for the pages, runs component checks

One worker is the default: a 100 page-per-minute duplex scanner (3.3 images/s) needs a fraction of
one core, and a single worker keeps the previous pages in its cache (show-through and pair checks
then decode nothing twice). More workers stay correct; they decode a neighbour again when needed.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from pathlib import Path

from scanstation.compliance import ComplianceProfile, get_profile
from scanstation.qc.component import DeviceEvent, QCReport, check_component
from scanstation.qc.page import PageChecker, PageContext, PageResult, Source

_CHECKER: PageChecker | None = None
log = logging.getLogger(__name__)


def _init(profile_id: str, paper: str | None) -> None:
    global _CHECKER
    import cv2

    cv2.setNumThreads(1)          # one worker = one core, whatever OpenCV would like
    _exit_with_parent()
    _CHECKER = PageChecker(profile_id, paper)


def _exit_with_parent() -> None:
    """A worker whose station was killed (SIGKILL, a crash) must not linger, holding the station's
    files and output pipes: it exits as soon as its parent is gone."""
    import multiprocessing
    import os
    import threading

    parent = os.getppid()
    # On Windows a dead parent's pid stays the child's ppid (no re-parenting): ask the parent's
    # process handle instead (found by the Wine smoke test: workers outlived the window).
    parent_process = multiprocessing.parent_process()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent or (parent_process is not None and not parent_process.is_alive()):
                os._exit(0)

    threading.Thread(target=watch, name="qc-parent-watch", daemon=True).start()


def _run(source: Source, ctx: PageContext) -> tuple[PageResult, float]:
    t0 = time.process_time()
    assert _CHECKER is not None
    r = _CHECKER.check(source, ctx)
    return r, time.process_time() - t0


class QCPool:
    """A small pool of QC worker processes (spawned: safe beside Qt and scanner threads)."""

    def __init__(self, profile: ComplianceProfile | str | None = None, paper: str | None = "A4",
                 workers: int = 1) -> None:
        self.profile = profile if isinstance(profile, ComplianceProfile) else get_profile(profile or "vn-2019-seeds")
        self.paper = paper
        self._ex = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init, initargs=(self.profile.id, paper))
        self._lock = threading.Lock()
        self.cpu_seconds = 0.0        # CPU the workers spent on checks (for the benchmark and the log)
        self.pages_done = 0

    def submit(self, source: Source, ctx: PageContext,
               on_result: Callable[[PageResult], None] | None = None) -> Future[PageResult]:
        """Queue one page. ``on_result`` runs on a pool thread when it is done (marshal it to your UI)."""
        outer: Future[PageResult] = Future()
        try:
            inner = self._ex.submit(_run, source, ctx)
        except (BrokenExecutor, RuntimeError) as e:    # workers gone or pool shut: the session falls back
            outer.set_exception(e)
            return outer

        def done(f: Future) -> None:
            try:
                r, cpu = f.result()
            except BaseException as e:   # a crashed worker must not take the station down
                outer.set_exception(e)
                return
            with self._lock:
                self.cpu_seconds += cpu
                self.pages_done += 1
            outer.set_result(r)
            if on_result is not None:
                on_result(r)

        inner.add_done_callback(done)
        return outer

    def component(self, *, duplex: bool = True) -> ComponentSession:
        return ComponentSession(self, duplex)

    def warm_up(self) -> None:
        """Start the workers now (spawning and importing OpenCV takes a moment)."""
        self._ex.submit(time.sleep, 0).result()

    def close(self, cancel: bool = False) -> None:
        self._ex.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> QCPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close(cancel=exc[0] is not None)


class ComponentSession:
    """The pages of one component as they arrive: fills in each page's neighbours for the workers."""

    def __init__(self, pool: QCPool, duplex: bool) -> None:
        self.pool = pool
        self.duplex = duplex
        self._futures: list[Future[PageResult]] = []
        self._contexts: list[PageContext] = []
        self._keys: list[str] = []
        self._sides: list[str] = []
        self._variants: list[str] = []
        self._fronts: dict[int, str] = {}

    def add(self, source: str | Path, *, sheet: int, side: str, variant: str = "normal",
            on_result: Callable[[PageResult], None] | None = None) -> Future[PageResult]:
        i = len(self._futures)
        key = str(source)
        ctx = PageContext(index=i, sheet=sheet, side=side, variant=variant)
        if side == "front":
            self._fronts[sheet] = key
        elif side == "back":
            ctx.front = self._fronts.get(sheet)
        if variant == "note_removed" and i > 0:
            ctx.pair_of = self._keys[-1]
        else:
            prev = [i - 1] + ([i - 2] if self.duplex else [])
            ctx.previous = [self._keys[j] for j in prev
                            if j >= 0 and self._variants[j] != "note_removed" and (j == i - 1 or
                                                                                 self._sides[j] == side)]
        self._keys.append(key)
        self._sides.append(side)
        self._variants.append(variant)
        fut = self.pool.submit(key, ctx, on_result)
        self._futures.append(fut)
        self._contexts.append(ctx)
        return fut

    def finish(self, *, declared_sheets: int | None = None, device_events: list[DeviceEvent] | tuple = (),
               timeout: float | None = None) -> QCReport:
        results = []
        fallback: PageChecker | None = None
        for f, ctx, key in zip(self._futures, self._contexts, self._keys, strict=True):
            try:
                results.append(f.result(timeout=timeout))
            except BrokenExecutor:
                # a worker died (killed, out of memory, a crashing codec): check here instead, never lose a page
                log.warning("QC worker lost; checking %s in the calling process", key)
                fallback = fallback or PageChecker(self.pool.profile, self.pool.paper)
                results.append(fallback.check(key, ctx))
        index_of = {k: i for i, k in enumerate(self._keys)}
        for r in results:
            rel = r.same_as_previous
            if rel and isinstance(rel.get("of"), str) and rel["of"] in index_of:
                rel["of"] = index_of[rel["of"]]
        return check_component(results, duplex=self.duplex, declared_sheets=declared_sheets,
                               profile=self.pool.profile, device_events=device_events)
