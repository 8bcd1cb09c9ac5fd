"""OCR command: ``ocr`` (recognise page images offline, Vietnamese, and report text, words, confidence)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scanstation.cli import EXIT_OK, emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ocr", help="recognise the text of page images (offline Tesseract, Vietnamese)",
                       description="Run the station's OCR engine on each image and print, per image, the text, "
                                   "the number of words, their mean confidence (0-100), the clockwise turn that "
                                   "would make the page upright (orientation_deg) and the time taken.")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--languages", default=None, metavar="LANGS",
                   help="Tesseract languages, e.g. vie or vie+eng (default: vie)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ocr)


def cmd_ocr(args) -> int:
    from scanstation.ocr import DEFAULT_LANGUAGES, engine_for

    engine = engine_for(args.languages or DEFAULT_LANGUAGES)
    results = [engine.recognise(p).summary() | {"file": str(p)} for p in args.images]
    text = "\n".join(f"{r['file']}: {r['words']} words, mean confidence {r['mean_confidence']:.1f}, "
                     f"orientation {r['orientation_deg']}°, {r['seconds']:.2f} s\n{r['text']}\n" for r in results)
    emit(results, args.json, text)
    return EXIT_OK
