"""Signing benchmark: a dossier of 20 components x 10 A4 pages at 300 dpi, one PIN session, SoftHSM.

Reports the station's overhead per file beyond the token's own signature time (target: at most
100 ms/file): reading, stamping, hashing, CMS building, verifying and the atomic write.
Run: ``python -m bench.signing``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

COMPONENTS, PAGES, DPI, TARGET_MS = 20, 10, 300, 100.0


def _page_jpeg() -> bytes:
    import numpy as np
    from PIL import Image, ImageDraw

    w, h = int(8.27 * DPI), int(11.69 * DPI)
    rng = np.random.default_rng(1)
    paper = (238 + rng.normal(0, 2.5, (h, w))).clip(0, 255).astype("uint8")   # paper grain like a scan
    im = Image.fromarray(paper).convert("RGB")
    d = ImageDraw.Draw(im)
    for y in range(300, h - 300, 70):
        d.line((250, y, w - 250 - (y * 37) % 900, y), fill=(30, 30, 30), width=12)
    buf = io.BytesIO()
    im.save(buf, "JPEG", dpi=(DPI, DPI), quality=85)
    return buf.getvalue()


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-signing-"))
    os.environ["SCANSTATION_HOME"] = str(work / "home")
    import img2pdf

    from scanstation.signing import SignOptions, load_trust_roots, open_session, sign_batch
    from scanstation.signing.softtoken import ensure_demo_token

    tok = ensure_demo_token()
    roots = load_trust_roots([tok.ca_pem])
    page = _page_jpeg()
    src_dir, out_dir = work / "in", work / "out"
    src_dir.mkdir()
    items = []
    for i in range(COMPONENTS):
        p = src_dir / f"component-{i:02d}.pdf"
        p.write_bytes(img2pdf.convert([page] * PAGES))
        items.append((p, out_dir / p.name))
    size_mb = statistics.mean(p.stat().st_size for p, _ in items) / 1e6
    # warm-up outside the measurement: font conversion/cache, imports (a station does this once)
    with open_session(tok.module, tok.clerk_label, tok.pin, trust_roots=roots) as ts:
        sign_batch(ts, [(items[0][0], work / "warm.pdf")], SignOptions(trust_roots=roots))
    t0 = time.perf_counter()
    with open_session(tok.module, tok.clerk_label, tok.pin, trust_roots=roots) as ts:   # one PIN entry
        t_login = time.perf_counter() - t0
        res = sign_batch(ts, items, SignOptions(trust_roots=roots))
    total = time.perf_counter() - t0
    assert res.complete, res.to_dict()
    per_file = [s.seconds * 1000 for s in res.signed]
    token = [s.token_seconds * 1000 for s in res.signed]
    overhead = [a - b for a, b in zip(per_file, token)]
    cpu = [s.cpu_seconds * 1000 for s in res.signed]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ok = statistics.mean(overhead) <= TARGET_MS
    print(f"{COMPONENTS} files x {PAGES} pages @ {DPI} dpi, {size_mb:.1f} MB/file, one session "
          f"(login {t_login * 1000:.0f} ms), total {total:.2f} s")
    print(f"  per file: {statistics.mean(per_file):.1f} ms  token signature: {statistics.mean(token):.1f} ms")
    print(f"  station overhead per file: mean {statistics.mean(overhead):.1f} ms, "
          f"max {max(overhead):.1f} ms (target <= {TARGET_MS:.0f} ms: {'OK' if ok else 'MISSED'})")
    print(f"  CPU time of the signing thread per file: mean {statistics.mean(cpu):.1f} ms "
          f"(load average {load:.1f} on {os.cpu_count()} CPUs while measuring)")
    print(f"  overhead / target ratio: wall {statistics.mean(overhead) / TARGET_MS:.2f}, "
          f"cpu {statistics.mean(cpu) / TARGET_MS:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
