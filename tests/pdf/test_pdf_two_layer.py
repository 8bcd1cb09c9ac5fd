"""Two-layer, compact PDF/A: the invisible text layer, jpeg and mrc encodings with their guard, vn-2025 rules."""

from __future__ import annotations

import json
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from scanstation import samplepages
from scanstation.cli import main
from scanstation.compliance import get_profile, page_violations
from scanstation.errors import PageImageError, PdfError
from scanstation.pdf import build_pdf, check_pdfa, write_pdf
from scanstation.pdf import encode as encode_mod

VIET = "Nguyễn Thị Hồng Nhung Đắk Đoa"


@pytest.fixture(scope="module")
def sample_png(tmp_path_factory) -> Path:
    """The virtual scanner's A4 300-dpi colour page with text, a red seal and a blue signature."""
    p = tmp_path_factory.mktemp("two-layer") / "front.png"
    samplepages.front_page(3).to_pil().save(p, dpi=(300, 300))
    return p


@pytest.fixture(scope="module")
def photo_png(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("two-layer-photo") / "photo.png"
    samplepages.front_page(4, photo=True).to_pil().save(p, dpi=(300, 300))
    return p


def _render(pdf: Path, dpi: int = 50) -> np.ndarray:
    out = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", str(dpi), "-png", str(pdf), str(out)], check=True,
                   timeout=120)
    return np.asarray(Image.open(f"{out}-1.png").convert("RGB"))


def _pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=120).stdout


def test_text_layer_places_each_word_over_its_box_and_extracts_as_nfc(make_page, tmp_path):
    page = make_page("p.png", size=(1240, 1754), dpi=(150, 150))           # A4 at 150 dpi
    words = [{"text": "Nguyễn", "box": [150, 300, 390, 345], "line": 0},
             {"text": "Thị", "box": [410, 300, 480, 345], "line": 0},
             {"text": unicodedata.normalize("NFD", "Hồng"), "box": [500, 300, 640, 345], "line": 0},
             {"text": "Đắk", "box": [150, 900, 260, 945], "line": 1}]
    a = build_pdf([page], ocr=[{"words": words}])
    assert a.check.passed, a.check.summary()
    out = write_pdf(a, tmp_path / "t.pdf")
    assert out["page_reports"][0]["ocr_words"] == 4
    text = _pdftotext(tmp_path / "t.pdf")
    assert "Nguyễn Thị Hồng" in text and "Đắk" in text
    assert text == unicodedata.normalize("NFC", text)
    bbox = _pdftotext(tmp_path / "t.pdf", "-bbox")
    # the word box in points = pixels * 72 / 150, y from the top
    import re
    m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">Nguyễn</word>', bbox)
    assert m, bbox
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    assert x0 == pytest.approx(150 * 72 / 150, abs=1.5) and x1 == pytest.approx(390 * 72 / 150, abs=12)
    assert y0 == pytest.approx(300 * 72 / 150, abs=6)
    assert 345 * 72 / 150 - 6 <= y1 <= 345 * 72 / 150 + 12     # pdftotext adds a descent below the baseline
    side = json.loads((tmp_path / "t.pdf.json").read_text("utf-8"))
    assert side["pages"][0]["text_layer"] is True and side["pages"][0]["ocr_words"] == 4


def test_text_layer_is_invisible(make_page, tmp_path):
    page = make_page("p.png", size=(620, 874), dpi=(75, 75))
    plain = write_pdf(build_pdf([page]), tmp_path / "a.pdf")
    layered = write_pdf(build_pdf([page], ocr=[{"words": [{"text": "CHỮ", "box": [100, 100, 500, 300]}]}]),
                        tmp_path / "b.pdf")
    assert plain["sha256"] != layered["sha256"]
    assert np.array_equal(_render(tmp_path / "a.pdf"), _render(tmp_path / "b.pdf"))


def test_real_ocr_text_layer_of_a_sample_page(sample_png, tmp_path):
    from scanstation.ocr import ocr_page

    r = ocr_page(sample_png)
    a = build_pdf([sample_png], ocr=[r], encoding="mrc")
    assert a.check.passed, a.check.summary()
    write_pdf(a, tmp_path / "o.pdf")
    text = _pdftotext(tmp_path / "o.pdf")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập" in text
    assert a.page_reports()[0]["ocr_words"] == len(r.words) > 100


