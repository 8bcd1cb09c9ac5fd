"""SANE pages streamed into their PNG while they arrive: same pixels as snap(), no partial page ever kept."""

from __future__ import annotations

import ctypes
import hashlib
import threading
import time

import numpy as np
import pytest
from PIL import Image

from scanstation.devices import RawOption, ScanRequest, _sane, capture, open_scanner, pngio
from scanstation.devices import _sane_read as sane_read
from scanstation.devices._sane_worker import TEST_ENV
from scanstation.devices.base import CapturedImage
from scanstation.devices.factory import Scanner
from scanstation.errors import ScanCancelled
from scanstation.workarea import png_is_complete

DEV = "sane:test:0"


def req(**kw) -> ScanRequest:
    base = dict(device=DEV, source="flatbed", dpi=60, mode="color", paper="max")
    base.update(kw)
    return ScanRequest(**base)


def _pixels(workarea, page) -> np.ndarray:
    with Image.open(workarea.root / page.file) as im:
        return np.asarray(im)


def _spy(monkeypatch) -> dict[str, list]:
    """What the station received from the SANE worker: a streamed frame (True) or a whole snap() image."""
    seen: dict[str, list] = {"frames": [], "blocks": []}
    next_image, add_rows = _sane.SaneDriver._next_image, pngio.PngEncoder.add_rows

    def next_image_spy(self, *args):
        img = next_image(self, *args)
        seen["frames"].append(img.arriving is not None)
        return img

    def add_rows_spy(self, rows):
        seen["blocks"].append(rows.shape[0])
        return add_rows(self, rows)

    monkeypatch.setattr(_sane.SaneDriver, "_next_image", next_image_spy)
    monkeypatch.setattr(pngio.PngEncoder, "add_rows", add_rows_spy)
    return seen


@pytest.mark.parametrize("mode", ["color", "gray"])
def test_streamed_pages_equal_snap_pages_pixel_for_pixel(workarea, monkeypatch, mode):
    """Same scan twice: streamed through sane_read, then through python-sane's snap() (the fallback)."""
    options = (RawOption.parse("test-picture=Color pattern"),)
    seen = _spy(monkeypatch)
    streamed = capture(req(mode=mode, options=options, dpi=120), workarea, "s")
    assert seen["frames"] == [True] and len(seen["blocks"]) > 1      # encoded in several blocks as it arrived
    monkeypatch.setenv(TEST_ENV, "snap")                              # the worker reads with python-sane's snap()
    snapped = capture(req(mode=mode, options=options, dpi=120), workarea, "n")
    assert seen["frames"] == [True, False]
    a, b = _pixels(workarea, streamed.pages[0]), _pixels(workarea, snapped.pages[0])
    assert a.shape == b.shape and np.array_equal(a, b)
    assert a.ndim == (3 if mode == "color" else 2) and a.std() > 10   # a real picture, not a blank buffer
    p = streamed.pages[0]
    assert (p.width, p.height) == (a.shape[1], a.shape[0])


def test_line_padding_is_dropped_not_shifted_into_the_next_row(workarea):
    """A backend that pads its lines (bytes_per_line > pixels x 3): rows are cut at bytes_per_line, so the
    picture is the unpadded one minus the lost pixels (python-sane's snap() reads such frames skewed)."""
    plain = capture(req(dpi=120, options=(RawOption.parse("test-picture=Color pattern"),)), workarea, "a")
    padded = capture(req(dpi=120, options=(RawOption.parse("test-picture=Color pattern"),
                                           RawOption.parse("ppl-loss=7"))), workarea, "b")
    a, b = _pixels(workarea, plain.pages[0]), _pixels(workarea, padded.pages[0])
    assert b.shape == (a.shape[0], a.shape[1] - 7, 3) and np.array_equal(b, a[:, :-7])


