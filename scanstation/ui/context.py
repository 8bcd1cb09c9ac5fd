"""What every screen shares: the station, the task helper, and the dossier being worked on."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from scanstation.flow import DossierSession, Station, attach
from scanstation.model import Dossier
from scanstation.ui.heartbeat import Heartbeat
from scanstation.ui.tasks import TaskManager
from scanstation.workarea import WorkArea


class AppContext(QObject):
    """Holds plain domain objects (never QObjects themselves) and announces changes to them."""

    dossier_changed = Signal()          # another dossier was opened, or its header/state changed
    pages_changed = Signal(str)         # component id whose pages changed
    findings_changed = Signal()         # QC findings recomputed
    page_checked = Signal(str, str)     # component id, page id: the page's own QC result arrived
    message = Signal(str, str)          # text, level: shown in the window's message bar
    problems_noted = Signal()           # "N problems to fix": a message the window keeps in step with the findings
    health_probe = Signal()             # look at the scanner, token and network now (e.g. after a token fault)
    undo_offered = Signal(str)          # text of an info message whose button undoes the last page operation
    navigate = Signal(str)              # screen key
    health_changed = Signal(dict)
    settings_changed = Signal(list)     # keys that changed
    it_mode_changed = Signal(bool)      # IT staff mode switched on or off (the IT screens appear or hide)

    def __init__(self, station: Station, tasks: TaskManager, heartbeat: Heartbeat, *, demo: bool = False) -> None:
        super().__init__()
        self.station = station
        self.settings = station.settings
        self.tasks = tasks
        self.heartbeat = heartbeat
        self.demo = demo
        self.session: DossierSession | None = None   # the open dossier (scanstation.flow)
        self._it_mode = False
        self.scanning = False         # a scan is streaming pages (background probes hold back)
        self.health: dict = {}
        self.sync_worker = None       # scanstation.sync.SyncWorker while uploads run
        self.simulator = None         # demo mode: the local provincial simulator
        self.provincial_secret: str | None = None
        self.checker = None           # scanstation.flow.checking.Checker: QC workers, started on first use

    @property
    def it_mode(self) -> bool:
        return self._it_mode

    @it_mode.setter
    def it_mode(self, on: bool) -> None:
        changed = on != self._it_mode
        self._it_mode = on
        if changed:
            self.it_mode_changed.emit(on)

    @property
    def dossier(self) -> Dossier | None:
        return self.session.dossier if self.session is not None else None

    @property
    def workarea(self) -> WorkArea | None:
        return self.session.workarea if self.session is not None else None

    def open_dossier(self, dossier: Dossier | DossierSession, workarea: WorkArea | None = None) -> None:
        """Open a dossier: a session the flow opened in a background lane (or, in tests, a dossier and its
        work area, whose journal is replayed here)."""
        if isinstance(dossier, DossierSession):
            self.session = dossier
        else:
            assert workarea is not None
            self.session = attach(self.station, dossier, workarea)
        self.dossier_changed.emit()

    def close_dossier(self) -> None:
        self.session = None
        self.dossier_changed.emit()

    def info(self, text: str) -> None:
        self.message.emit(text, "info")

    def offer_undo(self, text: str) -> None:
        self.undo_offered.emit(text)

    def warn(self, text: str) -> None:
        self.message.emit(text, "warn")

    def error(self, text: str) -> None:
        self.message.emit(text, "error")
