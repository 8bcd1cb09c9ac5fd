"""The page lane's worker process: OCR and image encoding of one kept page, at low priority.

The flow sends each page QC keeps while the scan goes on, so when the clerk signs the text layer
and the compact encoding (jpeg, mrc with its fidelity guard) are already made. Results cross the
process boundary as plain data (the OCR result as a dict, the encoded page as a small dataclass of
bytes). A worker exits as soon as its station is gone, whatever ended it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

#: how much lower than the station the worker runs (POSIX nice increment): the scanner's reader,
#: QC and the window come first; the lane takes what is left of the CPU.
NICE_INCREMENT = 10

_LANG = "vie"


def init_worker(languages: str, parent_pid: int, low_priority: bool = True) -> None:
    """Pool initializer: lower the priority (the lane; not the build's catch-up) and watch the parent."""
    try:
        if low_priority and hasattr(os, "nice"):
            os.nice(NICE_INCREMENT)
        elif low_priority and os.name == "nt":     # pragma: no cover - Windows
            import ctypes

            k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            k32.SetPriorityClass(k32.GetCurrentProcess(), 0x00004000)    # BELOW_NORMAL_PRIORITY_CLASS
    except OSError:
        pass                                       # not allowed: run at normal priority
    try:
        import cv2

        cv2.setNumThreads(1)                       # one worker = one core
    except ImportError:                            # pragma: no cover
        pass
    global _LANG
    _LANG = languages
    from scanstation.lifeline import exit_with_parent

    exit_with_parent(parent_pid)        # gone with the station, whatever ended it (scanstation.lifeline)


def read_page(path: str, ocr: bool, encoding: str | None, jpeg_quality: int) -> tuple[Any, Any, str | None]:
    """OCR and/or encode one page: (OCR result dict or None, EncodedPage or None, error text or None).

    A failure of one half does not cost the other: the build redoes only what is missing."""
    result: Any = None
    encoded: Any = None
    errors: list[str] = []
    if ocr:
        from scanstation.errors import ScanStationError
        from scanstation.ocr import ocr_page

        try:
            result = ocr_page(Path(path), languages=_LANG).to_dict()
        except ScanStationError as e:
            errors.append(e.message_en)
    if encoding and encoding != "lossless":
        from scanstation.errors import ScanStationError
        from scanstation.pdf import encode_page, read_page_image

        try:
            encoded = encode_page(read_page_image(Path(path)), encoding, jpeg_quality=jpeg_quality)
        except (ScanStationError, ValueError, OSError) as e:
            errors.append(str(getattr(e, "message_en", e)))
    return result, encoded, "; ".join(errors) or None


def warm() -> int:
    """Load what a page needs (the OCR model, the encoders) before the first page arrives."""
    from scanstation.ocr import engine_for
    from scanstation.pdf import encode_page  # noqa: F401

    engine_for(_LANG)
    return os.getpid()
