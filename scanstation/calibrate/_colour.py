"""Colour maths through colour-science (sRGB 8-bit <-> CIELAB D65, CIEDE2000), kept in one place."""

from __future__ import annotations

import warnings

import numpy as np

with warnings.catch_warnings():
    # colour-science warns at import that matplotlib (its plotting) is absent; the station never plots.
    warnings.simplefilter("ignore")
    import colour


def srgb8_to_lab(rgb) -> np.ndarray:
    """CIELAB (D65) of 8-bit sRGB values, shape (..., 3). The station treats a scanner's output as sRGB."""
    arr = np.asarray(rgb, np.float64) / 255.0
    return colour.XYZ_to_Lab(colour.sRGB_to_XYZ(arr))


def lab_to_srgb8(lab) -> np.ndarray:
    rgb = colour.XYZ_to_sRGB(colour.Lab_to_XYZ(np.asarray(lab, np.float64)))
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(int)


def grey_level_to_L(levels) -> np.ndarray:
    """L* of neutral 8-bit sRGB grey levels."""
    v = np.asarray(levels, np.float64)
    return srgb8_to_lab(np.stack([v, v, v], axis=-1))[..., 0]


def delta_e_2000(lab1, lab2) -> np.ndarray:
    return np.asarray(colour.delta_E(np.asarray(lab1, np.float64), np.asarray(lab2, np.float64),
                                     method="CIE 2000"))


def srgb8_to_linear(v) -> np.ndarray:
    """Linear light (0-1) of 8-bit sRGB code values (for the edge spread function)."""
    return colour.models.eotf_sRGB(np.asarray(v, np.float64) / 255.0)
