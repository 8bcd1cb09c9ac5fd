"""Home: today's dossiers and their state, the health of scanner, token and upload queue."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.health import describe as describe_health
from scanstation.ui.screens.base import Screen, status_text
from scanstation.ui.widgets import BACKGROUNDS, COLOURS


class HealthTile(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthTile")
        lay = QVBoxLayout(self)
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        lay.addWidget(self.heading)
        lay.addWidget(self.state, 1)
        self.set("off", "")

    def set(self, level: str, text: str) -> None:
        self.level = level
        self.state.setText(text)
        self.setStyleSheet(f"#healthTile {{ background: {BACKGROUNDS[level]}; border-left: 6px solid "
                           f"{COLOURS[level]}; border-radius: 4px; }}")


class HomeScreen(Screen):
    key = "home"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        lay = QVBoxLayout(self)
        tiles = QHBoxLayout()
        self.scanner_tile, self.token_tile, self.queue_tile = HealthTile(self), HealthTile(self), HealthTile(self)
        for t in (self.scanner_tile, self.token_tile, self.queue_tile):
            t.setMinimumHeight(80)
            tiles.addWidget(t)
        lay.addLayout(tiles)
        head = QHBoxLayout()
        self.heading = QLabel(self)
        self.heading.setStyleSheet("font-size: 13pt; font-weight: 600;")
        head.addWidget(self.heading, 1)
        self.new_btn = QPushButton(self)
        self.new_btn.setDefault(True)
        self.open_btn = QPushButton(self)
        self.refresh_btn = QPushButton(self)
        for b in (self.refresh_btn, self.open_btn, self.new_btn):
            head.addWidget(b)
        lay.addLayout(head)
        self.table = QTableWidget(0, 5, self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        lay.addWidget(self.table, 1)
        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.empty)
        self.rows: list[services.DossierSummary] = []
        self.new_btn.clicked.connect(self.new_dossier)
        self.open_btn.clicked.connect(self.open_selected)
        self.refresh_btn.clicked.connect(self.refresh)
        self.shortcut("Return", self.open_selected, within=self.table)
        self.shortcut("F5", self.refresh)
        ctx.health_changed.connect(self.show_health)
        self.retranslate()

    def title(self) -> str:
        return self.tr("Home")

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Today's dossiers"))
        self.new_btn.setText(self.tr("New dossier (Ctrl+N)"))
        self.open_btn.setText(self.tr("Open (Enter)"))
        self.refresh_btn.setText(self.tr("Refresh (F5)"))
        self.table.setHorizontalHeaderLabels([self.tr("Receipt code"), self.tr("Applicant"), self.tr("Procedure"),
                                              self.tr("State"), self.tr("Updated")])
        self.scanner_tile.heading.setText(self.tr("Scanner"))
        self.token_tile.heading.setText(self.tr("Signing token"))
        self.queue_tile.heading.setText(self.tr("Network and upload queue"))
        self.empty.setText(self.tr("No dossier yet today. Press Ctrl+N to take in the first one."))
        self._fill()
        self.show_health(self.ctx.health)

    def activated(self) -> None:
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        self.ctx.tasks.run(lambda: services.todays_dossiers(self.ctx.station), on_done=self._loaded)

    def _loaded(self, rows: list[services.DossierSummary]) -> None:
        self.rows = rows
        self._fill()

    def _fill(self) -> None:
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            when = r.updated_at.strftime("%H:%M") if r.today else r.updated_at.strftime("%d/%m %H:%M")
            for j, text in enumerate((r.receipt_code, r.applicant, r.procedure, status_text(r.status), when)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, r.id)
                self.table.setItem(i, j, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(3)
        self.empty.setVisible(not self.rows)
        if self.rows and self.table.currentRow() < 0:
            self.table.selectRow(0)

    def new_dossier(self) -> None:
        self.ctx.navigate.emit("new")          # the intake form, blank

    def open_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0 or row >= len(self.rows):
            return
        dossier_id = self.rows[row].id

        def opened(session) -> None:
            dossier, wa = session.dossier, session.workarea
            self.ctx.open_dossier(session)
            if any(c.pages and session.checks.get(c.id, {}).get("pages") != [p.id for p in c.pages]
                   for c in dossier.components):            # checks are journaled: redo only what changed
                self.ctx.tasks.run(lambda p: services.check_dossier(self.ctx, dossier, wa, p),
                                   on_done=lambda _r: self.ctx.findings_changed.emit(), progress=True,
                                   label=self.tr("Checking the pages"))
            self.ctx.navigate.emit("capture" if dossier.status.value in ("intake", "capturing") else "qc")

        self.ctx.tasks.run(lambda: services.load_dossier(self.ctx.station, dossier_id), on_done=opened)

    def show_health(self, health: dict) -> None:
        described = describe_health(health)
        for tile, key in ((self.scanner_tile, "scanner"), (self.token_tile, "token"), (self.queue_tile, "queue")):
            tile.set(*described[key])
