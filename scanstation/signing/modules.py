"""Finding the PKCS#11 module (driver library) of the clerk's USB token.

Order: the configured path first, then the known module files of the tokens used in Vietnam
(VNPT-CA, Viettel-CA, BKAV-CA, FPT-CA, the government CA of Ban Cơ yếu Chính phủ, and the
generic ePass2003 / SafeNet / Bit4id middleware they are built on), then OpenSC and SoftHSM.

On Windows a 64-bit Python can only load 64-bit DLLs (System32, Program Files) and a 32-bit
Python only 32-bit ones (SysWOW64, Program Files (x86)); every candidate's PE/ELF header is read so
a module of the wrong bitness is reported as such instead of failing with an obscure load error.

The vendor file names come from the drivers' installers as recorded by public integration code
(signing web plug-ins, tax-declaration tools); vendors rename them between driver versions, which
is why the configured path always wins and the table is easy to extend. The Vietnamese CAs ship
Windows drivers; on Linux their tokens are reached through the generic middleware listed here
(SafeNet, Bit4id, Feitian, OpenSC) or a configured path.
"""

from __future__ import annotations

import os
import struct
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from scanstation.errors import TokenModuleError

# (vendor, Windows DLL names, Linux shared-object paths). Names from the field notes (the drivers' installers);
# a name with "*" is a pattern matched in the folder (vendors number their DLLs).
KNOWN_MODULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("VNPT-CA", ("vnptca_p11_v10.dll", "vnptca_p11_v9.dll", "vnptca_p11_v8.dll", "vnptca_p11_v7.dll",
                 "vnptca_p11_v6.dll", "vnpt-ca_csp11.dll", "VNPT-CA_v34.dll", "vnpt-ca_cl_v1.dll"),
     ()),
    ("Viettel-CA", ("viettel-ca_v6.dll", "viettel-ca_v5.dll", "viettel-ca_v4.dll", "viettel-ca_v3.dll",
                    "viettel-ca_v2_s.x64.dll", "viettel-ca_v2.dll", "viettel-ca_v1.dll", "viettel-ca.dll"),
     ()),
    ("BKAV-CA", ("BkavCA.dll", "BkavCAv2S.dll", "bkavcaetoken.dll", "BkavCA_P11.dll"), ()),
    ("FPT-CA", ("fptca_v6.dll", "fptca_v5.dll", "fptca_v4.dll", "fptca_v3.dll", "fpt-ca.dll",
                "fpt-ca-stx.dll"), ("/usr/lib/fptca_v4.so",)),
    ("CA2 / Nacencomm", ("CA2_csp11.dll", "CA2_v34.dll", "nca_v6.dll", "nca_v4.dll"), ()),
    ("NewTel-CA", ("NEWTEL-CA.dll",), ()),
    ("Safe-CA", ("safe-ca.dll",), ()),
    ("Vina-CA", ("Vina-CA*.dll",), ()),
    # Ban Cơ yếu Chính phủ (VGCA, chữ ký số chuyên dùng công vụ): SafeNet eToken and Bit4id tokens.
    ("Ban Cơ yếu Chính phủ (SafeNet eToken)", ("eTPKCS11.dll",),
     ("/usr/lib/libeTPkcs11.so", "/usr/lib/x86_64-linux-gnu/libeTPkcs11.so", "/usr/lib/libeToken.so",
      "/usr/lib/x86_64-linux-gnu/libeToken.so")),
    ("Ban Cơ yếu Chính phủ (Bit4id)", ("bit4xpki.dll",),
     ("/usr/lib/bit4id/libbit4xpki.so", "/usr/lib/libbit4xpki.so")),
    ("ePass2003 (Feitian)", ("eps2003csp11.dll", "ShuttleCsp11_3003.dll"), ("/usr/lib/libcastle.so.1.0.0",)),
    ("OpenSC", ("opensc-pkcs11.dll",),
     ("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so",
      "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so", "/usr/lib64/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so")),
    ("SoftHSM", ("softhsm2-x64.dll", "softhsm2.dll"),
     ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
      "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib64/softhsm/libsofthsm2.so",
      "/usr/local/lib/softhsm/libsofthsm2.so")),
)

