"""The screens in navigation order (Ctrl+1 … Ctrl+9, Ctrl+0; the last, for IT staff, only in IT mode)."""

from __future__ import annotations

from scanstation.ui.screens.calibration import ItScreen
from scanstation.ui.screens.capture import CaptureScreen
from scanstation.ui.screens.home import HomeScreen
from scanstation.ui.screens.intake import IntakeScreen
from scanstation.ui.screens.metadata import MetadataScreen
from scanstation.ui.screens.qc import QcScreen
from scanstation.ui.screens.queue import QueueScreen
from scanstation.ui.screens.records import RecordsScreen
from scanstation.ui.screens.settings import SettingsScreen
from scanstation.ui.screens.sign import SignScreen

SCREENS = [HomeScreen, IntakeScreen, CaptureScreen, QcScreen, MetadataScreen, SignScreen, QueueScreen, SettingsScreen,
           RecordsScreen, ItScreen]
