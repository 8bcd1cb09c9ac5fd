"""GUI test fixtures: an offscreen window on the test's own station home, in English or Vietnamese."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def make_window(qtbot, station_home):
    """Build the main window (``demo`` = virtual devices); closes it and stops its threads afterwards."""
    windows = []

    def make(*, demo: bool = False, language: str = "en"):
        from scanstation.ui.app import build_window
        from scanstation.ui.i18n import set_language

        w = build_window(demo=demo)
        set_language(language)
        qtbot.addWidget(w)
        with qtbot.waitActive(w):
            w.show()
            w.activateWindow()
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.ctx.tasks.wait_idle(5)
        w.close()
        w.ctx.station.store.dispose()
        w.deleteLater()            # later tests' language changes must not reach this window
    qtbot.wait(10)

