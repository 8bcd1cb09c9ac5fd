"""Issue 16 figures, per case kind, in one run: false passes and false blocks on the labelled cases,
and the per-page cost of the whole ``scanstation qc`` command on a component of same-layout pages
(one form filled many times) against the quarter-scale decode floor. Run: python -m bench.qc_trust [--quick]"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from scanstation import samplepages as sp
from scanstation.qc.batch import run_batch
from scanstation.qc.imageio import RawFrame
from scanstation.qc.page import PageChecker, PageContext
from tests.qc import synth


def _jpeg(px: np.ndarray, dpi: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG", quality=88, dpi=(dpi, dpi))
    return buf.getvalue()


def _check(ck, px, dpi, side="front"):
    return ck.finish(ck.analyse(RawFrame(px, (dpi, dpi))), PageContext(0, 1, side))


def kinds(seeds: int) -> list[tuple[str, int, int]]:
    """(case kind, wrong, total) for each kind."""
    ck = PageChecker("vn-2019-seeds", "A4")
    out = []
    for dpi in (150, 200, 300):
        bad = tot = 0
        for mark in synth.SMALL_MARKS:
            for s in range(seeds):
                tot += 1
                bad += _check(ck, synth.small_mark_back(s, dpi, mark, border=s % 2 == 0), dpi, "back").verdict == "blank"
        out.append((f"small mark on a back called blank ({dpi} dpi)", bad, tot))
    bad = tot = 0
    for kind in sp.BLANK_BACK_KINDS:
        for s in range(seeds):
            tot += 1
            bad += _check(ck, sp.back_page(s, kind, dpi=150, scanner_border=s % 2 == 0).image, 150, "back").verdict \
                != "blank"
    out.append(("blank back not called blank", bad, tot))
    folds = tot = 0
    for s in range(seeds):
        for border in (False, True):
            for skew in (0.0, 2.0, -1.0):
                for dpi in (150, 300):
                    p = sp.front_page(s, dpi=dpi, corner=f"folded:{sp.CORNERS[s % 4]}", scanner_border=border,
                                      skew_deg=skew)
                    tot += 1
                    folds += "CORNER_FOLDED" not in {f.code for f in _check(ck, p.image, dpi).findings}
    out.append(("folded corner not blocked", folds, tot))
    bad = tot = 0
    for s in range(seeds):
        p = sp.front_page(s, dpi=150, skew_deg=3.0 * (1 if s % 2 else -1))
        tot += 1
        bad += "CORNER_MISSING" in {f.code for f in _check(ck, p.image, 150).findings}
    out.append(("skewed page with a false CORNER_MISSING", bad, tot))
    dups = tot = 0
    for seed in range(5, 5 + max(2, seeds // 2)):
        sheets = sp.dossier_sheets(seed, 4, dpi=150)
        imgs = [_jpeg(sp.render_page(s.front).image, 150) for s in sheets]
        for i in range(4):
            for j in range(i + 1, 4):
                tot += 1
                a = ck.analyse(imgs[i], key="a")
                b = ck.analyse(imgs[j], key="b")
                m = ck.compare(a, b, prefilter=False)
                dups += bool(m and m.same)
    out.append(("different documents judged the same page (duplicate / note pair)", dups, tot))
    notes = found = flags = fronts = 0
    cols = list(sp.STICKY_COLOURS)
    for s in range(seeds * 2):
        p = sp.front_page(2000 + s, dpi=150, sticky_note=cols[s % len(cols)], scanner_border=s % 3 == 0)
        notes += 1
        found += [n["color"] for n in _check(ck, p.image, 150).sticky_notes] == [cols[s % len(cols)]]
        q = sp.front_page(3000 + s, dpi=150, letterhead=True, photo=s % 2 == 0)
        fronts += 1
        flags += bool(_check(ck, q.image, 150).sticky_notes)
    out.append(("sticky note not found with its colour", notes - found, notes))
    out.append(("page without a note flagged as one", flags, fronts))
    return out


LAYOUTS = {"one form filled many times": lambda k: dict(form_id=1, fill_seed=100 + k, letterhead="band"),
           "letters on one letterhead": lambda k: dict(form_id=10 + k, fill_seed=200 + k, letterhead="band")}


def command_cost(n: int, layout: str, runs: int = 4) -> tuple[float, float, float]:
    """Per-page seconds of the whole qc command on same-layout pages (N-page run minus 1-page run over
    N-1, each the fastest of ``runs``), the quarter-scale decode floor of the same JPEGs, and the
    per-page seconds of the same checks in-process on one thread."""
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for k in range(n):
            c = synth.front_page(np.random.default_rng(k), 300, **LAYOUTS[layout](k))
            px = synth.scan(c, np.random.default_rng(k + 7), skew=0.3)[:, :, ::-1]
            p = Path(d) / f"{k:02d}.jpg"
            p.write_bytes(_jpeg(np.ascontiguousarray(px), 300))
            paths.append(str(p))

        def run(files):
            best = float("inf")
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "scanstation", "qc", "--json", *files], check=True,
                               stdout=subprocess.DEVNULL)
                best = min(best, time.perf_counter() - t)
            return best

        per_page = (run(paths) - run(paths[:1])) / (n - 1)
        datas = [Path(p).read_bytes() for p in paths]
        floor = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for b in datas:
                cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_4)
            floor = min(floor, (time.perf_counter() - t) / n)
        # the same checks in this process on one thread (no read-ahead decode, no start-up, no JSON):
        # what the command costs where no second core is free
        run_batch(paths[:2], duplex=False, read_ahead=False)
        one = float("inf")
        for _ in range(2):
            t = time.perf_counter()
            run_batch(paths, duplex=False, read_ahead=False)
            one = min(one, (time.perf_counter() - t) / n)
        return per_page, floor, one


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    print("case kind: wrong / total")
    for name, bad, tot in kinds(3 if quick else 8):
        print(f"  {name}: {bad}/{tot} ({bad / tot:.1%})")
    n = 8 if quick else 24
    print(f"qc command on {n} same-layout pages (300 dpi, colour JPEG), per page; floor: the quarter-scale grey "
          f"decode of the same files (load average {os.getloadavg()[0]:.1f}):")
    for layout in LAYOUTS:
        per_page, floor, one = command_cost(n, layout)
        print(f"  {layout}: {per_page * 1000:.1f} ms/page, floor {floor * 1000:.1f} ms -> "
              f"{per_page / floor:.2f}x the floor (target <= 1.5x); on one thread in-process "
              f"(no read-ahead): {one / floor:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
