"""A picture of what the measurement found, drawn on the scan (for IT staff: markers, patches, edges, streaks)."""

from __future__ import annotations

import cv2
import numpy as np

from scanstation.calibrate.measure import Measurement
from scanstation.calibrate.target import TargetLayout

_OK, _BAD, _INFO = (0, 160, 0), (220, 0, 0), (0, 90, 220)


def annotate(image: np.ndarray, m: Measurement, layout: TargetLayout, *, legend: bool = True) -> np.ndarray:
    """RGB copy of ``image`` with the fitted markers, sampled patches and field, the edge regions and every
    streak (red, full height) drawn on it; ``legend`` adds the checks as English text (the IT screen lists
    them itself, translated, and asks for none)."""
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image.copy()
    A = np.array(m.transform, np.float64)
    t = max(1, round(m.nominal_dpi / 100))

    def quad(box, colour) -> None:
        x, y, w, h = box
        pts = np.array([[x, y, 1], [x + w, y, 1], [x + w, y + h, 1], [x, y + h, 1]], np.float64) @ A.T
        cv2.polylines(out, [np.round(pts).astype(np.int32)], True, colour, t, cv2.LINE_AA)

    for mk in layout.markers:
        quad(mk.box_mm, _OK)
    for p in (*layout.wedge, *layout.colours):
        quad(p.box_mm, _INFO)
    quad(layout.field_mm, _INFO)
    for e in layout.edges:
        half = e.along_mm / 2 if e.name == "vertical" else e.across_mm
        half_y = e.across_mm if e.name == "vertical" else e.along_mm / 2
        quad((e.centre_mm[0] - half, e.centre_mm[1] - half_y, 2 * half, 2 * half_y), _INFO)
    for s in m.streaks:
        cv2.line(out, (s.x_px, 0), (s.x_px, out.shape[0] - 1), _BAD, t)
        cv2.putText(out, f"{s.contrast:+.1f} L*", (s.x_px + 3 * t, out.shape[0] // 2), cv2.FONT_HERSHEY_SIMPLEX,
                    0.5 * t, _BAD, t, cv2.LINE_AA)
    if not legend:
        return out
    colour = {"pass": _OK, "warn": (230, 140, 0), "fail": _BAD}[m.verdict]
    y = int(A[1, 2] + 130 * m.nominal_dpi / 25.4)
    for i, c in enumerate(c for c in m.checks if c.verdict != "skip"):
        cv2.putText(out, f"{c.name}: {c.value} (limit {c.limit:g}) {c.verdict.upper()}",
                    (int(30 * m.nominal_dpi / 25.4), y + i * 14 * t), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * t,
                    _BAD if c.verdict == "fail" else colour if c.verdict == "warn" else _OK, t, cv2.LINE_AA)
    return out