def test_a_page_without_ocr_data_goes_in_without_text(make_page):
    p1, p2 = make_page("1.png"), make_page("2.png")
    a = build_pdf([p1, p2], ocr=[None, {"words": []}])
    assert [r["ocr_words"] for r in a.page_reports()] == [None, 0]
    with pytest.raises(PdfError):
        build_pdf([p1, p2], ocr=[None])


@pytest.mark.parametrize("encoding", ["jpeg", "mrc"])
def test_compact_encodings_keep_text_dark_seal_red_and_signature_blue(sample_png, tmp_path, encoding):
    lossless = write_pdf(build_pdf([sample_png]), tmp_path / "l.pdf")
    a = build_pdf([sample_png], encoding=encoding)
    assert a.check.passed, a.check.summary()
    rep = write_pdf(a, tmp_path / f"{encoding}.pdf")
    page = rep["page_reports"][0]
    assert page["encoding"] == encoding and page["fallback"] is None
    assert rep["size"] < lossless["size"] / (3 if encoding == "jpeg" else 20)
    with pikepdf.open(tmp_path / f"{encoding}.pdf") as pdf:       # same paper size as the lossless file
        assert [float(v) for v in pdf.pages[0].mediabox] == pytest.approx([0, 0, 2480 * 0.24, 3508 * 0.24],
                                                                          abs=0.05)
    master = _render(tmp_path / "l.pdf", 50).astype(int)
    shown = _render(tmp_path / f"{encoding}.pdf", 50)
    assert np.abs(master - shown.astype(int)).mean() < 3
    truth = samplepages.front_page(3).truth["elements"]
    shown = _render(tmp_path / f"{encoding}.pdf", 100)
    for kind, channel in (("seal", 0), ("signature", 2)):
        x, y, w, h = (round(v / 3) for v in next(e for e in truth if e["kind"] == kind)["box"])
        box = shown[y:y + h, x:x + w].astype(int)
        others = [c for c in range(3) if c != channel]
        inked = box[:, :, channel] - box[:, :, others].max(axis=2) > 60
        assert inked.sum() > 20, kind                                 # still red / still blue


def test_mrc_ink_is_lossless_g4_never_jbig2(sample_png):
    a = build_pdf([sample_png], encoding="mrc")
    with pikepdf.open(__import__("io").BytesIO(a.data)) as pdf:
        xobjs = pdf.pages[0].Resources.XObject
        filters = {str(x.get("/Filter")) for x in xobjs.values()}
        masks = [x for x in xobjs.values() if x.get("/ImageMask")]
    assert "/JBIG2Decode" not in filters and {str(m.Filter) for m in masks} == {"/CCITTFaxDecode"}
    assert all(int(m.Width) == 2480 and int(m.Height) == 3508 for m in masks)   # full resolution
    assert len(masks) >= 3                                                      # dark, red, blue ink


def test_photo_page_falls_back_from_mrc_to_jpeg_and_the_sidecar_says_why(photo_png, tmp_path):
    a = build_pdf([photo_png], encoding="mrc")
    write_pdf(a, tmp_path / "p.pdf")
    side = json.loads((tmp_path / "p.pdf.json").read_text("utf-8"))["pages"][0]
    assert side["encoding"] == "jpeg" and side["embedding"] == "re-encoded"
    assert side["fallback"]["from"] == "mrc" and side["fallback"]["reason"] == "fidelity guard"
    assert side["fallback"]["measured"][0]["posterised"] > encode_mod.MAX_POSTERISED["mrc"]


def test_guard_falls_back_to_lossless_when_nothing_passes(sample_png, monkeypatch):
    monkeypatch.setitem(encode_mod.MIN_INK_SSIM, "mrc", 1.01)
    monkeypatch.setitem(encode_mod.MIN_INK_SSIM, "jpeg", 1.01)
    [rep] = build_pdf([sample_png], encoding="mrc").page_reports()
    assert rep["encoding"] == "lossless" and rep["fallback"]["to"] == "lossless"
    assert [m["encoding"] for m in rep["fallback"]["measured"]] == ["mrc", "jpeg"]


def test_bilevel_page_stays_lossless(make_page):
    page = make_page("bw.tif", mode="1", compression="group4")
    [rep] = build_pdf([page], encoding="mrc").page_reports()
    assert rep["encoding"] == "lossless" and rep["fallback"]["reason"] == "bilevel page"