def test_feeder_pages_are_streamed_and_journaled_whole(workarea, monkeypatch):
    seen = _spy(monkeypatch)
    r = capture(req(source="adf", dpi=100, options=(RawOption.parse("test-picture=Color pattern"),)),
                workarea, "c")
    assert len(r.pages) == 10 and seen["frames"] == [True] * 10
    assert sum(seen["blocks"]) == sum(p.height for p in r.pages)
    rec = workarea.replay()
    assert not rec.damaged and not rec.rejected and len(rec.pages["c"]) == 10
    for p in r.pages:
        f = workarea.root / p.file
        assert png_is_complete(f) and hashlib.sha256(f.read_bytes()).hexdigest() == p.sha256


def test_unknown_height_falls_back_to_snap(workarea, monkeypatch):
    seen = _spy(monkeypatch)
    r = capture(req(options=(RawOption.parse("hand-scanner=yes"),)), workarea, "c")
    assert seen["frames"] == [False] and len(r.pages) == 1
    assert _pixels(workarea, r.pages[0]).shape[0] == r.pages[0].height > 0


def test_cancel_mid_page_keeps_no_partial_file(workarea):
    """The scanner is cancelled while the page streams in: its file is removed, nothing is journaled."""
    options = tuple(RawOption.parse(o) for o in ("read-limit=yes", "read-limit-size=4096", "read-delay=yes",
                                                 "read-delay-duration=1000"))
    scanner = open_scanner(DEV)
    pages_dir = workarea.pages_dir / "c"
    seen_file: list[str] = []

    def cancel_when_writing():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            files = list(pages_dir.glob("*.png")) if pages_dir.exists() else []
            if files and files[0].stat().st_size > 0:
                seen_file.append(files[0].name)
                scanner.cancel()
                return
            time.sleep(0.005)

    t = threading.Thread(target=cancel_when_writing)
    t.start()
    try:
        with pytest.raises(ScanCancelled) as ei:
            capture(req(dpi=100, options=options), workarea, "c", scanner=scanner)
    finally:
        t.join()
    assert seen_file, "the page file never appeared while the page was arriving"
    assert ei.value.pages == [] and list(pages_dir.glob("*")) == []
    rec = workarea.replay()
    assert rec.pages.get("c", []) == [] and rec.rejected == []


# --- Frame.read over a scripted libsane: pages shorter/longer than announced, errors mid-page ---------------------
class _FakeLib:
    """sane_read handing out ``data`` in pieces of ``piece`` bytes, then ``end`` (a SANE status)."""

    def __init__(self, data: bytes, piece: int, end: int = 5, fail_after: int | None = None) -> None:
        self.data, self.piece, self.end, self.fail_after = data, piece, end, fail_after
        self.pos = 0

    def sane_read(self, handle, buf, max_len, got):
        if self.fail_after is not None and self.pos >= self.fail_after:
            return 6                                                 # SANE_STATUS_JAMMED
        n = min(self.piece, max_len, len(self.data) - self.pos)
        if n <= 0:
            got._obj.value = 0
            return self.end
        ctypes.memmove(buf, self.data[self.pos:self.pos + n], n)
        self.pos += n
        got._obj.value = n
        return 0


def _frame(lib, lines: int, width: int, bpl: int, fmt: int = 1, cancelled=lambda: False) -> sane_read.Frame:
    p = sane_read._Params(format=fmt, last_frame=1, bytes_per_line=bpl, pixels_per_line=width, lines=lines, depth=8)
    return sane_read.Frame(lib, 1, p, cancelled)


def _rows(lines: int, bpl: int) -> bytes:
    return bytes((r * 31 + c) % 251 for r in range(lines) for c in range(bpl))


def test_frame_read_fills_rows_in_order_and_drops_line_padding():
    data = _rows(10, 20)                                             # 6 RGB pixels + 2 padding bytes per line
    f = _frame(_FakeLib(data, piece=7), lines=10, width=6, bpl=20)
    steps = list(f.read())
    assert [n for n, _ in steps] == sorted(n for n, _ in steps) and steps[-1][0] == 10
    px = steps[-1][1]
    assert px.shape == (10, 6, 3)
    assert np.array_equal(px.reshape(10, 18), np.frombuffer(data, np.uint8).reshape(10, 20)[:, :18])


