"""Synthetic scans of the back of a chip CCCD (the side with the QR), for tests and bench/cccd_qr.py.

A card-sized (85.6 x 54 mm) light background with printed-text bars and a fingerprint-like blob, the QR
(made with segno, error correction M, 13 mm wide as measured on real cards: 12-15 mm) top right, the
card lying on the scanner glass with a margin. Conditions: clean; scanner noise; blur; a few degrees
of skew; all of them plus JPEG. Nothing here is anyone's data: names and numbers are random.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

import numpy as np

CARD_MM = (85.6, 53.98)
QR_MM = 13.0
CONDITIONS = ("clean", "noise", "blur", "skew", "all")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Hạnh", "Hương", "Khánh", "Lan", "Phúc", "Quỳnh", "Tâm", "Yến")
PLACES = ("Thôn Đông, Xã Tân Lợi, Huyện Hớn Quản, Bình Phước",
          "Số 12 Ngõ 34 Phố Hàng Bạc, Phường Hàng Đào, Quận Hoàn Kiếm, Hà Nội",
          "Tổ 5, Khu phố 3, Phường Phú Hòa, Thành phố Thủ Dầu Một, Bình Dương",
          "Bản Nà Pàn, Xã Pác Nặm, Huyện Pác Nặm, Bắc Kạn")


def random_payload(rng: random.Random, fields: int = 7) -> str:
    number = f"{rng.randint(1, 96):03d}{rng.choice((0, 1, 2, 3))}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"
    old = f"{rng.randint(0, 999999999):09d}" if rng.random() < 0.6 else ""
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    birth = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(1940, 2006)}"
    sex = rng.choice(("Nam", "Nữ"))
    issue = f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(2016, 2025)}"
    return "|".join([number, old, name, birth, sex, rng.choice(PLACES), issue][:fields])


def qr_matrix(text: str) -> np.ndarray:
    import segno

    q = segno.make(text, error="m", micro=False, boost_error=False)
    return np.array([[1 if v else 0 for v in row] for row in q.matrix], dtype=np.uint8)   # 1 = dark


@dataclass(frozen=True)
class Card:
    text: str
    image: np.ndarray       # 8-bit greyscale
    dpi: int
    condition: str


def render(text: str, dpi: int, condition: str, seed: int) -> Card:
    import cv2

    rng = np.random.default_rng(seed)
    px = dpi / 25.4
    cw, ch = int(CARD_MM[0] * px), int(CARD_MM[1] * px)
    card = np.full((ch, cw), 232, np.uint8)
    # a faint guilloche-like background and printed lines of text
    yy, xx = np.mgrid[0:ch, 0:cw]
    card = (card - 10 * (np.sin(xx / (3 * px)) * np.sin(yy / (4 * px)) > 0.6)).astype(np.uint8)
    for i in range(6):
        y = int((8 + i * 6) * px)
        x0 = int(4 * px)
        w = int(rng.uniform(20, 45) * px)
        cv2.rectangle(card, (x0, y), (x0 + w, y + int(1.6 * px)), 70, -1)
    cv2.ellipse(card, (int(20 * px), int(44 * px)), (int(6 * px), int(7 * px)), 0, 0, 360, 120, -1)
    m = qr_matrix(text)
    quiet = 2                                            # printed cards keep a small quiet zone
    mod = QR_MM * px / (m.shape[0] + 2 * quiet)
    side = int(round(mod * (m.shape[0] + 2 * quiet)))
    big = np.pad(m, quiet)
    qr = cv2.resize((1 - big) * 255, (side, side), interpolation=cv2.INTER_NEAREST).astype(np.uint8)
    qr = np.where(qr > 127, 245, 25).astype(np.uint8)
    x, y = cw - side - int(4 * px), int(4 * px)
    card[y:y + side, x:x + side] = qr
    # the card on the glass: a margin of scanner lid around it
    margin = int(6 * px)
    bed = np.full((ch + 2 * margin, cw + 2 * margin), 250, np.uint8)
    bed[margin:margin + ch, margin:margin + cw] = card
    img = bed
    if condition in ("skew", "all"):
        angle = float(rng.uniform(2.0, 5.0) * rng.choice((-1, 1)))
        rot = cv2.getRotationMatrix2D((img.shape[1] / 2, img.shape[0] / 2), angle, 1.0)
        img = cv2.warpAffine(img, rot, (img.shape[1], img.shape[0]), flags=cv2.INTER_LINEAR, borderValue=250)
    if condition in ("blur", "all"):
        img = cv2.GaussianBlur(img, (0, 0), sigmaX=0.9 * dpi / 300)    # a soft scanner: ~0.08 mm
    if condition in ("noise", "all"):
        img = (img.astype(np.float32) + rng.normal(0, 9, img.shape)).clip(0, 255).astype(np.uint8)
    if condition == "all":
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=75)
        img = np.array(Image.open(io.BytesIO(buf.getvalue())).convert("L"))
    return Card(text, img, dpi, condition)


def cards(n: int, dpi: int, condition: str, seed: int = 1) -> list[Card]:
    rng = random.Random(f"{seed}-{dpi}-{condition}")
    return [render(random_payload(rng), dpi, condition, rng.randrange(1 << 30)) for _ in range(n)]
