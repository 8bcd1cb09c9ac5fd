"""The text layer's OCR: each kept page recognised once (cached by its SHA-256 in the work area).

A page OCR cannot read (blank, photo, handwriting, an engine that fails) still goes in the file,
without text: its entry is None and the reason is returned as a warning, never an error.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from scanstation.errors import ScanStationError
from scanstation.flow.session import DossierSession
from scanstation.fsio import atomic_write_text
from scanstation.progress import NULL_PROGRESS, Progress

log = logging.getLogger(__name__)


def cache_dir(s: DossierSession) -> Path:
    return s.workarea.root / "ocr"


def recognise(s: DossierSession, progress: Progress = NULL_PROGRESS) -> tuple[dict[str, list[Any]], list[str]]:
    """OCR results for every digitised component's kept pages, in order; and the pages that got no text."""
    from scanstation.ocr import OcrResult, ocr_page

    out: dict[str, list[Any]] = {}
    warnings: list[str] = []
    pages = [(c, p) for c in s.dossier.components if c.digitised for p in c.kept_pages()]
    folder = cache_dir(s)
    for i, (c, p) in enumerate(pages):
        progress.check("OCR")
        progress.report(i, len(pages), p.file)
        cached = folder / f"{p.sha256}.json"
        result: Any = None
        if cached.is_file():
            try:
                result = OcrResult.from_dict(json.loads(cached.read_text("utf-8")))
            except (OSError, ValueError, KeyError, TypeError):
                result = None                       # a damaged cache entry is simply redone
        if result is None:
            try:
                result = ocr_page(s.workarea.root / p.file)
                atomic_write_text(cached, json.dumps(result.to_dict(), ensure_ascii=False))
            except ScanStationError as e:
                log.warning("OCR of %s failed: %s", p.file, e.message_en)
                warnings.append(f"{c.name}: page {c.pages.index(p) + 1}: no text layer ({e.message_en})")
                result = None
        out.setdefault(c.id, []).append(result)
    progress.report(len(pages), len(pages))
    return out, warnings
