"""Demo mode: the virtual scanner, a demo token and a local provincial simulator, on this station's home."""

from __future__ import annotations

from scanstation.ui.context import AppContext


def prepare(ctx: AppContext) -> None:
    """Point the station at demo devices (nothing is written to IT staff's real settings)."""
