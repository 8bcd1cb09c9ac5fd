"""Hand-made QC fixtures: deterministic synthetic scans with ground truth (fronts, back kinds, notes, defects).

Everything is drawn in millimetres and rendered at the requested dpi, so tests can use a small dpi
and the benchmark a real 300 dpi. The same seed always gives the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

PAPER_MM = {"A4": (210.0, 297.0), "A5": (148.0, 210.0), "Letter": (215.9, 279.4)}
NOTE_BGR = {"yellow": (120, 245, 252), "pink": (200, 170, 252), "green": (150, 245, 170),
            "blue": (250, 215, 150), "orange": (90, 180, 252)}
WORDS = ["cong", "hoa", "xa", "hoi", "chu", "nghia", "viet", "nam", "doc", "lap", "tu", "do", "hanh", "phuc", "giay", "chung", "sinh", "ho", "ten", "ngay", "thang", "nam", "sinh", "noi", "cu", "tru", "can", "cuoc", "so", "dinh", "danh", "uy", "ban", "nhan", "dan", "xac", "nhan", "dang", "ky"]


@dataclass
class Synth:
    """One generated image and what is true about it."""

    bgr: np.ndarray
    dpi: int
    kind: str
    blank: bool | None = None                 # True: a blank back, False: has content
    notes: list[dict] = field(default_factory=list)   # {"x","y","w","h" (mm on the image), "color"}
    problems: list[str] = field(default_factory=list)
    skew_deg: float = 0.0
    front: Synth | None = None                # the front of the same sheet (for backs)

    def rgb(self) -> np.ndarray:
        return np.ascontiguousarray(self.bgr[:, :, ::-1])

    def jpeg(self, quality: int = 88) -> bytes:
        import io

        from PIL import Image
        buf = io.BytesIO()
        Image.fromarray(self.rgb()).save(buf, "JPEG", quality=quality, dpi=(self.dpi, self.dpi))
        return buf.getvalue()

    def png(self) -> bytes:
        import io

        from PIL import Image
        buf = io.BytesIO()
        Image.fromarray(self.rgb()).save(buf, "PNG", dpi=(self.dpi, self.dpi))
        return buf.getvalue()


class Canvas:
    """A sheet of paper in millimetre coordinates."""

    def __init__(self, dpi: int, paper: str = "A4", tint: tuple[int, int, int] = (246, 246, 244),
                 size_mm: tuple[float, float] | None = None) -> None:
        self.dpi = dpi
        self.s = dpi / 25.4
        self.w_mm, self.h_mm = size_mm or PAPER_MM[paper]
        self.img = np.empty((self.px(self.h_mm), self.px(self.w_mm), 3), np.uint8)
        self.img[:] = tint

    def px(self, mm: float) -> int:
        return int(round(mm * self.s))

    def pt(self, x: float, y: float) -> tuple[int, int]:
        return self.px(x), self.px(y)

    def text(self, x: float, y: float, s: str, size_mm: float = 3.0, color=(35, 35, 35), weight: float = 1.0):
        scale = size_mm * self.s / 22.0
        thick = max(1, int(round(scale * 1.6 * weight)))
        cv2.putText(self.img, s, self.pt(x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, color, thick, cv2.LINE_AA)

    def paragraph(self, rng, x: float, y: float, w: float, lines: int, size_mm: float = 3.0, color=(35, 35, 35)):
        for i in range(lines):
            n = int(rng.integers(6, 12))
            line = " ".join(rng.choice(WORDS, n))
            while len(line) * size_mm * 0.55 > w:
                line = line[: line.rfind(" ")]
            self.text(x, y + i * size_mm * 1.8, line, size_mm, color)

    def scribble(self, rng, x: float, y: float, w: float, h: float, color, thick_mm: float = 0.4, strokes: int = 3):
        """Handwriting-like strokes (signature, pencil note)."""
        for _ in range(strokes):
            n = 40
            t = np.linspace(0, 1, n)
            xs = x + t * w + rng.normal(0, w * 0.02, n)
            ys = y + h / 2 + np.sin(t * rng.uniform(8, 18) + rng.uniform(0, 6)) * h / 2 * rng.uniform(0.4, 1.0)
            pts = np.stack([xs * self.s, ys * self.s], 1).astype(np.int32)
            cv2.polylines(self.img, [pts], False, color, max(1, self.px(thick_mm)), cv2.LINE_AA)

    def seal(self, cx: float, cy: float, r: float = 18.0, color=(45, 40, 205)):
        c = self.pt(cx, cy)
        cv2.circle(self.img, c, self.px(r), color, max(1, self.px(0.9)), cv2.LINE_AA)
        cv2.circle(self.img, c, self.px(r * 0.72), color, max(1, self.px(0.5)), cv2.LINE_AA)
        for k in range(16):
            a = k / 16 * 2 * np.pi
            p = (cx + np.cos(a) * r * 0.86, cy + np.sin(a) * r * 0.86)
            cv2.circle(self.img, self.pt(*p), max(1, self.px(0.9)), color, -1, cv2.LINE_AA)
        self.text(cx - r * 0.5, cy + 1.5, "UBND", r * 0.25, color)
        star = np.array([[cx + np.cos(a) * r * 0.3 * (1 if i % 2 == 0 else 0.45),
                          cy - 6 + np.sin(a) * r * 0.3 * (1 if i % 2 == 0 else 0.45)]
                         for i, a in enumerate(np.linspace(-np.pi / 2, 1.5 * np.pi, 11)[:-1])]) * self.s
        cv2.fillPoly(self.img, [star.astype(np.int32)], color, cv2.LINE_AA)

    def note(self, rng, x: float, y: float, w: float, h: float, colour: str, angle: float = 0.0) -> dict:
        box = cv2.boxPoints(((self.px(x + w / 2), self.px(y + h / 2)), (self.px(w), self.px(h)), angle))
        cv2.fillPoly(self.img, [box.astype(np.int32)], NOTE_BGR[colour], cv2.LINE_AA)
        self.scribble(rng, x + w * 0.15, y + h * 0.2, w * 0.7, h * 0.15, (90, 40, 20), 0.5, 2)
        self.scribble(rng, x + w * 0.15, y + h * 0.5, w * 0.6, h * 0.15, (90, 40, 20), 0.5, 2)
        return {"x": x, "y": y, "w": w, "h": h, "color": colour}

    def photo(self, x: float, y: float, w: float, h: float, which: str = "astronaut"):
        import skimage.data as skd

        src = getattr(skd, which)()
        if src.ndim == 2:
            src = np.stack([src] * 3, -1)
        p = cv2.resize(src[:, :, ::-1], (self.px(w), self.px(h)), interpolation=cv2.INTER_AREA)
        self.img[self.px(y):self.px(y) + p.shape[0], self.px(x):self.px(x) + p.shape[1]] = p

    def paste_gray(self, g: np.ndarray, x: float, y: float, w: float):
        h = w * g.shape[0] / g.shape[1]
        p = cv2.resize(g, (self.px(w), self.px(h)), interpolation=cv2.INTER_AREA)
        roi = self.img[self.px(y):self.px(y) + p.shape[0], self.px(x):self.px(x) + p.shape[1]]
        np.minimum(roi, p[:, :, None], out=roi)


def front_page(rng, dpi: int, *, paper: str = "A4", seal: bool = True, signature: bool = True,
               letterhead: str | None = None, photo: bool = False, real: str | None = None,
               form_id: int = 0, fill_seed: int | None = None) -> Canvas:
    """A text page: heading, paragraphs (or a real scikit-image scan), a red seal and a blue signature."""
    c = Canvas(dpi, paper)
    if letterhead == "band":
        c.img[c.px(8):c.px(24), :] = (120, 60, 20)      # dark blue band
        c.text(20, 19, "SO TU PHAP TINH DAK LAK", 6, (255, 255, 255))
    elif letterhead == "pastel":
        c.img[c.px(6):c.px(26), c.px(10):c.px(200)] = (245, 225, 200)   # pale blue band
        c.text(20, 19, "BENH VIEN DA KHOA", 5, (110, 60, 20))
    elif letterhead == "logo":
        cv2.circle(c.img, c.pt(25, 20), c.px(9), (40, 140, 40), -1, cv2.LINE_AA)
        c.text(40, 22, "CONG TY TNHH", 5, (40, 120, 40))
    form = np.random.default_rng(1000 + form_id)        # the printed form: same for the same form_id
    c.text(45, 38, "CONG HOA XA HOI CHU NGHIA VIET NAM", 4.2, weight=1.3)
    c.text(70, 46, "Doc lap - Tu do - Hanh phuc", 3.5)
    c.paragraph(form, 20, 62, 170, 3, 3.2)
    fill = np.random.default_rng(fill_seed) if fill_seed is not None else rng
    if real:
        import skimage.data as skd

        c.paste_gray(getattr(skd, real)(), 20, 80, 170)
        c.paragraph(fill, 20, 180, 170, 8, 3.0)
    else:
        for k in range(6):                                 # printed labels + handwritten fill-ins
            y = 85 + k * 14
            c.text(20, y, f"{form.choice(WORDS)} {form.choice(WORDS)}:", 3.0)
            c.scribble(fill, 70, y - 5, fill.uniform(40, 110), 5, (120, 50, 25), 0.35, 1)
        c.paragraph(fill, 20, 180, 170, int(fill.integers(4, 9)), 3.0)
    if photo:
        c.photo(150, 80, 40, 50, str(fill.choice(["astronaut", "coffee", "chelsea"])))
    if signature:
        c.scribble(fill, 125, 250, 45, 10, (150, 60, 25), 0.45, 3)
    if seal:
        c.seal(120, 255)
    return c


def back_page(rng, dpi: int, kind: str, front: Canvas | None = None, paper: str = "A4") -> tuple[Canvas, bool]:
    """A back of the given kind; returns (canvas, is_blank)."""
    tint = (246, 246, 244)
    if kind == "tinted":
        tint = tuple(int(v) for v in rng.choice([(205, 238, 247), (240, 228, 236), (214, 240, 222)]))
    c = Canvas(dpi, paper, tint)
    blank = True
    if kind in ("show_through", "show_through_heavy") and front is not None:
        mirrored = cv2.flip(front.img, 1)
        k = max(3, c.px(0.8) | 1)
        blurred = cv2.GaussianBlur(mirrored, (k, k), 0)
        alpha = 0.13 if kind == "show_through" else 0.22
        c.img = (c.img.astype(np.float32) * (1 - alpha) + blurred.astype(np.float32) * alpha).astype(np.uint8)
    elif kind == "punch_holes":
        for y in (c.h_mm / 2 - 40, c.h_mm / 2 + 40):
            cv2.circle(c.img, c.pt(12, y), c.px(3), (55, 55, 55), -1, cv2.LINE_AA)
    elif kind == "edge_shadow":
        side = int(rng.integers(0, 4))
        depth = c.px(9)
        ramp = (np.linspace(70, 0, depth) ** 1.3 / 70 ** 0.3).astype(np.int16)
        img = c.img.astype(np.int16)
        if side == 0:
            img[:, :depth] -= ramp[None, :, None]
        elif side == 1:
            img[:, -depth:] -= ramp[::-1][None, :, None]
        elif side == 2:
            img[:depth] -= ramp[:, None, None]
        else:
            img[-depth:] -= ramp[::-1][:, None, None]
        c.img = np.clip(img, 0, 255).astype(np.uint8)
    elif kind == "signature_only":
        c.scribble(rng, rng.uniform(30, 140), rng.uniform(40, 240), 45, 10, (150, 60, 25), 0.45, 3)
        blank = False
    elif kind == "stamp_only":
        c.seal(rng.uniform(40, 170), rng.uniform(50, 250), 16)
        blank = False
    elif kind == "page_number":
        c.text(c.w_mm / 2 - 3, c.h_mm - 12, f"- {int(rng.integers(2, 30))} -", 3.0)
        blank = False
    elif kind == "pencil_note":
        g = int(rng.integers(135, 160))
        c.scribble(rng, rng.uniform(20, 120), rng.uniform(30, 250), 50, 6, (g, g, g), 0.3, 2)
        blank = False
    elif kind == "short_note":
        c.text(rng.uniform(20, 120), rng.uniform(40, 250), "da nhan ban chinh", 3.2, (150, 60, 25))
        blank = False
    elif kind == "text":
        c.paragraph(rng, 20, 30, 170, 20)
        blank = False
    elif kind not in ("blank", "noise", "tinted"):
        raise ValueError(kind)
    return c, blank


def scan(c: Canvas, rng, *, skew: float = 0.0, margin_mm: float = 4.0, noise: float = 2.0,
         background=(40, 40, 40), specks: int = 0, cut: str | None = None, corner: str | None = None,
         fold: bool = False) -> np.ndarray:
    """Put the sheet on the scanner background, rotate it, add sensor noise; optionally damage it."""
    img = c.img.copy()
    h, w = img.shape[:2]
    if corner:
        s = c.px(22)
        pts = {"tl": [(0, 0), (s, 0), (0, s)], "tr": [(w, 0), (w - s, 0), (w, s)],
               "bl": [(0, h), (s, h), (0, h - s)], "br": [(w, h), (w - s, h), (w, h - s)]}[corner]
        tri = np.array(pts, np.int32)
        if fold:
            # the flap lies mirrored over the diagonal: paper back (slightly grey) with a crease shadow
            cv2.fillPoly(img, [tri], background)
            (x0, y0), (x1, y1), (x2, y2) = pts
            flap = np.array([(x1, y1), (x2, y2), (x1 + x2 - x0, y1 + y2 - y0)], np.int32)
            cv2.fillPoly(img, [flap], (222, 222, 220))
            cv2.line(img, (x1, y1), (x2, y2), (150, 150, 150), max(1, c.px(0.4)), cv2.LINE_AA)
        else:
            jag = [(x + int(rng.integers(-c.px(2), c.px(2))), y) for (x, y) in pts]
            cv2.fillPoly(img, [np.array(jag, np.int32)], background)
    m = c.px(margin_mm)
    out = np.empty((h + 2 * m, w + 2 * m, 3), np.uint8)
    out[:] = background
    out[m:m + h, m:m + w] = img
    if skew:
        centre = (out.shape[1] / 2, out.shape[0] / 2)
        rot = cv2.getRotationMatrix2D(centre, skew, 1.0)
        out = cv2.warpAffine(out, rot, (out.shape[1], out.shape[0]), flags=cv2.INTER_LINEAR,
                             borderValue=background)
    if cut == "bottom":
        out = out[: int(out.shape[0] * 0.85)]
    elif cut == "right":
        out = out[:, : int(out.shape[1] * 0.85)]
    elif cut == "top":
        out = out[int(out.shape[0] * 0.15):]
    elif cut == "left":
        out = out[:, int(out.shape[1] * 0.15):]
    if noise:
        out = np.clip(out.astype(np.int16) + rng.normal(0, noise, out.shape).astype(np.int16), 0, 255).astype(np.uint8)
    for _ in range(specks):
        x, y = int(rng.integers(m, out.shape[1] - m)), int(rng.integers(m, out.shape[0] - m))
        out[y, x] = (60, 60, 60)
    return np.ascontiguousarray(out)


BACK_BLANK_KINDS = ("blank", "show_through", "show_through_heavy", "punch_holes", "edge_shadow", "tinted", "noise")
BACK_CONTENT_KINDS = ("signature_only", "stamp_only", "page_number", "pencil_note", "short_note", "text")


def make_front(seed: int, dpi: int = 100, **kw) -> tuple[Synth, Canvas]:
    rng = np.random.default_rng(seed)
    c = front_page(rng, dpi, **kw)
    skew = float(rng.uniform(-0.8, 0.8))
    return Synth(scan(c, rng, skew=skew), dpi, "front", blank=False, skew_deg=skew), c


def make_sheet(seed: int, back_kind: str, dpi: int = 100, **front_kw) -> tuple[Synth, Synth]:
    """A front and its back of the given kind (the back sees the front's show-through if asked)."""
    rng = np.random.default_rng(seed)
    fc = front_page(rng, dpi, **front_kw)
    skew = float(rng.uniform(-0.8, 0.8))
    front = Synth(scan(fc, rng, skew=skew), dpi, "front", blank=False, skew_deg=skew)
    bc, blank = back_page(rng, dpi, back_kind, fc)
    noise = 5.0 if back_kind == "noise" else 2.0
    specks = 40 if back_kind == "noise" else 0
    back = Synth(scan(bc, rng, skew=-skew, noise=noise, specks=specks), dpi, back_kind, blank=blank,
                 skew_deg=-skew, front=front)
    return front, back


def make_note_pair(seed: int, dpi: int = 100, colour: str = "yellow", **front_kw) -> tuple[Synth, Synth]:
    """A front scanned with a sticky note, then the same sheet rescanned (slightly moved) without it."""
    rng = np.random.default_rng(seed)
    fc = front_page(rng, dpi, **front_kw)
    plain = fc.img.copy()
    w, h = (76.0, 76.0) if rng.random() < 0.5 else (38.0, 51.0)
    x, y = float(rng.uniform(15, 210 - w - 15)), float(rng.uniform(60, 297 - h - 20))
    note = fc.note(rng, x, y, w, h, colour, float(rng.uniform(-4, 4)))
    m = 4.0
    note = {**note, "x": note["x"] + m, "y": note["y"] + m}
    with_note = Synth(scan(fc, rng, skew=0.3), dpi, "with_note", blank=False, notes=[note], skew_deg=0.3)
    fc.img = plain
    removed = Synth(scan(fc, rng, skew=-0.6, margin_mm=5.0), dpi, "note_removed", blank=False, skew_deg=-0.6)
    return with_note, removed


SMALL_MARKS = ("digit", "digit-blue", "initials", "tick", "pencil-digit")


def small_mark_back(seed: int, dpi: int, mark: str, *, border: bool = False) -> np.ndarray:
    """A blank back (scanstation.samplepages) carrying one small mark a person would keep: an 8-pt page
    number, initials, a tick, a pencilled digit. RGB pixels at ``dpi``."""
    from PIL import Image, ImageDraw

    from scanstation import samplepages as sp

    rng = np.random.default_rng(seed)
    p = sp.back_page(seed=seed, kind="blank", dpi=dpi, scanner_border=border)
    im = Image.fromarray(p.image.copy())
    d = ImageDraw.Draw(im)
    h, w = p.image.shape[:2]
    x, y = int(rng.uniform(0.15, 0.8) * w), int(rng.uniform(0.1, 0.9) * h)
    digit = str(int(rng.integers(0, 10)))
    s = dpi / 25.4
    if mark == "digit":
        d.text((x, y), digit, fill=(28, 28, 32), font=sp._font(sp._SERIF, sp._pt(8, dpi)))
    elif mark == "digit-blue":
        d.text((x, y), digit, fill=(24, 52, 170), font=sp._font(sp._SANS, sp._pt(8, dpi)))
    elif mark == "initials":
        d.text((x, y), "N.H", fill=(24, 52, 170), font=sp._font(sp._SANS_ITALIC, sp._pt(9, dpi)))
    elif mark == "tick":
        d.line([(x, y), (x + 2 * s, y + 2.5 * s), (x + 6 * s, y - 3 * s)], fill=(30, 30, 120),
               width=max(1, round(0.3 * s)))
    elif mark == "pencil-digit":
        d.text((x, y), digit, fill=(140, 140, 142), font=sp._font(sp._SANS, sp._pt(9, dpi)))
    else:
        raise ValueError(mark)
    return np.ascontiguousarray(np.asarray(im))
