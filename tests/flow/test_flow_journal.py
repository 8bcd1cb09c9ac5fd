"""The one journal: torn tails cut before appending, short writes refused, damage never hides other dossiers."""

from __future__ import annotations

import errno
import json
import os

import pytest

from scanstation.errors import JournalError
from scanstation.flow import Station
from scanstation.workarea import WorkArea
from tests.flow.conftest import cli_json


def test_a_torn_last_line_is_cut_back_before_the_next_line_is_appended(tmp_path):
    wa = WorkArea(tmp_path / "d")
    a = wa.add_page("c", b"x" * 50, ext="png", sheet=1, side="front")
    with open(wa.journal_path, "ab") as f:
        f.write(b'{"v":1,"op":"exclude","page":"' + a.id.encode())      # power cut mid-line
    b = wa.add_page("c", b"y" * 50, ext="png", sheet=1, side="back")
    wa.record("variant", page=b.id, variant="note_removed")
    lines = wa.journal_path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(x) for x in lines[:-1])     # every line whole again
    rec = wa.replay()
    assert [p.id for p in rec.pages["c"]] == [a.id, b.id] and rec.pages["c"][0].kept
    assert rec.pages["c"][1].variant.value == "note_removed" and rec.corrupt_lines == []


def test_a_journal_written_onto_a_torn_line_by_an_older_station_still_reads(tmp_path):
    wa = WorkArea(tmp_path / "d")
    a = wa.add_page("c", b"x" * 50, ext="png", sheet=1, side="front")
    page = json.dumps({"v": 1, "op": "exclude", "page": a.id, "reason": "blank", "by": "clerk"})
    with open(wa.journal_path, "ab") as f:
        f.write(b'{"v":1,"op":"page","compo' + page.encode() + b"\n")     # the old bug: appended onto the tear
    rec = wa.replay()
    assert not rec.pages["c"][0].kept and rec.corrupt_lines == []


def test_a_short_write_raises_and_leaves_no_half_line(tmp_path, monkeypatch):
    wa = WorkArea(tmp_path / "d")
    wa.add_page("c", b"x" * 50, ext="png", sheet=1, side="front")
    before = wa.journal_path.read_bytes()
    real = os.write
    calls = []

    def disk_fills(fd, data):
        """The disk fills after half the line: one partial write, then nothing more goes."""
        calls.append(len(data))
        return real(fd, bytes(data[: len(data) // 2])) if len(calls) == 1 else 0

    monkeypatch.setattr(os, "write", disk_fills)
    with pytest.raises(JournalError) as e:
        wa.record("exclude", page="p", reason="x" * 100)
    monkeypatch.undo()
    assert "Short write" in e.value.message_en and len(calls) == 2
    assert wa.journal_path.read_bytes() == before          # the half line is gone


def test_disk_full_while_journaling_is_a_typed_error(tmp_path, monkeypatch):
    wa = WorkArea(tmp_path / "d")
    wa.add_page("c", b"x" * 50, ext="png", sheet=1, side="front")

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(JournalError) as e:
        wa.record("exclude", page="p", reason="x")
    assert "No space left" in e.value.message_en


def test_recovery_lists_every_dossier_when_one_journal_is_damaged(station, station_home):
    from scanstation.dossier_io import load_dossier_file
    from scanstation.resources import resource

    made = []
    for i in range(3):
        d, _ = load_dossier_file(resource("demo", "dossier.json"))
        d.receipt_code = f"{d.receipt_code}-{i}"
        wa = station.create_dossier(d)
        wa.add_page(d.components[0].id, b"x" * 50, ext="png", sheet=1, side="front")
        wa.add_page(d.components[0].id, b"y" * 50, ext="png", sheet=1, side="back")
        made.append((d, wa))
    # one journal damaged in the middle (a bad sector), one unreadable altogether
    j = made[0][1].journal_path
    lines = j.read_bytes().split(b"\n")
    lines[1] = b"\x00\x00garbage\xff"
    j.write_bytes(b"\n".join(lines))
    bad = made[1][1].journal_path
    bad.unlink()
    bad.mkdir()                                   # reading it fails with an OS error
    items = {u.receipt_code: u for u in Station().unfinished()}
    assert set(items) == {d.receipt_code for d, _ in made}
    assert items[made[0][0].receipt_code].pages == 1 and "unreadable" in items[made[0][0].receipt_code].problem
    assert items[made[1][0].receipt_code].problem
    assert items[made[2][0].receipt_code].pages == 2 and items[made[2][0].receipt_code].problem is None
    listing = cli_json("dossier", "recover")
    assert len(listing) == 3
    restored = cli_json("dossier", "recover", "--restore", made[0][0].id)
    assert restored["components"][0]["pages"] == 1          # up to and around the damaged line
