"""What every screen shares: the station, the task helper, and the dossier being worked on."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from scanstation.model import Dossier
from scanstation.ui.heartbeat import Heartbeat
from scanstation.ui.tasks import TaskManager
from scanstation.workarea import WorkArea
from scanstation.workflow import Station


class AppContext(QObject):
    """Holds plain domain objects (never QObjects themselves) and announces changes to them."""

    dossier_changed = Signal()          # another dossier was opened, or its header/state changed
    pages_changed = Signal(str)         # component id whose pages changed
    findings_changed = Signal()         # QC findings recomputed
    page_checked = Signal(str, str)     # component id, page id: the page's own QC result arrived
    message = Signal(str, str)          # text, level: shown in the window's message bar
    navigate = Signal(str)              # screen key
    health_changed = Signal(dict)
    settings_changed = Signal(list)     # keys that changed

    def __init__(self, station: Station, tasks: TaskManager, heartbeat: Heartbeat, *, demo: bool = False) -> None:
        super().__init__()
        self.station = station
        self.settings = station.settings
        self.tasks = tasks
        self.heartbeat = heartbeat
        self.demo = demo
        self.dossier: Dossier | None = None
        self.workarea: WorkArea | None = None
        self.it_mode = False
        self.scanning = False         # a scan is streaming pages (background probes hold back)
        self.health: dict = {}
        self.sync_worker = None       # scanstation.sync.SyncWorker while uploads run
        self.simulator = None         # demo mode: the local provincial simulator
        self.provincial_secret: str | None = None
        self.qc: dict | None = None   # QC state of the open dossier (scanstation.ui.services)
        self.device_events: dict[str, list[dict]] = {}
        self.qc_pool = None           # scanstation.qc.QCPool, started on first use
        self.qc_sessions: dict = {}

    def open_dossier(self, dossier: Dossier, workarea: WorkArea) -> None:
        self.dossier = dossier
        self.workarea = workarea
        self.dossier_changed.emit()

    def close_dossier(self) -> None:
        self.dossier = None
        self.workarea = None
        self.dossier_changed.emit()

    def info(self, text: str) -> None:
        self.message.emit(text, "info")

    def warn(self, text: str) -> None:
        self.message.emit(text, "warn")

    def error(self, text: str) -> None:
        self.message.emit(text, "error")
