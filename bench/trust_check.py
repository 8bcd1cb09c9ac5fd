"""The one signature check (issue 14): what it costs at each door, per file.

``check_signed_for_queue`` runs at ``queue add``, bundle import and now again just before each upload.
This measures it on the station's own kind of file: 10 A4 pages at 300 dpi, signed by the clerk and then
the certified copy (two signatures, so pyHanko's difference analysis runs on the revision between them),
against the shipped Vietnamese anchors plus the demo CA as a test CA. Reported: the median per file and
per MB, and the trust store's build time (done once per worker / per command). The machine may be shared:
the load average is printed with the figures. Run: ``python -m bench.trust_check [--files N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _load() -> str:
    one, five, _ = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return f"{one:.2f} (5 min {five:.2f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.trust_check")
    ap.add_argument("--files", type=int, default=5)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-trust-"))
    os.environ["SCANSTATION_HOME"] = str(work / "home")
    try:
        return _measure(work, args.files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(work: Path, n: int) -> int:
    import img2pdf

    from bench.signing import _page_jpeg
    from scanstation.flow.upload import check_signed_for_queue
    from scanstation.signing import SignOptions, open_session, sign_batch
    from scanstation.signing.softtoken import ensure_demo_token
    from scanstation.signing.trust import build_trust_store

    tok = ensure_demo_token()
    t0 = time.perf_counter()
    store = build_trust_store(test_files=[tok.ca_pem])
    build_ms = (time.perf_counter() - t0) * 1000
    page = _page_jpeg()
    src = []
    for i in range(n):
        p = work / "in" / f"c{i}.pdf"
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(img2pdf.convert([page] * 10))
        src.append(p)
    with open_session(tok.module, tok.clerk_label, tok.pin, trust_roots=store) as ts:
        sign_batch(ts, [(p, work / "clerk" / p.name) for p in src], SignOptions(role="clerk", trust_roots=store))
    with open_session(tok.module, tok.org_label, tok.pin, trust_roots=store) as ts:
        sign_batch(ts, [(work / "clerk" / p.name, work / "copy" / p.name) for p in src],
                   SignOptions(role="copy", org_name="UBND xã Mẫu", trust_roots=store))
    files = [work / "copy" / p.name for p in src]
    check_signed_for_queue(files[0], store)       # warm-up: imports (a station pays them once)
    load_before = _load()
    times = []
    for f in files:
        t = time.perf_counter()
        rep = check_signed_for_queue(f, store)
        times.append(time.perf_counter() - t)
        assert rep.ok and rep.test and len(rep.signatures) == 2
    size_mb = statistics.mean(f.stat().st_size for f in files) / 1e6
    med = statistics.median(times) * 1000
    print(f"{n} files, 10 pages @ 300 dpi, {size_mb:.1f} MB/file, 2 signatures each (clerk + SAO Y), "
          f"{os.cpu_count()} CPUs")
    print(f"trust store (4 shipped certificates + 1 test CA) built in {build_ms:.1f} ms")
    print(f"check_signed_for_queue: median {med:.0f} ms/file ({med / size_mb:.0f} ms/MB), "
          f"min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f} ms")
    print(f"load average before {load_before}, after {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
