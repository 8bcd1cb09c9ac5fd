"""Deterministic generator of realistic scanned document pages (with ground truth) for demos, QC and tests.

Pure numpy / OpenCV / Pillow, no Qt. Every page comes from a :class:`PageSpec` (seed + variations);
the same spec always gives the same pixels. Images are ``numpy`` arrays in **RGB** order
(``H×W×3`` for colour, ``H×W`` for grey), ``uint8``; ground truth is a plain JSON-able dict.

Why it is fast enough for a 500-page feed: the paper background (tint + sensor noise) is cached per
(size, dpi, tint) and copied; text is rendered once per (paragraph, font size, column width) and
composited with ``np.minimum`` (ink only darkens); coloured ink (seal, signature, sticky note) is
blended only inside its own bounding box; a full-page warp happens only for skewed sheets.

Coordinates in the ground truth are pixels of the returned image, boxes as ``[x, y, w, h]``.
"""

from __future__ import annotations

import functools
import math
import os
import unicodedata
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scanstation.resources import resource

__all__ = [
    "BACK_KINDS", "BLANK_BACK_KINDS", "PAPER_SIZES_MM", "STICKY_COLOURS", "PageSpec", "SamplePage",
    "SheetSpec", "render_page", "front_page", "back_page", "render_sheet", "dossier_sheets",
    "DEFECT_NAMES", "ScannerDefects", "parse_defects", "apply_defects", "scan_printed_sheet",
]

MM_PER_INCH = 25.4
PAPER_SIZES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}

#: Kinds of back side. The first six are blank in the sense of the capture rules (no information),
#: the rest carry a little information a naive blank detector would lose.
BLANK_BACK_KINDS = ("blank", "show-through", "punch-holes", "edge-shadows", "tinted", "noise")
CONTENT_BACK_KINDS = ("signature", "stamp", "page-number", "pencil-note")
BACK_KINDS = BLANK_BACK_KINDS + CONTENT_BACK_KINDS

#: Sticky note colours (RGB) as sold in Vietnamese stationery shops.
STICKY_COLOURS: dict[str, tuple[int, int, int]] = {
    "yellow": (252, 238, 120), "pink": (250, 172, 200), "green": (186, 236, 160),
    "blue": (160, 212, 246), "orange": (252, 190, 110),
}
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
SIDES = ("left", "right", "top", "bottom")

_FONT_DIR = "/usr/share/fonts/truetype/noto/"
_FALLBACK_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu/", "/usr/share/fonts/truetype/liberation2/")
# Noto Sans/Serif shipped with the station where the system has none (the Windows installer)
_BUNDLED_FONT_DIR = str(resource("fonts")) + os.sep
_SERIF = "NotoSerif-Regular.ttf"
_SERIF_BOLD = "NotoSerif-Bold.ttf"
_SERIF_ITALIC = "NotoSerif-Italic.ttf"
_SANS = "NotoSans-Regular.ttf"
_SANS_BOLD = "NotoSans-Bold.ttf"
_SANS_ITALIC = "NotoSans-Italic.ttf"

INK_BLACK = (28, 28, 32)
INK_BLUE = (24, 52, 170)
INK_RED = (210, 32, 40)
PENCIL = (120, 120, 122)
PAPER_WHITE = (246, 245, 240)
PAPER_TINTS = {"cream": (243, 236, 214), "pale-blue": (226, 236, 246), "pale-pink": (246, 228, 230),
               "pale-green": (228, 242, 226)}
ADF_BACKGROUND = (232, 232, 230)   # white-ish feeder backing plate
DARK_BACKGROUND = (38, 38, 40)     # black backing / open flatbed lid
HOLE_SHADOW = (92, 92, 94)         # backing seen through a punch hole, in the paper's shadow

# ------------------------------------------------------------------------------------------------
# text content (Vietnamese, NFC so every diacritic is one precomposed glyph)
# ------------------------------------------------------------------------------------------------
_NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
_MOTTO = "Độc lập - Tự do - Hạnh phúc"
_AGENCIES = [("ỦY BAN NHÂN DÂN", "XÃ IA BĂNG"), ("UBND HUYỆN PÁC NẶM", "PHÒNG TƯ PHÁP"),
             ("ỦY BAN NHÂN DÂN", "TỈNH ĐẮK LẮK"), ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "VĂN PHÒNG ĐĂNG KÝ ĐẤT ĐAI")]
_TITLES = ["ĐƠN ĐỀ NGHỊ ĐĂNG KÝ KHAI SINH", "TỜ KHAI ĐĂNG KÝ KẾT HÔN", "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
           "QUYẾT ĐỊNH", "BIÊN BẢN BÀN GIAO HỒ SƠ", "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT",
           "ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC", "HỢP ĐỒNG CHUYỂN NHƯỢNG QUYỀN SỬ DỤNG ĐẤT"]
_PARAGRAPHS = [
    "Kính gửi: Ủy ban nhân dân xã Ia Băng, huyện Đắk Đoa, tỉnh Gia Lai.",
    "Tôi tên là: Nguyễn Thị Hồng Nhung, sinh ngày 12 tháng 5 năm 1986; giới tính: Nữ; dân tộc: Kinh; "
    "quốc tịch: Việt Nam.",
    "Số định danh cá nhân: 064186001234, cấp ngày 20/10/2021 tại Cục Cảnh sát quản lý hành chính về "
    "trật tự xã hội.",
    "Nơi thường trú: thôn Ia Lang, xã Ia Băng, huyện Đắk Đoa, tỉnh Gia Lai. Số điện thoại liên hệ: "
    "0912 345 678.",
    "Đề nghị Ủy ban nhân dân xã xem xét, giải quyết việc đăng ký khai sinh cho con tôi là Trần Minh Khôi, "
    "sinh ngày 03 tháng 02 năm 2024 tại Bệnh viện Đa khoa tỉnh Gia Lai, theo quy định của pháp luật.",
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Luật sửa đổi, bổ sung một số "
    "điều của Luật Tổ chức Chính phủ và Luật Tổ chức chính quyền địa phương ngày 22 tháng 11 năm 2019;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục hành "
    "chính trên môi trường điện tử;",
    "Xét đề nghị của công chức Tư pháp - Hộ tịch, hồ sơ gồm đầy đủ các thành phần theo quy định, "
    "nội dung khai báo phù hợp với giấy tờ xuất trình.",
    "Thửa đất số: 125, tờ bản đồ số: 07, diện tích: 356,8 m² (bằng chữ: ba trăm năm mươi sáu phẩy tám "
    "mét vuông); hình thức sử dụng: sử dụng riêng; mục đích sử dụng: đất ở tại nông thôn.",
    "Nguồn gốc sử dụng: Nhà nước công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất; "
    "thời hạn sử dụng: lâu dài. Nhà ở: nhà cấp 4, diện tích xây dựng 96,5 m², kết cấu tường gạch, mái tôn.",
    "Bên chuyển nhượng cam kết thửa đất không có tranh chấp, không bị kê biên để bảo đảm thi hành án, "
    "còn trong thời hạn sử dụng đất và đã hoàn thành nghĩa vụ tài chính với Nhà nước.",
    "Tôi xin cam đoan những nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật "
    "về cam đoan của mình.",
    "Hồ sơ kèm theo gồm: Giấy chứng sinh; Căn cước công dân của cha, mẹ; Giấy chứng nhận kết hôn; "
    "Văn bản ủy quyền có chứng thực (nếu có).",
    "Điều 1. Công nhận ông Lê Văn Đức, bà Phạm Thị Thúy được quyền sử dụng đất tại thửa đất nêu trên. "
    "Điều 2. Văn phòng Đăng ký đất đai có trách nhiệm cập nhật, chỉnh lý hồ sơ địa chính.",
    "Hai bên đã đối chiếu, kiểm đếm đầy đủ số lượng tài liệu, số tờ của từng thành phần hồ sơ và thống nhất "
    "lập biên bản này thành hai bản có giá trị pháp lý như nhau, mỗi bên giữ một bản.",
]
_SIGNERS = ["Nguyễn Thị Hồng Nhung", "Trần Văn Hùng", "Lê Văn Đức", "Phạm Thị Thúy", "Hoàng Minh Tuấn",
            "Đỗ Quốc Khánh"]
