"""Offline OCR of page images (Tesseract, Vietnamese): words with boxes for the PDF text layer, plain data out."""

from scanstation.ocr.engine import (
    DEFAULT_LANGUAGES,
    OcrEngine,
    OcrError,
    OcrImageError,
    OcrLanguageMissing,
    engine_for,
    find_tessdata,
    ocr_page,
)
from scanstation.ocr.result import OcrResult, OcrWord
from scanstation.ocr.score import character_error_rate

__all__ = [
    "DEFAULT_LANGUAGES", "OcrEngine", "OcrError", "OcrImageError", "OcrLanguageMissing", "OcrResult", "OcrWord",
    "character_error_rate", "engine_for", "find_tessdata", "ocr_page",
]
