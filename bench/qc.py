"""Image QC benchmark: cost per page vs the decode floor, raw frames, worker CPU share, blank rule vs the
common whole-page threshold. Run: python -m bench.qc [--quick]. Figures are ratios from one run."""

from __future__ import annotations

import io
import sys
import time
from collections import Counter

import cv2
import numpy as np
from PIL import Image

from scanstation import samplepages as sp
from scanstation.qc.imageio import RawFrame
from scanstation.qc.page import PageChecker, PageContext


def _jpeg(px: np.ndarray, dpi: int = 300, q: int = 88) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, "JPEG", quality=q, dpi=(dpi, dpi))
    return buf.getvalue()


def _best(fn, n: int) -> float:
    """Fastest of n timed runs (ms) after one warm-up: the machine is shared, the minimum is the cost."""
    fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return min(ts)


def _paired(floor_fn, qc_fn, n: int) -> tuple[float, float]:
    """Floor and QC timed alternately, so both see the same load; fastest of each."""
    floor_fn(), qc_fn()
    f, q = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        floor_fn()
        t1 = time.perf_counter()
        qc_fn()
        t2 = time.perf_counter()
        f.append((t1 - t0) * 1000)
        q.append((t2 - t1) * 1000)
    return min(f), min(q)


def bench_jpeg(n: int, borders: bool = True) -> dict:
    sheet = sp.SheetSpec(sp.PageSpec(seed=11, side="front", dpi=300, letterhead=True, photo=True),
                         sp.PageSpec(seed=11, side="back", back_kind="show-through", dpi=300))
    f, b = sp.render_sheet(sheet)
    blank = sp.back_page(12, "blank", dpi=300)
    pages = {"front (text, seal, photo)": _jpeg(f.image), "blank back": _jpeg(blank.image),
             "show-through back (+front)": _jpeg(b.image)}
    if borders:     # the scanner's backing visible around the sheet: the sheet's outline is found too
        bf = sp.front_page(11, dpi=300, letterhead=True, photo=True, scanner_border=True)
        bb = sp.back_page(12, "blank", dpi=300, scanner_border=True)
        pages |= {"front, backing visible": _jpeg(bf.image), "blank back, backing visible": _jpeg(bb.image)}
    fdata = pages["front (text, seal, photo)"]
    out = {}
    for name, data in pages.items():
        arr = np.frombuffer(data, np.uint8)
        full = _best(lambda arr=arr: cv2.imdecode(arr, cv2.IMREAD_COLOR), max(3, n // 3))
        ck = PageChecker()
        ck.analyse(fdata, key="front")
        ctx = PageContext(1, 1, "back", front="front") if name.startswith("show-through") else PageContext()
        floor, qc = _paired(lambda arr=arr: cv2.imdecode(arr, cv2.IMREAD_REDUCED_GRAYSCALE_4),
                            lambda data=data, ck=ck, ctx=ctx: ck.check(data, ctx), n)
        out[name] = {"kB": len(data) // 1024, "floor_ms": floor, "full_decode_ms": full, "qc_ms": qc,
                     "ratio": qc / floor}
    return out


def bench_raw(n: int) -> float:
    px = sp.front_page(13, dpi=300).image
    ck = PageChecker()
    return _best(lambda: ck.check(RawFrame(px, (300, 300)), PageContext()), n)


def bench_pool(seconds: float, rate: float = 3.3) -> dict:
    import tempfile
    from pathlib import Path

    from scanstation.qc.pool import QCPool

    tmp = Path(tempfile.mkdtemp(prefix="qcbench-"))
    files = []
    for s in range(8):
        f, b = sp.render_sheet(sp.SheetSpec(sp.PageSpec(seed=100 + s, side="front", dpi=300),
                                            sp.PageSpec(seed=100 + s, side="back",
                                                        back_kind=sp.BACK_KINDS[s % len(sp.BACK_KINDS)], dpi=300)))
        for side, img in (("front", f.image), ("back", b.image)):
            p = tmp / f"{s:03d}_{side}.jpg"
            p.write_bytes(_jpeg(img))
            files.append((p, s + 1, side))
    with QCPool() as pool:
        pool.warm_up()
        session = pool.component(duplex=True)
        total = int(seconds * rate)
        t0 = time.perf_counter()
        latencies = []
        for i in range(total):
            due = t0 + i / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            p, sheet, side = files[i % len(files)]
            start = time.perf_counter()
            session.add(str(p), sheet=(i // 2) + 1, side=side,
                        on_result=lambda r, start=start: latencies.append(time.perf_counter() - start))
        session.finish(timeout=120)
        wall = time.perf_counter() - t0
        cpu = pool.cpu_seconds
    return {"images": total, "wall_s": wall, "cpu_s": cpu, "core_share": cpu / wall,
            "p95_latency_ms": float(np.percentile(latencies, 95) * 1000)}


# --- the common whole-page rule, as published by the best-known open scanner app -------------------
def common_rule_blank(rgb: np.ndarray) -> bool:
    """Ink = luma below 179; a 1 % border is ignored; blank when ink covers under 0.15 % of the rest."""
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    h, w = g.shape
    by, bx = int(h * 0.01), int(w * 0.01)
    inner = g[by:h - by, bx:w - bx]
    return float(np.count_nonzero(inner < 179)) / inner.size < 0.0015


def bench_blank_rules(seeds: int, dpi: int) -> dict:
    ck = PageChecker()
    rows: Counter = Counter()
    totals: Counter = Counter()
    for seed in range(seeds):
        for kind in sp.BACK_KINDS:
            border = seed % 3 == 0
            f, b = sp.render_sheet(sp.SheetSpec(
                sp.PageSpec(seed=500 + seed, side="front", dpi=dpi, scanner_border=border),
                sp.PageSpec(seed=500 + seed, side="back", back_kind=kind, dpi=dpi, scanner_border=border)))
            fa = ck.analyse(RawFrame(f.image, (dpi, dpi)), key="f")
            ba = ck.analyse(RawFrame(b.image, (dpi, dpi)), key="b")
            ck.explain_with_front(ba, fa)
            totals[kind] += 1
            rows[(kind, "ours")] += ba.blank.verdict == "blank"
            rows[(kind, "ours_unsure")] += ba.blank.verdict == "unsure"
            rows[(kind, "common")] += common_rule_blank(b.image)
    table = {k: {"n": totals[k], "called_blank_ours": rows[(k, "ours")], "unsure_ours": rows[(k, "ours_unsure")],
                 "called_blank_common_rule": rows[(k, "common")], "truly_blank": k in sp.BLANK_BACK_KINDS}
             for k in sp.BACK_KINDS}
    return table


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    cv2.setNumThreads(1)     # one core, as in a QC worker
    n = 5 if quick else 15
    print("Per-page QC of an A4 300-dpi colour JPEG vs decoding it at 1/4 scale (the floor), one core:")
    for name, r in bench_jpeg(n).items():
        target = "not in the target" if "backing" in name else "target <= 1.5x"
        print(f"  {name:<28} {r['kB']:>5} kB  floor {r['floor_ms']:5.1f} ms  full decode {r['full_decode_ms']:5.1f} ms"
              f"  QC {r['qc_ms']:5.1f} ms  = {r['ratio']:.2f}x floor ({target})")
    raw = bench_raw(n)
    print(f"Raw 300-dpi A4 frame from the scanner: QC {raw:.1f} ms (target <= 10 ms)")
    pool = bench_pool(6 if quick else 20)
    print(f"Worker pool at 3.3 images/s: {pool['images']} images in {pool['wall_s']:.1f} s, worker CPU "
          f"{pool['cpu_s']:.2f} s = {pool['core_share']:.0%} of one core (target <= 25 %), "
          f"p95 latency {pool['p95_latency_ms']:.0f} ms")
    table = bench_blank_rules(4 if quick else 12, 150)
    print("Blank backs: this station vs the common rule (luma<179 ink, 1 % border, blank < 0.15 %), 150 dpi:")
    print(f"  {'back kind':<14} {'truly blank':<12} {'n':>3}  {'ours: blank':>11} {'unsure':>6}  {'common: blank':>13}")
    lost_ours = lost_common = blank_ours = blank_common = nb = 0
    for k, r in table.items():
        print(f"  {k:<14} {str(r['truly_blank']):<12} {r['n']:>3}  {r['called_blank_ours']:>11} {r['unsure_ours']:>6}"
              f"  {r['called_blank_common_rule']:>13}")
        if r["truly_blank"]:
            nb += r["n"]
            blank_ours += r["called_blank_ours"]
            blank_common += r["called_blank_common_rule"]
        else:
            lost_ours += r["called_blank_ours"]
            lost_common += r["called_blank_common_rule"]
    print(f"  content backs called blank (data lost): ours {lost_ours}, common rule {lost_common}")
    print(f"  blank backs called blank: ours {blank_ours}/{nb} ({blank_ours / nb:.0%}), "
          f"common rule {blank_common}/{nb} ({blank_common / nb:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
