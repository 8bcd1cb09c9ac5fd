"""TEST-ONLY (never shipped): a *native* copy of Wine 8's own ucrtbase.dll whose unimplemented
complex-number stubs (crealf, cimagf, cimag, _FCbuild) get tiny x64 bodies, so numpy 2.x imports.
Load it with WINEDLLOVERRIDES=ucrtbase=n,b. A PE export-table reader of its own (no pefile needed).

Usage: python patch_ucrtbase.py <wine ucrtbase.dll> <out.dll>
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

CODE = {  # MS x64 ABI: _Fcomplex (8 bytes) arrives in RCX, _Dcomplex (16 bytes) by pointer in RCX
    "crealf": bytes.fromhex("660f6ec1c3"),                        # movd xmm0,ecx; ret
    "cimagf": bytes.fromhex("48c1e920660f6ec1c3"),                # shr rcx,32; movd xmm0,ecx; ret
    "cimag": bytes.fromhex("f20f104108c3"),                       # movsd xmm0,[rcx+8]; ret
    "_FCbuild": bytes.fromhex("660f7ec0660f7eca48c1e2204809d0c3"),  # movd eax,xmm0; movd edx,xmm1; shl; or; ret
}
STUB = bytes.fromhex("4883ec28488d0d")   # sub rsp,28h; lea rcx,[rip+..]: Wine's __wine_stub_* prologue


def exports(data: bytes) -> tuple[dict[str, int], callable]:
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        raise ValueError("not a PE file")
    nsec, = struct.unpack_from("<H", data, pe + 6)
    opt_size, = struct.unpack_from("<H", data, pe + 20)
    opt = pe + 24
    if struct.unpack_from("<H", data, opt)[0] != 0x20B:
        raise ValueError("not PE32+")
    exp_rva, _ = struct.unpack_from("<II", data, opt + 112)
    sections = [struct.unpack_from("<IIII", data, opt + opt_size + 40 * i + 8) for i in range(nsec)]

    def off(rva: int) -> int:
        for vsize, va, rawsize, raw in sections:
            if va <= rva < va + max(vsize, rawsize):
                return rva - va + raw
        raise ValueError(f"rva {rva:#x} outside every section")

    e = off(exp_rva)
    _nfun, nnames, funcs, names, ords = struct.unpack_from("<IIIII", data, e + 20)
    out = {}
    for i in range(nnames):
        name_off = off(struct.unpack_from("<I", data, off(names) + 4 * i)[0])
        name = data[name_off:data.index(b"\0", name_off)].decode()
        ordinal, = struct.unpack_from("<H", data, off(ords) + 2 * i)
        out[name] = struct.unpack_from("<I", data, off(funcs) + 4 * ordinal)[0]
    return out, off


def main(src: str, dst: str) -> None:
    data = bytearray(Path(src).read_bytes())
    table, off = exports(bytes(data))
    for name, code in CODE.items():
        o = off(table[name])
        if data[o:o + len(STUB)] != STUB:
            print("skip (already implemented?)", name)
            continue
        data[o:o + len(code)] = code
        print("patched", name)
    sig = b"Wine builtin DLL"
    i = data.find(sig, 0, 0x100)
    if i < 0:
        raise SystemExit("no 'Wine builtin DLL' marker: not Wine's ucrtbase.dll")
    data[i:i + len(sig)] = b"Wine nativeX DLL"   # drop the builtin marker so the loader uses this file
    Path(dst).write_bytes(bytes(data))


if __name__ == "__main__":
    main(*sys.argv[1:3])
