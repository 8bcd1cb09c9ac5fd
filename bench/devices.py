"""Scanner benchmarks: station vs `scanimage --batch` on SANE's test backend, and memory of a long virtual run.

    python -m bench.devices            # both
    python -m bench.devices sane       # 100 pages, 300 dpi colour: station / scanimage (target <= 1.2)
    python -m bench.devices memory     # 500 pages, 300 dpi colour, virtual scanner: peak RSS (target < 300 MB)
    python -m bench.devices breakdown  # where a station page's time goes (instrumented; not a target)

SANE's test feeder holds 10 sheets, so 100 pages are 10 feeder loads for each contender; the contenders
alternate load by load (the order flips every load) so that the shared machine's load hits them alike,
and the figures are medians over the loads. The station's time includes encoding, the durable write
(fsync) and the journal line of every page; scanimage writes PNM without fsync. Two context rows,
clearly labelled, are not part of the target: scanimage writing PNG, and the station with fsync off.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LOADS, PER_LOAD, DPI = 10, 10, 300
TEST_CONF = 'number_of_devices 1\nmode Color\ndepth 8\ntest-picture "Color pattern"\n'


def _sane_env() -> Path:
    d = Path(tempfile.mkdtemp(prefix="bench-sane-"))
    (d / "dll.conf").write_text("test\n")
    (d / "test.conf").write_text(TEST_CONF)
    os.environ["SANE_CONFIG_DIR"] = str(d)
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextlib.contextmanager
def _no_fsync():
    """For the context row only: the station with every fsync turned into a no-op."""
    saved = os.fsync, getattr(os, "fdatasync", None)
    os.fsync = lambda fd: None
    if saved[1] is not None:
        os.fdatasync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = saved[0]
        if saved[1] is not None:
            os.fdatasync = saved[1]


def bench_sane(loads: int = LOADS, context: bool = True) -> float:
    """Feeder loads of 10 pages, the contenders alternating load by load (the order flips every
    load), so that the shared machine's load hits them alike. Figures are medians over loads."""
    _sane_env()
    from scanstation.devices import RawOption, ScanRequest, capture, open_scanner
    from scanstation.workarea import WorkArea

    work = Path(tempfile.mkdtemp(prefix="bench-devices-"))
    scanner = open_scanner("sane:test:0")
    request = ScanRequest("sane:test:0", source="adf", dpi=DPI, mode="color", paper="max",
                          double_feed_detection=False,
                          options=(RawOption("test-picture", "Color pattern"),))
    cmd = ["scanimage", "-d", "test:0", "--source", "Automatic Document Feeder", "--mode", "Color", "--depth", "8",
           "--resolution", str(DPI), "-x", "200", "-y", "200", "--test-picture", "Color pattern"]

    def scanimage(load: int, fmt: str) -> tuple[float, int]:
        d = work / f"scanimage-{fmt}-{load}"
        d.mkdir()
        extra = [] if fmt == "pnm" else [f"--format={fmt}"]
        for _attempt in range(3):
            t0 = time.perf_counter()
            try:
                subprocess.run([*cmd, *extra, f"--batch={d}/p%03d.{fmt}"], check=False, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=60)
            except subprocess.TimeoutExpired:   # scanimage 1.1.1 + test backend now and then deadlock at start
                hangs.append(f"scanimage {fmt} load {load}")
                for f in d.iterdir():
                    f.unlink()
                continue
            dt = time.perf_counter() - t0
            break
        else:
            raise SystemExit(f"scanimage hung three times in load {load}")
        n = len(list(d.glob(f"*.{fmt}")))
        shutil.rmtree(d)
        return dt, n

    def station(load: int, fsync: bool = True) -> tuple[float, int]:
        wa = WorkArea(work / f"station-{load}-{fsync}")
        with contextlib.nullcontext() if fsync else _no_fsync():
            t0 = time.perf_counter()
            r = capture(request, wa, "bench", scanner=scanner)
            dt = time.perf_counter() - t0
        shutil.rmtree(wa.root)
        return dt, len(r.pages)

    contenders = {"scanimage": lambda i: scanimage(i, "pnm"), "station": station}
    if context:
        contenders |= {"scanimage-png": lambda i: scanimage(i, "png"),
                       "station-nofsync": lambda i: station(i, fsync=False)}
    per_page: dict[str, list[float]] = {k: [] for k in contenders}
    hangs: list[str] = []
    ratios: list[float] = []
    load_before = _load()
    try:
        station(-1)                                   # warm-up: imports, device list, first open
        for i in range(loads):
            order = list(contenders) if i % 2 == 0 else list(reversed(contenders))
            this: dict[str, float] = {}
            for name in order:
                dt, n = contenders[name](i)
                if n != PER_LOAD:
                    raise SystemExit(f"{name} scanned {n} pages in load {i}, expected {PER_LOAD}")
                this[name] = dt / n
                per_page[name].append(dt / n)
            ratios.append(this["station"] / this["scanimage"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in per_page.items()}
    ratio = statistics.median(ratios)
    print(f"SANE test backend, {DPI} dpi colour 200x200 mm, {loads} feeder loads of {PER_LOAD} pages, "
          f"contenders alternating; load average before {load_before}, after {_load()}")
    print("  median ms/page   (min..max over loads)")
    labels = {"scanimage": "scanimage --batch (PNM, no fsync)",
              "station": "station (PNG, fsync'd, journaled)",
              "scanimage-png": "[context] scanimage --batch --format=png",
              "station-nofsync": "[context] station with fsync disabled"}
    for k in contenders:
        v = per_page[k]
        print(f"  {labels[k]:42s} {1000 * med[k]:6.1f}   ({1000 * min(v):.1f}..{1000 * max(v):.1f})")
    print(f"  ratio station/scanimage: median of per-load ratios = {ratio:.2f}, "
          f"ratio of medians = {med['station'] / med['scanimage']:.2f}  (target <= 1.20) "
          f"{'OK' if ratio <= 1.2 else 'OVER'}")
    if hangs:
        print(f"  (scanimage hung and was re-run, not timed: {', '.join(hangs)})")
    if context:
        print(f"  [context] station/scanimage-png = {med['station'] / med['scanimage-png']:.2f}; "
              f"station-nofsync/scanimage = {med['station-nofsync'] / med['scanimage']:.2f}")
    return ratio


def bench_breakdown(loads: int = 5) -> None:
    """Where a station page's time goes (instrumented run, station only): from ``start()`` to the first
    row, reading (first to last row), the tail after the last row (encoder catching up, final flush,
    file fdatasync, journal line), and the two fdatasyncs inside it."""
    _sane_env()
    import scanstation.workarea as wa_mod
    from scanstation.devices import RawOption, ScanRequest, base, capture, open_scanner
    from scanstation.workarea import PageFile, WorkArea

    marks: dict[str, float] = {}
    parts: dict[str, list[float]] = {k: [] for k in ("waiting for the first row", "read (first to last row)",
                                                     "tail (last row to journaled)", "  of which file fdatasync",
                                                     "  of which journal line", "page total")}
    syncs: list[float] = []
    rows, commit, fdatasync = base.CapturedImage.rows, PageFile.commit, wa_mod._fdatasync

    def timed_rows(self):
        marks["begin"] = time.perf_counter()
        first = True
        for n in rows(self):
            if first:
                marks["first"], first = time.perf_counter(), False
            yield n
        marks["last"] = time.perf_counter()

    def timed_sync(fd):
        t0 = time.perf_counter()
        fdatasync(fd)
        syncs.append(time.perf_counter() - t0)

    def timed_commit(self, **facts):
        syncs.clear()
        page = commit(self, **facts)
        end = time.perf_counter()
        for k, v in zip(parts, (marks["first"] - marks["begin"], marks["last"] - marks["first"], end - marks["last"],
                                syncs[0], syncs[-1], end - marks["begin"])):
            parts[k].append(v)
        return page

    base.CapturedImage.rows, PageFile.commit, wa_mod._fdatasync = timed_rows, timed_commit, timed_sync
    work = Path(tempfile.mkdtemp(prefix="bench-devices-"))
    try:
        scanner = open_scanner("sane:test:0")
        request = ScanRequest("sane:test:0", source="adf", dpi=DPI, mode="color", paper="max",
                              double_feed_detection=False, options=(RawOption("test-picture", "Color pattern"),))
        for i in range(loads):
            capture(request, WorkArea(work / str(i)), "bench", scanner=scanner)
    finally:
        base.CapturedImage.rows, PageFile.commit, wa_mod._fdatasync = rows, commit, fdatasync
        shutil.rmtree(work, ignore_errors=True)
    print(f"Station page breakdown, {loads * PER_LOAD} pages, medians; load average {_load()}")
    for k, v in parts.items():
        print(f"  {k:32s} {1000 * statistics.median(v):6.1f} ms")


def _memory_child(pages: int) -> None:
    from scanstation.devices import RawOption, ScanRequest, capture
    from scanstation.workarea import WorkArea

    work = Path(tempfile.mkdtemp(prefix="bench-virtual-"))
    try:
        request = ScanRequest("virtual:demo", source="adf-duplex", dpi=300, mode="color", paper="A4",
                              options=(RawOption("sheets", str(pages // 2)),))
        t0 = time.perf_counter()
        r = capture(request, WorkArea(work), "bench")
        dt = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in (work / "pages" / "bench").iterdir())
        print(f"  {len(r.pages)} pages in {dt:.1f} s ({1000 * dt / len(r.pages):.0f} ms/page), "
              f"{size / len(r.pages) / 1e6:.1f} MB/page on disk")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_memory(pages: int = 500) -> float:
    print(f"Virtual scanner, {pages} pages colour 300 dpi A4 duplex")
    subprocess.run([sys.executable, "-m", "bench.devices", "_memory_child", str(pages)], check=True)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS = {peak_mb:.0f} MB  (target < 300 MB) {'OK' if peak_mb < 300 else 'OVER'}")
    return peak_mb


def main(argv: list[str]) -> int:
    if argv[:1] == ["_memory_child"]:
        _memory_child(int(argv[1]))
        return 0
    which = argv or ["sane", "memory"]
    ok = True
    if "sane" in which:
        if shutil.which("scanimage") is None:
            print("scanimage not found (apt-get install sane-utils)")
            ok = False
        else:
            ok &= bench_sane() <= 1.2
    if "breakdown" in which:
        bench_breakdown()
    if "memory" in which:
        ok &= bench_memory() < 300
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
