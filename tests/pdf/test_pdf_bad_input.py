"""Images that are not pages, and failures: clear errors naming the file, nothing half-written."""

from __future__ import annotations

import io
import re

import pikepdf
import pikepdf.pdfa as pdfa
import pytest
from PIL import Image

from scanstation.errors import PageImageError, PdfError, StorageError
from scanstation.pdf import assemble_pdf, check_pdfa, read_page_image
from scanstation.pdf.validate import check_extension_schemas
from tests.pdf.pdf_pages import draw_page


def _png_bytes(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", **kw)
    return buf.getvalue()


def _bad_pages(tmp_path):
    """name -> (file, words the English message must contain)."""
    good = _png_bytes(draw_page((300, 400)), dpi=(150, 150))
    cases = {}

    def put(name, data, words):
        p = tmp_path / name
        p.write_bytes(data)
        cases[name] = (p, words)

    put("empty.png", b"", "empty")
    put("random.png", bytes(range(256)) * 8, "not an image")
    put("truncated.png", good[: len(good) // 2], "damaged")
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01
    put("flipped-bit.png", bytes(flipped), "damaged")
    put("rgba.png", _png_bytes(draw_page((300, 400), "RGBA"), dpi=(150, 150)), "alpha")
    put("grey-alpha.png", _png_bytes(draw_page((300, 400), "LA"), dpi=(150, 150)), "alpha")
    pal = draw_page((300, 400), "P")
    put("palette-transparent.png", _png_bytes(pal, dpi=(150, 150), transparency=0), "alpha")
    put("no-dpi.png", _png_bytes(draw_page((300, 400))), "no resolution")
    cmyk = io.BytesIO()
    draw_page((300, 400), "CMYK").save(cmyk, "JPEG", dpi=(150, 150))
    put("cmyk.jpg", cmyk.getvalue(), "CMYK")
    jpeg = io.BytesIO()
    draw_page((600, 800)).save(jpeg, "JPEG", dpi=(150, 150))
    put("truncated.jpg", jpeg.getvalue()[: jpeg.tell() * 2 // 3], "damaged")
    gif = io.BytesIO()
    draw_page((300, 400), "P").save(gif, "GIF")
    put("page.gif", gif.getvalue(), "GIF")
    tif = io.BytesIO()
    draw_page((300, 400)).save(tif, "TIFF", dpi=(150, 150), save_all=True,
                               append_images=[draw_page((300, 400))])
    put("two-pages.tif", tif.getvalue(), "2 images")
    put("silly-dpi.png", _png_bytes(draw_page((300, 400)), dpi=(1, 1)), "implausible")
    (tmp_path / "folder.png").mkdir()
    cases["folder.png"] = (tmp_path / "folder.png", "folder")
    cases["missing.png"] = (tmp_path / "missing.png", "does not exist")
    return cases


def test_each_kind_of_bad_image_is_refused_naming_the_file(tmp_path):
    for name, (path, words) in _bad_pages(tmp_path).items():
        with pytest.raises(PageImageError) as e:
            read_page_image(path)
        assert str(path) in e.value.message_en and str(path) in e.value.message_vi, name
        assert words.lower() in e.value.message_en.lower(), (name, e.value.message_en)
        assert e.value.field == str(path)
        assert e.value.message_vi != e.value.message_en       # a Vietnamese text for the clerk


def test_a_bad_page_among_good_ones_writes_nothing_and_keeps_the_old_file(tmp_path, make_page):
    good = [make_page("1.png"), make_page("2.png")]
    out = tmp_path / "out" / "x.pdf"
    out.parent.mkdir()
    out.write_bytes(b"previous version")
    bad = tmp_path / "rgba.png"
    bad.write_bytes(_png_bytes(draw_page((300, 400), "RGBA"), dpi=(150, 150)))
    with pytest.raises(PageImageError, match="rgba.png"):
        assemble_pdf([good[0], bad, good[1]], out)
    assert out.read_bytes() == b"previous version"
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.pdf"]


def test_sidecar_failure_removes_the_pdf_again(tmp_path, make_page):
    out = tmp_path / "out" / "x.pdf"
    (tmp_path / "out" / "x.pdf.json").mkdir(parents=True)     # the sidecar cannot be written there
    with pytest.raises(StorageError, match="x.pdf.json"):
        assemble_pdf([make_page("1.png")], out)
    assert not out.exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.pdf.json"]


def test_no_images_and_output_over_an_input_are_refused(tmp_path, make_page):
    with pytest.raises(PdfError, match="No page images"):
        assemble_pdf([], tmp_path / "x.pdf")
    page = make_page("p.png")
    with pytest.raises(PdfError, match="overwrite the page image"):
        assemble_pdf([page], page)
    assert Image.open(page).format == "PNG"


@pytest.fixture
def built(tmp_path, make_page):
    out = tmp_path / "x.pdf"
    assemble_pdf([make_page("1.png")], out)
    return out


def _with_packet(path, edit) -> bytes:
    with pikepdf.open(path) as pdf:
        packet = edit(pdf.Root.Metadata.read_bytes().decode())
        pdf.Root.Metadata = pdf.make_stream(packet.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
        buf = io.BytesIO()
        pdf.save(buf, **pdfa.resolve_save_kwargs("2b"))
    return buf.getvalue()


def test_undeclared_or_mistyped_station_properties_fail_validation(built):
    undeclared = _with_packet(built, lambda x: x.replace("<ssdoc:formatVersion>",
                                                         "<ssdoc:secret>x</ssdoc:secret><ssdoc:formatVersion>"))
    res = check_pdfa(undeclared)
    assert not res.passed
    assert any("ssdoc:secret" in p for p in res.extension_problems + res.findings)
    mistyped = _with_packet(built, lambda x: re.sub(r"<ssdoc:formatVersion>\d+<", "<ssdoc:formatVersion>một<", x))
    res = check_pdfa(mistyped)
    assert not res.passed and any("not a Integer" in p for p in res.extension_problems)
    _, problems = check_extension_schemas(b"<not-xml")
    assert problems


def test_a_foreign_namespace_or_a_real_pdfa_violation_is_not_excused(built):
    foreign = _with_packet(built, lambda x: x.replace(
        "</rdf:RDF>", '<rdf:Description rdf:about="" xmlns:foo="http://foo.example/"><foo:bar>1</foo:bar>'
                      "</rdf:Description></rdf:RDF>"))
    res = check_pdfa(foreign)
    assert not res.passed and any("foo" in f for f in res.findings)
    with pikepdf.open(built) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        buf = io.BytesIO()
        pdf.save(buf, **pdfa.resolve_save_kwargs("2b"))
    res = check_pdfa(buf.getvalue())
    assert not res.passed and res.findings
    assert not check_pdfa(b"%PDF-1.7 not really").passed
