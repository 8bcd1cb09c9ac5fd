"""The batch pipeline: the token thread signs file N while writer threads verify and write earlier files.

A file is reported signed only once it is verified and written; results keep the input order;
a token pulled out or a failed write stops the batch with what is written kept; nothing runs on
after ``sign_batch`` returns or raises. Faults are injected at the module seams
(``tokens._token_sign``, ``pades.verify_bytes``, ``pades.atomic_write_bytes``).
"""

from __future__ import annotations

import io
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

import scanstation.signing.pades as pades
import scanstation.signing.tokens as tokens
from scanstation.errors import Cancelled, DiskSpaceError, TokenRemovedError
from scanstation.progress import Progress
from scanstation.signing import SignOptions, open_session, sign_batch, stamps, verify_file
from scanstation.signing.tokenthread import THREAD_NAME
from tests.signing.conftest import CLERK_PIN, ORG_NAME

VN = timezone(timedelta(hours=7))


def _session(pki):
    return open_session(pki.module, "CLERK", CLERK_PIN, key_id="01", trust_roots=pki.roots)


def _listing(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _writer_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(pades.WRITER_THREAD_NAME)]


def _names(res) -> list[str]:
    return [Path(s.path).name for s in res.signed]


@pytest.fixture
def srcs(pdf_factory):
    return [pdf_factory(name=f"c{i}.pdf") for i in range(6)]


