"""Shared for the calibration tests: the target's artwork (drawn once) and scans of it with known defects."""

from __future__ import annotations

import numpy as np
import pytest

from scanstation import samplepages as sp
from scanstation.calibrate import make_layout, render_target


@pytest.fixture(scope="session")
def layout():
    return make_layout("A4")


@pytest.fixture(scope="session")
def art(layout) -> np.ndarray:
    return render_target(layout, 600)


@pytest.fixture(scope="session")
def scan(art):
    """scan("skew:1,noise:2", dpi=300, mode="color") -> the virtual scanner's image of the printed target."""
    cache: dict = {}

    def make(defects: str = "", *, dpi: int = 300, mode: str = "color", seed: int = 1) -> np.ndarray:
        key = (defects, dpi, mode, seed)
        if key not in cache:
            cache[key] = sp.scan_printed_sheet(art, 600, dpi=dpi, mode=mode, defects=sp.parse_defects(defects),
                                               seed=seed)
        return cache[key]
    return make


@pytest.fixture
def workarea(tmp_path):
    from scanstation.workarea import WorkArea

    return WorkArea.for_dossier("cal", base=tmp_path / "work")
