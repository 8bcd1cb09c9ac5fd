"""Demo mode: its own station home with the virtual scanner, a demo token and a local provincial simulator.

Demo dossiers never mix with a real station's: the demo lives in ``<home>/demo``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

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
    for key, value in (("token.module", tok.module), ("signing.trust_test_ca", [str(tok.ca_pem)]),
                       ("signing.certified_copy", True)):       # the demo shows both signatures, as make demo does
        if s.get(key) != value:
            s.set(key, value, layer="station")
    if not s.get("token.label"):
        s.set("token.label", tok.clerk_label)
    if not s.get("station.org_name"):       # the demo names its own organisation (no placeholder default)
        s.set("station.org_name", tok.org_name, layer="station")
    from scanstation.sync.simulator import ProvincialSimulator

    sim = ProvincialSimulator(paths.home() / "provincial-sim", secret=DEMO_SECRET).start()
    ctx.simulator = sim
    ctx.provincial_secret = DEMO_SECRET
    s.set("provincial.endpoint", sim.url, layer="station")


DEMO_SECRET = "demo-secret"   # the local simulator's client secret: a public demo value


def walk(window: MainWindow, w: Walkthrough) -> Iterator[tuple]:
    """The screens in the order a clerk meets them, with real work between them."""
    from scanstation.ui import services

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
    cap = window.screens["capture"]
    for i in range(cap.components.count()):
        yield ("do", lambda i=i: cap.components.setCurrentRow(i))
        yield ("do", cap.scan_or_continue)
        yield ("wait", lambda: cap.scan_task is None, 300)
        yield ("wait", lambda: not ctx.tasks.active, 120)       # the component's checks
        comp = cap.component
        note = services.unpaired_note(comp) if comp else None
        if note is not None:
            yield ("do", lambda note=note, comp=comp: cap.show_component(comp.id, note.id))
            yield ("shot", "03-capture")
            yield ("do", cap.rescan_sheet)
            yield ("wait", lambda: cap.scan_task is None, 300)
            yield ("wait", lambda: not ctx.tasks.active, 120)
    if cap.components.count():
        yield ("do", lambda: cap.components.setCurrentRow(0))
    qc = window.screens["qc"]
    yield ("do", lambda: window.show_screen("qc"))
    yield ("wait", lambda: services.qc_ran(ctx), 120)
    yield ("do", qc.refresh)
    yield ("shot", "04-qc")
    pair_row = next((i for i, r in enumerate(qc.items) if services.sticky_pair_for(r)), None)
    if pair_row is not None:
        yield ("do", lambda: qc.findings.setCurrentRow(pair_row))
    yield ("shot", "05-sticky-pair")
    for ref in list(qc.items):          # the demo accepts what is left, with a reason
        if ref.finding.get("severity") == "block" and not ref.finding.get("override"):
            yield ("do", lambda ref=ref: ctx.tasks.run(
                lambda: services.override(ctx, ctx.dossier, ctx.workarea, ref, "Trình diễn: đã kiểm tra bằng mắt")))
    yield ("wait", lambda: services.blocking_count(ctx) == 0, 30)
    yield ("do", lambda: ctx.findings_changed.emit())
    yield ("do", lambda: window.show_screen("metadata"))
    yield ("shot", "06-metadata")
    sign = window.screens["sign"]
    yield ("do", lambda: window.show_screen("sign"))
    yield ("wait", lambda: sign.token.count() > 0 and sign.sign_btn.isEnabled(), 30)
    yield ("shot", "07-sign")
    yield ("do", lambda: _pin_dialog_shot(window, w))
    yield ("do", sign.sign)
    yield ("wait", lambda: ctx.dossier.status.value in ("signed", "queued"), 120)
    # The organisation's certified copy (SAO Y): its token, then one more PIN entry.
    yield ("do", lambda: _choose_token(sign, "DEMO-ORG"))
    yield ("wait", lambda: ctx.dossier.status.value == "queued" or sign.sign_btn.isEnabled(), 30)
    yield ("shot", "08a-sao-y")
    yield ("do", lambda: _answer_pin_later())
    yield ("do", lambda: sign.sign() if ctx.dossier.status.value == "signed" else None)
    yield ("wait", lambda: ctx.dossier.status.value == "queued", 120)
    yield ("wait", lambda: sign.preview.has_image(), 30)
    yield ("shot", "08-signed")
    yield ("do", lambda: window.show_screen("queue"))
    yield ("wait", lambda: bool(window.screens["queue"].jobs), 30)
    yield ("shot", "09-queue")
    yield ("do", lambda: window.show_screen("settings"))
    yield ("shot", "10-settings")
    yield ("do", lambda: window.show_screen("home"))
    yield ("shot", "11-home-after")


def _choose_token(sign, label: str) -> None:
    i = sign.token.findText(label)
    if i >= 0:
        sign.token.setCurrentIndex(i)


def _answer_pin_later(before_accept: Callable[[Any], None] | None = None) -> None:
    """Answer the next PIN dialog with the demo PIN (a modal dialog runs its own loop)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from scanstation.signing.softtoken import DEMO_PIN

    def answer() -> None:
        dlg = QApplication.activeModalWidget()
        if dlg is None:
            QTimer.singleShot(50, answer)
            return
        dlg.pin.setText(DEMO_PIN)
        if before_accept is not None:
            before_accept(dlg)
        dlg.accept()

    QTimer.singleShot(100, answer)


def _pin_dialog_shot(window: MainWindow, w: Walkthrough) -> None:
    """Photograph the PIN dialog, then answer it with the demo PIN."""

    def shot(dlg: Any) -> None:
        path = w.out / "07b-pin.png"
        dlg.grab().save(str(path))
        w.written.append(path)

    _answer_pin_later(shot)
