"""Write installer/requirements-win.txt: every Windows wheel the installer bundles, pinned and hashed.

pip evaluates environment markers for the *host* even with ``--platform win_amd64``, so a plain
``pip download`` on Linux misses Windows-only dependencies (``tzdata`` for tzlocal, ``pywin32-ctypes``
for keyring, ``colorama``, ``pytwain`` ...) and drags in Linux-only ones (``jeepney``, ``SecretStorage``).
This script lets pip choose the versions, then walks the downloaded wheels' ``Requires-Dist`` with
the markers of Windows/CPython 3.13/x64: a missing dependency is added by name and pip is asked
again; a host-only one is left out. Run it when pyproject's dependencies change (``make installer-lock``).

Usage: python installer/lock.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "installer" / "requirements-win.txt"
PY_VERSION = "3.13"
PIP_WIN = ["--platform", "win_amd64", "--python-version", PY_VERSION, "--implementation", "cp",
           "--only-binary=:all:"]
# Pure-Python packages published only as source (no wheel on PyPI): pinned by their sdist's hash and
# turned into a wheel on the build machine (installer/build.py).
SDIST_ONLY = {"pytwain"}
WIN_ENV = {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
           "platform_release": "10", "platform_version": "10.0.19045", "python_version": PY_VERSION,
           "python_full_version": "3.13.2", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "implementation_version": "3.13.2"}


def _applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    return any(Marker(str(req.marker)).evaluate({**WIN_ENV, "extra": e}) for e in (extras or {""}))


def _metadata(whl: Path) -> email.message.Message:
    if whl.name.endswith(".tar.gz"):
        with tarfile.open(whl) as t:
            member = next(m for m in t.getmembers() if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO"))
            return email.parser.BytesParser().parsebytes(t.extractfile(member).read())  # type: ignore[union-attr]
    with zipfile.ZipFile(whl) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.BytesParser().parsebytes(z.read(name))


def closure(top: list[Requirement], wheels: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(names needed on Windows, names needed but not downloaded)."""
    need: dict[str, set[str]] = {}
    todo = [(r, set()) for r in top if _applies(r, set())]
    missing: set[str] = set()
    while todo:
        req, _ = todo.pop()
        name = canonicalize_name(req.name)
        extras = set(req.extras)
        if name in need and extras <= need[name]:
            continue
        need.setdefault(name, set()).update(extras)
        if name not in wheels:
            missing.add(name)
            continue
        for line in _metadata(wheels[name]).get_all("Requires-Dist") or []:
            dep = Requirement(line)
            if _applies(dep, need[name]):
                todo.append((dep, set()))
    return set(need), missing


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "scanstation-installer" / "lock")
    args = ap.parse_args()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    top = [Requirement(d) for d in project["dependencies"]]
    extra_names: set[str] = set()
    for _ in range(5):
        args.cache.mkdir(parents=True, exist_ok=True)
        for old in [*args.cache.glob("*.whl"), *args.cache.glob("*.tar.gz")]:
            old.unlink()
        # pip sees Windows-only requirements as "not for this platform": strip their markers
        reqs = [str(Requirement(re.sub(r";.*$", "", str(r)))) for r in top if _applies(r, set())]
        reqs += sorted(extra_names)
        sdists = [r for r in reqs if canonicalize_name(Requirement(r).name) in SDIST_ONLY]
        wheel_reqs = [r for r in reqs if r not in sdists]
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", *PIP_WIN, "-d", str(args.cache), *wheel_reqs],
                       check=True)
        if sdists:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:",
                            "-d", str(args.cache), *sdists], check=True)
        wheels = {canonicalize_name(parse_wheel_filename(w.name)[0]): w for w in args.cache.glob("*.whl")}
        for sd in args.cache.glob("*.tar.gz"):
            name, _, version = sd.name.removesuffix(".tar.gz").rpartition("-")
            wheels[canonicalize_name(name)] = sd
        need, missing = closure(top, wheels)
        if not missing:
            break
        print("Windows-only dependencies pip skipped on this host:", ", ".join(sorted(missing)))
        extra_names |= missing
    else:
        print("error: the Windows dependency set did not settle", file=sys.stderr)
        return 1
    dropped = sorted(set(wheels) - need)
    lines = ["# Windows x64 / CPython 3.13 wheels bundled by `make installer` (generated by installer/lock.py;",
             "# do not edit by hand). Windows-only dependencies added: " + (", ".join(sorted(extra_names)) or "none"),
             "# Host-only dependencies left out: " + (", ".join(dropped) or "none")]
    for name in sorted(need):
        w = wheels[name]
        version = (w.name.removesuffix(".tar.gz").rpartition("-")[2] if w.name.endswith(".tar.gz")
                   else str(parse_wheel_filename(w.name)[1]))
        digest = hashlib.sha256(w.read_bytes()).hexdigest()
        lines.append(f"{name}=={version} --hash=sha256:{digest}")
    LOCK.write_text("\n".join(lines) + "\n", "utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)}: {len(need)} wheels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