#: What a clerk and IT staff read when the driver found is 32-bit and the station is 64-bit.
DRIVER_32BIT = ("this token's driver is 32-bit; install the vendor's 64-bit driver",
                "trình điều khiển của token này là bản 32-bit; hãy cài bản 64-bit của nhà cung cấp")

# Windows folders (relative to Program Files) where middleware installs its DLL outside System32.
_WINDOWS_PROGRAM_DIRS: tuple[tuple[str, str], ...] = (
    ("OpenSC", r"OpenSC Project\OpenSC\pkcs11"),
    ("SoftHSM", r"SoftHSM2\lib"),
    ("Ban Cơ yếu Chính phủ (Bit4id)", r"Bit4id\xPKI"),
)
_WINDOWS_ROOT_DIRS: tuple[tuple[str, str], ...] = (("SoftHSM", r"C:\SoftHSM2\lib"),)


@dataclass(frozen=True)
class ModuleCandidate:
    path: str
    vendor: str
    source: str              # "pinned" (IT staff's token.module) | "configured" (--module) | "known"
    exists: bool
    bits: int | None         # 32 / 64 from the file header, None when unreadable
    loadable: bool           # exists and matches this process's bitness
    reason: str = ""
    reason_vi: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def process_bits() -> int:
    return struct.calcsize("P") * 8


def binary_bits(path: Path) -> int | None:
    """32 or 64 from a PE (Windows DLL) or ELF header; None if the file is neither."""
    try:
        with open(path, "rb") as f:
            head = f.read(64)
            if head[:4] == b"\x7fELF":
                return {1: 32, 2: 64}.get(head[4])
            if head[:2] == b"MZ" and len(head) >= 64:
                (pe_off,) = struct.unpack_from("<I", head, 0x3C)
                f.seek(pe_off)
                pe = f.read(6)
                if pe[:4] != b"PE\0\0":
                    return None
                (machine,) = struct.unpack_from("<H", pe, 4)
                return {0x14C: 32, 0x1C4: 32, 0x8664: 64, 0xAA64: 64}.get(machine)
    except OSError:
        return None
    return None


def _windows_candidates() -> list[tuple[str, Path]]:
    windir = Path(os.environ.get("SYSTEMROOT", r"C:\Windows"))
    is64_process = process_bits() == 64
    is64_os = is64_process or "PROGRAMFILES(X86)" in {k.upper() for k in os.environ}
    # 32-bit Python on 64-bit Windows: System32 is redirected to SysWOW64 anyway; name it plainly.
    system_dirs = [windir / "System32"] if is64_process or not is64_os else [windir / "SysWOW64"]
    pf_keys = ["ProgramW6432", "ProgramFiles"] if is64_process else ["ProgramFiles(x86)", "ProgramFiles"]
    program_files = [Path(os.environ[k]) for k in pf_keys if os.environ.get(k)]
    if is64_process:
        # 32-bit drivers live in SysWOW64 / Program Files (x86): a 64-bit station cannot load them, but it
        # looks there so that it can say "install the 64-bit driver" instead of "no driver".
        system_dirs.append(windir / "SysWOW64")
        program_files += [Path(os.environ[k]) for k in ("ProgramFiles(x86)",) if os.environ.get(k)]
    out: list[tuple[str, Path]] = []
    for vendor, dlls, _ in KNOWN_MODULES:
        for d in system_dirs:
            out.extend((vendor, p) for name in dlls for p in _expand(d, name))
    for vendor, rel in _WINDOWS_PROGRAM_DIRS:
        for pf in program_files:
            for _, dlls, _ in (m for m in KNOWN_MODULES if m[0] == vendor):
                out.extend((vendor, pf / rel / name) for name in dlls)
    for vendor, root in _WINDOWS_ROOT_DIRS:
        for _, dlls, _ in (m for m in KNOWN_MODULES if m[0] == vendor):
            out.extend((vendor, Path(root) / name) for name in dlls)
    return out


def _expand(folder: Path, name: str) -> list[Path]:
    """``folder/name``, or every file matching it when the name is a pattern (``Vina-CA*.dll``)."""
    if "*" not in name:
        return [folder / name]
    try:
        return sorted(folder.glob(name))
    except OSError:
        return []


