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

from scanstation.errors import DiskSpaceError
from scanstation.workarea import WorkArea

WRITER = textwrap.dedent("""
    import os, sys
    from scanstation.workarea import WorkArea
    wa = WorkArea(__import__('pathlib').Path(sys.argv[1]))
    i = 0
    while True:
        i += 1
        data = os.urandom(200_000) + i.to_bytes(4, 'big')
        wa.add_page('comp1', data, ext='png', sheet=(i + 1) // 2, side='front' if i % 2 else 'back')
        print(i, flush=True)
""")


def test_add_page_is_journaled_and_replayed(tmp_path):
    wa = WorkArea(tmp_path / "d")
    p1 = wa.add_page("c", b"front", ext="png", sheet=1, side="front", dpi=(300, 300))
    p2 = wa.add_page("c", b"back", ext="png", sheet=1, side="back")
    wa.record("exclude", page=p2.id, reason="blank back")
    rec = WorkArea(tmp_path / "d").replay()
    pages = rec.pages["c"]
    assert [p.id for p in pages] == [p1.id, p2.id]
    assert pages[0].sha256 == hashlib.sha256(b"front").hexdigest() and pages[0].dpi == (300, 300)
    assert pages[1].kept is False and pages[1].excluded_reason == "blank back"
    assert rec.damaged == [] and rec.adopted == []


def test_replace_and_reorder_are_replayed(tmp_path):
    wa = WorkArea(tmp_path / "d")
    a = wa.add_page("c", b"a", ext="png", sheet=1, side="front")
    b = wa.add_page("c", b"b", ext="png", sheet=2, side="front")
    a2 = wa.add_page("c", b"a2", ext="png", sheet=1, side="front")
    wa.record("replace", page=a.id, by=a2.id)
    wa.record("order", component="c", pages=[b.id, a2.id])
    assert [p.id for p in wa.replay().pages["c"]] == [b.id, a2.id]


def test_damaged_page_and_torn_journal_line(tmp_path):
    wa = WorkArea(tmp_path / "d")
    p = wa.add_page("c", b"x" * 100, ext="png", sheet=1, side="front")
    (wa.root / p.file).write_bytes(b"y" * 100)
    with open(wa.journal_path, "ab") as f:
        f.write(b'{"v":1,"op":"page","compo')           # power cut in the middle of a line
    rec = wa.replay()
    assert rec.damaged == [p.file] and rec.torn_lines == 1


def _png(seed: int, w: int = 40, h: int = 30) -> bytes:
    """A small, whole grey PNG built with zlib only."""
    raw = b"".join(b"\0" + bytes((seed + x * y) % 256 for x in range(w)) for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_image_without_journal_line_is_adopted(tmp_path):
    wa = WorkArea(tmp_path / "d")
    wa.add_page("c", _png(1), ext="png", sheet=1, side="front")
    orphan = wa.pages_dir / "c" / "00002_s001_back_normal.png"
    orphan.write_bytes(_png(2))                         # crash after rename, before the journal line
    (wa.pages_dir / "c" / ".00003_s002_front_normal.png.abc.tmp").write_bytes(b"partial")
    rec = wa.replay()
    assert rec.adopted == ["pages/c/00002_s001_back_normal.png"] and rec.rejected == []
    assert [(p.sheet, p.side.value) for p in rec.pages["c"]] == [(1, "front"), (1, "back")]
    assert rec.pages["c"][1].sha256 == hashlib.sha256(_png(2)).hexdigest()
    assert len(WorkArea(tmp_path / "d").replay().pages["c"]) == 2    # adoption is journaled once


@pytest.mark.parametrize("run", range(3))
@pytest.mark.kill
def test_kill_9_while_journaling_loses_no_page(tmp_path, run):
    root = tmp_path / "dossier"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True, env=env)
    acknowledged = 0
    deadline = time.monotonic() + 30
    while acknowledged < 15 + 7 * run and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line:
            acknowledged = int(line)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rec = WorkArea(root).replay()
    pages = rec.pages.get("comp1", [])
    # Every page the writer reported as stored is there, intact, in order; nothing is damaged.
    assert len(pages) >= acknowledged
    assert rec.damaged == []
    for i, p in enumerate(pages, start=1):
        data = (root / p.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == p.sha256
        assert int.from_bytes(data[-4:], "big") == i


def test_disk_space_threshold_refuses_capture(station):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.resources import resource

    dossier, _ = load_dossier_file(resource("demo", "dossier.json"))
    station.create_dossier(dossier)
    station.settings.set("storage.min_free_mb", 10**9, layer="station")
    with pytest.raises(DiskSpaceError) as e:
        station.begin_capture(dossier)
    assert "MB" in e.value.message_en and "dung lượng" in e.value.message_vi
    assert dossier.status.value == "intake"            # nothing started
