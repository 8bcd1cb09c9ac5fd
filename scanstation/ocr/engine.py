"""Tesseract through tesserocr: one engine per worker process, Vietnamese model, words with boxes and confidence.

Why tesserocr (MIT) rather than the tesseract command line (pytesseract): it calls the C++ API in
process, so the ~0.1 s model load happens once per worker instead of once per page, and the word
iterator gives each word's box, baseline and confidence directly (no hOCR/TSV round trip); its
Windows wheel bundles the Tesseract and Leptonica DLLs, so a Windows station needs no separate
Tesseract install — only the ``vie.traineddata`` (and ``osd``/``eng``) files, which the installer
ships in ``<install dir>/tessdata`` (see docs/pdf.md).
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import threading
import time
import unicodedata
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from scanstation.errors import ScanStationError
from scanstation.ocr.result import OcrResult, OcrWord

# One thread per engine: Tesseract's OpenMP threads make a 2-core machine 4x slower wall-clock when
# several pages run at once (FIELD-NOTES, OCR). Must be set before the library loads.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

DEFAULT_LANGUAGES = "vie"          # the Vietnamese model reads Latin-script English too; add "+eng" if needed
MIN_WORD_CONFIDENCE = 30.0         # below this a "word" on a photo or a smudge is noise, not text
MIN_ORIENTATION_CONFIDENCE = 2.0   # Tesseract's OSD confidence below this is a guess (blank pages, photos)
MARGIN_TOP, MARGIN_BOTTOM = 0.08, 0.12   # shares of the page height where page numbers are looked for
MAX_MARGIN_LINES = 6               # per margin: more short lines there is a form's footer, not a page number
OCR_DPI = 200                      # pages scanned finer are read at this resolution: same CER on the
                                   # virtual scanner's body text at 200 as at 300 dpi, ~30 % less CPU
                                   # (bench.pdf_encodings); word boxes are mapped back to the scan's pixels
UPRIGHT_WORDS, UPRIGHT_CONF, UPRIGHT_SHARE = 12, 70.0, 0.8   # text read this surely is upright: no OSD
OSD_LONG_SIDE = 1400               # OSD needs letters, not 300 dpi: ~120 dpi for A4 makes it ~5x cheaper
TESSDATA_ENV = "SCANSTATION_TESSDATA"
# Where the language files are looked for, after SCANSTATION_TESSDATA and TESSDATA_PREFIX.
SYSTEM_TESSDATA = (
    "/usr/share/tesseract-ocr/5/tessdata",      # Debian/Ubuntu tesseract-ocr-vie
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",                       # Fedora, Arch
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)


class OcrError(ScanStationError):
    """OCR could not run on a page (the page itself still goes into the PDF, without text)."""

    code = "OCR"


class OcrLanguageMissing(OcrError):
    """A Tesseract language file is not installed; the message names the file and every folder looked in."""

    code = "OCR_LANGUAGE_MISSING"


class OcrImageError(OcrError):
    code = "OCR_IMAGE"


def _candidate_dirs(extra: Path | str | None) -> list[Path]:
    dirs: list[Path] = []
    if extra:
        dirs.append(Path(extra))
    for var in (TESSDATA_ENV, "TESSDATA_PREFIX"):
        v = os.environ.get(var)
        if v:
            dirs += [Path(v), Path(v) / "tessdata"]
    # A Windows install (and any frozen build) ships the files beside the runtime.
    dirs += [Path(sys.prefix) / "tessdata", Path(sys.executable).parent / "tessdata"]
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("PROGRAMFILES", r"C:\Program Files")) / "Tesseract-OCR" / "tessdata")
    dirs += [Path(p) for p in SYSTEM_TESSDATA]
    seen: list[Path] = []
    for d in dirs:
        if d not in seen:
            seen.append(d)
    return seen


def find_tessdata(languages: str = DEFAULT_LANGUAGES, tessdata: Path | str | None = None) -> Path:
    """The folder holding ``<lang>.traineddata`` for every language of ``languages`` ('vie', 'vie+eng').

    Raises :class:`OcrLanguageMissing` naming the missing file and every folder looked in — what
    the station shows at start-up when the installer or the system package did not bring them.
    """
    langs = [x for x in languages.split("+") if x]
    if not langs:
        raise OcrError("No OCR language given", "Chưa chọn ngôn ngữ nhận dạng chữ", field="languages")
    dirs = _candidate_dirs(tessdata)
    for d in dirs:
        if all((d / f"{lang}.traineddata").is_file() for lang in langs):
            return d
    found = {lang: next((d for d in dirs if (d / f"{lang}.traineddata").is_file()), None) for lang in langs}
    missing = [lang for lang, d in found.items() if d is None] or langs
    where = "; ".join(str(d) for d in dirs)
    files = ", ".join(f"{m}.traineddata" for m in missing)
    raise OcrLanguageMissing(
        f"OCR language file {files} not found; looked in: {where}. On Debian/Ubuntu install tesseract-ocr-"
        f"{missing[0]}; on Windows reinstall the station (it ships tessdata), or set {TESSDATA_ENV}",
        f"Không tìm thấy tệp ngôn ngữ nhận dạng chữ {files}; đã tìm trong: {where}. "
        f"Hãy cài gói tesseract-ocr-{missing[0]} (Linux) hoặc cài đặt lại phần mềm (Windows)",
        field="tessdata", missing=missing, looked_in=[str(d) for d in dirs])


def _load(source: Path | Image.Image) -> tuple[Image.Image, str, str, tuple[float, float]]:
    """The page as a PIL image, its name, SHA-256 and dpi; bad files raise OcrImageError naming the file."""
    if isinstance(source, Image.Image):
        dpi = source.info.get("dpi") or (300.0, 300.0)
        return source, "", "", (float(dpi[0]), float(dpi[1]))
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise OcrImageError(f"Page image {path} cannot be read: {e.strerror or e}",
                            f"Không đọc được ảnh trang {path}", field=str(path)) from e
    if not data:
        raise OcrImageError(f"Page image {path} is empty (0 bytes)", f"Ảnh trang {path} rỗng (0 byte)",
                            field=str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            im.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise OcrImageError(f"Page image {path} is not a readable image: {e}",
                            f"Ảnh trang {path} hỏng hoặc không phải tệp ảnh", field=str(path)) from None
    dpi = im.info.get("dpi") or (300.0, 300.0)
    try:
        dpi = (float(dpi[0]) or 300.0, float(dpi[1]) or 300.0)
    except (TypeError, ValueError, IndexError):
        dpi = (300.0, 300.0)
    return im, path.name, hashlib.sha256(data).hexdigest(), dpi


def _grey(im: Image.Image) -> Image.Image:
    if im.mode in ("L", "1"):
        return im
    if im.mode in ("I;16", "I;16B", "I"):
        return im.point(lambda v: v / 256).convert("L")
    return im.convert("RGB").convert("L")


def _reads_upright(words: list[OcrWord]) -> bool:
    """Whether the words read make a page the right way up: enough of them, nearly all read with
    confidence (a page upside down or sideways reads as a mix of confident and doubtful fragments, in
    our measure at most ~40 % sure), and lying along horizontal lines (Tesseract reads a sideways page's
    vertical lines confidently too; their word boxes stand taller than wide)."""
    long = [w for w in words if len(w.text) >= 3]
    if len(long) < UPRIGHT_WORDS:
        return False
    sure = sum(1 for w in long if w.confidence >= UPRIGHT_CONF)
    flat = sum(1 for w in long if (w.box[2] - w.box[0]) > (w.box[3] - w.box[1]))
    return sure >= UPRIGHT_SHARE * len(long) and flat >= UPRIGHT_SHARE * len(long)


class OcrEngine:
    """A loaded Tesseract model. Not thread-safe: use one per thread or, better, one per worker process."""

    def __init__(self, languages: str = DEFAULT_LANGUAGES, tessdata: Path | str | None = None, *,
                 orientation: bool = True) -> None:
        import tesserocr

        self.languages = languages
        self.tessdata = find_tessdata(languages, tessdata)
        self.engine = tesserocr.tesseract_version().splitlines()[0].strip()
        try:
            self._api = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang=languages,
                                                psm=tesserocr.PSM.AUTO)
        except RuntimeError as e:
            raise OcrLanguageMissing(f"Tesseract could not load {languages} from {self.tessdata}: {e}",
                                     f"Không nạp được dữ liệu ngôn ngữ {languages} từ {self.tessdata}",
                                     field="tessdata") from e
        # one line at a time, for the short lines alone in the margins (page numbers)
        self._line = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang=languages,
                                             psm=tesserocr.PSM.SINGLE_LINE)
        self._osd = None
        if orientation and (self.tessdata / "osd.traineddata").is_file():
            self._osd = tesserocr.PyTessBaseAPI(path=str(self.tessdata) + os.sep, lang="osd",
                                                psm=tesserocr.PSM.OSD_ONLY)
        self._lock = threading.Lock()

    def close(self) -> None:
        for api in (self._api, self._osd, self._line):
            if api is not None:
                api.End()
        self._api = self._osd = self._line = None

    def __enter__(self) -> OcrEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _orientation(self, grey: Image.Image) -> tuple[int, float]:
        if self._osd is None:
            return 0, 0.0
        scale = OSD_LONG_SIDE / max(grey.size)
        small = grey.resize((max(1, round(grey.width * scale)), max(1, round(grey.height * scale))),
                            Image.Resampling.BILINEAR) if scale < 1 else grey
        self._osd.SetImage(small)
        try:
            osd = self._osd.DetectOrientationScript()
        except RuntimeError:      # no text to judge by (blank page, photo)
            return 0, 0.0
        if not osd or osd.get("orient_conf", 0.0) < MIN_ORIENTATION_CONFIDENCE:
            return 0, float(osd.get("orient_conf", 0.0)) if osd else 0.0
        # Tesseract reports how far the text is turned clockwise; the fix is the same turn counter-clockwise,
        # i.e. (360 - that) clockwise (a page turned 90 degrees counter-clockwise reports 270 and needs 90).
        return (360 - int(osd["orient_deg"])) % 360, float(osd["orient_conf"])

    def _margins(self, grey: Image.Image, dpi: float) -> list[OcrWord]:
        """Read each short line alone in the top and bottom margins on its own (see OcrResult.margins)."""
        import cv2
        import numpy as np

        a = np.asarray(grey)
        h, w = a.shape
        mm = dpi / 25.4
        out: list[OcrWord] = []
        for y0, y1 in ((0, int(h * MARGIN_TOP)), (int(h * (1 - MARGIN_BOTTOM)), h)):
            strip = a[y0:y1]
            if strip.size == 0:
                continue
            paper = float(np.percentile(strip, 90))
            if paper < 120:                       # no paper here (a dark page, a photo)
                continue
            ink = (strip < paper * 0.6).astype(np.uint8)
            n, _lab, stats, _c = cv2.connectedComponentsWithStats(ink, connectivity=8)
            boxes = [(int(x), int(y), int(x + bw), int(y + bh)) for x, y, bw, bh, area in stats[1:]
                     if 0.8 * mm <= bh <= 8 * mm and bw <= 40 * mm and area >= 4
                     and x > 0 and y > 0 and x + bw < w and y + bh < strip.shape[0]]   # not the paper's edge
            lines: list[list[int]] = []
            for x0, by0, x1, by1 in sorted(boxes):
                for ln in lines:
                    if min(by1, ln[3]) - max(by0, ln[1]) > 0.3 * (by1 - by0) and x0 - ln[2] < 6 * mm:
                        ln[0], ln[1], ln[2], ln[3] = min(ln[0], x0), min(ln[1], by0), max(ln[2], x1), max(ln[3], by1)
                        break
                else:
                    lines.append([x0, by0, x1, by1])
            lines = [ln for ln in lines if ln[2] - ln[0] <= 60 * mm][:MAX_MARGIN_LINES]
            pad = int(3 * mm)
            for x0, by0, x1, by1 in lines:
                box = (max(0, x0 - pad), max(0, y0 + by0 - pad), min(w, x1 + pad), min(h, y0 + by1 + pad))
                self._line.SetImage(grey.crop(box))
                self._line.SetSourceResolution(round(dpi))
                text = unicodedata.normalize("NFC", (self._line.GetUTF8Text() or "").strip())
                conf = self._line.MeanTextConf()
                if text and conf >= MIN_WORD_CONFIDENCE:
                    out.append(OcrWord(text=text, box=(x0, y0 + by0, x1, y0 + by1), confidence=float(conf)))
        return out

    def recognise(self, source: Path | Image.Image) -> OcrResult:
        """OCR one page. A page with no readable text gives an empty result, not an error."""
        from tesserocr import RIL, iterate_level

        t0 = time.perf_counter()
        im, name, sha, dpi = _load(source)
        grey = _grey(im)
        f = OCR_DPI / dpi[0] if dpi[0] > OCR_DPI * 1.1 else 1.0
        work = grey.resize((max(1, round(grey.width * f)), max(1, round(grey.height * f))),
                           Image.Resampling.BOX) if f < 1 else grey

        def px(v: float) -> int:
            return round(v / f)

        with self._lock:
            self._api.SetImage(work)
            self._api.SetSourceResolution(round(dpi[0] * f))
            try:
                self._api.Recognize()
            except RuntimeError as e:
                raise OcrError(f"Tesseract failed on {name or 'the page'}: {e}",
                               f"Lỗi nhận dạng chữ trên {name or 'trang'}", field=name or None) from e
            words: list[OcrWord] = []
            line = -1
            it = self._api.GetIterator()
            for w in iterate_level(it, RIL.WORD):
                if w.IsAtBeginningOf(RIL.TEXTLINE):
                    line += 1
                try:
                    text = unicodedata.normalize("NFC", (w.GetUTF8Text(RIL.WORD) or "").strip())
                except RuntimeError:   # tesserocr's "No text returned": an empty page or element
                    continue
                box = w.BoundingBox(RIL.WORD)
                c = w.Confidence(RIL.WORD)
                if not text or box is None or c < MIN_WORD_CONFIDENCE:
                    continue
                bl = w.Baseline(RIL.WORD)
                words.append(OcrWord(text=text, box=(px(box[0]), px(box[1]), px(box[2]), px(box[3])),
                                     confidence=round(float(c), 2),
                                     baseline=(px(bl[0][0]), px(bl[0][1]), px(bl[1][0]), px(bl[1][1])) if bl else None,
                                     line=max(line, 0)))
            self._api.Clear()
            # Text read with confidence is the right way up; only a page without it (turned, a photo,
            # nearly empty) pays for orientation detection.
            deg, conf = (0, 0.0) if _reads_upright(words) else self._orientation(grey)
            margins = self._margins(grey, dpi[1]) if deg == 0 else []
        lines: dict[int, list[str]] = {}
        for w in words:
            lines.setdefault(w.line, []).append(w.text)
        text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
        return OcrResult(file=name, sha256=sha, width=im.width, height=im.height, dpi=dpi,
                         languages=self.languages, words=tuple(words), text=text, orientation_deg=deg,
                         orientation_confidence=conf, seconds=time.perf_counter() - t0, engine=self.engine,
                         margins=tuple(margins))


_engines: dict[tuple[str, str, bool], OcrEngine] = {}
_engines_lock = threading.Lock()


def engine_for(languages: str = DEFAULT_LANGUAGES, tessdata: Path | str | None = None, *,
               orientation: bool = True) -> OcrEngine:
    """This process's engine for these languages, loaded on first use and then reused."""
    key = (languages, str(tessdata or ""), orientation)
    with _engines_lock:
        if key not in _engines:
            _engines[key] = OcrEngine(languages, tessdata, orientation=orientation)
        return _engines[key]


def ocr_page(path: Path | str | Image.Image, *, languages: str = DEFAULT_LANGUAGES,
             tessdata: Path | str | None = None, orientation: bool = True) -> OcrResult:
    """OCR one page image with this process's engine: the flow's call, from a worker process."""
    return engine_for(languages, tessdata, orientation=orientation).recognise(
        path if isinstance(path, Image.Image) else Path(path))
