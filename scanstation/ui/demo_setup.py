"""Demo mode: its own station home with the virtual scanner, a demo token and a local provincial simulator.

Demo dossiers never mix with a real station's: the demo lives in ``<home>/demo``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from scanstation import paths
from scanstation.ui.i18n import set_language

if TYPE_CHECKING:
    from scanstation.ui.context import AppContext
    from scanstation.ui.main_window import MainWindow
    from scanstation.ui.walkthrough import Walkthrough


def use_demo_home() -> None:
    """Point this process at the demo home (before the Station is opened)."""
    home = paths.home()
    if home.name != "demo":
        os.environ["SCANSTATION_HOME"] = str(home / "demo")


def prepare(ctx: AppContext) -> None:
    """Point the demo station at demo devices (only in the demo home's settings)."""
    from scanstation.signing.softtoken import ensure_demo_token

    ctx.demo = True
    s = ctx.settings
    tok = ensure_demo_token()
    for key, value in (("token.module", tok.module), ("signing.trust_roots", [str(tok.ca_pem)])):
        if s.get(key) != value:
            s.set(key, value, layer="station")
    if not s.get("token.label"):
        s.set("token.label", tok.clerk_label)
    from scanstation.sync.simulator import ProvincialSimulator

    sim = ProvincialSimulator(paths.home() / "provincial-sim", secret=DEMO_SECRET).start()
    ctx.simulator = sim
    ctx.provincial_secret = DEMO_SECRET
    s.set("provincial.endpoint", sim.url, layer="station")


DEMO_SECRET = "demo-secret"   # the local simulator's client secret: a public demo value


def walk(window: MainWindow, w: Walkthrough) -> Iterator[tuple]:
    """The screens in the order a clerk meets them, with real work between them."""
    ctx = window.ctx
    yield ("do", lambda: set_language("vi"))
    yield ("do", lambda: window.show_screen("home"))
    yield ("shot", "01-home")
    intake = window.screens["intake"]
    yield ("do", lambda: window.show_screen("intake"))
    yield ("do", intake.load_sample)
    yield ("do", lambda: intake.applicant.number.setFocus())
    yield ("shot", "02-intake")
    yield ("do", intake.submit)
    yield ("wait", lambda: ctx.dossier is not None, 20)
    yield ("shot", "03-capture")
    yield ("do", lambda: window.show_screen("qc"))
    yield ("shot", "04-qc")
    yield ("shot", "05-sticky-pair")
    yield ("do", lambda: window.show_screen("metadata"))
    yield ("shot", "06-metadata")
    yield ("do", lambda: window.show_screen("sign"))
    yield ("shot", "07-sign")
    yield ("do", lambda: window.show_screen("queue"))
    yield ("shot", "08-queue")
    yield ("do", lambda: window.show_screen("settings"))
    yield ("shot", "09-settings")
    yield ("do", lambda: window.show_screen("home"))
    yield ("shot", "10-home-after")
