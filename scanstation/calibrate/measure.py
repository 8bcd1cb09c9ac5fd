"""Measure a scan of the station target: delivered resolution in X and Y, skew, tone, white balance, colour,
noise, sharpness (MTF from the slanted edges), illumination uniformity and streaks; check against limits.

Geometry comes from the ArUco markers: their centres (a bias of the corner finder is the same on every
corner of a marker and cancels in its centre) are fitted to their nominal positions in mm by an affine
map A. Scanner errors live in the scan's own axes (X along the sensor, Y along the transport), so A's
linear part is read as S·R: the length of its first row is the pixels per mm delivered along X, of its
second row along Y, and the rotation R is the skew.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from scanstation.calibrate._colour import delta_e_2000, grey_level_to_L, srgb8_to_lab
from scanstation.calibrate.errors import (
    TargetFileError,
    TargetIncomplete,
    TargetMirrored,
    TargetNotFound,
    TargetRotated,
    WrongTarget,
)
from scanstation.calibrate.sfr import slanted_edge_sfr
from scanstation.calibrate.target import MARKER_BASE, MM_PER_INCH, TargetLayout, make_layout
from scanstation.calibrate.tolerances import STREAK_DETECT_DELTA_L, Tolerances
from scanstation.errors import UnreadableImageError

STANDARD_DPIS = (75, 100, 150, 200, 240, 300, 400, 600, 1200)
DETECT_DPI = 150             # markers are found on a copy at about this resolution (fast, still ~0.1 px)
LOW_DPI = 200                # below this the tone and MTF figures are less reliable
STREAK_MAX_WIDTH_MM = 2.0    # wider than this is shading, not a line of dust


@dataclass(frozen=True)
class Reference:
    """What the printed patches should read as (CIELAB): the scanner's baseline measurement, values IT staff
    measured on the print with an instrument, or the design values (a perfect print; the virtual scanner)."""

    wedge_lab: tuple[tuple[float, float, float], ...]
    colour_lab: tuple[tuple[float, float, float], ...] | None
    source: str                           # baseline | measured | nominal

    @classmethod
    def nominal(cls, layout: TargetLayout) -> Reference:
        return cls(tuple(p.lab for p in layout.wedge), tuple(p.lab for p in layout.colours), "nominal")

    @classmethod
    def from_dict(cls, d: dict[str, Any], layout: TargetLayout, source: str = "reference") -> Reference:
        """From a measurement's ``to_dict()`` (a baseline) or ``{"wedge": [[L,a,b], ...], "colours": [...]}``
        (values measured on the print)."""
        try:
            if "tone" in d:
                wedge = [(s["L"], s["a"], s["b"]) for s in d["tone"]["steps"]]
                colours = [(c["L"], c["a"], c["b"]) for c in d.get("colours", [])] or None
                kind = "baseline"
            else:
                wedge = [tuple(v) for v in d["wedge"]]
                colours = [tuple(v) for v in d["colours"]] if d.get("colours") else None
                kind = "measured"
            w = tuple((float(a), float(b), float(c)) for a, b, c in wedge)
            c = tuple((float(a), float(b), float(cc)) for a, b, cc in colours) if colours else None
        except (KeyError, TypeError, ValueError) as e:
            raise TargetFileError(f"{source}: not a measurement nor a list of patch values ({e})",
                                  f"{source}: không phải kết quả đo hay danh sách giá trị ô màu",
                                  field="reference") from e
        if len(w) != len(layout.wedge) or (c is not None and len(c) != len(layout.colours)):
            raise TargetFileError(
                f"{source}: {len(w)} grey steps and {len(c or ())} colours; the target has "
                f"{len(layout.wedge)} and {len(layout.colours)}",
                f"{source}: số ô không khớp với bảng hiệu chuẩn", field="reference")
        return cls(w, c, kind)


@dataclass
class Check:
    name: str
    value: float | None
    limit: float
    verdict: str                          # pass | warn | fail | skip
    unit: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "limit": self.limit, "verdict": self.verdict,
                "unit": self.unit, "source": self.source}


@dataclass
class Streak:
    x_px: int
    width_px: int
    contrast: float                       # ΔL* against the paper around it (negative: a dark line)

    def to_dict(self) -> dict[str, Any]:
        return {"x_px": self.x_px, "width_px": self.width_px, "contrast": self.contrast}


@dataclass
class Measurement:
    file: str | None
    width: int
    height: int
    nominal_dpi: float
    markers_found: int
    markers_expected: int
    dpi_x: float
    dpi_y: float
    scale_error_x_pct: float
    scale_error_y_pct: float
    skew_deg: float
    shear_deg: float
    fit_residual_px: float
    tone_steps: list[dict[str, Any]]
    delta_L_max: float | None
    reference: str | None
    white_balance_delta_ab: float | None
    colours: list[dict[str, Any]]
    colour_delta_e_mean: float | None
    noise_L_rms: float | None
    mtf50_cycles_per_px: float | None
    sampling_efficiency_pct: float | None
    edges: list[dict[str, Any]]
    uniformity_pct: float | None
    paper_L: float | None
    streaks: list[Streak]
    checks: list[Check] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    verdict: str = "pass"
    transform: list[list[float]] = field(default_factory=list)   # mm -> px, 2x3

    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == "fail"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "width": self.width, "height": self.height, "nominal_dpi": self.nominal_dpi,
            "markers_found": self.markers_found, "markers_expected": self.markers_expected,
            "dpi_x": self.dpi_x, "dpi_y": self.dpi_y,
            "scale_error_x_pct": self.scale_error_x_pct, "scale_error_y_pct": self.scale_error_y_pct,
            "skew_deg": self.skew_deg, "shear_deg": self.shear_deg, "fit_residual_px": self.fit_residual_px,
            "tone": {"steps": self.tone_steps, "delta_L_max": self.delta_L_max, "reference": self.reference},
            "white_balance_delta_ab": self.white_balance_delta_ab,
            "colours": self.colours, "colour_delta_e_mean": self.colour_delta_e_mean,
            "noise_L_rms": self.noise_L_rms, "mtf50_cycles_per_px": self.mtf50_cycles_per_px,
            "sampling_efficiency_pct": self.sampling_efficiency_pct, "edges": self.edges,
            "uniformity_pct": self.uniformity_pct, "paper_L": self.paper_L,
            "streaks": [s.to_dict() for s in self.streaks],
            "checks": [c.to_dict() for c in self.checks], "warnings": self.warnings, "verdict": self.verdict,
            "transform_mm_to_px": self.transform,
        }


# ------------------------------------------------------------------------------------------------
def load_image(path: str | Path) -> tuple[np.ndarray, float | None]:
    """(RGB or grey uint8 pixels, dpi from the file or None). Unreadable files raise UnreadableImageError."""
    from PIL import Image

    p = Path(path)
    try:
        buf = np.fromfile(p, np.uint8)
        img = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if buf.size else None
    except OSError:
        img = None
    if img is None:
        raise UnreadableImageError(f"{p}: not a readable image (missing, empty or damaged)",
                                   f"{p}: không đọc được ảnh (không có, rỗng hoặc hỏng)", field=str(p))
    if img.dtype != np.uint8:
        img = (img / 257.0 + 0.5).astype(np.uint8) if img.dtype == np.uint16 else img.astype(np.uint8)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGB if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    dpi = None
    try:
        with Image.open(p) as im:
            d = im.info.get("dpi")
            if d and float(d[0]) > 1:
                dpi = float(d[0])
    except OSError:
        pass
    return img, dpi


def _warning(code: str, en: str, vi: str) -> dict[str, str]:
    return {"code": code, "message_en": en, "message_vi": vi}


def _detect(grey: np.ndarray, f: float, dictionary: str):
    work = cv2.resize(grey, (0, 0), fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else grey
    params = cv2.aruco.DetectorParameters()
    params.cornerRefinementMethod = cv2.aruco.CORNER_REFINE_SUBPIX
    det = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, dictionary)), params)
    corners, ids, _ = det.detectMarkers(work)
    found: dict[int, np.ndarray] = {}
    if ids is not None:
        for c, i in zip(corners, ids.ravel()):
            pts = c.reshape(4, 2).astype(np.float64)
            if f < 1:
                pts = (pts + 0.5) / f - 0.5
            found.setdefault(int(i), pts)
    return found, work


def _marker_turn(pts: np.ndarray) -> float:
    """Rotation of one marker in the image from its corner order (0 = upright), degrees."""
    v = pts[1] - pts[0]
    return math.degrees(math.atan2(v[1], v[0]))


def _orientation_error(turn: float, found: list[str]) -> TargetRotated:
    t = (turn + 360) % 360
    if 135 <= t <= 225:
        return TargetRotated(
            "The target was fed upside down (turned 180°): feed it with the red arrow edge "
            "(ĐẦU TRANG / TOP) first, printed side towards the sensor",
            "Bảng hiệu chuẩn bị đưa ngược (xoay 180°): đưa cạnh có mũi tên đỏ (ĐẦU TRANG) vào trước, "
            "mặt in quay về phía đầu quét", rotation_deg=180, markers=found)
    side = 90 if 45 < t < 135 else 270
    return TargetRotated(
        f"The target lies sideways (turned {side}°): it must go in portrait, the red arrow edge "
        "(ĐẦU TRANG / TOP) first",
        f"Bảng hiệu chuẩn bị đặt ngang (xoay {side}°): đặt dọc, cạnh có mũi tên đỏ (ĐẦU TRANG) vào trước",
        rotation_deg=side, markers=found)


def _fit(layout: TargetLayout, found: dict[int, np.ndarray]):
    ids = [i for i in layout.marker_ids if i in found]
    src = np.array([layout.marker(i).centre_mm for i in ids], np.float64)  # type: ignore[union-attr]
    dst = np.array([found[i].mean(axis=0) for i in ids], np.float64)
    X = np.hstack([src, np.ones((len(ids), 1))])
    sol, *_ = np.linalg.lstsq(X, dst, rcond=None)
    A = sol.T                                                               # 2x3: px = A @ [x_mm, y_mm, 1]
    resid = float(np.abs(X @ sol - dst).max()) if len(ids) > 3 else 0.0
    return A, resid


def _inner_box(A: np.ndarray, box_mm, shrink_mm: float, shape) -> tuple[int, int, int, int] | None:
    """Axis-aligned pixel box inside the (turned) image of ``box_mm`` shrunk by ``shrink_mm``; None when empty."""
    x, y, w, h = box_mm
    x0, y0, x1, y1 = x + shrink_mm, y + shrink_mm, x + w - shrink_mm, y + h - shrink_mm
    if x1 <= x0 or y1 <= y0:
        return None
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x1, y1, 1], [x0, y1, 1]], np.float64) @ A.T
    xs = sorted(pts[:, 0])
    ys = sorted(pts[:, 1])
    bx0, bx1 = math.ceil(xs[1]), math.floor(xs[2])
    by0, by1 = math.ceil(ys[1]), math.floor(ys[2])
    H, W = shape[:2]
    bx0, by0, bx1, by1 = max(bx0, 0), max(by0, 0), min(bx1, W - 1), min(by1, H - 1)
    if bx1 - bx0 < 3 or by1 - by0 < 3:
        return None
    return bx0, by0, bx1 + 1, by1 + 1


def _rgb_mean(img: np.ndarray, box) -> np.ndarray:
    x0, y0, x1, y1 = box
    region = img[y0:y1, x0:x1]
    if region.ndim == 2:
        m = float(region.mean())
        return np.array([m, m, m])
    return region.reshape(-1, 3).mean(axis=0)


def _streaks(grey_field: np.ndarray, x_offset: int, px_per_mm: float) -> tuple[list[Streak], np.ndarray]:
    profile = cv2.reduce(grey_field, 0, cv2.REDUCE_AVG, dtype=cv2.CV_32F).ravel().astype(np.float64)
    lut = grey_level_to_L(np.arange(256))
    Lp = np.interp(profile, np.arange(256), lut)
    win = max(15, int(round(6 * px_per_mm)) | 1)                              # ~6 mm: wider than any line
    padded = np.pad(Lp, win // 2, mode="edge")
    base = np.median(np.lib.stride_tricks.sliding_window_view(padded, win), axis=1)
    r = Lp - base
    mad = float(np.median(np.abs(r - np.median(r))))
    thr = max(STREAK_DETECT_DELTA_L, 8 * 1.4826 * mad)
    hit = np.abs(r) >= thr
    out: list[Streak] = []
    max_w = max(3, int(round(STREAK_MAX_WIDTH_MM * px_per_mm)))
    i, n = 0, len(r)
    masked = np.zeros(n, bool)
    while i < n:
        if not hit[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and (hit[j + 1] or (j + 2 < n and hit[j + 2])):
            j += 1
        seg = slice(i, j + 1)
        peak_i = i + int(np.argmax(np.abs(r[seg])))
        peak = float(r[peak_i])
        # width: the run where the difference stays above half the peak, with the same sign
        a = b = peak_i
        while a - 1 >= 0 and r[a - 1] * np.sign(peak) >= abs(peak) / 2:
            a -= 1
        while b + 1 < n and r[b + 1] * np.sign(peak) >= abs(peak) / 2:
            b += 1
        width = b - a + 1
        if width <= max_w:
            w = np.abs(r[a:b + 1])
            centre = float((np.arange(a, b + 1) * w).sum() / w.sum())
            out.append(Streak(int(round(centre)) + x_offset, int(width), round(peak, 2)))
            masked[max(0, a - 2):b + 3] = True
        i = j + 1
    return out, masked


def measure(image: str | Path | np.ndarray, layout: TargetLayout | None = None,
            tolerances: Tolerances | None = None, *, dpi: float | None = None,
            reference: Reference | None = None, file: str | None = None) -> Measurement:
    """Measure one scan of the target (a file, or RGB/grey uint8 pixels).

    ``dpi`` is the resolution the scanner was asked for (default: the file's own, else the nearest usual
    value, with a warning). ``reference`` gives what the patches should read (baseline, measured print or
    nominal); without it tone and colour are reported but not checked. A scan that is not the target, is
    cut off, upside down, sideways or mirrored raises a :class:`CalibrationError` saying what was found.
    """
    layout = layout or make_layout("A4")
    tolerances = tolerances or Tolerances()
    if isinstance(image, np.ndarray):
        img, file_dpi = image, None
    else:
        img, file_dpi = load_image(image)
        file = file or str(image)
    if img.dtype != np.uint8 or img.ndim not in (2, 3):
        raise UnreadableImageError("the image must be 8-bit grey or RGB", "ảnh phải là ảnh xám hoặc màu 8 bit",
                                   field=file or "image")
    warnings: list[dict[str, str]] = []
    grey = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    H, W = grey.shape
    guess = dpi or file_dpi or W / (layout.size_mm[0] / MM_PER_INCH)
    f = min(1.0, DETECT_DPI / guess) if guess > DETECT_DPI * 1.3 else 1.0
    found, work = _detect(grey, f, layout.dictionary)
    name = file or "image"
    expected = set(layout.marker_ids)
    ours = {i: p for i, p in found.items() if i in expected}
    where = [layout.marker(i).where for i in sorted(ours)]  # type: ignore[union-attr]

    if not ours:
        other_papers = [p for p, b in MARKER_BASE.items() if any(b <= i < b + len(layout.markers) for i in found)]
        if other_papers and other_papers[0] != layout.paper:
            raise WrongTarget(
                f"{name}: this is the station's {other_papers[0]} target; measure it with its own target.json "
                f"(the one given is for {layout.paper})",
                f"{name}: đây là bảng hiệu chuẩn khổ {other_papers[0]}; hãy dùng tệp target.json của nó "
                f"(tệp đã cho là khổ {layout.paper})", field="target")
        mirrored, _ = _detect(cv2.flip(work, 1), 1.0, layout.dictionary)
        if any(i in expected for i in mirrored):
            raise TargetMirrored(
                f"{name}: the target is mirrored: the back of the sheet was scanned with the print showing "
                "through (fed face down), or the driver flipped the image. Turn the sheet over so the printed "
                "side faces the sensor",
                f"{name}: ảnh bảng hiệu chuẩn bị lật gương: máy đã quét mặt sau của tờ giấy (đặt úp mặt in) "
                "hoặc trình điều khiển lật ảnh. Lật tờ lại để mặt in quay về phía đầu quét", field=file)
        raise TargetNotFound(
            f"{name}: no marker of the calibration target found: this is another document, the blank back "
            f"of the target (fed face down), or a scan below 100 dpi. Print target.pdf at 100 % and feed it "
            "printed side towards the sensor, red arrow edge first",
            f"{name}: không tìm thấy dấu định vị của bảng hiệu chuẩn: đây là tài liệu khác, mặt sau trắng của "
            "bảng (đặt úp), hoặc ảnh quét dưới 100 dpi. In target.pdf đúng 100 % và đưa mặt in về phía đầu "
            "quét, cạnh có mũi tên đỏ vào trước", field=file)

    turns = [_marker_turn(p) for p in ours.values()]
    turn = math.degrees(math.atan2(np.mean(np.sin(np.radians(turns))), np.mean(np.cos(np.radians(turns)))))
    if abs(turn) > 45:
        raise _orientation_error(turn, where)
    centres = np.array([layout.marker(i).centre_mm for i in ours])  # type: ignore[union-attr]
    spread = centres.max(axis=0) - centres.min(axis=0) if len(ours) else np.zeros(2)
    if len(ours) < 3 or spread[0] < 50 or spread[1] < 50:
        missing = [m.where for m in layout.markers if m.id not in ours]
        raise TargetIncomplete(
            f"{name}: only {len(ours)} of {len(layout.markers)} target markers found "
            f"({', '.join(where) or 'none'}); missing: {', '.join(missing)}. The sheet is cut off, folded or "
            "covered there: feed the whole target, flat",
            f"{name}: chỉ tìm thấy {len(ours)}/{len(layout.markers)} dấu định vị; thiếu: {', '.join(missing)}. "
            "Tờ bị cắt, gấp hoặc che ở đó: đưa cả tờ, phẳng", field=file, found=where, missing=missing)
    A, resid = _fit(layout, ours)
    if np.linalg.det(A[:, :2]) < 0:
        raise TargetMirrored(f"{name}: the target image is mirrored; turn the sheet over or check the driver's "
                             "mirror setting", f"{name}: ảnh bảng hiệu chuẩn bị lật gương", field=file)
    sx, sy = float(np.hypot(*A[0, :2])), float(np.hypot(*A[1, :2]))             # px per mm along X, Y
    t0 = math.degrees(math.atan2(-A[0, 1], A[0, 0]))
    t1 = math.degrees(math.atan2(A[1, 0], A[1, 1]))
    skew, shear = (t0 + t1) / 2, t1 - t0
    dpi_x, dpi_y = sx * MM_PER_INCH, sy * MM_PER_INCH
    nominal = dpi or file_dpi
    if nominal is None:
        nominal = float(min(STANDARD_DPIS, key=lambda v: abs(v - (dpi_x + dpi_y) / 2)))
        warnings.append(_warning("NO_DPI", f"the image does not say its resolution; assumed {nominal:g} dpi",
                                 f"ảnh không ghi độ phân giải; coi là {nominal:g} dpi"))
    elif abs(nominal - round(nominal)) < 0.05:
        nominal = float(round(nominal))
    if nominal < LOW_DPI:
        warnings.append(_warning(
            "LOW_DPI", f"scanned at {nominal:g} dpi: the tone and sharpness figures are less reliable below "
            f"{LOW_DPI} dpi; calibrate at the resolution the counter uses",
            f"quét ở {nominal:g} dpi: số đo tông màu và độ nét kém tin cậy dưới {LOW_DPI} dpi; hãy hiệu chuẩn ở "
            "độ phân giải quầy dùng"))
    if len(ours) < len(layout.markers):
        missing = [m.where for m in layout.markers if m.id not in ours]
        warnings.append(_warning("MARKERS_MISSING", f"measured from {len(ours)} markers; missing: "
                                 f"{', '.join(missing)}", f"đo từ {len(ours)} dấu; thiếu: {', '.join(missing)}"))
    px_per_mm = (sx + sy) / 2
    if resid > max(1.5, 0.001 * float(np.ptp(centres, axis=0).max()) * px_per_mm):
        warnings.append(_warning(
            "UNEVEN_GEOMETRY", f"the markers do not sit on one straight grid (off by up to {resid:.1f} px): the "
            "sheet was not flat or the feed speed varies along the page",
            f"các dấu không nằm trên một lưới thẳng (lệch tới {resid:.1f} px): tờ không phẳng hoặc tốc độ "
            "kéo giấy không đều"))

    # --- tone and colour ---------------------------------------------------------------------------
    colour_img = img.ndim == 3
    patches = []
    for p in (*layout.wedge, *layout.colours):
        box = _inner_box(A, p.box_mm, min(2.5, p.box_mm[2] / 4), img.shape)
        patches.append(_rgb_mean(img, box) if box else np.full(3, np.nan))
    labs = srgb8_to_lab(np.array(patches))
    wl, cl = labs[:len(layout.wedge)], labs[len(layout.wedge):]
    seen = ~np.isnan(labs[:, 0])
    if not seen.all():
        warnings.append(_warning("PATCHES_MISSING", f"{int((~seen).sum())} grey or colour patches are outside the "
                                 "image: tone, white balance and colour come from the rest",
                                 f"{int((~seen).sum())} ô xám hoặc ô màu nằm ngoài ảnh: tông màu, cân bằng trắng và "
                                 "màu sắc chỉ tính từ các ô còn lại"))

    def num(v) -> float | None:
        return None if np.isnan(v) else round(float(v), 2)

    tone_steps: list[dict[str, Any]] = []
    dl_max = wb = de_mean = None
    for i, (p, lab) in enumerate(zip(layout.wedge, wl)):
        st: dict[str, Any] = {"step": i + 1, "nominal_L": round(p.lab[0], 2), "L": num(lab[0]), "a": num(lab[1]),
                              "b": num(lab[2])}
        if reference is not None:
            st["ref_L"] = round(reference.wedge_lab[i][0], 2)
            st["delta_L"] = num(lab[0] - reference.wedge_lab[i][0])
        tone_steps.append(st)
    if reference is not None and any(s["delta_L"] is not None for s in tone_steps):
        dl_max = round(float(max(abs(s["delta_L"]) for s in tone_steps if s["delta_L"] is not None)), 2)
    if colour_img:
        # neutral steps from light grey to near black; the end steps clip on many scanners
        ref_ab = np.array([r[1:] for r in reference.wedge_lab]) if reference else np.zeros((len(wl), 2))
        neutral = [i for i, p in enumerate(layout.wedge) if 15 <= p.lab[0] <= 92 and seen[i]]
        if neutral:
            wb = round(float(np.mean(np.hypot(*(wl[neutral, 1:] - ref_ab[neutral]).T))), 2)
        cseen = seen[len(layout.wedge):]
        if reference is not None and reference.colour_lab and cseen.any():
            de_mean = round(float(np.mean(delta_e_2000(cl[cseen], np.array(reference.colour_lab)[cseen]))), 2)
    colours = [{"name": p.name, "L": num(v[0]), "a": num(v[1]), "b": num(v[2])} for p, v in zip(layout.colours, cl)]

    # --- field: streaks, noise, uniformity -------------------------------------------------------
    streaks: list[Streak] = []
    noise = uni = paper_L = None
    fbox = _inner_box(A, layout.field_mm, 4.0, img.shape)
    if fbox is None:
        warnings.append(_warning("FIELD_MISSING", "the blank field is not in the image: no noise, uniformity "
                                 "or streak figures", "vùng giấy trắng không có trong ảnh: không đo được nhiễu, "
                                 "độ đều và vệt dọc"))
    else:
        x0, y0, x1, y1 = fbox
        streaks, masked = _streaks(grey[y0:y1, x0:x1], x0, px_per_mm)
        cols, rows = 6, 4
        cw, ch = (x1 - x0) / cols, (y1 - y0) / rows
        side = int(min(cw, ch, 8 * px_per_mm))
        samples = []
        for r in range(rows):
            for c in range(cols):
                cx, cy = int(x0 + (c + 0.5) * cw), int(y0 + (r + 0.5) * ch)
                sl = img[cy - side // 2:cy + side // 2, cx - side // 2:cx + side // 2]
                keep = ~masked[cx - side // 2 - x0:cx + side // 2 - x0]
                sl = sl[:, keep]
                samples.append(sl.reshape(-1, 3) if sl.ndim == 3 else np.repeat(sl.reshape(-1, 1), 3, axis=1))
        sizes = [len(s) for s in samples]
        L = srgb8_to_lab(np.concatenate(samples).astype(np.float64))[:, 0]
        parts = np.split(L, np.cumsum(sizes)[:-1])
        stds = [float(p.std()) for p in parts if len(p) > 16]
        means = np.array([float(p.mean()) for p in parts if len(p) > 16])
        if stds:
            noise = round(float(np.median(stds)), 3)
            Y = ((means + 16) / 116) ** 3                       # relative luminance from L* (L* > 8)
            uni = round(float((Y.max() - Y.min()) / Y.mean() * 100), 2)
            paper_L = round(float(means.mean()), 2)

    # --- sharpness --------------------------------------------------------------------------------
    edges_out: list[dict[str, Any]] = []
    lin_lut = None
    for e in layout.edges:
        cx, cy = A @ np.array([e.centre_mm[0], e.centre_mm[1], 1.0])
        al, ac = e.along_mm / 2 * px_per_mm, e.across_mm * px_per_mm
        if e.name == "vertical":
            x0, x1, y0, y1 = int(cx - ac), int(cx + ac), int(cy - al), int(cy + al)
        else:
            x0, x1, y0, y1 = int(cx - al), int(cx + al), int(cy - ac), int(cy + ac)
        res = None
        if x0 >= 0 and y0 >= 0 and x1 <= W and y1 <= H:
            if lin_lut is None:
                from scanstation.calibrate._colour import srgb8_to_linear
                lin_lut = srgb8_to_linear(np.arange(256))
            roi = img[y0:y1, x0:x1]
            lin = lin_lut[roi]
            if lin.ndim == 3:
                lin = lin @ np.array([0.2126, 0.7152, 0.0722])
            res = slanted_edge_sfr(lin if e.name == "vertical" else lin.T)
        edges_out.append({"name": e.name, "angle_deg": round(res.angle_deg, 2) if res else None,
                          "mtf50_cycles_per_px": round(res.mtf50, 4) if res and res.mtf50 else None,
                          "mtf10_cycles_per_px": round(res.mtf10, 4) if res and res.mtf10 else None})
    m50 = [e["mtf50_cycles_per_px"] for e in edges_out if e["mtf50_cycles_per_px"]]
    m10 = [min(e["mtf10_cycles_per_px"] or 0.5, 0.5) for e in edges_out if e["mtf50_cycles_per_px"]]
    mtf50 = round(float(np.mean(m50)), 4) if m50 else None
    se = round(float(np.mean(m10)) / 0.5 * 100, 1) if m10 else None
    if mtf50 is None:
        warnings.append(_warning("NO_EDGE", "the slanted edges could not be measured (no sharpness figure)",
                                 "không đo được cạnh nghiêng (không có số đo độ nét)"))

    m = Measurement(
        file=file, width=W, height=H, nominal_dpi=nominal, markers_found=len(ours),
        markers_expected=len(layout.markers), dpi_x=round(dpi_x, 2), dpi_y=round(dpi_y, 2),
        scale_error_x_pct=round((dpi_x / nominal - 1) * 100, 3), scale_error_y_pct=round((dpi_y / nominal - 1) * 100, 3),
        skew_deg=round(skew, 3), shear_deg=round(shear, 3), fit_residual_px=round(resid, 2),
        tone_steps=tone_steps, delta_L_max=dl_max, reference=reference.source if reference else None,
        white_balance_delta_ab=wb, colours=colours, colour_delta_e_mean=de_mean, noise_L_rms=noise,
        mtf50_cycles_per_px=mtf50, sampling_efficiency_pct=se, edges=edges_out, uniformity_pct=uni,
        paper_L=paper_L, streaks=streaks, warnings=warnings,
        transform=[[round(float(v), 6) for v in row] for row in A],
    )
    m.checks = _checks(m, tolerances)
    verdicts = {c.verdict for c in m.checks}
    m.verdict = "fail" if "fail" in verdicts else "warn" if "warn" in verdicts else "pass"
    return m


def _checks(m: Measurement, tol: Tolerances) -> list[Check]:
    def check(name: str, value: float | None, *, warn: bool = False) -> Check:
        lim = tol[name]
        if value is None:
            return Check(name, None, lim.limit, "skip", lim.unit, lim.source)
        ok = value >= lim.limit if lim.kind == "min" else abs(value) <= lim.limit
        return Check(name, value, lim.limit, "pass" if ok else ("warn" if warn else "fail"), lim.unit, lim.source)

    out = [check("scale_x_pct", m.scale_error_x_pct), check("scale_y_pct", m.scale_error_y_pct),
           check("skew_deg", m.skew_deg), check("tone_delta_L", m.delta_L_max),
           check("white_balance_delta_ab", m.white_balance_delta_ab),
           check("colour_delta_e_mean", m.colour_delta_e_mean), check("noise_L_rms", m.noise_L_rms),
           check("sampling_efficiency_pct", m.sampling_efficiency_pct), check("uniformity_pct", m.uniformity_pct)]
    worst = max((abs(s.contrast) for s in m.streaks), default=0.0)
    st = check("streak_delta_L", round(worst, 2))
    if st.verdict == "pass" and m.streaks:
        st.verdict = "warn"          # a faint line now is a visible one after the next batch of dust
    out.append(st)
    return out
