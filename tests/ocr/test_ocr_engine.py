"""The OCR engine on real Tesseract with the Vietnamese model: text, boxes, orientation, faults."""

from __future__ import annotations

import json
import unicodedata

import pytest
from PIL import Image

from scanstation.cli import main
from scanstation.ocr import (
    OcrImageError,
    OcrLanguageMissing,
    OcrResult,
    character_error_rate,
    find_tessdata,
    ocr_page,
)
from scanstation.ocr import engine as engine_mod
from tests.ocr.conftest import TEXT


def test_vietnamese_page_is_read_with_its_diacritics_and_word_boxes(text_png):
    r = ocr_page(text_png)
    assert character_error_rate(r.text, TEXT) <= 0.02
    assert r.text == unicodedata.normalize("NFC", r.text)
    assert "Nguyễn Thị Hồng Nhung," in r.text and "Đắk Đoa," in r.text
    assert r.mean_confidence > 80 and r.orientation_deg == 0
    assert len(r.sha256) == 64 and r.file == "text.png" and (r.width, r.height) == Image.open(text_png).size
    nhung = next(w for w in r.words if w.text.startswith("Nhung"))
    x0, y0, x1, y1 = nhung.box
    assert 0 <= x0 < x1 <= r.width and 0 <= y0 < y1 <= r.height
    assert 40 <= y1 - y0 <= 70           # an 11-pt word at 300 dpi is ~46 px from cap to descender
    assert [w.line for w in r.words] == sorted(w.line for w in r.words)


@pytest.mark.parametrize(("turn_ccw", "fix_cw"), [(180, 180), (90, 90), (270, 270)])
def test_orientation_is_the_clockwise_turn_that_makes_the_page_upright(text_png, turn_ccw, fix_cw):
    im = Image.open(text_png).rotate(turn_ccw, expand=True)
    r = ocr_page(im)
    assert r.orientation_deg == fix_cw
    assert r.orientation_confidence > 2


def test_blank_page_gives_no_words_and_no_error(tmp_path):
    p = tmp_path / "blank.png"
    Image.new("RGB", (1240, 1754), (246, 245, 240)).save(p, dpi=(150, 150))
    r = ocr_page(p)
    assert r.words == () and r.text == "" and r.mean_confidence == 0.0 and r.orientation_deg == 0


def test_result_survives_a_json_round_trip_for_the_cache(text_png):
    r = ocr_page(text_png)
    back = OcrResult.from_dict(json.loads(json.dumps(r.to_dict(), ensure_ascii=False)))
    assert back.words == r.words and back.text == r.text and back.sha256 == r.sha256
    with pytest.raises(ValueError):
        OcrResult.from_dict({"format": "something else"})


def test_missing_language_file_names_the_file_and_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(engine_mod, "SYSTEM_TESSDATA", ())
    monkeypatch.setenv("SCANSTATION_TESSDATA", str(tmp_path))
    monkeypatch.delenv("TESSDATA_PREFIX", raising=False)
    with pytest.raises(OcrLanguageMissing) as e:
        find_tessdata("vie")
    assert "vie.traineddata" in e.value.message_en and str(tmp_path) in e.value.message_en
    assert "vie.traineddata" in e.value.message_vi and e.value.code == "OCR_LANGUAGE_MISSING"
    (tmp_path / "vie.traineddata").write_bytes(b"x")
    assert find_tessdata("vie") == tmp_path


def test_bad_image_is_a_typed_error_naming_the_file(tmp_path):
    p = tmp_path / "bad.png"
    p.write_bytes(b"not an image")
    with pytest.raises(OcrImageError) as e:
        ocr_page(p)
    assert e.value.field == str(p) and "bad.png" in e.value.message_vi


def test_character_error_rate():
    assert character_error_rate("Hồng  Nhung", "Hồng Nhung") == 0.0
    assert character_error_rate("Hong Nhung", "Hồng Nhung") == pytest.approx(0.1)
    assert character_error_rate(unicodedata.normalize("NFD", "Đắk"), "Đắk") == 0.0


def test_ocr_command_reports_each_image(text_png, tmp_path, capsys):
    assert main(["ocr", str(text_png), "--json"]) == 0
    [rec] = json.loads(capsys.readouterr().out)
    assert set(rec) == {"file", "text", "words", "mean_confidence", "orientation_deg", "seconds"}
    assert rec["file"] == str(text_png) and rec["words"] > 30 and "Hạnh phúc" in rec["text"]
    assert main(["ocr", str(tmp_path / "missing.png")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "missing.png" in err and "Traceback" not in err
