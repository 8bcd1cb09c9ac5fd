"""Pages streamed in place (WorkArea.open_page): journaled only when whole; a cut-short file is never adopted."""

import hashlib
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import pytest

from scanstation.errors import StorageError
from scanstation.workarea import WorkArea, png_is_complete


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(seed: int, w: int = 64, h: int = 48, idat_parts: int = 1) -> bytes:
    raw = b"".join(b"\0" + bytes((seed * 7 + x * y) % 256 for x in range(w)) for y in range(h))
    z = zlib.compress(raw)
    step = -(-len(z) // idat_parts)
    idats = b"".join(_chunk(b"IDAT", z[i:i + step]) for i in range(0, len(z), step))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + idats
            + _chunk(b"IEND", b""))


def test_streamed_page_is_journaled_with_the_hash_of_what_was_written(tmp_path):
    wa = WorkArea(tmp_path / "d")
    data = _png(1, idat_parts=3)
    with wa.open_page("c", sheet=1, side="front") as out:
        for i in range(0, len(data), 100):
            out.write(memoryview(data)[i:i + 100])
        page = out.commit(dpi=(300, 300), mode="L", width=64, height=48)
    assert (wa.root / page.file).read_bytes() == data
    assert page.sha256 == hashlib.sha256(data).hexdigest() and page.file == "pages/c/00001_s001_front_normal.png"
    rec = WorkArea(tmp_path / "d").replay()
    assert [p.id for p in rec.pages["c"]] == [page.id] and rec.damaged == [] and rec.adopted == []


def test_patched_header_is_rehashed(tmp_path):
    wa = WorkArea(tmp_path / "d")
    final = _png(2, h=48)
    first = _png(2, h=50)[:33] + final[33:]        # header announcing 50 rows, fixed once 48 arrived
    with wa.open_page("c", sheet=1, side="back") as out:
        out.write(first)
        out.patch(0, final[:33])
        page = out.commit()
    assert (wa.root / page.file).read_bytes() == final and page.sha256 == hashlib.sha256(final).hexdigest()
    assert WorkArea(tmp_path / "d").replay().damaged == []


def test_leaving_without_commit_deletes_the_file_and_journals_nothing(tmp_path):
    wa = WorkArea(tmp_path / "d")
    with pytest.raises(RuntimeError), wa.open_page("c", sheet=1, side="front") as out:
        out.write(_png(3)[:50])
        raise RuntimeError("scanner jammed mid-page")
    assert not out.path.exists() and not wa.journal_path.exists()
    p = wa.add_page("c", _png(4), ext="png", sheet=1, side="front")
    assert p.file.startswith("pages/c/00002_")       # the sequence number is never reused


def test_open_page_streams_png_only_and_never_overwrites(tmp_path):
    wa = WorkArea(tmp_path / "d")
    with pytest.raises(ValueError):
        wa.open_page("c", ext="tif", sheet=1, side="front")
    (wa.pages_dir / "c").mkdir(parents=True)
    (wa.pages_dir / "c" / "00001_s001_front_normal.png").write_bytes(_png(5))
    other = WorkArea(tmp_path / "d")
    other._seq["c"] = 0                             # a stale counter must not clobber a page on disk
    with pytest.raises(StorageError):
        other.open_page("c", sheet=1, side="front")
    assert (wa.pages_dir / "c" / "00001_s001_front_normal.png").read_bytes() == _png(5)


@pytest.mark.parametrize("cut", ["truncated", "no_iend", "bad_crc", "short_data", "zeros", "garbage", "empty",
                                 "trailing"])
