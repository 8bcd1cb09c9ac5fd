"""Pages with known Vietnamese text, drawn on the spot at 300 dpi with a real font (Noto Serif)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Tôi tên là Nguyễn Thị Hồng Nhung, sinh ngày 02 tháng 01 năm 1990.",
    "Nơi cư trú: xã Ia Băng, huyện Đắk Đoa, tỉnh Gia Lai.",
    "Đề nghị cơ quan đăng ký khai sinh cho con tôi theo quy định.",
]
TEXT = unicodedata.normalize("NFC", "\n".join(LINES))
FONT = "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf"


def text_page(dpi: int = 300, lines: list[str] | None = None) -> Image.Image:
    """A half A4 page (148 x 105 mm) of the known lines, black on off-white paper."""
    w, h = round(148 / 25.4 * dpi), round(105 / 25.4 * dpi)
    im = Image.new("RGB", (w, h), (246, 245, 240))
    d = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT, round(11 / 72 * dpi))
    y = round(10 / 25.4 * dpi)
    for line in lines or LINES:
        d.text((round(10 / 25.4 * dpi), y), unicodedata.normalize("NFC", line), font=font, fill=(28, 28, 32))
        y += round(11 / 72 * dpi * 1.6)
    return im


@pytest.fixture(scope="session")
def text_png(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("ocr") / "text.png"
    text_page().save(p, dpi=(300, 300))
    return p
