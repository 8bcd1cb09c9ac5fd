"""PDF/A assembly cost of one 10-page 300-dpi A4 component, against just reading its image files.

Run: ``python -m bench.pdf``. Pages look like scans (paper grain, text lines, a coloured stamp), as
colour JPEG (what most counters' scanners give) and as grey PNG (lossless). Times are the best of a
few runs, with the files in the page cache. The stages: check (read, hash, decode every pixel),
build (img2pdf + pikepdf PDF/A preparation + save), validate (pikepdf's PDF/A validator), write.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from scanstation.pdf import build_pdf, check_pdfa, read_page_image, write_pdf

PAGES, DPI, SIZE = 10, 300, (2480, 3508)    # A4 at 300 dpi
RUNS = 3


def _page(seed: int, mode: str) -> Image.Image:
    rng = np.random.default_rng(seed)
    grain = rng.normal(245, 6, (SIZE[1], SIZE[0])).clip(0, 255).astype(np.uint8)
    im = Image.fromarray(grain, "L").convert("RGB")
    d = ImageDraw.Draw(im)
    for y in range(400, 3200, 60):          # "text": short dark dashes of varying length
        x = 250
        while x < 2200:
            w = int(rng.integers(20, 160))
            d.rectangle([x, y, x + w, y + 28], fill=(30, 30, 40))
            x += w + int(rng.integers(15, 40))
    d.ellipse([1700, 2900, 2200, 3400], outline=(200, 20, 20), width=18)   # the red stamp
    return im.convert(mode)


def _best(fn, runs: int = RUNS) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench(kind: str, folder: Path) -> dict[str, float]:
    ext, mode, opts = {"jpeg": ("jpg", "RGB", {"quality": 88}), "png": ("png", "L", {})}[kind]
    files = []
    for i in range(PAGES):
        p = folder / f"{kind}-{i:02d}.{ext}"
        _page(i, mode).save(p, dpi=(DPI, DPI), **opts)
        files.append(p)
    size_mb = sum(p.stat().st_size for p in files) / 1e6

    def read():
        for p in files:
            p.read_bytes()

    out = folder / f"{kind}.pdf"
    t_read = _best(read)
    t_check = _best(lambda: [read_page_image(p) for p in files])
    assembled = build_pdf(files)
    t_total = _best(lambda: write_pdf(build_pdf(files), out))
    t_validate = _best(lambda: check_pdfa(assembled.data, "2b"))
    t_write = _best(lambda: write_pdf(assembled, out))
    return {"size_mb": size_mb, "read": t_read, "check": t_check, "validate": t_validate, "write": t_write,
            "total": t_total, "build": t_total - t_check - t_validate - t_write}


def main() -> int:
    print(f"PDF/A-2b assembly of one component: {PAGES} pages, A4 at {DPI} dpi, best of {RUNS}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("jpeg", "png"):
            r = bench(kind, Path(tmp))
            print(f"  {kind:<4} {r['size_mb']:6.1f} MB of images: read files {r['read'] * 1000:7.1f} ms | "
                  f"assemble {r['total'] * 1000:7.1f} ms ({r['total'] / PAGES * 1000:5.1f} ms/page) = "
                  f"{r['total'] / r['read']:6.0f} x reading")
            print(f"       of which check+decode {r['check'] * 1000:6.1f} ms, img2pdf+pikepdf {r['build'] * 1000:6.1f} ms, "
                  f"validate {r['validate'] * 1000:6.1f} ms, atomic write {r['write'] * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