def _posix_candidates() -> list[tuple[str, Path]]:
    return [(vendor, p) for vendor, _, sos in KNOWN_MODULES for so in sos
            for p in _expand(Path(so).parent, Path(so).name)]


def _describe(path: Path, vendor: str, source: str) -> ModuleCandidate:
    if not path.is_file():
        return ModuleCandidate(str(path), vendor, source, False, None, False, "file not found", "không tìm thấy tệp")
    bits = binary_bits(path)
    if bits is None:
        return ModuleCandidate(str(path), vendor, source, True, None, False, "not a shared library",
                               "không phải thư viện PKCS#11")
    if bits == 32 and process_bits() == 64:
        return ModuleCandidate(str(path), vendor, source, True, bits, False, *DRIVER_32BIT)
    if bits != process_bits():
        return ModuleCandidate(str(path), vendor, source, True, bits, False,
                               f"{bits}-bit module, this station runs {process_bits()}-bit",
                               f"thư viện {bits}-bit, trạm đang chạy {process_bits()}-bit")
    return ModuleCandidate(str(path), vendor, source, True, bits, True)


def discover_modules(configured: str | os.PathLike | None = None, *, include_missing: bool = False,
                     platform: str | None = None, pinned: bool = False) -> list[ModuleCandidate]:
    """Candidate modules in the order they should be tried (configured first; ``pinned``: it is IT staff's
    ``token.module``, reported as such).

    Only files that exist are listed unless ``include_missing`` (handy to show IT staff where the
    station looked).
    """
    platform = platform or sys.platform
    found: list[ModuleCandidate] = []
    seen: set[str] = set()
    if configured:
        c = _describe(Path(configured), _vendor_of(Path(configured)), "pinned" if pinned else "configured")
        found.append(c)
        seen.add(os.path.normcase(str(Path(configured))))
    raw = _windows_candidates() if platform == "win32" else _posix_candidates()
    for vendor, path in raw:
        key = os.path.normcase(str(path))
        if key in seen:
            continue
        seen.add(key)
        c = _describe(path, vendor, "known")
        if c.exists or include_missing:
            found.append(c)
    return found


def _vendor_of(path: Path) -> str:
    import fnmatch

    name = path.name.lower()
    for vendor, dlls, sos in KNOWN_MODULES:
        if any(fnmatch.fnmatch(name, d.lower()) for d in dlls) or name in {Path(s).name.lower() for s in sos}:
            return vendor
    return "configured"


def resolve_module(configured: str | os.PathLike | None = None) -> str:
    """The module to use: the configured one (which must be loadable), else the first loadable known one."""
    cands = discover_modules(configured)
    if configured:
        c = cands[0]
        if not c.loadable:
            raise TokenModuleError(
                f"PKCS#11 module {c.path}: {c.reason}",
                f"Không dùng được thư viện PKCS#11 của token {c.path}: {c.reason_vi or c.reason}"
                + ". Hãy cài trình điều khiển token hoặc báo cán bộ CNTT.",
                field="module")
        return c.path
    for c in cands:
        if c.loadable:
            return c.path
    wrong = [c for c in cands if c.exists and c.bits == 32 and process_bits() == 64]
    if wrong:   # the clerk's driver is there, only in 32 bits: say exactly that, not "no driver"
        c = wrong[0]
        raise TokenModuleError(f"{c.vendor} ({c.path}): {DRIVER_32BIT[0]}",
                               f"{c.vendor} ({c.path}): {DRIVER_32BIT[1]}. Hãy báo cán bộ CNTT.",
                               field="module", code="TOKEN_DRIVER_32BIT")
    raise TokenModuleError(
        "No PKCS#11 module found: install the token's driver or configure token.module",
        "Không tìm thấy trình điều khiển (thư viện PKCS#11) của token ký số. Hãy cài phần mềm của nhà "
        "cung cấp chữ ký số (VNPT-CA, Viettel-CA, BKAV-CA, FPT-CA, Ban Cơ yếu...) hoặc báo cán bộ CNTT.",
        field="module")
