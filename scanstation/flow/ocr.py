"""The text layer's OCR and the pages' encoding, done once, in the background while the scan goes on.

:class:`PageLane` is a low-priority worker process that receives pages as QC keeps them (blank backs
are skipped), so when the clerk signs the text and the compact encoding are already there; every
OCR result is cached by the page's SHA-256 in the work area (``<work>/ocr/<sha>.json``), so re-assembly or the rescan of another
page never recognises a page twice. :func:`recognise` (called by the build) takes what is cached,
waits for what the lane is still reading and reads the rest itself.

OCR also tells which way up a page is and its printed page number: both are journaled (``reading``);
a turned page becomes a finding whose fix is one rotation, and numbers that run backwards or skip
a finding on the component's order.

A page OCR cannot read (blank, photo, handwriting, an engine that fails or a worker that dies)
still goes in the file, without text: its entry is None and the reason is returned as a warning,
never an error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, CancelledError, Future, ProcessPoolExecutor, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from scanstation.errors import ScanStationError
from scanstation.flow.session import DossierSession
from scanstation.fsio import atomic_write_bytes, atomic_write_text
from scanstation.model import Component, Page
from scanstation.progress import NULL_PROGRESS, Progress

log = logging.getLogger(__name__)

#: OSD confidence from which a turned page is reported (below it a guess on a photo or a form is as
#: likely as not; measured on the virtual scanner's turned pages: 6-30 for a turned text page).
ORIENTATION_REPORT_CONFIDENCE = 3.0
#: how long the build waits for a page the lane is still reading before reading it itself
LANE_WAIT_S = 120.0

OnRead = Callable[[str, str], None]       # (component id, page id), called on a lane thread


def judged_blank(p: Page) -> bool:
    """QC found nothing on this page (a blank back kept by the all-or-none rule): no text to read."""
    return ((p.qc or {}).get("blank") or {}).get("verdict") == "blank"


def cache_dir(s: DossierSession) -> Path:
    return s.workarea.root / "ocr"


def _cached(folder: Path, sha: str) -> Any:
    from scanstation.ocr import OcrResult

    f = folder / f"{sha}.json"
    if not f.is_file():
        return None
    try:
        return OcrResult.from_dict(json.loads(f.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None                                  # a damaged cache entry is simply redone


def _store(folder: Path, result: Any) -> None:
    try:
        atomic_write_text(folder / f"{result.sha256}.json", json.dumps(result.to_dict(), ensure_ascii=False))
    except OSError as e:                             # a full disk costs the cache, not the page
        log.warning("OCR cache %s not written: %s", folder, e.strerror or e)


def _encoded_file(folder: Path, sha: str, encoding: str, quality: int) -> Path:
    return folder / f"{sha}.{encoding}-q{quality}.page"


def _load_encoded(folder: Path, sha: str, encoding: str, quality: int) -> Any:
    """A page's compact encoding made earlier (by the lane, in another run of the station), or None."""
    from scanstation.pdf import EncodedPage

    f = _encoded_file(folder, sha, encoding, quality)
    try:
        enc = EncodedPage.from_bytes(f.read_bytes())
    except (OSError, ValueError):
        return None                                  # none, or damaged: simply made again
    ok = enc.source_sha256 == sha and enc.requested == encoding and enc.quality == quality
    return enc if ok else None


def _store_encoded(folder: Path, enc: Any, encoding: str, quality: int) -> None:
    try:
        atomic_write_bytes(_encoded_file(folder, enc.source_sha256, encoding, quality), enc.to_bytes())
    except OSError as e:                             # a full disk costs the head start, not the page
        log.warning("encoded page not kept in %s: %s", folder, e.strerror or e)


#: A printed page number: a short line alone in the top or bottom margin — "2", "- 2 -", "Trang 2",
#: "Trang 2/5", "2/5", "Page 2".
_PAGE_NO = re.compile(r"^(?:[-–—]\s*)?(?:(?:trang|tr\.|page|p\.)\s*)?(\d{1,3})(?:\s*/\s*\d{1,3})?(?:\s*[-–—])?$",
                      re.IGNORECASE)
MARGIN_TOP = 0.08          # share of the page height searched for a page number at the top
MARGIN_BOTTOM = 0.12       # and at the bottom


def page_number(result: Any) -> int | None:
    """The page number printed in the page's top or bottom margin, if OCR read exactly one there."""
    h = int(getattr(result, "height", 0) or 0)
    if not h:
        return None
    lines: dict[Any, list[Any]] = {}
    for w in getattr(result, "words", ()) or ():
        lines.setdefault(("w", int(w.line)), []).append(w)
    for k, w in enumerate(getattr(result, "margins", ()) or ()):      # each read alone: one line each
        lines[("m", k)] = [w]
    found: set[int] = set()
    for ws in lines.values():
        top = min(w.box[1] for w in ws)
        bottom = max(w.box[3] for w in ws)
        if not (bottom <= h * MARGIN_TOP or top >= h * (1 - MARGIN_BOTTOM)) or len(ws) > 3:
            continue
        m = _PAGE_NO.match(" ".join(w.text for w in ws).strip())
        if m and 0 < int(m.group(1)) < 1000:
            found.add(int(m.group(1)))
    return found.pop() if len(found) == 1 else None


