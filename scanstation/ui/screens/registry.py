"""The screens in navigation order (Ctrl+1 … Ctrl+8)."""

from __future__ import annotations

from scanstation.ui.screens.home import HomeScreen
from scanstation.ui.screens.intake import IntakeScreen
from scanstation.ui.screens.settings import SettingsScreen

SCREENS = [HomeScreen, IntakeScreen, SettingsScreen]
