"""Run every benchmark module in bench/ (or those named on the command line), each in its own process."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    rc = 0
    for name in names:
        print(f"== bench.{name}", flush=True)
        rc |= subprocess.call([sys.executable, "-m", f"bench.{name}"])
    return rc


raise SystemExit(main(sys.argv[1:]))