def test_bad_encoding_or_quality_is_a_typed_error(make_page, tmp_path, capsys):
    with pytest.raises(PdfError) as e:
        build_pdf([make_page("1.png")], encoding="jbig2")
    assert e.value.field == "pdf.image_encoding"
    with pytest.raises(PdfError):
        build_pdf([make_page("1.png")], encoding="jpeg", jpeg_quality=0)
    with pytest.raises(SystemExit):
        main(["pdf", str(make_page("1.png")), "--out", str(tmp_path / "x.pdf"), "--encoding", "jbig2"])
    capsys.readouterr()


def test_profiles_differ_in_code_each_value_checked():
    seeds, vn = get_profile("vn-2019-seeds"), get_profile("vn-2025")
    assert (seeds.ocr_text_layer, vn.ocr_text_layer) == (False, True)
    assert (seeds.image_encoding, vn.image_encoding) == ("lossless", "mrc")
    assert seeds.file_naming == vn.file_naming == "{identifier}.{doc_type}"      # one-stop naming in both
    assert vn.archive_file_naming == "{receipt_code}.{seq}"
    assert page_violations(seeds, "L", (150.0, 150.0)) == []                      # QC's business there
    assert page_violations(vn, "RGB", (299.9994, 299.9994)) == []
    assert len(page_violations(vn, "RGB", (150.0, 150.0))) == 1
    assert len(page_violations(vn, "L", (300.0, 300.0))) == 1                     # 8-bit, not 24-bit colour
    assert page_violations(vn, "RGB", (200.0, 200.0)) == []
    assert "300 dpi" in page_violations(vn, "RGB", (200.0, 200.0), map_or_drawing=True)[0][0]


def test_vn_2025_refuses_pages_below_its_rules_at_assembly(make_page):
    vn = get_profile("vn-2025")
    with pytest.raises(PageImageError) as e:
        build_pdf([make_page("low.png", dpi=(150, 150))], profile=vn)
    assert e.value.code == "PDF_PROFILE" and "below the 200 dpi" in e.value.message_en
    with pytest.raises(PageImageError):
        build_pdf([make_page("grey.png", size=(1654, 2339), dpi=(200, 200), mode="L")], profile=vn)
    ok = make_page("ok.png", size=(1654, 2339), dpi=(200, 200))
    assert build_pdf([ok], profile=vn).check.passed
    with pytest.raises(PageImageError):
        build_pdf([ok], profile=vn, map_or_drawing=True)
    assert build_pdf([make_page("low2.png", dpi=(150, 150), mode="L")], profile=get_profile("vn-2019-seeds"))


def test_pdf_command_with_profile_defaults_encoding_and_ocr(sample_png, tmp_path, capsys):
    out = tmp_path / "vn.pdf"
    assert main(["pdf", str(sample_png), "--out", str(out), "--profile", "vn-2025", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["profile"] == "vn-2025" and rep["encoding"] == "mrc" and rep["ocr"] is True
    [page] = rep["page_reports"]
    assert set(page) >= {"encoding", "bytes", "fallback", "ocr_words"}
    assert page["encoding"] == "mrc" and page["ocr_words"] > 100 and page["bytes"] < 150_000
    assert check_pdfa(out).passed
    assert "Độc lập" in _pdftotext(out)
    assert main(["pdf", str(sample_png), "--out", str(tmp_path / "n.pdf"), "--profile", "vn-2025", "--no-ocr",
                 "--encoding", "jpeg", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["page_reports"][0]["ocr_words"] is None and rep["page_reports"][0]["encoding"] == "jpeg"


def test_an_encoded_page_kept_on_disk_comes_back_whole_and_a_damaged_one_is_refused(sample_png):
    from scanstation.pdf import EncodedPage, read_page_image

    enc = encode_mod.encode_page(read_page_image(sample_png), "mrc")
    assert enc.masks
    back = EncodedPage.from_bytes(enc.to_bytes())
    assert back == enc
    data = enc.to_bytes()
    for bad in (data[:-1], data + b"x", b"", b"not json\n" + data, data.replace(b'"v": 1', b'"v": 9', 1)):
        with pytest.raises(ValueError):
            EncodedPage.from_bytes(bad)
