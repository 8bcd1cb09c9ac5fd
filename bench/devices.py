"""Scanner benchmarks: station vs `scanimage --batch` on SANE's test backend, and memory of a long virtual run.

    python -m bench.devices            # both
    python -m bench.devices sane       # 100 pages, 300 dpi colour: station / scanimage (target <= 1.2)
    python -m bench.devices memory     # 500 pages, 300 dpi colour, virtual scanner: peak RSS (target < 300 MB)

SANE's test feeder holds 10 sheets, so 100 pages are 10 feeder loads for both contenders, interleaved
so that machine load hits both alike. The station's time includes encoding, the atomic write (fsync)
and the journal line of every page; scanimage writes PNM without fsync.
"""

from __future__ import annotations

import os
import resource
import shutil
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
    return d


def bench_sane() -> float:
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
    t_station = t_scanimage = 0.0
    pages_station = pages_scanimage = 0
    try:
        for load in range(LOADS):
            d = work / f"scanimage-{load}"
            d.mkdir()
            t0 = time.perf_counter()
            subprocess.run([*cmd, f"--batch={d}/p%03d.pnm"], check=False, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            t_scanimage += time.perf_counter() - t0
            pages_scanimage += len(list(d.glob("*.pnm")))
            shutil.rmtree(d)
            wa = WorkArea(work / f"station-{load}")
            t0 = time.perf_counter()
            r = capture(request, wa, "bench", scanner=scanner)
            t_station += time.perf_counter() - t0
            pages_station += len(r.pages)
            shutil.rmtree(wa.root)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = t_station / t_scanimage
    print(f"SANE test backend, {DPI} dpi colour 200x200 mm, {LOADS} feeder loads")
    print(f"  scanimage --batch (PNM): {pages_scanimage} pages in {t_scanimage:.2f} s "
          f"({1000 * t_scanimage / max(1, pages_scanimage):.0f} ms/page)")
    print(f"  station (PNG+fsync+journal): {pages_station} pages in {t_station:.2f} s "
          f"({1000 * t_station / max(1, pages_station):.0f} ms/page)")
    print(f"  ratio station/scanimage = {ratio:.2f}  (target <= 1.20) {'OK' if ratio <= 1.2 else 'OVER'}")
    return ratio


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
    if "memory" in which:
        ok &= bench_memory() < 300
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
