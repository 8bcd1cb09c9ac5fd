"""One component → one PDF/A-2b file: order, 100 % scale, lossless embedding, XMP, sidecar, validation."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zlib
from datetime import date
from pathlib import Path

import pikepdf
import pikepdf.pdfa as pdfa
import pytest
from PIL import Image

from scanstation.model import DocumentMetadata
from scanstation.pdf import assemble_pdf, check_pdfa, srgb_profile
from scanstation.pdf.xmp import NS_URI, read_station_metadata

META = DocumentMetadata(
    document_type_code="GCS", holder_identifier="066190001234", document_name="Giấy chứng sinh",
    number_symbol="1234/GCS", issue_date=date(2026, 11, 15), issuing_body="Bệnh viện Đa khoa tỉnh Đắk Lắk",
    summary="Chứng sinh cho con của bà Nguyễn Thị Hồng Nhung <&> \"ngoặc\"", valid_until=date(2030, 1, 31),
    validity_scope="Toàn quốc", extra={"số khung": "RLHJC3815EY012345", "biển số": "47A-123.45"})


def _idat(png: bytes) -> bytes:
    """The concatenated IDAT chunk data of a PNG: what img2pdf must embed unchanged."""
    out, pos = b"", 8
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        if kind == b"IDAT":
            out += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return out


def _image_of(page: pikepdf.Page) -> pikepdf.Stream:
    (obj,) = list(page.get_images().values())
    return obj


@pytest.fixture
def component(make_page, tmp_path):
    pages = [
        make_page("01.png", size=(620, 874), dpi=(150, 150)),                      # colour PNG
        make_page("02.jpg", size=(874, 620), dpi=(200, 200), quality=85),          # landscape JPEG, other dpi
        make_page("03.png", size=(620, 874), dpi=(150, 150), mode="L"),            # grey
        make_page("04.tif", size=(1240, 1748), dpi=(300, 300), mode="1", compression="group4"),  # bilevel G4
        make_page("05.png", size=(620, 874), dpi=(150, 150), mode="P"),            # palette
    ]
    out = tmp_path / "out" / "066190001234.GCS.pdf"
    rep = assemble_pdf(pages, out, metadata=META, title="Giấy chứng sinh",
                       context={"receipt_code": "H49.64.33-261121-0001", "procedure_code": "1.001612",
                                "component_id": "c1"})
    return pages, out, rep


def test_pages_in_order_at_full_scale_from_each_images_dpi(component):
    pages, out, rep = component
    assert rep["pages"] == 5 and Path(rep["path"]) == out and out.exists()
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 5
        for page, src in zip(pdf.pages, pages):
            with Image.open(src) as im:
                w_px, h_px = im.size
                dpi = im.info["dpi"]
            x0, y0, x1, y1 = (float(v) for v in page.mediabox)
            assert x1 - x0 == pytest.approx(w_px / dpi[0] * 72, rel=1e-3)
            assert y1 - y0 == pytest.approx(h_px / dpi[1] * 72, rel=1e-3)
            img = _image_of(page)
            assert (int(img.Width), int(img.Height)) == (w_px, h_px)   # the right image on the right page


def test_images_are_embedded_as_captured(component):
    pages, out, _ = component
    with pikepdf.open(out) as pdf:
        png, jpg, grey, g4, pal = (_image_of(p) for p in pdf.pages)
        assert jpg.Filter == "/DCTDecode" and jpg.read_raw_bytes() == pages[1].read_bytes()
        for stream, src in ((png, pages[0]), (grey, pages[2]), (pal, pages[4])):
            assert stream.Filter == "/FlateDecode"
            assert stream.read_raw_bytes() == _idat(src.read_bytes())     # the PNG's own deflate data
            with Image.open(src) as orig:
                got = pikepdf.PdfImage(stream).as_pil_image()
                assert got.convert("RGB").tobytes() == orig.convert("RGB").tobytes()
        assert list(g4.Filter) == ["/CCITTFaxDecode"]
        with Image.open(pages[3]) as orig:
            assert pikepdf.PdfImage(g4).as_pil_image().convert("1").tobytes() == orig.convert("1").tobytes()


def test_file_is_pdfa_2b_by_pikepdfs_validator(component):
    _, out, _ = component
    result = check_pdfa(out, "2b")
    assert result.passed, result.summary()
    # The only findings pikepdf reports are the extension-schema namespace and properties it cannot read ...
    assert result.covered and all("6.6.2.3.1-1" in f and ("ssdoc" in f or "pdfa" in f) for f in result.covered)
    # ... and without the station's XMP namespace the very same file passes pikepdf's validator as it is.
    with pikepdf.open(out) as pdf:
        packet = pdf.Root.Metadata.read_bytes().decode()
        stripped = re.sub(r'<rdf:Description rdf:about="" xmlns:(pdfaExtension|ssdoc)=.*?</rdf:Description>\n',
                          "", packet, flags=re.DOTALL)
        assert "ssdoc" not in stripped and "pdfaExtension" not in stripped
        pdf.Root.Metadata = pdf.make_stream(stripped.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        buf = io.BytesIO()
        pdf.save(buf, **pdfa.resolve_save_kwargs("2b"))
    report = pdfa.validate_written(io.BytesIO(buf.getvalue()), "2b")
    assert report.passed, report.summary()


def test_output_intent_is_the_bundled_srgb_profile(component):
    _, out, _ = component
    with pikepdf.open(out) as pdf:
        (intent,) = list(pdf.Root.OutputIntents)
        assert intent.S == "/GTS_PDFA1"
        assert intent.DestOutputProfile.read_bytes() == srgb_profile()
    assert srgb_profile() == (Path(__file__).resolve().parents[2] / "resources/icc/sRGB.icc").read_bytes()


def test_xmp_has_title_creator_tool_pdfa_id_and_the_ten_fields(component):
    _, out, _ = component
    with pikepdf.open(out) as pdf:
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Giấy chứng sinh"
        assert meta["xmp:CreatorTool"].startswith("scanstation ")
        assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B"
        assert str(pdf.docinfo["/Title"]) == "Giấy chứng sinh"
        packet = pdf.Root.Metadata.read_bytes()
    got = read_station_metadata(packet)
    assert got["document_type_code"] == "GCS"
    assert got["holder_identifier"] == "066190001234"
    assert got["document_name"] == "Giấy chứng sinh"
    assert got["number_symbol"] == "1234/GCS"
    assert got["issue_date"] == "2026-11-15"
    assert got["issuing_body"] == "Bệnh viện Đa khoa tỉnh Đắk Lắk"
    assert got["summary"] == META.summary
    assert got["valid_until"] == "2030-01-31"
    assert got["validity_scope"] == "Toàn quốc"
    assert got["extra"] == META.extra
    assert got["receipt_code"] == "H49.64.33-261121-0001" and got["format_version"] == 1
    assert "holder_name" not in got   # empty fields are left out
    assert NS_URI.encode() in packet


def test_sidecar_has_the_metadata_and_every_pages_sha256(component):
    pages, out, rep = component
    side = json.loads(Path(rep["sidecar"]).read_text("utf-8"))
    assert Path(rep["sidecar"]).name == "066190001234.GCS.pdf.json"
    assert side["format"] == "scanstation.pdf-sidecar" and side["version"] == 1
    assert side["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == rep["sha256"]
    assert side["pdfa"] == "2B" and side["file"] == out.name
    assert side["metadata"]["issuing_body"] == META.issuing_body and side["metadata"]["extra"] == META.extra
    assert [p["sha256"] for p in side["pages"]] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in pages]
    assert [p["number"] for p in side["pages"]] == [1, 2, 3, 4, 5]
    assert side["pages"][1]["dpi"] == [200, 200] and side["pages"][1]["embedding"] == "as-captured"
    assert side["dossier"]["receipt_code"] == "H49.64.33-261121-0001"


def test_no_temp_files_left_beside_the_output(component):
    _, out, _ = component
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, out.name + ".json"]


def test_interlaced_png_is_recompressed_losslessly_and_says_so(tmp_path):
    src = tmp_path / "i.png"
    # Pillow cannot write interlaced PNGs, so write one by hand: Adam7 passes of an 8 x 8 grey image.
    w, h = 8, 8
    raw = b"".join(b"\x00" + bytes([(x * 30 + y * 7) % 256 for x in range(w)]) for y in range(h))
    passes = []
    for xs, ys, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                           (0, 1, 1, 2)):
        rows = [bytes([raw[y * (w + 1) + 1 + x] for x in range(xs, w, dx)]) for y in range(ys, h, dy)]
        passes += [b"\x00" + r for r in rows if r]
    data = zlib.compress(b"".join(passes))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 1))
           + chunk(b"pHYs", struct.pack(">IIB", 5906, 5906, 1)) + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    src.write_bytes(png)
    rep = assemble_pdf([src], tmp_path / "i.pdf")
    side = json.loads(Path(rep["sidecar"]).read_text())
    assert side["pages"][0]["embedding"] == "lossless-recompressed"
    with pikepdf.open(tmp_path / "i.pdf") as pdf, Image.open(src) as orig:
        assert pikepdf.PdfImage(_image_of(pdf.pages[0])).as_pil_image().tobytes() == orig.convert("L").tobytes()


@pytest.mark.parametrize("flavour", ["1b", "3b"])
def test_other_pdfa_levels_a_profile_may_ask_for(make_page, tmp_path, flavour):
    out = tmp_path / f"{flavour}.pdf"
    assemble_pdf([make_page("1.png"), make_page("2.jpg")], out, metadata=META, flavour=flavour)
    assert check_pdfa(out, flavour).passed
    with pikepdf.open(out) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == flavour[0]
