"""Page images made on the spot: real files in the formats and modes a scanner writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pdf.pdf_pages import draw_page


@pytest.fixture
def make_page(tmp_path):
    """make_page(name, size=(w, h), dpi=(x, y) or None, mode='RGB', **save options) -> Path."""
    folder = tmp_path / "pages"
    folder.mkdir(exist_ok=True)

    def make(name: str, size=(620, 874), dpi=(150, 150), mode="RGB", **save) -> Path:
        path = folder / name
        im = draw_page(size, mode)
        if dpi is not None:
            save["dpi"] = dpi
        im.save(path, **save)
        return path

    return make