_SIGNER_ROLES = ["NGƯỜI LÀM ĐƠN", "NGƯỜI YÊU CẦU", "CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", "NGƯỜI KÊ KHAI"]
_STICKY_TEXTS = ["Bổ sung bản sao CCCD", "Chờ ký xác nhận", "Gọi lại cho chị Hoa", "Thiếu giấy chứng sinh",
                 "Đã nộp lệ phí 8.000đ"]
_PENCIL_TEXTS = ["Đã đối chiếu bản chính", "kiểm tra lại số thửa", "HS số 27 - Nhung", "xem trang 3"]


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


# ------------------------------------------------------------------------------------------------
# specs and results
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PageSpec:
    """What to draw. ``side='front'`` draws a document page; ``side='back'`` draws ``back_kind``."""

    seed: int = 0
    side: str = "front"                 # front | back
    back_kind: str = "blank"            # one of BACK_KINDS (backs only)
    dpi: int = 300
    mode: str = "color"                 # color | gray
    paper: str = "A4"                   # A4 | Letter
    page_number: int = 1
    letterhead: bool = False            # coloured logo + agency name (fronts)
    photo: bool = False                 # coloured 3x4 portrait photo (fronts)
    seal: bool = True                   # red round seal (fronts)
    signature: bool = True              # blue signature (fronts)
    sticky_note: str | None = None      # colour name from STICKY_COLOURS
    skew_deg: float = 0.0               # sheet rotation, counter-clockwise positive
    corner: str | None = None           # None | folded:<corner> | missing:<corner>
    cut_off: str | None = None          # None | left | right | top | bottom
    scanner_border: bool = False        # dark backing visible around the paper
    noise: float = 1.0                  # sensor noise amplitude (grey levels, sigma)

    def __post_init__(self) -> None:
        if self.side not in ("front", "back"):
            raise ValueError(f"side must be front or back, not {self.side!r}")
        if self.back_kind not in BACK_KINDS:
            raise ValueError(f"back_kind must be one of {', '.join(BACK_KINDS)}, not {self.back_kind!r}")
        if self.mode not in ("color", "gray"):
            raise ValueError(f"mode must be color or gray, not {self.mode!r}")
        if self.paper not in PAPER_SIZES_MM:
            raise ValueError(f"paper must be one of {', '.join(PAPER_SIZES_MM)}, not {self.paper!r}")
        if not 50 <= self.dpi <= 1200:
            raise ValueError(f"dpi must be within 50-1200, not {self.dpi}")
        if self.sticky_note is not None and self.sticky_note not in STICKY_COLOURS:
            raise ValueError(f"sticky_note must be one of {', '.join(STICKY_COLOURS)}, not {self.sticky_note!r}")
        if self.corner is not None:
            kind, _, where = self.corner.partition(":")
            if kind not in ("folded", "missing") or where not in CORNERS:
                raise ValueError(f"corner must be folded:<corner> or missing:<corner>, corner in {CORNERS}")
        if self.cut_off is not None and self.cut_off not in SIDES:
            raise ValueError(f"cut_off must be one of {', '.join(SIDES)}, not {self.cut_off!r}")


@dataclass
class SamplePage:
    image: np.ndarray                   # RGB (H, W, 3) or grey (H, W), uint8
    truth: dict[str, Any] = field(default_factory=dict)

    def to_pil(self) -> Image.Image:
        return Image.fromarray(self.image, "RGB" if self.image.ndim == 3 else "L")

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


@dataclass(frozen=True)
class SheetSpec:
    """One physical sheet: a front and a back drawn from the same seed (show-through uses the front)."""

    front: PageSpec
    back: PageSpec

    def with_capture(self, *, dpi: int, mode: str, paper: str | None = None) -> SheetSpec:
        kw: dict[str, Any] = {"dpi": dpi, "mode": mode}
        if paper:
            kw["paper"] = paper
        return SheetSpec(replace(self.front, **kw), replace(self.back, **kw))


# ------------------------------------------------------------------------------------------------
# caches (bounded: a 500-page feed must keep memory flat)
# ------------------------------------------------------------------------------------------------
class _LRU:
    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._d: OrderedDict = OrderedDict()

    def get(self, key, make):
        try:
            self._d.move_to_end(key)
            return self._d[key]
        except KeyError:
            value = make()
            self._d[key] = value
            while len(self._d) > self.max_items:
                self._d.popitem(last=False)
            return value

    def clear(self) -> None:
        self._d.clear()


_paper_cache = _LRU(3)      # grey offset planes: ~9 MB each at A4 300 dpi
_text_cache = _LRU(160)     # rendered paragraph blocks
_seal_cache = _LRU(12)


def clear_caches() -> None:
    _paper_cache.clear()
    _text_cache.clear()
    _seal_cache.clear()


@functools.lru_cache(maxsize=64)
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    for d in (_FONT_DIR, *_FALLBACK_FONT_DIRS, _BUNDLED_FONT_DIR):
        try:
            return ImageFont.truetype(d + name, px)
        except OSError:
            continue
    fallback = {"Bold": "DejaVuSerif-Bold.ttf", "Italic": "DejaVuSerif-Italic.ttf"}
    for key, fname in fallback.items():
        if key in name:
            return ImageFont.truetype(_FALLBACK_FONT_DIRS[0] + fname, px)
    return ImageFont.truetype(_FALLBACK_FONT_DIRS[0] + "DejaVuSerif.ttf", px)


def _pt(pt: float, dpi: int) -> int:
    return max(6, round(pt / 72.0 * dpi))


