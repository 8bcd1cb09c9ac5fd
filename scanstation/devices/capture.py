"""Streaming capture: each image is encoded, written and journaled before the driver asks for the next
(and, with a streaming driver, encoded and written while it is still arriving)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from scanstation.devices.base import CapturedImage, DeviceInfo, ScanEvent, ScanRequest
from scanstation.devices.factory import Scanner, open_scanner
from scanstation.devices.pngio import ROW_BLOCK, PngEncoder, preview
from scanstation.errors import DeviceError
from scanstation.fsio import atomic_write_text
from scanstation.model import Page
from scanstation.progress import NULL_PROGRESS, Progress
from scanstation.workarea import WorkArea

log = logging.getLogger(__name__)
MANIFEST_VERSION = 1
IMAGE_EXT = "png"


@dataclass
class PageCaptured:
    """What the per-page callback gets: the journaled page, its position, a small preview, ground truth."""

    page: Page
    index: int                       # 1-based, in feeder order
    preview: np.ndarray              # RGB or grey, longest side <= 256 px
    truth: dict[str, Any] | None = None


@dataclass
class CaptureResult:
    request: ScanRequest
    device: DeviceInfo
    pages: list[Page] = field(default_factory=list)
    truths: list[dict[str, Any] | None] = field(default_factory=list)
    events: list[ScanEvent] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: DeviceError | None = None


def capture(request: ScanRequest, workarea: WorkArea, component_id: str, *,
            on_page: Callable[[PageCaptured], None] | None = None, progress: Progress = NULL_PROGRESS,
            scanner: Scanner | None = None, raise_on_stop: bool = True) -> CaptureResult:
    """Scan ``request`` into ``workarea`` under ``component_id``.

    Validation happens before the device moves (bad device, dpi, mode, source, option: nothing
    scanned). A scanner stop raises its DeviceError subclass with ``.pages`` = the pages already
    written and journaled (or, with ``raise_on_stop=False``, returns them with ``error`` set).
    """
    _keep_page_buffers_mapped()
    scanner = scanner or open_scanner(request.device)
    scanner.validate(request)
    caps = scanner.capabilities()
    result = CaptureResult(request, caps.device, started_at=datetime.now(UTC))
    grey_mode = request.mode == "gray"
    encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scanstation-png")

    def sink(img: CapturedImage) -> None:
        if grey_mode and img.pixels.ndim == 3:   # a driver that cannot do grey delivers colour: convert, do not fail
            import cv2

            img = CapturedImage(cv2.cvtColor(img.complete(), cv2.COLOR_RGB2GRAY), img.sheet, img.side, img.dpi,
                                img.truth)
        page = _write_page(img, workarea, component_id, request.device, encoder)
        if img.truth is not None:
            workarea.record("truth", component=component_id, page=page.id, truth=img.truth)
        result.pages.append(page)
        result.truths.append(img.truth)
        if on_page is not None:
            on_page(PageCaptured(page, len(result.pages), preview(img.pixels), img.truth))

    try:
        result.events = scanner.scan(request, sink, progress)
    except DeviceError as e:
        e.pages = list(result.pages)
        result.events = list(e.details.get("events") or [ScanEvent(e.code.lower().removeprefix("device_"),
                                                                   e.details.get("sheet"), e.message_en)])
        result.error = e
        workarea.record("scan-stopped", component=component_id, code=e.code, message=e.message_en,
                        pages=[p.id for p in result.pages])
        if raise_on_stop:
            raise
    finally:
        encoder.shutdown(wait=True)
        result.finished_at = datetime.now(UTC)
    return result


_malloc_tuned = False


def _keep_page_buffers_mapped() -> None:
    """Let glibc reuse the capture's multi-megabyte per-page buffers instead of mapping them afresh each page.

    Encoding a page allocates a few buffers of 1-2 MB (filtered row block, IDAT chunks, the preview's
    subsample). Above glibc's mmap threshold (128 KiB until something raises it) each is mmapped, zero
    faulted page by page (~1100 minor faults per 300-dpi colour page, 2-3 ms) and unmapped again. glibc
    raises the threshold by itself after freeing a larger mmapped block — which the frame buffer did
    while SANE was read in this process; with frames in the worker's shared memory nothing does. So set
    it once, to where glibc's own adjustment would have ended (32 MiB threshold, trim at twice that).
    Other C libraries: nothing to do.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):    # not glibc (musl has no mallopt tuning of this kind)
        return
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    mallopt(M_MMAP_THRESHOLD, 32 << 20)
    mallopt(M_TRIM_THRESHOLD, 64 << 20)


