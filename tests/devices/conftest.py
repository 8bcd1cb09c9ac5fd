"""Fixtures for scanner tests: SANE's real `test` backend listed through a private SANE_CONFIG_DIR."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SANE_TEST_CONF = """# two test devices, defaults as shipped, so get_devices() lists them
number_of_devices 2
mode Color
depth 8
resolution 100.0
test-picture "Color pattern"
"""


@pytest.fixture(scope="session", autouse=True)
def sane_config_dir(tmp_path_factory) -> Path:
    """python-sane reads SANE_CONFIG_DIR once, at sane.init(): set it before any test opens SANE."""
    d = tmp_path_factory.mktemp("sane-config")
    (d / "dll.conf").write_text("test\n")
    (d / "test.conf").write_text(SANE_TEST_CONF)
    old = os.environ.get("SANE_CONFIG_DIR")
    os.environ["SANE_CONFIG_DIR"] = str(d)
    yield d
    if old is None:
        os.environ.pop("SANE_CONFIG_DIR", None)
    else:
        os.environ["SANE_CONFIG_DIR"] = old


@pytest.fixture
def workarea(tmp_path):
    from scanstation.workarea import WorkArea

    return WorkArea.for_dossier("d1", base=tmp_path / "work")


def have_scanimage() -> bool:
    return shutil.which("scanimage") is not None
