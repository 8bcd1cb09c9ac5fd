"""What OCR found on one page, as plain frozen data that crosses process boundaries and caches as JSON."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

RESULT_FORMAT = "scanstation.ocr-result"
RESULT_VERSION = 1


@dataclass(frozen=True)
class OcrWord:
    """One recognised word. Boxes are pixels of the page image as stored (x0, y0, x1, y1), y downwards."""

    text: str                                  # NFC
    box: tuple[int, int, int, int]
    confidence: float                          # 0-100, Tesseract's word confidence
    baseline: tuple[int, int, int, int] | None = None   # (x0, y0, x1, y1) of the word's baseline, if known
    line: int = 0                              # index of the text line the word belongs to

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "box": list(self.box), "confidence": round(self.confidence, 2),
                             "line": self.line}
        if self.baseline is not None:
            d["baseline"] = list(self.baseline)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OcrWord:
        bl = d.get("baseline")
        return cls(text=unicodedata.normalize("NFC", str(d["text"])), box=tuple(int(v) for v in d["box"]),
                   confidence=float(d.get("confidence", 0.0)), baseline=tuple(int(v) for v in bl) if bl else None,
                   line=int(d.get("line", 0)))


@dataclass(frozen=True)
class OcrResult:
    """OCR of one page image. ``words`` are in reading order; ``text`` has one line per text line.

    ``sha256`` is the hash of the image file as read, the key the flow caches results under, so a
    re-assembly or the rescan of another page never recognises a page twice.
    """

    file: str
    sha256: str
    width: int
    height: int
    dpi: tuple[float, float]
    languages: str
    words: tuple[OcrWord, ...] = ()
    text: str = ""
    orientation_deg: int = 0                   # clockwise turn that makes the page upright (0, 90, 180, 270)
    orientation_confidence: float = 0.0
    seconds: float = 0.0
    engine: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: short lines alone in the top and bottom margins (page numbers, folio marks), each read on its
    #: own: page segmentation drops a lone "2" as noise. One OcrWord per line; not in the text layer.
    margins: tuple[OcrWord, ...] = ()

    @property
    def mean_confidence(self) -> float:
        return round(sum(w.confidence for w in self.words) / len(self.words), 2) if self.words else 0.0

    def summary(self) -> dict[str, Any]:
        """The ``scanstation ocr --json`` record of the page."""
        return {"file": self.file, "text": self.text, "words": len(self.words),
                "mean_confidence": self.mean_confidence, "orientation_deg": self.orientation_deg,
                "seconds": round(self.seconds, 3)}

    def to_dict(self) -> dict[str, Any]:
        return {"format": RESULT_FORMAT, "version": RESULT_VERSION, "file": self.file, "sha256": self.sha256,
                "width": self.width, "height": self.height, "dpi": list(self.dpi), "languages": self.languages,
                "text": self.text, "orientation_deg": self.orientation_deg,
                "orientation_confidence": round(self.orientation_confidence, 2), "seconds": round(self.seconds, 3),
                "engine": self.engine, "warnings": list(self.warnings),
                "words": [w.to_dict() for w in self.words], "margins": [w.to_dict() for w in self.margins]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OcrResult:
        if d.get("format") != RESULT_FORMAT or int(d.get("version", 0)) > RESULT_VERSION:
            raise ValueError(f"not a {RESULT_FORMAT} of version <= {RESULT_VERSION}")
        return cls(file=d["file"], sha256=d["sha256"], width=int(d["width"]), height=int(d["height"]),
                   dpi=(float(d["dpi"][0]), float(d["dpi"][1])), languages=d.get("languages", ""),
                   words=tuple(OcrWord.from_dict(w) for w in d.get("words", [])), text=d.get("text", ""),
                   orientation_deg=int(d.get("orientation_deg", 0)),
                   orientation_confidence=float(d.get("orientation_confidence", 0.0)),
                   seconds=float(d.get("seconds", 0.0)), engine=d.get("engine", ""),
                   warnings=tuple(d.get("warnings", [])),
                   margins=tuple(OcrWord.from_dict(w) for w in d.get("margins", [])))