def note_reading(s: DossierSession, page_id: str, result: Any) -> bool:
    """Journal what OCR read off a page that matters to the checks (which way up it is, its printed
    page number); only a change is written. True if it changed."""
    deg = int(getattr(result, "orientation_deg", 0)) % 360
    conf = float(getattr(result, "orientation_confidence", 0.0))
    if deg and conf < ORIENTATION_REPORT_CONFIDENCE:
        deg = 0
    number = page_number(result) if deg == 0 else None     # a turned page's margins are elsewhere
    new = {"deg": deg, "confidence": round(conf, 2), "number": number}
    with s.lock:
        old = s.readings.get(page_id)
        if old is not None and old.get("deg") == deg and old.get("number") == number:
            return False
        if not any(p.id == page_id for c in s.dossier.components for p in c.pages):
            return False                              # the page was removed meanwhile
        s.journal("reading", page=page_id, **new)
        s.readings[page_id] = new
    return True


def encoding_of(s: DossierSession) -> tuple[str, int]:
    """The image encoding and JPEG quality the build will use for this dossier."""
    from scanstation.pdf.encode import DEFAULT_JPEG_QUALITY

    enc = s.settings.get("pdf.image_encoding") or s.profile.image_encoding
    return str(enc), int(s.settings.get("pdf.jpeg_quality") or DEFAULT_JPEG_QUALITY)


