"""The station's calibration target: its nominal layout in mm (``target.json``) and its artwork (``target.pdf``).

One A4 (or Letter) sheet, printed at 100 %: six ArUco markers at known positions (geometry, orientation,
which target it is), a 16-step grey wedge, eight colour patches, a dark square turned 5° whose left and
top sides are the two slanted edges, two printed bars to check the print with a ruler, and a large
unprinted field (paper white: noise, uniformity, streaks). Positions are in mm from the paper's top-left
corner, x to the right, y down.

The artwork is a raster drawn at 600 dpi (what office printers print), so the PDF and the virtual
scanner's sheet are the same pixels; edges are anti-aliased polygons placed to 1/256 px.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from scanstation.calibrate._colour import lab_to_srgb8, srgb8_to_lab
from scanstation.calibrate.errors import TargetFileError

LAYOUT_VERSION = 1
KIND = "scanstation-calibration-target"
MM_PER_INCH = 25.4
ARTWORK_DPI = 600
PAPERS_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
#: First marker id per paper: a Letter target measured with the A4 layout is recognised, not misread.
MARKER_BASE = {"A4": 0, "Letter": 10}
ARUCO_DICTIONARY = "DICT_4X4_50"
MARKER_MM = 14.0
MARKER_INSET_MM = 8.0
WEDGE_STEPS = 16
#: Colour patches: ColorChecker-like sRGB values (skin, sky, foliage, primaries) common in documents' seals,
#: photos and ink.
COLOURS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("dark skin", (115, 82, 68)), ("light skin", (194, 150, 130)), ("blue sky", (98, 122, 157)),
    ("foliage", (87, 108, 67)), ("red", (175, 54, 60)), ("green", (70, 148, 73)), ("blue", (56, 61, 150)),
    ("yellow", (231, 199, 31)),
)
EDGE_ANGLE_DEG = 5.0
EDGE_DARK_SRGB = 96        # ~4:1 reflectance contrast against paper (ISO 12233 e-SFR), no clipping


@dataclass(frozen=True)
class Marker:
    id: int
    where: str                                      # top-left, top-right, middle-left, ... (how it is fed)
    box_mm: tuple[float, float, float, float]       # x, y, w, h

    @property
    def centre_mm(self) -> tuple[float, float]:
        x, y, w, h = self.box_mm
        return (x + w / 2, y + h / 2)


@dataclass(frozen=True)
class Patch:
    name: str
    box_mm: tuple[float, float, float, float]
    srgb: tuple[int, int, int]
    lab: tuple[float, float, float]                 # nominal CIELAB (D65) of the sRGB value


@dataclass(frozen=True)
class Edge:
    name: str                                       # "vertical" (≈5° off) or "horizontal" (≈5° off)
    centre_mm: tuple[float, float]
    angle_deg: float                                # from the vertical / horizontal, clockwise on screen
    along_mm: float                                 # length of edge to use (away from the corners)
    across_mm: float                                # half-width of the region across the edge


@dataclass(frozen=True)
class TargetLayout:
    """Nominal geometry of one target; what ``target.json`` holds."""

    paper: str
    size_mm: tuple[float, float]
    markers: tuple[Marker, ...]
    wedge: tuple[Patch, ...]
    colours: tuple[Patch, ...]
    edges: tuple[Edge, ...]
    square: dict[str, Any]                          # the dark square: centre_mm, side_mm, angle_deg, srgb
    field_mm: tuple[float, float, float, float]     # the unprinted field
    rulers: tuple[dict[str, Any], ...] = ()
    version: int = LAYOUT_VERSION
    dictionary: str = ARUCO_DICTIONARY
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def marker_ids(self) -> tuple[int, ...]:
        return tuple(m.id for m in self.markers)

    def marker(self, marker_id: int) -> Marker | None:
        return next((m for m in self.markers if m.id == marker_id), None)

    def to_dict(self) -> dict[str, Any]:
        def patch(p: Patch) -> dict[str, Any]:
            return {"name": p.name, "box_mm": list(p.box_mm), "srgb": list(p.srgb),
                    "lab": [round(v, 2) for v in p.lab]}
        return {
            "version": self.version, "kind": KIND, "paper": self.paper, "size_mm": list(self.size_mm),
            "artwork_dpi": ARTWORK_DPI,
            "aruco": {"dictionary": self.dictionary,
                      "markers": [{"id": m.id, "where": m.where, "box_mm": list(m.box_mm)} for m in self.markers]},
            "wedge": [patch(p) for p in self.wedge],
            "colours": [patch(p) for p in self.colours],
            "edges": [{"name": e.name, "centre_mm": [round(v, 3) for v in e.centre_mm], "angle_deg": e.angle_deg,
                       "along_mm": e.along_mm, "across_mm": e.across_mm} for e in self.edges],
            "square": self.square, "field_mm": list(self.field_mm), "rulers": list(self.rulers),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "target.json") -> TargetLayout:
        """Read a ``target.json``; a file that is not one raises :class:`TargetFileError` naming what is wrong."""
        if not isinstance(d, dict) or d.get("kind") != KIND:
            raise TargetFileError(f"{source} is not a scan station calibration target description",
                                  f"{source} không phải tệp mô tả bảng hiệu chuẩn của trạm quét", field="target")
        if d.get("version") != LAYOUT_VERSION:
            raise TargetFileError(f"{source}: target version {d.get('version')} is not supported "
                                  f"(this station reads version {LAYOUT_VERSION})",
                                  f"{source}: phiên bản bảng hiệu chuẩn {d.get('version')} không được hỗ trợ",
                                  field="target")
        try:
            def patch(p: dict) -> Patch:
                return Patch(str(p["name"]), _box(p["box_mm"]), tuple(int(v) for v in p["srgb"]),  # type: ignore[arg-type]
                             tuple(float(v) for v in p["lab"]))  # type: ignore[arg-type]
            return cls(
                paper=str(d["paper"]), size_mm=(float(d["size_mm"][0]), float(d["size_mm"][1])),
                markers=tuple(Marker(int(m["id"]), str(m["where"]), _box(m["box_mm"]))
                              for m in d["aruco"]["markers"]),
                wedge=tuple(patch(p) for p in d["wedge"]), colours=tuple(patch(p) for p in d["colours"]),
                edges=tuple(Edge(str(e["name"]), (float(e["centre_mm"][0]), float(e["centre_mm"][1])),
                                 float(e["angle_deg"]), float(e["along_mm"]), float(e["across_mm"]))
                            for e in d["edges"]),
                square=dict(d["square"]), field_mm=_box(d["field_mm"]), rulers=tuple(d.get("rulers", ())),
                dictionary=str(d["aruco"]["dictionary"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise TargetFileError(f"{source} is incomplete or damaged ({type(e).__name__}: {e})",
                                  f"{source} thiếu thông tin hoặc bị hỏng", field="target") from e


def _box(v) -> tuple[float, float, float, float]:
    x, y, w, h = (float(t) for t in v)
    return (x, y, w, h)


def load_layout(path: str | Path) -> TargetLayout:
    import json

    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise TargetFileError(f"Cannot read the target description {p}: {e}",
                              f"Không đọc được tệp mô tả bảng hiệu chuẩn {p}", field="target") from e
    return TargetLayout.from_dict(data, str(p))


def _rot(v: tuple[float, float], deg: float) -> tuple[float, float]:
    t = math.radians(deg)
    return (v[0] * math.cos(t) - v[1] * math.sin(t), v[0] * math.sin(t) + v[1] * math.cos(t))


def make_layout(paper: str = "A4") -> TargetLayout:
    """The nominal layout of the station target for ``paper`` (A4 or Letter)."""
    if paper not in PAPERS_MM:
        raise TargetFileError(f"No calibration target for paper '{paper}'; valid: {', '.join(PAPERS_MM)}",
                              f"Không có bảng hiệu chuẩn cho khổ giấy '{paper}'; hợp lệ: {', '.join(PAPERS_MM)}",
                              field="paper")
    W, H = PAPERS_MM[paper]
    base = MARKER_BASE[paper]
    m, s = MARKER_INSET_MM, MARKER_MM
    xl, xr = m, W - m - s
    yt, ym, yb = m, 112.0, H - m - s
    markers = tuple(Marker(base + i, where, (x, y, s, s)) for i, (where, x, y) in enumerate((
        ("top-left", xl, yt), ("top-right", xr, yt), ("middle-left", xl, ym), ("middle-right", xr, ym),
        ("bottom-left", xl, yb), ("bottom-right", xr, yb))))
    # grey wedge: 16 steps evenly spaced in L* from 95 to 8 (darker than a scanner's black at the end)
    step_w, wedge_h, wedge_y = 11.0, 14.0, 28.0
    x0 = (W - WEDGE_STEPS * step_w) / 2
    wedge = []
    for i, L in enumerate(np.linspace(95.0, 8.0, WEDGE_STEPS)):
        g = int(lab_to_srgb8([L, 0.0, 0.0])[0])
        lab = tuple(float(v) for v in srgb8_to_lab([g, g, g]))
        wedge.append(Patch(f"step {i + 1}", (x0 + i * step_w, wedge_y, step_w, wedge_h), (g, g, g), lab))  # type: ignore[arg-type]
    cw, ch, cy = 20.0, 12.0, 46.0
    cx0 = (W - len(COLOURS) * cw) / 2
    colours = tuple(Patch(name, (cx0 + i * cw, cy, cw, ch), rgb, tuple(float(v) for v in srgb8_to_lab(rgb)))  # type: ignore[arg-type]
                    for i, (name, rgb) in enumerate(COLOURS))
    sq_c, sq_s = (45.0, 84.0), 28.0
    left_mid = _rot((-sq_s / 2, 0.0), EDGE_ANGLE_DEG)
    top_mid = _rot((0.0, -sq_s / 2), EDGE_ANGLE_DEG)
    edges = (
        Edge("vertical", (sq_c[0] + left_mid[0], sq_c[1] + left_mid[1]), EDGE_ANGLE_DEG, 14.0, 4.0),
        Edge("horizontal", (sq_c[0] + top_mid[0], sq_c[1] + top_mid[1]), EDGE_ANGLE_DEG, 14.0, 4.0),
    )
    square = {"centre_mm": list(sq_c), "side_mm": sq_s, "angle_deg": EDGE_ANGLE_DEG,
              "srgb": [EDGE_DARK_SRGB] * 3}
    rulers = ({"name": "horizontal", "from_mm": [30.0, 110.0], "length_mm": 150.0},
              {"name": "vertical", "from_mm": [W - 12.5, 26.0], "length_mm": 80.0})
    field_mm = (0.0, 132.0, W, yb - 5.0 - 132.0)
    return TargetLayout(paper=paper, size_mm=(W, H), markers=markers, wedge=tuple(wedge), colours=colours,
                        edges=edges, square=square, field_mm=field_mm, rulers=rulers)


# ------------------------------------------------------------------------------------------------
# artwork
# ------------------------------------------------------------------------------------------------
_SHIFT = 8   # cv2 polygon coordinates in 1/256 px


def _font(px: int, bold: bool = False):
    from PIL import ImageFont

    names = ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf") if bold else ("NotoSans-Regular.ttf", "DejaVuSans.ttf")
    for d in ("/usr/share/fonts/truetype/noto/", "/usr/share/fonts/truetype/dejavu/", "C:/Windows/Fonts/"):
        for n in names:
            try:
                return ImageFont.truetype(d + n, px)
            except OSError:
                continue
    for n in ("arialbd.ttf" if bold else "arial.ttf",):
        try:
            return ImageFont.truetype(n, px)
        except OSError:
            pass
    return ImageFont.load_default(px)


def render_target(layout: TargetLayout, dpi: int = ARTWORK_DPI) -> np.ndarray:
    """The target's artwork as an RGB uint8 image at ``dpi`` (pixel (0, 0) at the paper's top-left corner).

    A point (x, y) mm is at pixel coordinates (x·dpi/25.4 − 0.5, y·dpi/25.4 − 0.5) (pixel centres are whole
    numbers), exactly: the virtual scanner and the tests rely on it.
    """
    from PIL import Image, ImageDraw

    k = dpi / MM_PER_INCH
    W, H = round(layout.size_mm[0] * k), round(layout.size_mm[1] * k)
    pil = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(pil)

    def px(x_mm: float, y_mm: float) -> tuple[float, float]:
        return (x_mm * k - 0.5, y_mm * k - 0.5)

    def text(x_mm: float, y_mm: float, s: str, size_pt: float, bold: bool = False, anchor: str = "la",
             fill=(0, 0, 0)) -> None:
        draw.text(px(x_mm, y_mm), s, font=_font(max(6, round(size_pt / 72 * dpi)), bold), fill=fill, anchor=anchor)

    W_mm, H_mm = layout.size_mm
    mid = W_mm / 2
    text(mid, 10.0, "BẢNG HIỆU CHUẨN MÁY QUÉT · SCANNER CALIBRATION TARGET", 11, bold=True, anchor="ma")
    text(mid, 15.5, f"scanstation v{layout.version} · {layout.paper} · In đúng 100 % (không co giãn) · "
         "Print at 100 % (actual size)", 7.5, anchor="ma")
    text(mid, 19.5, "Cạnh này vào máy trước, mặt in quay về phía đầu quét · Feed this edge first, printed side "
         "to the sensor", 6.5, anchor="ma", fill=(160, 0, 0))
    text(layout.wedge[0].box_mm[0], 43.0, "Thang xám 16 bậc · 16-step grey wedge", 6, anchor="la")
    text(87.0, 68.0, "ĐẦU TRANG · TOP", 14, bold=True, fill=(160, 0, 0))
    text(80.0, 75.5, "MẶT IN · PRINTED SIDE", 10, bold=True)
    for i, line in enumerate((
            "Cạnh nghiêng 5° (độ nét MTF), vùng giấy trắng phía dưới (nhiễu, độ đều, vệt dọc):",
            "không viết, không gấp, không ghim. Giữ bảng sạch, phẳng, trong bìa.",
            "Slanted edges (sharpness), blank field below (noise, uniformity, streaks):",
            "do not write on, fold or staple it. Keep it clean and flat, in a sleeve.",
            "Kiểm tra bản in bằng thước: hai vạch đen dài đúng như ghi · Check the print: the bars",
            "are exactly as long as labelled (a printer that scales breaks the measurement).")):
        text(80.0, 82.0 + i * 3.6, line, 6)

    img = np.array(pil)
    del pil, draw

    def poly(pts_mm: list[tuple[float, float]], colour) -> None:
        pts = np.array([px(x, y) for x, y in pts_mm], np.float64) * (1 << _SHIFT)
        cv2.fillPoly(img, [np.round(pts).astype(np.int32)], tuple(int(c) for c in colour), cv2.LINE_AA, _SHIFT)

    def rect(box: tuple[float, float, float, float], colour) -> None:
        x, y, w, h = box
        poly([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], colour)

    aruco = cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, layout.dictionary))
    for m in layout.markers:
        cells = 4 + 2                                # 4x4 bits inside a one-module black border
        bits = cv2.aruco.generateImageMarker(aruco, m.id, cells)
        x, y, w, _ = m.box_mm
        cell = w / cells
        rect(m.box_mm, (0, 0, 0))
        for r in range(cells):
            for c in range(cells):
                if bits[r, c] > 127:
                    rect((x + c * cell, y + r * cell, cell, cell), (255, 255, 255))
    for p in (*layout.wedge, *layout.colours):
        rect(p.box_mm, p.srgb)
    sq = layout.square
    (cx, cy), half = sq["centre_mm"], sq["side_mm"] / 2
    corners = [_rot(v, sq["angle_deg"]) for v in ((-half, -half), (half, -half), (half, half), (-half, half))]
    poly([(cx + dx, cy + dy) for dx, dy in corners], tuple(sq["srgb"]))
    poly([(80.0, 73.5), (83.0, 68.0), (86.0, 73.5)], (160, 0, 0))         # "this edge up / first"
    for r in layout.rulers:
        (x, y), L = r["from_mm"], r["length_mm"]
        if r["name"] == "horizontal":
            rect((x, y, L, 0.5), (0, 0, 0))
            rect((x, y - 2.0, 0.3, 4.5), (0, 0, 0))
            rect((x + L - 0.3, y - 2.0, 0.3, 4.5), (0, 0, 0))
        else:
            rect((x, y, 0.5, L), (0, 0, 0))
            rect((x - 2.0, y, 4.5, 0.3), (0, 0, 0))
            rect((x - 2.0, y + L - 0.3, 4.5, 0.3), (0, 0, 0))
    # the bars' labels go on after the polygons (PIL again, on the finished raster)
    pil2 = Image.fromarray(img)
    draw = ImageDraw.Draw(pil2)
    for r in layout.rulers:
        (x, y), L = r["from_mm"], r["length_mm"]
        if r["name"] == "horizontal":
            text(x + L / 2, y - 1.0, f"{L:g} mm (vạch ngang · horizontal bar)", 6, anchor="md")
        else:
            text(x - 3.0, y + L / 2, f"{L:g} mm", 6, anchor="rm")
    for m in layout.markers:
        x, y, w, h = m.box_mm
        text(x + w / 2, y + h + 0.6, f"#{m.id}", 5, anchor="ma", fill=(90, 90, 90))
    fx, fy, fw, fh = layout.field_mm
    text(fx + fw / 2, fy - 2.0, "Vùng giấy trắng: không viết lên · Blank field: keep it clean", 6, anchor="md",
         fill=(90, 90, 90))
    text(W_mm / 2, H_mm - 12.0, f"marker ids {layout.marker_ids[0]}-{layout.marker_ids[-1]} · {layout.paper} "
         f"{W_mm:g} × {H_mm:g} mm", 5.5, anchor="ma", fill=(90, 90, 90))
    return np.array(pil2)


def png_bytes(img: np.ndarray, dpi: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG", dpi=(dpi, dpi), compress_level=6)
    return buf.getvalue()


def target_png(layout: TargetLayout) -> bytes:
    """The artwork as a 600-dpi PNG: the sheet the virtual scanner feeds (``--option sheet-image=...``)."""
    return png_bytes(render_target(layout, ARTWORK_DPI), ARTWORK_DPI)


def make_target(paper: str = "A4") -> tuple[bytes, TargetLayout]:
    """The printable target: ``(pdf_bytes, layout)``. The PDF holds the 600-dpi artwork, one page of the
    paper's exact size, to be printed at 100 % ("actual size")."""
    import img2pdf

    layout = make_layout(paper)
    art = render_target(layout, ARTWORK_DPI)
    pdf = img2pdf.convert(png_bytes(art, ARTWORK_DPI), layout_fun=img2pdf.get_fixed_dpi_layout_fun((ARTWORK_DPI,) * 2),
                          title="Scan station calibration target", creator="scanstation")
    return pdf, layout

