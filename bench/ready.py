""""Ready to sign" after the last page leaves the feeder, with OCR during capture vs OCR at the end.

Run: ``python -m bench.ready [SHEETS] [MS_PER_IMAGE]`` (default 20 sheets, 1000 ms per image = 30
duplex sheets a minute; ``make bench`` runs it). One run scans the same sample component twice on
the virtual scanner, profile ``vn-2025`` (two-layer PDF/A), on this machine's cores:

* **lane**: each page goes to QC as it arrives and, once QC keeps it, to the background OCR lane
  (one low-priority worker); when the feeder is empty the component check, the OCR still in
  flight and the assembly are what is left;
* **end**: the same pages, QC as they arrive, but OCR only when the build asks for it (how the
  station worked before the lane).

Prints the wait from the last page to "ready to sign" (QC, OCR and assembly done) for each, their
ratio, the images per minute the scanner actually delivered, and the OCR seconds per page.
Target (issue 11): <= 5 s after the last page for 20 duplex sheets at 30 pages a minute.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def one_run(home: Path, sheets: int, ms: int, lane: bool) -> dict[str, float]:
    os.environ["SCANSTATION_HOME"] = str(home)
    from scanstation.dossier_io import load_dossier_file
    from scanstation.flow import Station, checking, new_dossier, signing
    from scanstation.flow.capture import CaptureAction, scan
    from scanstation.resources import resource

    st = Station()
    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    s = new_dossier(st, dossier)
    s.dossier.profile_id = "vn-2025"
    for c in s.dossier.components[1:]:
        c.digitisation_class = s.dossier.components[2].digitisation_class
    gcs = s.component("GCS")
    gcs.declared_sheets = sheets
    s.save()
    checker = checking.Checker(s.profile, background=lane)
    checker.warm_up()          # as the window does at start-up: QC workers and (vn-2025) the page lane
    last = [0.0]
    first = [0.0]

    def arrived(p, t, _preview) -> None:
        first[0] = first[0] or t
        last[0] = t
        checker.page_arrived(s, gcs, p)

    try:
        scan(s, CaptureAction(component_id=gcs.id, device="virtual:demo",
                              options=("seed=1", f"sheets={sheets}", f"delay-ms={ms}")), on_page=arrived)
        checker.check_component(s, gcs)
        for f in checking.blocking(s):
            if f.overridable:
                checking.override(s, f.id, "bench")
        from scanstation.flow.ocr import recognise

        t_ocr0 = time.perf_counter()
        recognise(s, lane=checker.lane)          # what the build does first: the text of every kept page
        t_ocr1 = time.perf_counter()
        rep = signing.build(s, lane=checker.lane)
        done = time.perf_counter()
        assert rep["files"], rep
        images = len(gcs.pages)
        read = len(gcs.kept_pages())
        return {"wait": done - last[0], "ipm": 60 * (images - 1) / max(1e-6, last[0] - first[0]),
                "images": images, "read": read, "check": t_ocr0 - last[0], "ocr": t_ocr1 - t_ocr0,
                "assemble": done - t_ocr1}
    finally:
        checker.close()
        st.store.dispose()


def main(argv: list[str]) -> int:
    sheets = int(argv[0]) if argv else 20
    ms = int(argv[1]) if len(argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        lane = one_run(Path(tmp) / "lane", sheets, ms, True)
        end = one_run(Path(tmp) / "end", sheets, ms, False)
    print(f"ready to sign, {sheets} duplex sheets, scanner at {lane['ipm']:.0f} images/min "
          f"({lane['images']} images, {lane['read']} kept and read):")
    for name, r in (("OCR during capture", lane), ("OCR at the end    ", end)):
        print(f"  {name}: {r['wait']:6.1f} s after the last page = check {r['check']:5.1f} + OCR left "
              f"{r['ocr']:5.1f} + assembly {r['assemble']:5.1f}")
    print(f"  ratio lane/end: {lane['wait'] / end['wait']:.2f}   target: <= 5 s after the last page"
          f"   (load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
