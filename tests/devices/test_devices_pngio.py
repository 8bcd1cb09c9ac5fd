"""The page PNG writer: lossless whatever the row filter, the filter picked per page, rows fed as they come."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from scanstation.devices.pngio import FILTER_NONE, FILTER_UP, PngEncoder, encode_png
from scanstation.samplepages import back_page


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


def _filters_used(data: bytes) -> set[int]:
    import zlib

    with Image.open(io.BytesIO(data)) as im:
        w, h, ch = im.width, im.height, len(im.getbands())
    raw, i = b"", 8
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        if data[i + 4:i + 8] == b"IDAT":
            raw += data[i + 8:i + 8 + n]
        i += 12 + n
    rows = np.frombuffer(zlib.decompress(raw), np.uint8).reshape(h, w * ch + 1)
    return set(rows[:, 0].tolist())


def test_scanned_paper_gets_filter_up_and_the_sane_test_chart_gets_none(workarea):
    from scanstation.devices import RawOption, ScanRequest, capture

    paper = back_page(1, kind="blank").image[:400]                 # paper grain: repeats better vertically
    data = encode_png(paper, 300)
    assert np.array_equal(_decode(data), paper) and _filters_used(data) == {FILTER_UP}
    chart = capture(ScanRequest("sane:test:0", source="flatbed", dpi=150, paper="max",
                                options=(RawOption.parse("test-picture=Color pattern"),)), workarea, "c").pages[0]
    data = (workarea.root / chart.file).read_bytes()
    assert _filters_used(data) == {FILTER_NONE} and _decode(data).std() > 10


def test_rows_fed_in_uneven_pieces_give_the_same_image():
    rng = np.random.default_rng(3)
    px = np.cumsum(rng.integers(0, 4, (701, 333, 3), dtype=np.uint8), axis=0, dtype=np.uint8)
    parts: list[bytes] = []
    enc = PngEncoder(parts.append, 333, 701, 3, 200)
    for a, b in ((0, 1), (1, 130), (130, 131), (131, 500), (500, 701)):
        enc.add_rows(px[a:b])
    assert enc.finish() == 701
    data = b"".join(parts)
    assert np.array_equal(_decode(data), px) and data == encode_png(px, 200)