def _mm(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


def page_size_px(paper: str, dpi: int) -> tuple[int, int]:
    """(width, height) of a whole sheet at ``dpi``."""
    w, h = PAPER_SIZES_MM[paper]
    return _mm(w, dpi), _mm(h, dpi)


def _text_block(text: str, font_name: str, px: int, width: int, align: str = "left",
                line_spacing: float = 1.45) -> np.ndarray:
    """Grey ink mask (255 = paper, 0 = full ink) of ``text`` wrapped to ``width`` pixels."""
    key = (text, font_name, px, width, align, line_spacing)

    def make() -> np.ndarray:
        font = _font(font_name, px)
        words = _nfc(text).split()
        lines: list[str] = []
        cur = ""
        for w in words:
            trial = f"{cur} {w}" if cur else w
            if cur and font.getlength(trial) > width:
                lines.append(cur)
                cur = w
            else:
                cur = trial
        if cur:
            lines.append(cur)
        step = round(px * line_spacing)
        img = Image.new("L", (width, step * len(lines) + round(px * 0.4)), 255)
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            lw = font.getlength(line)
            x = 0 if align == "left" else (width - lw) / 2 if align == "center" else width - lw
            draw.text((x, i * step), line, font=font, fill=0)
        return np.asarray(img)

    return _text_cache.get(key, make)


def _offset_plane(w: int, h: int, noise: float, variant: int) -> np.ndarray:
    """Paper unevenness + sensor noise as a grey offset plane (uint8, 128 = none), cached per size.

    Built at small size and in row blocks so that making it never needs a full-page float array
    (a 500-page feed must stay well under 300 MB)."""
    key = (w, h, round(noise, 2), variant % 2)

    def make() -> np.ndarray:
        rng = np.random.default_rng(1000 + variant % 2)
        # low-frequency shading (lamp falloff, paper fibre): a tiny field, upscaled in uint8
        small = np.clip(128 + rng.normal(0.0, 1.2, (12, 9)), 0, 255).astype(np.uint8)
        plane = cv2.resize(cv2.resize(small, (max(9, w // 16), max(12, h // 16)), interpolation=cv2.INTER_CUBIC),
                           (w, h), interpolation=cv2.INTER_LINEAR)
        if noise > 0:
            # sensor noise: a 509x503 tile (sizes that do not divide the page) added block by block
            tile = np.clip(np.rint(rng.normal(0.0, noise, (503, 509))), -20, 20).astype(np.int16)
            wide = np.tile(tile, (1, w // 509 + 1))[:, :w]
            for r0 in range(0, h, 503):
                r1 = min(h, r0 + 503)
                block = plane[r0:r1].astype(np.int16) + wide[: r1 - r0]
                plane[r0:r1] = np.clip(block, 0, 255).astype(np.uint8)
        plane.flags.writeable = False
        return plane

    return _paper_cache.get(key, make)


def _paper_plane(w: int, h: int, tint: tuple[int, int, int], noise: float, variant: int) -> np.ndarray:
    """A fresh RGB page of paper: tint + the cached offset plane (saturating per channel)."""
    off = _offset_plane(w, h, noise, variant)
    chans = []
    for c in range(3):
        d = int(tint[c]) - 128
        chans.append(cv2.add(off, d) if d >= 0 else cv2.subtract(off, -d))
    return cv2.merge(chans)


def _min_ink(img: np.ndarray, mask: np.ndarray, x: int, y: int, ink: tuple[int, int, int] = INK_BLACK,
             strength: float = 1.0) -> None:
    """Darken ``img`` with an ink mask (0 = ink) at (x, y), clipped to the image."""
    H, W = img.shape[:2]
    h, w = mask.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    m = mask[y0 - y:y1 - y, x0 - x:x1 - x]
    region = img[y0:y1, x0:x1]
    if ink == INK_BLACK and strength >= 1.0:
        # black ink: ink pixel value is max(mask, ink level); minimum keeps paper where there is no ink
        lvl = np.maximum(m, ink[0])
        np.minimum(region, lvl[..., None], out=region)
        return
    a = (255 - m.astype(np.float32)) * (strength / 255.0)
    a = a[..., None]
    inkc = np.asarray(ink, np.float32)
    # multiply blend: ink is translucent, what is under it still darkens the result
    blended = region.astype(np.float32) * (1.0 - a + a * inkc / 255.0)
    region[...] = np.clip(blended, 0, 255).astype(np.uint8)


def _paste_rgb(img: np.ndarray, patch: np.ndarray, x: int, y: int, alpha: np.ndarray | None = None) -> None:
    H, W = img.shape[:2]
    h, w = patch.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    p = patch[y0 - y:y1 - y, x0 - x:x1 - x]
    if alpha is None:
        img[y0:y1, x0:x1] = p
        return
    a = alpha[y0 - y:y1 - y, x0 - x:x1 - x].astype(np.float32)[..., None] / 255.0
    region = img[y0:y1, x0:x1]
    region[...] = (region * (1 - a) + p * a).astype(np.uint8)


# ------------------------------------------------------------------------------------------------
# page elements
# ------------------------------------------------------------------------------------------------
def _signature_mask(rng: np.random.Generator, dpi: int) -> np.ndarray:
    """A handwritten-looking scribble: a few smooth loops drawn with an antialiased pen."""
    w, h = _mm(rng.uniform(38, 55), dpi), _mm(rng.uniform(14, 20), dpi)
    canvas = np.full((h, w), 255, np.uint8)
    thick = max(1, round(dpi / 140))
    n = int(rng.integers(3, 6))
    t = np.linspace(0, 1, 400)
    x = 0.08 + 0.84 * t
    y = 0.5 + 0.0 * t
    for k in range(n):
        amp = rng.uniform(0.12, 0.35)
        freq = rng.uniform(2.5, 7.0) * (k + 1) / n
        phase = rng.uniform(0, 2 * np.pi)
        y = y + amp / n * np.sin(2 * np.pi * freq * t + phase) * 2
        x = x + 0.03 / n * np.cos(2 * np.pi * freq * 1.7 * t + phase)
    pts = np.stack([x * w, np.clip(y, 0.05, 0.95) * h], axis=1).astype(np.int32)
    cv2.polylines(canvas, [pts], False, 0, thick, cv2.LINE_AA)
    # a flourish underline
    yy = int(h * rng.uniform(0.7, 0.85))
    cv2.line(canvas, (int(w * 0.15), yy), (int(w * 0.9), yy - int(h * 0.1)), 0, thick, cv2.LINE_AA)
    return canvas


def _seal_mask(variant: int, dpi: int) -> np.ndarray:
    """Round seal (con dấu): double ring, text around the ring, a star in the middle."""
    def make() -> np.ndarray:
        d = _mm(38, dpi)
        scale = 4 if dpi < 200 else 1
        D = d * scale
        img = Image.new("L", (D, D), 255)
        draw = ImageDraw.Draw(img)
        lw = max(2, round(D * 0.018))
        draw.ellipse((lw, lw, D - lw, D - lw), outline=0, width=lw)
        inner = round(D * 0.2)
        draw.ellipse((inner, inner, D - inner, D - inner), outline=0, width=max(1, lw // 2))
        # star
        c = D / 2
        r1, r2 = D * 0.12, D * 0.05
        pts = []
        for i in range(10):
            r = r1 if i % 2 == 0 else r2
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((c + r * math.cos(a), c + r * math.sin(a)))
        draw.polygon(pts, fill=0)
        # ring text, each glyph rotated into place
        agency = _AGENCIES[variant % len(_AGENCIES)]
        text = _nfc(f"{agency[0]} * {agency[1]} *")
        font = _font(_SANS_BOLD, max(6, round(D * 0.075)))
        radius = D * 0.385
        n = len(text)
        for i, ch in enumerate(text):
            ang = -math.pi + (i + 0.5) * 2 * math.pi / n
            gw = max(1, round(font.getlength(ch))) + 4
            gh = round(D * 0.1)
            g = Image.new("L", (gw, gh), 255)
            ImageDraw.Draw(g).text((2, 0), ch, font=font, fill=0)
            g = g.rotate(-math.degrees(ang) - 90, expand=True, fillcolor=255)
            gx = c + radius * math.cos(ang) - g.width / 2
            gy = c + radius * math.sin(ang) - g.height / 2
            img.paste(0, (round(gx), round(gy)), ImageOps_invert(g))
        if scale != 1:
            img = img.resize((d, d), Image.Resampling.LANCZOS)
        return np.asarray(img)

    return _seal_cache.get((variant % len(_AGENCIES), dpi), make)


def ImageOps_invert(g: Image.Image) -> Image.Image:  # noqa: N802 - tiny helper, named after what it does
    return Image.eval(g, lambda v: 255 - v)


def _photo(rng: np.random.Generator, dpi: int) -> np.ndarray:
    """A 3x4 cm colour portrait photo: blue backdrop, face and shirt shapes."""
    w, h = _mm(30, dpi), _mm(40, dpi)
    img = np.zeros((h, w, 3), np.uint8)
    grad = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    bg = np.array([70, 130, 200], np.float32) * (0.8 + 0.2 * grad[..., None])
    img[...] = np.broadcast_to(bg, (h, w, 3)).astype(np.uint8)
    skin = tuple(int(v) for v in rng.integers([200, 150, 120], [235, 185, 160]))
    cv2.ellipse(img, (w // 2, int(h * 0.42)), (int(w * 0.2), int(h * 0.2)), 0, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(img, (w // 2, int(h * 0.3)), (int(w * 0.22), int(h * 0.12)), 0, 180, 360, (25, 20, 20), -1,
                cv2.LINE_AA)
    shirt = (245, 245, 245) if rng.random() < 0.5 else (40, 50, 90)
    cv2.ellipse(img, (w // 2, h), (int(w * 0.45), int(h * 0.3)), 0, 180, 360, shirt, -1, cv2.LINE_AA)
    return img


def _letterhead(img: np.ndarray, rng: np.random.Generator, dpi: int, x: int, y: int) -> list[int]:
    """Coloured emblem + blue agency line + red rule. Returns its box."""
    r = _mm(9, dpi)
    cx, cy = x + r, y + r
    cv2.circle(img, (cx, cy), r, (200, 30, 35), -1, cv2.LINE_AA)
    cv2.circle(img, (cx, cy), int(r * 0.92), (235, 190, 40), max(1, dpi // 100), cv2.LINE_AA)
    pts = []
    for i in range(10):
        rr = r * 0.55 if i % 2 == 0 else r * 0.22
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    cv2.fillPoly(img, [np.array(pts, np.int32)], (250, 215, 40), cv2.LINE_AA)
    name = _text_block(_AGENCIES[int(rng.integers(len(_AGENCIES)))][1], _SANS_BOLD, _pt(15, dpi), _mm(120, dpi))
    _min_ink(img, name, cx + r + _mm(4, dpi), cy - name.shape[0] // 2, INK_BLUE)
    yy = cy + r + _mm(3, dpi)
    cv2.line(img, (x, yy), (x + _mm(165, dpi), yy), (190, 30, 40), max(2, dpi // 90))
    return [x, y, _mm(165, dpi), yy - y + 2]


def _sticky_note(rng: np.random.Generator, dpi: int, colour: str) -> tuple[np.ndarray, np.ndarray]:
    """A square sticky note with a faint shadow and two handwritten lines. Returns (rgb, alpha)."""
    s = _mm(rng.choice([51.0, 76.0]), dpi)
    sh = _mm(1.5, dpi)
    rgb = np.zeros((s + sh, s + sh, 3), np.uint8)
    alpha = np.zeros((s + sh, s + sh), np.uint8)
    # shadow
    alpha[sh:, sh:] = 70
    base = np.array(STICKY_COLOURS[colour], np.float32)
    grad = np.linspace(1.0, 0.94, s, dtype=np.float32)[:, None, None]
    rgb[:s, :s] = np.clip(base * grad, 0, 255).astype(np.uint8)
    alpha[:s, :s] = 255
    # handwriting
    text = _STICKY_TEXTS[int(rng.integers(len(_STICKY_TEXTS)))]
    block = _text_block(text, _SANS_ITALIC, _pt(13, dpi), s - _mm(8, dpi))
    _min_ink(rgb, block, _mm(4, dpi), _mm(6, dpi), INK_BLUE, 0.9)
    return rgb, alpha


# ------------------------------------------------------------------------------------------------
# front and back composition (on the paper, before it meets the scanner)
# ------------------------------------------------------------------------------------------------
def _draw_front(img: np.ndarray, spec: PageSpec, rng: np.random.Generator, truth: dict) -> None:
    dpi = spec.dpi
    W, H = img.shape[1], img.shape[0]
    left, right, top, bottom = _mm(30, dpi), _mm(15, dpi), _mm(20, dpi), _mm(20, dpi)
    text_w = W - left - right
    y = top
    elements: list[dict] = []
    if spec.letterhead:
        box = _letterhead(img, rng, dpi, left, y)
        elements.append({"kind": "letterhead", "box": box, "colour": "red/blue"})
        y += box[3] + _mm(4, dpi)
    # national header: agency left, motto right
    col_l, col_r = round(text_w * 0.4), round(text_w * 0.6)
    agency = _AGENCIES[int(rng.integers(len(_AGENCIES)))]
    a1 = _text_block(agency[0], _SERIF, _pt(12, dpi), col_l, "center", 1.3)
    a2 = _text_block(agency[1], _SERIF_BOLD, _pt(12, dpi), col_l, "center", 1.3)
    n1 = _text_block(_NATIONAL, _SERIF_BOLD, _pt(11.5, dpi), col_r, "center", 1.3)
    n2 = _text_block(_MOTTO, _SERIF_BOLD, _pt(13, dpi), col_r, "center", 1.3)
    _min_ink(img, a1, left, y)
    _min_ink(img, a2, left, y + a1.shape[0])
    _min_ink(img, n1, left + col_l, y)
    _min_ink(img, n2, left + col_l, y + n1.shape[0])
    ul = y + n1.shape[0] + n2.shape[0]
    img[ul:ul + max(1, dpi // 150), left + col_l + col_r // 4: left + col_l + 3 * col_r // 4] = INK_BLACK
    elements.append({"kind": "national-header", "box": [left, y, text_w, ul - y]})
    y = ul + _mm(10, dpi)
    if spec.photo:
        ph = _photo(rng, dpi)
        _paste_rgb(img, ph, left, y)
        elements.append({"kind": "photo", "box": [left, y, ph.shape[1], ph.shape[0]]})
        y_title_x = left + ph.shape[1] + _mm(6, dpi)
    else:
        y_title_x = left
    title = _text_block(_TITLES[int(rng.integers(len(_TITLES)))], _SERIF_BOLD, _pt(14, dpi),
                        W - right - y_title_x, "center", 1.3)
    _min_ink(img, title, y_title_x, y + (_mm(12, dpi) if spec.photo else 0))
    y += max(title.shape[0] + _mm(6, dpi), _mm(46, dpi) if spec.photo else 0)
    # body: a seed-chosen run of paragraphs that fits above the signature block
    sig_block_h = _mm(55, dpi) if (spec.signature or spec.seal) else _mm(10, dpi)
    limit = H - bottom - sig_block_h
    start = int(rng.integers(len(_PARAGRAPHS)))
    body_top = y
    for k in range(len(_PARAGRAPHS)):
        para = _PARAGRAPHS[(start + k) % len(_PARAGRAPHS)]
        block = _text_block(para, _SERIF, _pt(13, dpi), text_w)
        if y + block.shape[0] > limit:
            break
        _min_ink(img, block, left, y)
        y += block.shape[0] + _mm(2, dpi)
    elements.append({"kind": "body-text", "box": [left, body_top, text_w, y - body_top]})
    # signature block on the right half
    sx = left + text_w // 2
    sy = min(y + _mm(6, dpi), limit)
    role = _text_block(_SIGNER_ROLES[int(rng.integers(len(_SIGNER_ROLES)))], _SERIF_BOLD, _pt(13, dpi),
                       text_w // 2, "center", 1.3)
    _min_ink(img, role, sx, sy)
    name = _text_block(_SIGNERS[int(rng.integers(len(_SIGNERS)))], _SERIF_BOLD, _pt(13, dpi), text_w // 2,
                       "center", 1.3)
    _min_ink(img, name, sx, sy + _mm(35, dpi))
    if spec.signature:
        sig = _signature_mask(rng, dpi)
        gx = sx + (text_w // 2 - sig.shape[1]) // 2 + int(rng.integers(-_mm(5, dpi), _mm(5, dpi) + 1))
        gy = sy + role.shape[0] + _mm(2, dpi)
        _min_ink(img, sig, gx, gy, INK_BLUE, 0.95)
        elements.append({"kind": "signature", "box": [gx, gy, sig.shape[1], sig.shape[0]], "colour": "blue"})
    if spec.seal:
        seal = _seal_mask(int(rng.integers(1000)), dpi)
        # the seal overlaps the left third of the signature, as the rules of office work demand
        cx = sx + text_w // 4 - _mm(18, dpi)
        cy = sy + _mm(4, dpi)
        _min_ink(img, seal, cx - seal.shape[1] // 2 + _mm(10, dpi), cy, INK_RED, 0.85)
        elements.append({"kind": "seal", "box": [cx - seal.shape[1] // 2 + _mm(10, dpi), cy, seal.shape[1],
                                                 seal.shape[0]], "colour": "red"})
    # page number at the bottom centre from page 2 on
    if spec.page_number > 1:
        pn = _text_block(str(spec.page_number), _SERIF, _pt(12, dpi), _mm(20, dpi), "center")
        _min_ink(img, pn, (W - pn.shape[1]) // 2, H - bottom + _mm(4, dpi))
    truth["elements"] = elements


def _draw_back(img: np.ndarray, spec: PageSpec, rng: np.random.Generator, truth: dict,
               front: np.ndarray | None) -> None:
    dpi = spec.dpi
    H, W = img.shape[:2]
    kind = spec.back_kind
    elements: list[dict] = []
    if kind == "show-through":
        if front is None:
            front = _paper_page(replace(spec, side="front", sticky_note=None, corner=None, mode="color"),
                                rng_for_front(spec))[0]
        # thin paper: the front's ink shows through mirrored, blurred and very faint (5-12 % contrast).
        # Worked out at quarter size in grey, so only one full-size grey plane is ever allocated.
        small = ghost_source(front, W, H)
        small = cv2.GaussianBlur(cv2.flip(small, 1), (0, 0), 1.2)
        k = float(rng.uniform(0.05, 0.12))
        dark_small = cv2.convertScaleAbs(cv2.subtract(np.full_like(small, 255), small), alpha=k)
        dark = cv2.resize(dark_small, (W, H), interpolation=cv2.INTER_LINEAR)
        img[...] = cv2.subtract(img, cv2.merge([dark, dark, dark]))
        truth["show_through_strength"] = round(k, 3)
    elif kind == "punch-holes":
        r = _mm(3, dpi)
        # holes punched near the front's left edge are near the back's right edge
        cx = W - _mm(12, dpi)
        holes = []
        for cy in (H // 2 - _mm(40, dpi), H // 2 + _mm(40, dpi)):
            # the hole shows the feeder's backing in the shadow of the paper: a dark grey disc
            cv2.circle(img, (cx, cy), r, HOLE_SHADOW if not spec.scanner_border else DARK_BACKGROUND, -1,
                       cv2.LINE_AA)
            holes.append([cx - r, cy - r, 2 * r, 2 * r])
        truth["punch_holes"] = holes
    elif kind == "edge-shadows":
        band = _mm(rng.uniform(3, 7), dpi)
        ramp = np.linspace(0.55, 1.0, band, dtype=np.float32) ** 2
        sides = ["left", "top"] if rng.random() < 0.5 else ["right", "bottom"]
        for s in sides:
            if s == "left":
                img[:, :band] = (img[:, :band] * ramp[None, :, None]).astype(np.uint8)
            elif s == "right":
                img[:, W - band:] = (img[:, W - band:] * ramp[::-1][None, :, None]).astype(np.uint8)
            elif s == "top":
                img[:band] = (img[:band] * ramp[:, None, None]).astype(np.uint8)
            else:
                img[H - band:] = (img[H - band:] * ramp[::-1][:, None, None]).astype(np.uint8)
        truth["shadow_edges"] = sides
    elif kind == "noise":
        # dust specks and a faint streak from a dirty glass
        n = int(rng.integers(20, 60))
        for _ in range(n):
            x, y = int(rng.integers(W)), int(rng.integers(H))
            r = int(rng.integers(1, max(2, dpi // 150) + 1))
            g = int(rng.integers(60, 160))
            cv2.circle(img, (x, y), r, (g, g, g), -1)
        sx = int(rng.integers(W // 5, 4 * W // 5))
        img[:, sx:sx + max(1, dpi // 200)] = cv2.subtract(img[:, sx:sx + max(1, dpi // 200)], 18)
        truth["specks"] = n
        truth["streak_x"] = sx
    elif kind == "signature":
        sig = _signature_mask(rng, dpi)
        x = int(rng.integers(W // 2, W - sig.shape[1] - _mm(15, dpi)))
        y = int(rng.integers(H // 2, H - sig.shape[0] - _mm(20, dpi)))
        _min_ink(img, sig, x, y, INK_BLUE, 0.95)
        elements.append({"kind": "signature", "box": [x, y, sig.shape[1], sig.shape[0]], "colour": "blue"})
    elif kind == "stamp":
        seal = _seal_mask(int(rng.integers(1000)), dpi)
        x = int(rng.integers(_mm(20, dpi), W - seal.shape[1] - _mm(20, dpi)))
        y = int(rng.integers(_mm(30, dpi), H // 2))
        _min_ink(img, seal, x, y, INK_RED, 0.85)
        elements.append({"kind": "seal", "box": [x, y, seal.shape[1], seal.shape[0]], "colour": "red"})
    elif kind == "page-number":
        pn = _text_block(f"- {spec.page_number} -", _SERIF, _pt(12, dpi), _mm(30, dpi), "center")
        x, y = (W - pn.shape[1]) // 2, H - _mm(14, dpi)
        _min_ink(img, pn, x, y)
        elements.append({"kind": "page-number", "box": [x, y, pn.shape[1], pn.shape[0]]})
    elif kind == "pencil-note":
        note = _text_block(_PENCIL_TEXTS[int(rng.integers(len(_PENCIL_TEXTS)))], _SANS_ITALIC, _pt(11, dpi),
                           _mm(70, dpi))
        x = int(rng.integers(_mm(20, dpi), W // 2))
        y = int(rng.integers(_mm(20, dpi), H // 3))
        _min_ink(img, note, x, y, PENCIL, 0.7)
        elements.append({"kind": "pencil-note", "box": [x, y, note.shape[1], note.shape[0]], "colour": "grey"})
    truth["elements"] = elements


def rng_for_front(spec: PageSpec) -> np.random.Generator:
    return np.random.default_rng([spec.seed, 1])


def _rng(spec: PageSpec) -> np.random.Generator:
    return np.random.default_rng([spec.seed, 1 if spec.side == "front" else 2])


def _paper_page(spec: PageSpec, rng: np.random.Generator, front: np.ndarray | None = None
                ) -> tuple[np.ndarray, dict]:
    """The sheet as paper (paper-sized RGB), before skew/borders/cut-offs."""
    W, H = page_size_px(spec.paper, spec.dpi)
    truth: dict[str, Any] = {}
    tint = PAPER_WHITE
    if spec.side == "back" and spec.back_kind == "tinted":
        name = list(PAPER_TINTS)[spec.seed % len(PAPER_TINTS)]
        tint = PAPER_TINTS[name]
        truth["tint"] = name
    noise = spec.noise * (3.0 if spec.side == "back" and spec.back_kind == "noise" else 1.0)
    img = _paper_plane(W, H, tint, noise, spec.seed)
    if spec.side == "front":
        _draw_front(img, spec, rng, truth)
    else:
        _draw_back(img, spec, rng, truth, front)
    if spec.sticky_note:
        rgb, alpha = _sticky_note(rng, spec.dpi, spec.sticky_note)
        x = int(rng.integers(W // 3, W - rgb.shape[1] - _mm(8, spec.dpi)))
        y = int(rng.integers(_mm(15, spec.dpi), H // 2))
        _paste_rgb(img, rgb, x, y, alpha)
        s = rgb.shape[0] - _mm(1.5, spec.dpi)
        truth["sticky_notes"] = [{"box": [x, y, s, s], "colour": spec.sticky_note}]
    return img, truth


def _corner_polys(corner: str, W: int, H: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """(the corner triangle that leaves the paper, the folded flap lying on the page)."""
    cx = 0 if "left" in corner else W - 1
    cy = 0 if "top" in corner else H - 1
    dx = s if "left" in corner else -s
    dy = s if "top" in corner else -s
    gone = np.array([[cx, cy], [cx + dx, cy], [cx, cy + dy]], np.int32)
    flap = np.array([[cx + dx, cy], [cx, cy + dy], [cx + dx, cy + dy]], np.int32)
    return gone, flap


def render_page(spec: PageSpec, *, front: np.ndarray | None = None) -> SamplePage:
    """Draw one scanned image for ``spec``. ``front`` (paper RGB of the same sheet) feeds show-through."""
    rng = _rng(spec)
    dpi = spec.dpi
    paper, truth = _paper_page(spec, rng, front)
    PH, PW = paper.shape[:2]
    bg = DARK_BACKGROUND if spec.scanner_border else ADF_BACKGROUND
    if spec.corner:
        kind, _, where = spec.corner.partition(":")
        s = _mm(float(rng.uniform(18, 35)), dpi)
        gone, flap = _corner_polys(where, PW, PH, s)
        if kind == "folded":
            # the flap shows the back of the paper, a little darker, with a shadow along the fold
            mask = np.zeros((PH, PW), np.uint8)
            cv2.fillPoly(mask, [flap], 255)
            x, y, w, h = cv2.boundingRect(flap)
            region = paper[y:y + h, x:x + w]
            m = mask[y:y + h, x:x + w] > 0
            region[m] = (np.array(PAPER_WHITE, np.float32) * 0.93).astype(np.uint8)
            cv2.line(paper, tuple(flap[0]), tuple(flap[1]), (150, 150, 148), max(1, dpi // 120), cv2.LINE_AA)
        cv2.fillPoly(paper, [gone], bg)
        truth["corner"] = {"kind": kind, "corner": where, "size_px": s, "size_mm": round(s / dpi * MM_PER_INCH, 1)}
    # scan area: the paper itself, or the paper plus a dark margin of backing plate
    margin = _mm(8, dpi) if spec.scanner_border else 0
    CW, CH = PW + 2 * margin, PH + 2 * margin
    ox, oy = margin, margin
    if spec.cut_off:
        cut = _mm(float(rng.uniform(8, 16)), dpi)
        shift = cut + margin
        if spec.cut_off == "left":
            ox -= shift
        elif spec.cut_off == "right":
            ox += shift
        elif spec.cut_off == "top":
            oy -= shift
        else:
            oy += shift
        truth["cut_off"] = {"side": spec.cut_off, "px": cut, "mm": round(cut / dpi * MM_PER_INCH, 1)}
    angle = float(spec.skew_deg)
    if angle == 0.0 and (CW, CH, ox, oy) == (PW, PH, 0, 0):
        img = paper
        M = np.array([[1, 0, 0], [0, 1, 0]], np.float64)
    else:
        M = cv2.getRotationMatrix2D((PW / 2, PH / 2), angle, 1.0)
        M[0, 2] += ox
        M[1, 2] += oy
        if angle == 0.0:
            img = np.empty((CH, CW, 3), np.uint8)
            img[...] = bg
            _paste_rgb(img, paper, ox, oy)
        else:
            img = cv2.warpAffine(paper, M, (CW, CH), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                 borderValue=bg)
    del paper

    def tx_box(box: list[int]) -> list[int]:
        x, y, w, h = box
        pts = np.array([[x, y, 1], [x + w, y, 1], [x, y + h, 1], [x + w, y + h, 1]], np.float64) @ M.T
        x0, y0 = np.floor(pts.min(axis=0)).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
        return [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]

    for el in truth.get("elements", []):
        el["box"] = tx_box(el["box"])
    for note in truth.get("sticky_notes", []):
        note["box"] = tx_box(note["box"])
    if "punch_holes" in truth:
        truth["punch_holes"] = [tx_box(b) for b in truth["punch_holes"]]
    paper_quad = (np.array([[0, 0, 1], [PW, 0, 1], [PW, PH, 1], [0, PH, 1]], np.float64) @ M.T)
    if spec.mode == "gray":
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    is_blank = spec.side == "back" and spec.back_kind in BLANK_BACK_KINDS and not spec.sticky_note
    truth.update({
        "seed": spec.seed, "side": spec.side, "kind": "front" if spec.side == "front" else spec.back_kind,
        "is_blank": bool(is_blank), "dpi": dpi, "mode": spec.mode, "paper": spec.paper,
        "width": int(img.shape[1]), "height": int(img.shape[0]),
        "skew_deg": angle, "scanner_border": spec.scanner_border,
        "paper_quad": [[round(float(x), 1), round(float(y), 1)] for x, y in paper_quad],
        "background": "dark" if spec.scanner_border else "light",
    })
    truth.setdefault("sticky_notes", [])
    truth.setdefault("corner", None)
    truth.setdefault("cut_off", None)
    truth["spec"] = asdict(spec)
    return SamplePage(img, truth)


def front_page(seed: int = 0, **kw: Any) -> SamplePage:
    """A front page; ``kw`` are :class:`PageSpec` fields (dpi, mode, paper, sticky_note, skew_deg ...)."""
    return render_page(PageSpec(seed=seed, side="front", **kw))


def back_page(seed: int = 0, kind: str = "blank", **kw: Any) -> SamplePage:
    """A back page of ``kind`` (see BACK_KINDS); show-through mirrors the front of the same seed."""
    return render_page(PageSpec(seed=seed, side="back", back_kind=kind, **kw))


def ghost_source(front: np.ndarray, W: int, H: int) -> np.ndarray:
    """Quarter-size grey copy of a front (any size, grey or RGB): all show-through needs of it."""
    g = front if front.ndim == 2 else cv2.cvtColor(front, cv2.COLOR_RGB2GRAY)
    return cv2.resize(g, (max(1, W // 4), max(1, H // 4)), interpolation=cv2.INTER_AREA)


def iter_sheet(sheet: SheetSpec):
    """Yield the front, then the back, of one sheet, holding only one full page at a time
    (the back's show-through keeps a quarter-size grey copy of this very front)."""
    front = render_page(sheet.front)
    src = None
    if sheet.back.back_kind == "show-through":
        W, H = page_size_px(sheet.back.paper, sheet.back.dpi)
        src = ghost_source(front.image, W, H)
    yield front
    del front
    yield render_page(sheet.back, front=src)


def render_sheet(sheet: SheetSpec) -> tuple[SamplePage, SamplePage]:
    """Front and back of one sheet; the back's show-through comes from this very front."""
    front, back = iter_sheet(sheet)
    return front, back


def dossier_sheets(seed: int, count: int, *, dpi: int = 300, mode: str = "color", paper: str = "A4"
                   ) -> list[SheetSpec]:
    """A varied, deterministic run of sheets like a real dossier: mostly plain pages with blank backs,
    and now and then every difficulty the issue lists (cycled so a short run still shows most)."""
    rng = np.random.default_rng([seed, 7])
    plan: list[SheetSpec] = []
    specials = ["sticky:yellow", "skew", "back:show-through", "corner:folded", "back:punch-holes",
                "sticky:pink", "back:signature", "back:page-number", "letterhead+photo", "back:stamp",
                "corner:missing", "back:pencil-note", "back:edge-shadows", "cut", "back:tinted", "border",
                "back:noise", "sticky:green"]
    nxt = int(rng.integers(len(specials)))
    for i in range(count):
        s = seed * 100_003 + i
        front = PageSpec(seed=s, side="front", dpi=dpi, mode=mode, paper=paper, page_number=i + 1,
                         seal=bool(rng.random() < 0.6), signature=bool(rng.random() < 0.8))
        back = PageSpec(seed=s, side="back", back_kind="blank", dpi=dpi, mode=mode, paper=paper,
                        page_number=i + 1)
        # roughly every other sheet carries one special
        if i % 2 == 1 or count <= len(specials):
            sp = specials[nxt % len(specials)]
            nxt += 1
            what, _, arg = sp.partition(":")
            if what == "sticky":
                front = replace(front, sticky_note=arg)
            elif what == "skew":
                front = replace(front, skew_deg=round(float(rng.uniform(1.5, 4.0)) * (1 if rng.random() < .5 else -1), 2))
                back = replace(back, skew_deg=-front.skew_deg)
            elif what == "back":
                back = replace(back, back_kind=arg)
            elif what == "corner":
                c = CORNERS[int(rng.integers(4))]
                front = replace(front, corner=f"{arg}:{c}")
                mirrored = c.replace("left", "X").replace("right", "left").replace("X", "right")
                back = replace(back, corner=f"{arg}:{mirrored}")
            elif what == "letterhead+photo":
                front = replace(front, letterhead=True, photo=True)
            elif what == "cut":
                front = replace(front, cut_off="right")
                back = replace(back, cut_off="left")
            elif what == "border":
                front = replace(front, scanner_border=True)
                back = replace(back, scanner_border=True)
        plan.append(SheetSpec(front, back))
    return plan


# ------------------------------------------------------------------------------------------------
# a drifting scanner: the physical faults calibration must find, applied to any page image
# ------------------------------------------------------------------------------------------------
#: Defect names accepted by :func:`parse_defects` (``NAME:VALUE`` items, comma-separated).
DEFECT_NAMES = ("scale-x", "scale-y", "skew", "gamma", "cast", "noise", "streak", "blur", "falloff")


@dataclass(frozen=True)
class ScannerDefects:
    """What a worn or dirty scanner does to every image, in the scan's own axes (X = along the sensor,
    Y = the feeder's transport). Applied in the order light travels: the sheet's position (skew), the
    transport and sensor pitch (scale), the optics (blur), the lamp (falloff, cast), the tone curve,
    dust on the glass (streaks), sensor noise.

    ``scale_x_pct``/``scale_y_pct``: image size error in % (−1.5: a worn roller shortens every page).
    ``skew_deg``: the sheet turned clockwise as seen on screen. ``gamma``: output = input^gamma (>1 darker
    mid-tones). ``cast_pct``: per-channel gain error R/G/B in % (a yellowing lamp: 0/0/−8).
    ``noise``: Gaussian sensor noise, standard deviation in 8-bit levels. ``streaks``: (column, width
    px, level change) — a line down every page. ``blur``: Gaussian blur sigma in px.
    ``falloff_pct``: illumination lost from the left edge to the right edge, in %.
    """

    scale_x_pct: float = 0.0
    scale_y_pct: float = 0.0
    skew_deg: float = 0.0
    gamma: float = 1.0
    cast_pct: tuple[float, float, float] = (0.0, 0.0, 0.0)
    noise: float = 0.0
    streaks: tuple[tuple[int, int, float], ...] = ()
    blur: float = 0.0
    falloff_pct: float = 0.0

    @property
    def geometric(self) -> bool:
        return bool(self.scale_x_pct or self.scale_y_pct or self.skew_deg)

    @property
    def any(self) -> bool:
        return self != ScannerDefects()

    def to_dict(self) -> dict[str, Any]:
        return {"scale_x_pct": self.scale_x_pct, "scale_y_pct": self.scale_y_pct, "skew_deg": self.skew_deg,
                "gamma": self.gamma, "cast_pct": list(self.cast_pct), "noise": self.noise,
                "streaks": [{"x_px": x, "width_px": w, "levels": d} for x, w, d in self.streaks],
                "blur": self.blur, "falloff_pct": self.falloff_pct}


def parse_defects(text: str) -> ScannerDefects:
    """``"scale-x:1.5,scale-y:-1,skew:0.8,gamma:1.3,cast:0/0/-8,noise:2,streak:1200/3/-40,blur:1.2,falloff:6"``.

    ``streak`` may repeat (column/width/levels; width and levels default to 3 and −40). Raises
    ``ValueError`` naming the bad item and the valid names.
    """
    kw: dict[str, Any] = {}
    streaks: list[tuple[int, int, float]] = []
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition(":")
        name = name.strip()
        if name not in DEFECT_NAMES or not sep:
            raise ValueError(f"'{item}' is not a defect; use NAME:VALUE with NAME one of {', '.join(DEFECT_NAMES)}")
        try:
            if name == "cast":
                parts = [float(v) for v in value.split("/")]
                if len(parts) != 3:
                    raise ValueError
                kw["cast_pct"] = (parts[0], parts[1], parts[2])
            elif name == "streak":
                parts = [float(v) for v in value.split("/")]
                if not 1 <= len(parts) <= 3 or parts[0] < 0:
                    raise ValueError
                parts += [3.0, -40.0][len(parts) - 1:]
                if parts[1] < 1:
                    raise ValueError
                streaks.append((int(parts[0]), int(parts[1]), parts[2]))
            else:
                v = float(value)
                if not math.isfinite(v):
                    raise ValueError
                field_name = {"scale-x": "scale_x_pct", "scale-y": "scale_y_pct", "skew": "skew_deg",
                              "falloff": "falloff_pct"}.get(name, name)
                if (name in ("gamma",) and not 0.2 <= v <= 5) or (name in ("noise", "blur") and not 0 <= v <= 50) \
                        or (name.startswith("scale") and not -20 <= v <= 20) or (name == "skew" and not -45 <= v <= 45) \
                        or (name == "falloff" and not 0 <= v <= 90):
                    raise ValueError
                kw[field_name] = v
        except ValueError:
            raise ValueError(f"defect '{item}': bad or out-of-range value") from None
    return ScannerDefects(streaks=tuple(streaks), **kw)


_SRGB_TO_LINEAR = np.where(np.arange(256) / 255.0 <= 0.04045, np.arange(256) / 255.0 / 12.92,
                           ((np.arange(256) / 255.0 + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _linear_to_srgb8(f: np.ndarray) -> np.ndarray:
    # through a fine table rather than a power per pixel: 4096 steps of linear light are finer than 8 bits
    table = np.arange(4097, dtype=np.float64) / 4096
    enc = np.where(table <= 0.0031308, table * 12.92, 1.055 * table ** (1 / 2.4) - 0.055)
    lut = np.clip(np.round(enc * 255), 0, 255).astype(np.uint8)
    return lut[np.clip(np.rint(f * 4096), 0, 4096).astype(np.int32)]


def apply_defects(img: np.ndarray, d: ScannerDefects, *, seed: int = 0,
                  background: tuple[int, int, int] = ADF_BACKGROUND) -> np.ndarray:
    """The image a scanner with defects ``d`` delivers of a sheet whose perfect scan is ``img``
    (RGB or grey, uint8). Same size as ``img``. Deterministic for a seed.

    Geometry: output point = S·R·(p − c) + S·c, with R the skew about the image centre c and
    S = diag(1 + scale_x, 1 + scale_y) about the first pixel (the sensor's first element, the leading edge).
    """
    grey = img.ndim == 2
    h, w = img.shape[:2]
    out = img
    if d.geometric:
        c = np.array([(w - 1) / 2, (h - 1) / 2])
        t = math.radians(d.skew_deg)
        R = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        S = np.diag([1 + d.scale_x_pct / 100, 1 + d.scale_y_pct / 100])
        A = S @ R
        M = np.hstack([A, (S @ c - A @ c)[:, None]])
        bg = int(round(sum(background) / 3)) if grey else tuple(int(v) for v in background)
        out = cv2.warpAffine(out, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                             borderValue=bg)
    if d.blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), d.blur)
    cast = d.cast_pct if not grey else (0.0, 0.0, 0.0)
    if d.falloff_pct or any(cast):
        # the lamp: a gain on linear light (sRGB decoded), not on code values
        f = _SRGB_TO_LINEAR[out]
        if d.falloff_pct:
            ramp = 1.0 - (d.falloff_pct / 100.0) * np.linspace(0.0, 1.0, w, dtype=np.float32)
            f *= ramp[None, :, None] if not grey else ramp[None, :]
        if any(cast):
            f *= np.array([1 + v / 100.0 for v in cast], np.float32)[None, None, :]
        out = _linear_to_srgb8(f)
    if d.gamma != 1.0:
        lut = np.clip(255.0 * (np.arange(256) / 255.0) ** d.gamma + 0.5, 0, 255).astype(np.uint8)
        out = cv2.LUT(out, lut)
    if d.streaks or d.noise:
        if out is img:
            out = img.copy()
        for x, sw, delta in d.streaks:
            x0, x1 = max(0, x - sw // 2), min(w, x - sw // 2 + sw)
            if x0 < x1:
                col = out[:, x0:x1].astype(np.int16) + int(round(delta))
                out[:, x0:x1] = np.clip(col, 0, 255).astype(np.uint8)
        if d.noise:
            rng = np.random.default_rng([seed, 13])
            n = rng.standard_normal(out.shape, dtype=np.float32) * np.float32(d.noise)
            out = np.clip(out.astype(np.float32) + n + 0.5, 0, 255).astype(np.uint8)
    return out if out is not img else img.copy()


#: How bright the virtual scanner renders unprinted paper (a calibrated scanner puts paper white a little
#: below 255 so that noise and bright streaks are not clipped away).
PAPER_WHITE_LEVEL = 245


def scan_printed_sheet(sheet: np.ndarray, sheet_dpi: float, *, dpi: int, mode: str = "color", paper: str = "A4",
                       defects: ScannerDefects | None = None, seed: int = 0) -> np.ndarray:
    """The virtual scanner's image of a printed sheet (``sheet``: RGB or grey uint8 at ``sheet_dpi``, its
    top-left corner on the paper's), at ``dpi`` on a paper-sized canvas, with the scanner's ``defects``.

    The sheet is resampled by exactly ``dpi / sheet_dpi`` so its geometry is known to the pixel: a sheet
    point at (x, y) mm lands on pixel (x·dpi/25.4 − 0.5, y·dpi/25.4 − 0.5) before defects.
    """
    W, H = page_size_px(paper, dpi)
    f = dpi / float(sheet_dpi)
    src = sheet if sheet.ndim == 3 else cv2.cvtColor(sheet, cv2.COLOR_GRAY2RGB)
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
    small = cv2.resize(src, (0, 0), fx=f, fy=f, interpolation=interp)
    canvas = np.empty((H, W, 3), np.uint8)
    canvas[...] = PAPER_WHITE_LEVEL
    hh, ww = min(H, small.shape[0]), min(W, small.shape[1])
    # paper reflects PAPER_WHITE_LEVEL/255 of the lamp; ink darkens from there
    lut = np.round(np.arange(256) * (PAPER_WHITE_LEVEL / 255.0)).astype(np.uint8)
    canvas[:hh, :ww] = cv2.LUT(small[:hh, :ww], lut)
    img = apply_defects(canvas, defects, seed=seed) if defects and defects.any else canvas
    if mode == "gray":
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return img