class PageLane:
    """OCR and encoding of kept pages in one low-priority worker process, started on first use.

    The window keeps one for its life (beside the QC pool); pages are sent as QC keeps them, so the
    text layer and the compact encoding are made while the scan goes on. Thread-safe. A crashed or
    hung worker costs the pages in flight their head start (the build then does them itself), never
    a page or the dossier.
    """

    def __init__(self, languages: str | None = None, workers: int | None = None) -> None:
        from scanstation.ocr import DEFAULT_LANGUAGES

        self.languages = languages or DEFAULT_LANGUAGES
        # one per core, up to two: at low priority they take only what the scan, QC and the window leave
        # (a page costs ~2 s of CPU and a 60-images-a-minute feeder brings a content page every ~2 s)
        self.workers = max(1, workers if workers is not None else min(2, os.cpu_count() or 1))
        self._ex: ProcessPoolExecutor | None = None
        self._pending: dict[str, Future[tuple[Any, Any, str | None]]] = {}
        #: (page sha, encoding, quality) -> EncodedPage made in the background (kept for this process's life)
        self._encoded: dict[tuple[str, str, int], Any] = {}
        self._lock = threading.Lock()
        self._closed = False

    def _executor(self) -> ProcessPoolExecutor:
        from scanstation.flow.lane_worker import init_worker

        if self._ex is None:
            self._ex = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=init_worker, initargs=(self.languages, os.getpid()))
        return self._ex

    def warm_up(self) -> None:
        """Start the workers and load the OCR model now (the window does this at start-up), so the first
        page of the day is read as soon as it arrives, not after a worker's start (~2-10 s)."""
        from scanstation.flow.lane_worker import warm

        with self._lock:
            if self._closed:
                return
            futs = [self._executor().submit(warm) for _ in range(self.workers)]
        for f in futs:
            try:
                f.result(timeout=LANE_WAIT_S)
            except Exception as e:  # noqa: BLE001 - a lane that cannot start costs the head start only
                log.warning("page lane did not start: %s", e)
                return

    def pending(self, sha: str) -> Future[tuple[Any, Any, str | None]] | None:
        with self._lock:
            return self._pending.get(sha)

    def encoded(self, sha: str, encoding: str, quality: int) -> Any:
        with self._lock:
            return self._encoded.get((sha, encoding, quality))

    def busy(self) -> int:
        with self._lock:
            return sum(1 for f in self._pending.values() if not f.done())

    def submit(self, s: DossierSession, c: Component, page: Page, on_read: OnRead | None = None) -> bool:
        """Read and encode ``page`` in the background unless done or on its way. True if sent."""
        from scanstation.flow.lane_worker import read_page

        folder = cache_dir(s)
        encoding, quality = encoding_of(s)
        cached = _cached(folder, page.sha256)
        if cached is not None and note_reading(s, page.id, cached) and on_read is not None:
            on_read(c.id, page.id)
        want_ocr = cached is None and s.profile.ocr_text_layer and not judged_blank(page)
        need_enc = encoding != "lossless" and self.encoded(page.sha256, encoding, quality) is None
        if need_enc and (kept := _load_encoded(folder, page.sha256, encoding, quality)) is not None:
            with self._lock:                           # made in an earlier run of the station
                self._encoded[(page.sha256, encoding, quality)] = kept
            need_enc = False
        if not want_ocr and not need_enc:
            return False
        with self._lock:
            if self._closed or page.sha256 in self._pending:
                return False
            try:
                fut = self._executor().submit(read_page, str(s.workarea.root / page.file), want_ocr,
                                              encoding if need_enc else None, quality)
            except (BrokenExecutor, RuntimeError) as e:
                log.warning("page lane unavailable (%s); the build will do the pages itself", e)
                self._ex = None
                return False
            self._pending[page.sha256] = fut

        def done(f: Future[tuple[Any, Any, str | None]]) -> None:      # a pool thread
            from scanstation.ocr import OcrResult

            if f.cancelled():                                  # the build took the page over
                with self._lock:
                    self._pending.pop(page.sha256, None)
                return
            try:
                raw, enc, err = f.result()
                result = OcrResult.from_dict(raw) if raw is not None else None
            except (CancelledError, BrokenExecutor, ScanStationError, OSError, ValueError, KeyError) as e:
                log.warning("background reading of %s failed: %s", page.file, getattr(e, "message_en", e))
                result, enc, err = None, None, None
            if err:
                log.warning("background reading of %s: %s", page.file, err)
            if result is not None:
                _store(folder, result)
            if enc is not None:
                _store_encoded(folder, enc, encoding, quality)
            with self._lock:
                if enc is not None:
                    self._encoded[(page.sha256, encoding, quality)] = enc
                self._pending.pop(page.sha256, None)
            if result is not None and note_reading(s, page.id, result) and on_read is not None:
                on_read(c.id, page.id)

        fut.add_done_callback(done)
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every page sent so far is done (or failed). False on timeout."""
        with self._lock:
            futs = list(self._pending.values())
        for f in futs:
            try:
                f.result(timeout=timeout)
            except FutureTimeout:
                return False
            except Exception:  # noqa: BLE001 - a failed page is the build's to redo
                continue
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            ex, self._ex = self._ex, None
            self._pending.clear()
            self._encoded.clear()
        if ex is not None:
            # The workers' results are only a head start (they write nothing), so they are stopped now, not
            # waited for: a low-priority worker still loading the model or reading a page on a busy PC
            # (an antivirus scan) kept the station's process alive after its window closed, for as long
            # as the page took - the interpreter's exit joins the pool. Python 3.14 has terminate_workers().
            workers = list((getattr(ex, "_processes", None) or {}).values())
            ex.shutdown(wait=False, cancel_futures=True)
            for proc in workers:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    proc.terminate()


#: pages left from which the build's catch-up starts a pool on every core (fewer: read in-process)
CATCH_UP_MIN_PAGES = 3
Made = dict[tuple[str, str, int], Any]     # (page sha, encoding, quality) -> EncodedPage


def catch_up(s: DossierSession, lane: PageLane | None, progress: Progress = NULL_PROGRESS) -> Made:
    """The clerk is waiting: every kept page still without its text or its compact encoding is done now.

    With the window's lane (its workers started at start-up, the model loaded) the pages it lost or never
    had go to it; starting a pool then would cost more (a fork of the station per worker, ~100-200 ms
    with the interpreter lock held: a stall of the window, and a model load each). Without a lane (the
    CLI, the demo) they are done in a pool at full priority, one worker per core.

    Returns the encodings made (and those an earlier run kept on disk); OCR results go to the cache, where :func:`recognise` finds them. A
    page that fails here is simply left to the build's own reading (never lost, never an error)."""
    from scanstation.flow.lane_worker import init_worker, read_page
    from scanstation.ocr import DEFAULT_LANGUAGES, OcrResult

    encoding, quality = encoding_of(s)
    want_enc, want_ocr = encoding != "lossless", bool(s.profile.ocr_text_layer)
    folder = cache_dir(s)
    todo: list[tuple[Page, bool, bool]] = []
    made: Made = {}
    seen: set[str] = set()
    for c in s.dossier.components:
        if not c.digitised:
            continue
        for p in c.kept_pages():
            if p.sha256 in seen:
                continue
            seen.add(p.sha256)
            if lane is not None and lane.pending(p.sha256) is not None:
                continue                       # in the lane, started or queued: its workers are warm
            # (the OCR cache is only looked for here; recognise reads it, and redoes a damaged one)
            need_ocr = want_ocr and not judged_blank(p) and not (folder / f"{p.sha256}.json").is_file()
            need_enc = want_enc and (lane is None or lane.encoded(p.sha256, encoding, quality) is None)
            if need_enc and (kept := _load_encoded(folder, p.sha256, encoding, quality)) is not None:
                made[(p.sha256, encoding, quality)] = kept      # read once: encodings() takes it from here
                need_enc = False
            if (need_ocr or need_enc) and not (lane is not None and lane.submit(s, c, p)):
                todo.append((p, need_ocr, need_enc))
    if len(todo) < CATCH_UP_MIN_PAGES:
        return made
    languages = lane.languages if lane is not None else DEFAULT_LANGUAGES
    ex = ProcessPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1),
                             mp_context=multiprocessing.get_context("spawn"),
                             initializer=init_worker, initargs=(languages, os.getpid(), False))
    try:
        futs = {ex.submit(read_page, str(s.workarea.root / p.file), need_ocr, encoding if need_enc else None,
                          quality): p for p, need_ocr, need_enc in todo}
        for k, f in enumerate(as_completed(futs)):
            progress.check("OCR")
            progress.report(k, len(todo), futs[f].file)
            p = futs[f]
            try:
                raw, enc, err = f.result()
            except (BrokenExecutor, OSError, RuntimeError) as e:
                log.warning("reading %s at build time failed (%s); the build reads it itself", p.file, e)
                continue
            if err:
                log.warning("reading %s at build time: %s", p.file, err)
            if raw is not None:
                _store(folder, OcrResult.from_dict(raw))
            if enc is not None:
                made[(p.sha256, encoding, quality)] = enc
                _store_encoded(folder, enc, encoding, quality)
        progress.report(len(todo), len(todo))
    finally:
        ex.shutdown(wait=False, cancel_futures=True)
    return made


