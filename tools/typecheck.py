"""Type-check the station: strict on the flow and the journal, a baseline for the rest that may only shrink.

    python tools/typecheck.py            # fail on any new error (strict modules: any error at all)
    python tools/typecheck.py --update   # after fixing errors elsewhere: write the smaller baseline

The baseline (``tools/mypy-baseline.json``) counts errors per file outside the strict modules. A file
whose count grows, or a new file with errors, fails the check; a file whose count shrank asks for
``--update`` so the baseline keeps shrinking.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tools" / "mypy-baseline.json"
STRICT = ("scanstation/flow/", "scanstation/workarea.py")
LINE = re.compile(r"^(?P<file>[^:]+\.py):\d+: error: ")


def run_mypy() -> tuple[Counter[str], list[str]]:
    p = subprocess.run([sys.executable, "-m", "mypy", "scanstation"], cwd=ROOT, capture_output=True, text=True)
    counts: Counter[str] = Counter()
    strict_errors = []
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        f = m["file"].replace("\\", "/")
        if f.startswith(STRICT):
            strict_errors.append(line)
        else:
            counts[f] += 1
    if p.returncode not in (0, 1) or ("error:" in p.stderr and not counts and not strict_errors):
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(2)
    return counts, strict_errors


def main() -> int:
    counts, strict_errors = run_mypy()
    if "--update" in sys.argv:
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n", "utf-8")
        print(f"baseline written: {sum(counts.values())} errors in {len(counts)} files")
        return 1 if strict_errors else 0
    base = json.loads(BASELINE.read_text("utf-8")) if BASELINE.exists() else {}
    worse = {f: (base.get(f, 0), n) for f, n in counts.items() if n > base.get(f, 0)}
    better = {f: (n, counts.get(f, 0)) for f, n in base.items() if counts.get(f, 0) < n}
    for line in strict_errors:
        print(line)
    for f, (was, now) in sorted(worse.items()):
        print(f"{f}: {now} type errors, baseline {was} (new errors: run mypy on it)")
    if strict_errors or worse:
        print(f"typecheck FAILED: {len(strict_errors)} in strict modules, {len(worse)} file(s) above the baseline")
        return 1
    if better:
        print(f"typecheck: {len(better)} file(s) now below the baseline; run 'python tools/typecheck.py --update'")
    print(f"typecheck ok: strict modules clean, {sum(counts.values())} errors elsewhere (baseline "
          f"{sum(base.values())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
