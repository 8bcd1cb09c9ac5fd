"""Bytes per page of each image encoding, and OCR accuracy, on the virtual scanner's 300-dpi colour sample dossier.

Run: ``python -m bench.pdf_encodings [SHEETS]`` (default 8 sheets; ``make bench`` runs it). One run
assembles the same kept pages (every front, and the backs that carry something) as ``lossless``,
``jpeg`` and ``mrc`` PDF/A files with the OCR text layer, and prints bytes per page as ratios of
the lossless file, fallbacks of the fidelity guard, seconds per page, and the character error
rate (CER) of the body text against the text the generator drew (pages whose pixels moved after
drawing — skewed, cut off, on a visible backing — or whose text is covered — sticky note, folded or
missing corner — are left out of the CER) — for the OCR of the master and
for the text layer of each file as ``pdftotext`` gives it back.

Targets (issue 11): mrc <= 150 KB/page mean, jpeg <= 500 KB/page, CER <= 2 %, and the mrc file's
text layer within 0.5 percentage points of the lossless one's.

The known text comes from recording what the generator draws (``samplepages._text_block`` and
``_min_ink``): the body paragraphs inside the page's ``body-text`` box, in order.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scanstation import samplepages as sp
from scanstation.ocr import character_error_rate, ocr_page
from scanstation.pdf import build_pdf, check_pdfa, write_pdf

ENCODINGS = ("lossless", "jpeg", "mrc")
_drawn: list[tuple[str, int, int]] = []
_texts: dict[int, str] = {}


def _record() -> None:
    """Record every text block the generator draws, with where it went (bench only)."""
    block, min_ink = sp._text_block, sp._min_ink

    def text_block(text, *a, **kw):
        out = block(text, *a, **kw)
        _texts[id(out)] = text
        return out

    def ink(img, mask, x, y, *a, **kw):
        if id(mask) in _texts:
            _drawn.append((_texts[id(mask)], x, y))
        return min_ink(img, mask, x, y, *a, **kw)

    sp._text_block, sp._min_ink = text_block, ink


def _body_truth(drawn: list[tuple[str, int, int]], box: list[int]) -> str:
    # the body is one full-width column: its paragraphs are the blocks drawn between its top and bottom
    _x, y, _w, h = box
    return " ".join(t for t, _tx, ty in drawn if y <= ty < y + h)


def _words_in(result, box: list[int]) -> str:
    _x, y, _w, h = box
    return " ".join(wd.text for wd in result.words if y - 10 <= wd.box[1] and wd.box[3] <= y + h + 10)


def _ocr_rendered(pdf: Path, n: int, folder: Path):
    """OCR page ``n`` of ``pdf`` as a viewer draws it at 300 dpi: does the encoding itself keep the text readable?"""
    stem = folder / f"render-{pdf.stem}-{n}"
    subprocess.run(["pdftoppm", "-f", str(n), "-l", str(n), "-r", "300", "-png", "-singlefile", str(pdf), str(stem)],
                   check=True)
    return ocr_page(Path(f"{stem}.png"))


def main(argv: list[str]) -> int:
    sheets = int(argv[0]) if argv else 8
    _record()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pages, truths = [], []
        for i, sheet in enumerate(sp.dossier_sheets(11, sheets, dpi=300, mode="color")):
            for spec in (sheet.front, sheet.back):
                if spec.side == "back" and spec.back_kind in sp.BLANK_BACK_KINDS:
                    continue          # QC drops blank backs; they are not pages of the file
                _drawn.clear()
                page = sp.render_page(spec)
                p = folder / f"{i + 1:02d}-{spec.side}.png"
                page.to_pil().save(p, dpi=(300, 300))
                pages.append(p)
                body = next((e["box"] for e in page.truth.get("elements", []) if e["kind"] == "body-text"
                             and spec.skew_deg == 0 and not spec.cut_off and not spec.scanner_border
                             and not spec.sticky_note and not spec.corner), None)
                truths.append((body, _body_truth(list(_drawn), body) if body else ""))
        print(f"{len(pages)} pages (A4, 300 dpi, colour) from {sheets} sheets of the virtual scanner's sample dossier")
        t = time.perf_counter()
        ocr = [ocr_page(p) for p in pages]
        t_ocr = (time.perf_counter() - t) / len(pages)
        cer_master = [character_error_rate(_words_in(r, box), truth) for r, (box, truth) in zip(ocr, truths) if box]
        sizes: dict[str, float] = {}
        for enc in ENCODINGS:
            t = time.perf_counter()
            a = build_pdf(pages, encoding=enc, ocr=ocr)
            dt = (time.perf_counter() - t) / len(pages)
            out = write_pdf(a, folder / f"{enc}.pdf")
            reps = out["page_reports"]
            per_page = [r["bytes"] for r in reps]
            sizes[enc] = out["size"] / len(pages)
            fallbacks = [f"p{r['number']}:{r['fallback']['to']}({r['fallback']['reason']})" for r in reps
                         if r["fallback"]]
            # the text layer as a reader gets it back, per page, against the known body text
            cers, cers_img = [], []
            for n, (box, truth) in enumerate(truths, 1):
                if not box:
                    continue
                txt = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), "-x", "0",
                                      "-y", str(round(box[1] * .24) - 3), "-W", "595",
                                      "-H", str(round(box[3] * .24) + 6), str(folder / f"{enc}.pdf"), "-"],
                                     capture_output=True, text=True, check=True).stdout
                cers.append(character_error_rate(txt, truth))
                cers_img.append(character_error_rate(_words_in(_ocr_rendered(folder / f"{enc}.pdf", n, folder), box),
                                                     truth))
            ok = check_pdfa(folder / f"{enc}.pdf").passed
            print(f"  {enc:<8} {sizes[enc] / 1024:7.0f} KB/page (file {out['size'] / 1e6:6.2f} MB; "
                  f"= {sizes[enc] / sizes['lossless']:6.3f} x lossless; images {statistics.mean(per_page) / 1024:6.0f} "
                  f"KB/page) | {dt:5.2f} s/page to encode+assemble | text layer CER {statistics.mean(cers) * 100:5.2f} % "
                  f"| OCR of the rendered page CER {statistics.mean(cers_img) * 100:5.2f} % "
                  f"| PDF/A {'pass' if ok else 'FAIL'} | fallbacks: {', '.join(fallbacks) or 'none'}")
        print(f"  per-page CER of the master's OCR (%): {[round(c * 100, 2) for c in cer_master]}")
        print(f"  OCR: {t_ocr:5.2f} s/page (one process, one thread); CER of the master's OCR "
              f"{statistics.mean(cer_master) * 100:5.2f} % mean, {max(cer_master) * 100:5.2f} % worst, "
              f"over {len(cer_master)} body texts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