def test_incomplete_orphan_is_rejected_not_adopted(tmp_path, cut):
    wa = WorkArea(tmp_path / "d")
    good = wa.add_page("c", _png(6), ext="png", sheet=1, side="front")
    whole = _png(7, idat_parts=4)
    broken = {
        "truncated": whole[: len(whole) // 2],
        "no_iend": whole[:-12],
        "bad_crc": whole[:60] + bytes([whole[60] ^ 1]) + whole[61:],
        # chunks all valid but the image data stops early (a writer that never finished its stream)
        "short_data": (whole[:33] + _chunk(b"IDAT", zlib.compress(b"\0" * 65 * 10)) + _chunk(b"IEND", b"")),
        "zeros": whole[:40] + b"\0" * (len(whole) - 40),
        "garbage": b"two",
        "empty": b"",
        "trailing": whole + b"x",
    }[cut]
    assert png_is_complete(wa.root / good.file)
    orphan = wa.pages_dir / "c" / "00002_s001_back_normal.png"
    orphan.write_bytes(broken)
    assert not png_is_complete(orphan)
    rec = wa.replay()
    assert rec.adopted == [] and rec.rejected == ["pages/c/00002_s001_back_normal.png"]
    assert [p.id for p in rec.pages["c"]] == [good.id] and rec.damaged == []
    assert WorkArea(tmp_path / "d").replay().rejected == rec.rejected     # nothing journaled for it


def test_whole_orphan_of_several_idat_chunks_is_adopted(tmp_path):
    wa = WorkArea(tmp_path / "d")
    (wa.pages_dir / "c").mkdir(parents=True)
    (wa.pages_dir / "c" / "00001_s001_front_normal.png").write_bytes(_png(8, idat_parts=5))
    rec = wa.replay()
    assert rec.adopted == ["pages/c/00001_s001_front_normal.png"] and rec.rejected == []


STREAMER = textwrap.dedent("""
    import os, struct, sys, time, zlib
    from pathlib import Path
    from scanstation.workarea import WorkArea

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    wa = WorkArea(Path(sys.argv[1]))
    stall_at = int(sys.argv[2])
    i = 0
    while True:
        i += 1
        px = os.urandom(300 * 400 - 4) + i.to_bytes(4, "big")       # 300 rows of 400 grey pixels, page no. last
        raw = b"".join(b"\\0" + px[r * 400:(r + 1) * 400] for r in range(300))
        png = (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 400, 300, 8, 0, 0, 0, 0))
               + chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))
        with wa.open_page("comp1", sheet=(i + 1) // 2, side="front" if i % 2 else "back") as out:
            half = len(png) // 2
            out.write(png[:half])
            if i == stall_at:
                print("mid", i, flush=True)
                time.sleep(60)                                    # killed here, half a page on disk
            out.write(png[half:])
            out.commit()
        print(i, flush=True)
""")


def _run_streamer(root: Path, stall_at: int, kill_after: int) -> tuple[int, str | None]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", STREAMER, str(root), str(stall_at)], stdout=subprocess.PIPE,
                            text=True, env=env)
    acknowledged, mid = 0, None
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline().split()
            if line and line[0] == "mid":
                mid = line[1]
                break
            if line:
                acknowledged = int(line[0])
                if acknowledged >= kill_after:
                    break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    return acknowledged, mid


@pytest.mark.kill
def test_kill_9_mid_page_leaves_a_partial_file_that_is_never_adopted(tmp_path):
    root = tmp_path / "dossier"
    acknowledged, mid = _run_streamer(root, stall_at=6, kill_after=10**9)
    assert acknowledged == 5 and mid == "6"
    partial = root / "pages" / "comp1" / "00006_s003_back_normal.png"
    assert partial.exists() and not png_is_complete(partial)      # half a page really is on disk
    rec = WorkArea(root).replay()
    assert rec.rejected == ["pages/comp1/00006_s003_back_normal.png"] and rec.adopted == [] and rec.damaged == []
    pages = rec.pages["comp1"]
    assert len(pages) == 5
    for p in pages:
        assert png_is_complete(root / p.file)
        assert hashlib.sha256((root / p.file).read_bytes()).hexdigest() == p.sha256


@pytest.mark.parametrize("run", range(3))
@pytest.mark.kill
def test_kill_9_at_any_moment_loses_no_committed_page(tmp_path, run):
    root = tmp_path / "dossier"
    acknowledged, _ = _run_streamer(root, stall_at=0, kill_after=8 + 5 * run)
    rec = WorkArea(root).replay()
    pages = rec.pages.get("comp1", [])
    assert len(pages) >= acknowledged and rec.damaged == [] and len(rec.rejected) <= 1
    for i, p in enumerate(pages, start=1):
        data = (root / p.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == p.sha256 and png_is_complete(root / p.file)
        raw = zlib.decompress(data[data.index(b"IDAT") + 4:])
        assert int.from_bytes(raw[-4:], "big") == i                   # in order, none skipped