def _write_page(img: CapturedImage, workarea: WorkArea, component_id: str, device: str,
                encoder: ThreadPoolExecutor) -> Page:
    """Encode, write and journal one image, overlapping with its arrival; returns once it is durable.

    The calling thread follows the image as the driver delivers it (``img.rows()`` reads the
    device); every ``ROW_BLOCK`` new rows go to the encoder thread, which filters, compresses,
    hashes and appends them to the page file (ISA-L deflate and hashlib release the GIL). When the
    last row is in, only the last block, the file's fdatasync and the journal line remain.
    """
    px = img.pixels
    announced, width = px.shape[0], px.shape[1]
    channels = 1 if px.ndim == 2 else 3
    with workarea.open_page(component_id, ext=IMAGE_EXT, sheet=img.sheet, side=img.side) as out:
        state: dict[str, Any] = {}

        def start() -> None:
            state["enc"] = PngEncoder(out.write, width, announced, channels, img.dpi)
            out.sync_name()                      # the name is made durable while the rows still arrive

        def encode(r0: int, r1: int) -> None:
            state["enc"].add_rows(img.pixels[r0:r1])

        jobs = [encoder.submit(start)]
        done = filled = 0
        try:
            for filled in img.rows():
                if filled - done >= ROW_BLOCK:
                    jobs.append(encoder.submit(encode, done, filled))
                    done = filled
                    if jobs[-2].done() and jobs[-2].exception() is not None:
                        break                     # the disk refused: stop here, the error is raised below
            if filled > done:
                jobs.append(encoder.submit(encode, done, filled))
            jobs.append(encoder.submit(lambda: state["enc"].finish()))
        finally:
            wait(jobs)                            # nothing may still write when the file is committed or dropped
        for j in jobs:
            j.result()                            # re-raises a StorageError from the encoder thread
        height = state["enc"].rows_done
        if height != announced:                   # the page ended shorter or longer than the scanner said
            out.patch(0, state["enc"].header(height))
        return out.commit(device=device, dpi=(img.dpi, img.dpi), mode="RGB" if channels == 3 else "L",
                          width=int(width), height=int(height))


def manifest(result: CaptureResult, warnings: list[str] | None = None) -> dict[str, Any]:
    """The run as ``manifest.json`` describes it (file paths relative to the work area root)."""
    mode_name = {"RGB": "color", "L": "gray"}
    pages = []
    for p, truth in zip(result.pages, result.truths):
        d = {"file": p.file, "sheet": p.sheet, "side": p.side.value, "dpi": p.dpi[0],
             "mode": mode_name.get(p.mode, p.mode), "width": p.width, "height": p.height, "sha256": p.sha256,
             "captured_at": p.captured_at.isoformat() if p.captured_at else None, "id": p.id}
        if truth is not None:
            d["ground_truth"] = truth
        pages.append(d)
    err = result.error
    return {
        "version": MANIFEST_VERSION,
        "status": "complete" if err is None else "stopped",
        "device": result.device.to_dict(),
        "request": result.request.to_dict(),
        "started_at": result.started_at.isoformat() if result.started_at else None,
        "finished_at": result.finished_at.isoformat() if result.finished_at else None,
        "image_format": "png",
        "events": [e.to_dict() for e in result.events],
        "error": err.to_dict() if err is not None else None,
        "warnings": list(warnings or []),
        "pages": pages,
    }


def write_manifest(result: CaptureResult, path: Path, warnings: list[str] | None = None) -> dict[str, Any]:
    data = manifest(result, warnings)
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=2))
    return data