def test_frame_shorter_than_announced_ends_at_its_last_whole_row():
    f = _frame(_FakeLib(_rows(4, 9)[: 9 * 3 + 5], piece=8), lines=4, width=3, bpl=9)
    n, px = list(f.read())[-1]
    assert n == 3 and px.shape == (3, 3, 3)


def test_frame_longer_than_announced_is_kept_whole():
    data = _rows(7, 9)
    f = _frame(_FakeLib(data, piece=5), lines=4, width=3, bpl=9)
    n, px = list(f.read())[-1]
    assert n == 7 and px.shape == (7, 3, 3) and px.tobytes() == data


def test_frame_errors_mid_page_and_empty_frames_are_typed():
    with pytest.raises(sane_read.SaneReadError) as ei:
        list(_frame(_FakeLib(_rows(4, 9), piece=9, fail_after=18), lines=4, width=3, bpl=9).read())
    assert ei.value.status == "SANE_STATUS_JAMMED"
    with pytest.raises(sane_read.SaneReadError) as ei:
        list(_frame(_FakeLib(b"", piece=9), lines=4, width=3, bpl=9).read())
    assert ei.value.status == "SANE_STATUS_EOF"


def test_frame_cut_short_by_a_cancel_is_cancelled_not_a_short_page():
    for end in (5, 4, 9):                                            # backends answer a cancel with EOF, INVAL, IO_ERROR
        with pytest.raises(sane_read.SaneReadError) as ei:
            list(_frame(_FakeLib(_rows(2, 9), piece=9, end=end), lines=4, width=3, bpl=9, cancelled=lambda: True)
                 .read())
        assert ei.value.status == "SANE_STATUS_CANCELLED"
    whole = _frame(_FakeLib(_rows(4, 9), piece=9), lines=4, width=3, bpl=9, cancelled=lambda: True)
    assert list(whole.read())[-1][0] == 4                            # a page that arrived whole is kept


# --- the capture side: a streamed page whose height changes on the way is still a whole, right PNG -------------
class _StreamingDriver:
    name = "fake"

    def __init__(self, announced: int, delivered: int) -> None:
        self.announced, self.delivered = announced, delivered

    def list_devices(self):
        return open_scanner("virtual:demo").driver.list_devices()

    def capabilities(self, device_id):
        return open_scanner("virtual:demo").capabilities()

    def check_options(self, request):
        pass

    def cancel(self):
        pass

    def scan(self, request, on_page, progress):
        rng = np.random.default_rng(5)
        full = rng.integers(0, 256, (max(self.announced, self.delivered), 50, 3), dtype=np.uint8)

        def arriving():
            buf = full[: self.announced]
            for n in range(0, min(self.announced, self.delivered), 37):
                yield n, buf
            yield self.delivered, full[: self.delivered]

        on_page(CapturedImage(full[: self.announced], 1, "front", 150, arriving=arriving()))
        self.expected = full[: self.delivered]
        return []


@pytest.mark.parametrize("announced,delivered", [(400, 400), (400, 333), (400, 517)])
def test_streamed_page_of_unexpected_height_gets_a_correct_header(workarea, announced, delivered):
    drv = _StreamingDriver(announced, delivered)
    r = capture(ScanRequest("virtual:demo", source="adf", dpi=150, paper="A4"), workarea, "c",
                scanner=Scanner("virtual:demo", drv))
    (p,) = r.pages
    f = workarea.root / p.file
    assert png_is_complete(f) and p.height == delivered
    assert np.array_equal(_pixels(workarea, p), drv.expected)
    assert hashlib.sha256(f.read_bytes()).hexdigest() == p.sha256 and not workarea.replay().damaged