def encodings(s: DossierSession, lane: PageLane | None, made: Made | None = None) -> dict[str, list[Any]] | None:
    """The encodings made for every kept page — by the lane during the scan (waiting for those in
    flight), by the build's catch-up, or kept in the work area by an earlier run; None for lossless."""
    encoding, quality = encoding_of(s)
    if encoding == "lossless":
        return None
    made = made or {}
    folder = cache_dir(s)
    out: dict[str, list[Any]] = {}
    for c in s.dossier.components:
        if not c.digitised:
            continue
        for p in c.kept_pages():
            enc = made.get((p.sha256, encoding, quality))
            fut = lane.pending(p.sha256) if lane is not None and enc is None else None
            if fut is not None:
                try:                           # its result, not the cache: the callback may still be on its way
                    enc = fut.result(timeout=LANE_WAIT_S)[1]
                except Exception:  # noqa: BLE001 - the build encodes this page itself
                    enc = None
            if enc is None and lane is not None:
                enc = lane.encoded(p.sha256, encoding, quality)
            if enc is None:
                enc = _load_encoded(folder, p.sha256, encoding, quality)
            out.setdefault(c.id, []).append(enc)
    return out


def recognise(s: DossierSession, progress: Progress = NULL_PROGRESS,
              lane: PageLane | None = None) -> tuple[dict[str, list[Any]], list[str]]:
    """OCR results for every digitised component's kept pages, in order; and the pages that got no text.

    Cached pages cost nothing; pages the lane is reading are waited for; the rest are read here.
    Orientation is journaled for every page read, so a turned page found only now is a finding."""
    from scanstation.ocr import OcrResult, ocr_page

    out: dict[str, list[Any]] = {}
    warnings: list[str] = []
    pages = [(c, p) for c in s.dossier.components if c.digitised for p in c.kept_pages()]
    folder = cache_dir(s)
    for i, (c, p) in enumerate(pages):
        progress.check("OCR")
        progress.report(i, len(pages), p.file)
        result: Any = _cached(folder, p.sha256)
        if result is None and judged_blank(p):
            out.setdefault(c.id, []).append(None)       # nothing on it to read: no text layer, no warning
            continue
        fut = lane.pending(p.sha256) if (result is None and lane is not None) else None
        if fut is not None:
            try:
                raw = fut.result(timeout=LANE_WAIT_S)[0]
                result = OcrResult.from_dict(raw) if raw is not None else None
                if result is not None:
                    _store(folder, result)
            except Exception as e:  # noqa: BLE001 - the lane failed this page: read it here instead
                log.warning("background OCR of %s did not finish (%s); reading it now", p.file, e)
                result = None
        if result is None:
            try:
                result = ocr_page(s.workarea.root / p.file)
                _store(folder, result)
            except ScanStationError as e:
                log.warning("OCR of %s failed: %s", p.file, e.message_en)
                warnings.append(f"{c.name}: page {c.pages.index(p) + 1}: no text layer ({e.message_en})")
                result = None
        if result is not None:
            note_reading(s, p.id, result)
        out.setdefault(c.id, []).append(result)
    progress.report(len(pages), len(pages))
    return out, warnings