def test_results_keep_input_order_token_calls_stay_on_the_token_thread(pki, srcs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    sign_threads, verify_threads, written = set(), set(), []
    real_sign, real_verify, real_write = tokens._token_sign, pades.verify_bytes, pades.atomic_write_bytes
    c1_written = threading.Event()

    def sign(*a, **kw):
        sign_threads.add(threading.current_thread().name)
        return real_sign(*a, **kw)

    def verify(*a, **kw):
        verify_threads.add(threading.current_thread().name)
        return real_verify(*a, **kw)

    def write(path, data):
        if Path(path).name == "c0.pdf":      # c0 is written only after c1: the writes overlap
            c1_written.wait(timeout=20)
        sha = real_write(path, data)
        written.append(Path(path).name)
        if Path(path).name == "c1.pdf":
            c1_written.set()
        return sha

    monkeypatch.setattr(tokens, "_token_sign", sign)
    monkeypatch.setattr(pades, "verify_bytes", verify)
    monkeypatch.setattr(pades, "atomic_write_bytes", write)
    with _session(pki) as ts:
        res = sign_batch(ts, [(s, out / s.name) for s in srcs], SignOptions(trust_roots=pki.roots))
    assert res.complete, res.to_dict()
    assert written.index("c1.pdf") < written.index("c0.pdf")  # the writes really overlapped...
    assert _names(res) == [s.name for s in srcs]               # ...and the results are in input order
    assert [s.source for s in res.signed] == [str(s) for s in srcs]
    assert sign_threads and all(n.startswith(THREAD_NAME) for n in sign_threads)
    assert verify_threads and all(n.startswith(pades.WRITER_THREAD_NAME) for n in verify_threads)
    assert _listing(out) == sorted(s.name for s in srcs)
    assert all(verify_file(out / s.name, pki.roots).ok for s in srcs)
    assert not _writer_threads()


def test_a_failed_write_is_not_reported_signed_and_stops_the_batch(pki, srcs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    items = [(s, out / s.name) for s in srcs]
    real_write = pades.atomic_write_bytes

    def write(path, data):
        if Path(path).name == "c2.pdf":
            raise DiskSpaceError(f"Disk full while writing {path}", "Đĩa đầy")
        return real_write(path, data)

    monkeypatch.setattr(pades, "atomic_write_bytes", write)
    with _session(pki) as ts:
        res = sign_batch(ts, items, SignOptions(trust_roots=pki.roots))
    assert isinstance(res.stopped, DiskSpaceError) and not res.complete
    signed = _names(res)
    assert "c2.pdf" not in signed and str(srcs[2]) in res.pending
    assert signed[:2] == ["c0.pdf", "c1.pdf"] and signed == sorted(signed)
    # every file is either reported signed (and then written and valid) or pending (and then absent)
    assert sorted(signed + [Path(p).name for p in res.pending]) == [s.name for s in srcs]
    assert _listing(out) == signed                                  # no temporary file left either
    assert all(verify_file(out / n, pki.roots).ok for n in signed)
    assert not _writer_threads()

    monkeypatch.setattr(pades, "atomic_write_bytes", real_write)    # space freed: the same batch again
    with _session(pki) as ts:
        res2 = sign_batch(ts, items, SignOptions(trust_roots=pki.roots))
        assert ts.stats.signatures == len(res.pending)
    assert res2.complete and [s.skipped for s in res2.signed] == [s.name in signed for s in srcs]


def test_verification_and_input_failures_are_reported_in_input_order(pki, srcs, tmp_path, monkeypatch):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\nnot really a pdf\n")
    out = tmp_path / "out"
    real_verify = pades.verify_bytes

    def corrupting_verify(data, roots, **kw):      # c0's signed bytes fail their check (in a writer)
        if kw.get("name") == "c0.pdf":
            data = data[:-300] + b"x" * 300
        return real_verify(data, roots, **kw)

    monkeypatch.setattr(pades, "verify_bytes", corrupting_verify)
    items = [(srcs[0], out / "c0.pdf"), (junk, out / "junk.pdf"), (srcs[1], out / "c1.pdf"), (srcs[2], out / "c2.pdf")]
    with _session(pki) as ts:
        res = sign_batch(ts, items, SignOptions(trust_roots=pki.roots))
    assert res.stopped is None and not res.pending
    assert [(Path(f["source"]).name, f["code"]) for f in res.failed] == [
        ("c0.pdf", "SIGNATURE_NOT_VERIFIED"), ("junk.pdf", "NOT_SIGNABLE")]
    assert _names(res) == ["c1.pdf", "c2.pdf"]
    assert _listing(out) == ["c1.pdf", "c2.pdf"]                     # the unverified file was never written


def test_token_removed_while_earlier_files_are_being_written(pki, srcs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    items = [(s, out / s.name) for s in srcs]
    real_sign, real_write = tokens._token_sign, pades.atomic_write_bytes
    calls = {"n": 0}

    def unplug_after_three(*a, **kw):
        calls["n"] += 1
        if calls["n"] > 3:
            raise tokens.p11e.DeviceRemoved()
        return real_sign(*a, **kw)

    def slow_write(path, data):        # the files before are still being written when the token goes
        time.sleep(0.3)
        return real_write(path, data)

    monkeypatch.setattr(tokens, "_token_sign", unplug_after_three)
    monkeypatch.setattr(pades, "atomic_write_bytes", slow_write)
    with _session(pki) as ts:
        res = sign_batch(ts, items, SignOptions(trust_roots=pki.roots))
    assert isinstance(res.stopped, TokenRemovedError)
    assert _names(res) == ["c0.pdf", "c1.pdf", "c2.pdf"]
    assert res.pending == [str(s) for s in srcs[3:]]
    assert not _writer_threads()
    listing = _listing(out)
    assert listing == ["c0.pdf", "c1.pdf", "c2.pdf"]
    time.sleep(0.4)
    assert _listing(out) == listing                                  # nothing is still being written
    assert all(verify_file(out / n, pki.roots).ok for n in listing)


def test_cancel_mid_batch_leaves_only_complete_files(pki, srcs, tmp_path):
    out = tmp_path / "out"
    items = [(s, out / s.name) for s in srcs]

    def cancel_at_third(done, total, msg):      # the clerk presses Cancel while c2 is being signed
        if done == 2:
            progress.cancel()

    progress = Progress(cancel_at_third)
    with _session(pki) as ts, pytest.raises(Cancelled):
        sign_batch(ts, items, SignOptions(trust_roots=pki.roots), progress)
    assert not _writer_threads()
    written = _listing(out)
    assert written == ["c0.pdf", "c1.pdf", "c2.pdf"]                 # complete files only, no temp file
    assert all(verify_file(out / n, pki.roots).ok for n in written)
    with _session(pki) as ts:
        res = sign_batch(ts, items, SignOptions(trust_roots=pki.roots))
    assert res.complete and [s.skipped for s in res.signed] == [True] * 3 + [False] * 3


def test_an_item_reading_a_file_still_being_written_waits_for_it(pki, srcs, tmp_path, monkeypatch):
    """Clerk signature into b.pdf, then the certified copy of b.pdf in the same batch."""
    real_write = pades.atomic_write_bytes

    def slow_write(path, data):
        time.sleep(0.3)
        return real_write(path, data)

    monkeypatch.setattr(pades, "atomic_write_bytes", slow_write)
    b, c = tmp_path / "b.pdf", tmp_path / "c.pdf"
    with _session(pki) as ts:
        res = sign_batch(ts, [(srcs[0], b), (b, c, {"role": "copy", "org_name": ORG_NAME})],
                         SignOptions(trust_roots=pki.roots))
    assert res.complete, res.to_dict()
    rep = verify_file(c, pki.roots)
    assert rep.ok and [s.role for s in rep.signatures] == ["clerk", "copy"]


# --- the stamp font: one subset per glyph set, embedded as is when the same glyphs come again ------
def _stamp_crop(pdf: Path, tmp_path: Path) -> Image.Image:
    png = tmp_path / f"{pdf.stem}-p1"
    subprocess.run(["pdftoppm", "-r", "100", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(png)],
                   check=True, timeout=60)
    img = Image.open(f"{png}.png").convert("L")
    return img.crop((0, 0, img.width // 3, int(img.height * 0.07)))


def _embedded_font(pdf: Path):
    from fontTools.ttLib import TTFont

    with pikepdf.open(pdf) as doc:
        fd = next(o for o in doc.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/FontDescriptor")
        return TTFont(io.BytesIO(fd.FontFile2.read_bytes()))


def test_cached_font_subset_renders_like_a_fresh_one_and_follows_the_glyphs(pki, pdf_factory, tmp_path):
    stamps._subset_cache.clear()
    a, b = pdf_factory(name="a.pdf"), pdf_factory(name="b.pdf")
    opts = SignOptions(trust_roots=pki.roots, scan_time=datetime(2025, 3, 4, 8, 9, 10, tzinfo=VN))
    with _session(pki) as ts:
        res = sign_batch(ts, [(a, tmp_path / "o" / "a.pdf"), (b, tmp_path / "o" / "b.pdf")], opts)
    assert res.complete and len(stamps._subset_cache) == 1           # b reused a's subset
    crop_a, crop_b = (_stamp_crop(Path(s.path), tmp_path) for s in res.signed)
    assert crop_a.getextrema()[0] < 128                               # there is a stamp
    assert ImageChops.difference(crop_a, crop_b).getbbox() is None    # and it looks exactly the same

    name = "Ỷ Lan Ưng Ổ"                                              # glyphs the first stamp did not use
    with _session(pki) as ts:
        res2 = sign_batch(ts, [(pdf_factory(name="c.pdf"), tmp_path / "o" / "c.pdf")],
                          SignOptions(trust_roots=pki.roots, signer_name=name, scan_time=opts.scan_time))
    assert res2.complete and len(stamps._subset_cache) == 2
    c = Path(res2.signed[0].path)
    txt = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(c), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert name in txt
    from fontTools.ttLib import TTFont

    def outline(font, gid: int) -> bool:       # subsets keep glyph ids; unused glyphs are empty or cut off
        order = font.getGlyphOrder()
        return gid < len(order) and font["glyf"][order[gid]].numberOfContours != 0

    font_a, font_c = _embedded_font(Path(res.signed[0].path)), _embedded_font(c)
    src = TTFont(str(stamps.font_for_pdf(stamps.find_font("sans"))))
    for ch in "ỶƯỔ":
        gid = src.getGlyphID(src.getBestCmap()[ord(ch)])
        assert outline(font_c, gid) and not outline(font_a, gid), ch     # c got a subset of its own


# --- verification hashes the signed byte ranges itself (one pass), exactly as pyHanko would ---------
def test_verification_digest_matches_pyhanko_and_catches_a_change_in_either_range(pki, pdf_factory, tmp_path):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import byte_range_digest

    from scanstation.signing.verify import _digest_byte_ranges

    with _session(pki) as ts:
        res = sign_batch(ts, [(pdf_factory(2), tmp_path / "s.pdf")], SignOptions(trust_roots=pki.roots))
    data = (tmp_path / "s.pdf").read_bytes()
    sig = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
    _digest_byte_ranges(sig, data)
    assert sig.external_digests["sha256"] == byte_range_digest(io.BytesIO(data), sig.byte_range, "sha256")[1]
    a, b, c, d = (int(v) for v in sig.byte_range)
    assert res.complete and a == 0 and c + d == len(data)
    m = data.index(b"/M (D", c) + len(b"/M (D")             # the signature's date, after /Contents
    in_second = m + (4 if data[m:m + 4] == b"\\072" else 1) + 3   # (pyHanko escapes the ':'), a year digit
    for where in (b // 2, in_second):                      # an image byte in the first range; the date
        bad = bytearray(data)
        bad[where] = ord("3") if bad[where] != ord("3") else ord("4")
        (tmp_path / "bad.pdf").write_bytes(bytes(bad))
        rep = verify_file(tmp_path / "bad.pdf", pki.roots)
        assert not rep.ok and [s.intact for s in rep.signatures] == [False], where
