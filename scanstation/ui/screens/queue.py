"""Queue: where every signed file stands on its way to the provincial system; retry, export to USB, offline banner."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
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
from scanstation.ui.i18n import describe_error, queue_problem
from scanstation.ui.screens.base import Screen
from scanstation.ui.widgets import make_banner

REFRESH_MS = 3000


class QueueScreen(Screen):
    key = "queue"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        lay = QVBoxLayout(self)
        self.offline = make_banner(self, "error")
        self.offline.hide()
        lay.addWidget(self.offline)
        self.summary = QLabel(self)
        self.summary.setStyleSheet("font-size: 11pt;")
        lay.addWidget(self.summary)
        self.table = QTableWidget(0, 6, self)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        head = self.table.horizontalHeader()
        for col in (1, 2, 3, 4):
            head.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.sync_btn = QPushButton(self)
        self.retry_btn = QPushButton(self)
        self.cancel_btn = QPushButton(self)
        self.export_btn = QPushButton(self)
        for b in (self.sync_btn, self.retry_btn, self.cancel_btn, self.export_btn):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.jobs: list[services.JobView] = []
        self._last_status = ""
        self.sync_btn.clicked.connect(self.sync_now)
        self.retry_btn.clicked.connect(self.retry)
        self.cancel_btn.clicked.connect(self.cancel_job)
        self.export_btn.clicked.connect(self.export)
        self.shortcut("F5", self.sync_now)
        self.shortcut("Ctrl+R", self.retry)
        self.shortcut("Ctrl+E", self.export)
        self.shortcut("Ctrl+Delete", self.cancel_job)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        ctx.health_changed.connect(lambda _h: self._banner())
        self.retranslate()

    def title(self) -> str:
        return self.tr("Upload queue")

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("File"), self.tr("Dossier"), self.tr("State"),
                                              self.tr("Attempts"), self.tr("Next attempt"), self.tr("Last problem")])
        self.sync_btn.setText(self.tr("Send now (F5)"))
        self.retry_btn.setText(self.tr("Retry selected (Ctrl+R)"))
        self.cancel_btn.setText(self.tr("Cancel selected (Ctrl+Del)"))
        self.export_btn.setText(self.tr("Export to USB (Ctrl+E)"))
        self._fill()
        self._banner()

    def activated(self) -> None:
        self.refresh()
        self._timer.start()
        self.table.setFocus()

    def hideEvent(self, event) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def state_words(self) -> dict[str, str]:
        return {"pending": self.tr("waiting"), "uploading": self.tr("uploading…"), "confirmed": self.tr("confirmed by the province"),
                "failed-will-retry": self.tr("failed, will retry"), "needs-attention": self.tr("needs attention"),
                "cancelled": self.tr("cancelled")}

    def refresh(self) -> None:
        self.ctx.tasks.run(lambda: services.queue_jobs(self.ctx), on_done=self._loaded, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(describe_error(exc))

    def _loaded(self, jobs: list[services.JobView]) -> None:
        self.jobs = jobs
        self._fill()
        d = self.ctx.dossier
        if d is not None and d.status.value != self._last_status:   # e.g. every file confirmed: uploaded
            self._last_status = d.status.value
            self.ctx.dossier_changed.emit()

    def _fill(self) -> None:
        words = self.state_words()
        keep = self.table.currentRow()
        self.table.setRowCount(len(self.jobs))
        for i, j in enumerate(self.jobs):
            for k, text in enumerate((j.file, j.dossier, words.get(j.state, j.state), str(j.attempts), j.next_attempt,
                                      queue_problem(j.last_error))):
                item = QTableWidgetItem(text)
                if k == 5 and text != j.last_error:
                    item.setToolTip(j.last_error)      # the worker's own words, for IT staff
                self.table.setItem(i, k, item)
        if 0 <= keep < len(self.jobs):
            self.table.selectRow(keep)
        counts: dict[str, int] = {}
        for j in self.jobs:
            counts[j.state] = counts.get(j.state, 0) + 1
        self.summary.setText(self.tr("{0} files: {1} confirmed, {2} waiting, {3} need attention").format(
            len(self.jobs), counts.get("confirmed", 0),
            counts.get("pending", 0) + counts.get("uploading", 0) + counts.get("failed-will-retry", 0),
            counts.get("needs-attention", 0)))

    def _banner(self) -> None:
        q = self.ctx.health.get("queue") or {}
        if q.get("state") == "offline":
            self.offline.setText(self.tr("No connection to the provincial system. Signed files wait safely on this "
                                         "station and are sent as soon as the network is back. For a long outage, "
                                         "export them to a USB stick (Ctrl+E)."))
            self.offline.show()
        elif q.get("state") == "not_configured":
            self.offline.setText(self.tr("The provincial system address is not set: ask IT staff (Settings)."))
            self.offline.show()
        else:
            self.offline.hide()

    def selected_job(self) -> services.JobView | None:
        row = self.table.currentRow()
        return self.jobs[row] if 0 <= row < len(self.jobs) else None

    def sync_now(self) -> None:
        self.ctx.tasks.run(lambda: services.wake_sync(self.ctx), on_done=lambda _r: self.refresh())

    def retry(self) -> None:
        j = self.selected_job()
        if j is not None:
            self.ctx.tasks.run(lambda: services.retry_job(self.ctx, j.id), on_done=lambda _r: self.refresh())

    def cancel_job(self) -> None:
        j = self.selected_job()
        if j is not None:
            self.ctx.tasks.run(lambda: services.cancel_job(self.ctx, j.id), on_done=lambda _r: self.refresh())

    def export(self, target: str | None = None) -> None:
        target = target or QFileDialog.getExistingDirectory(self, self.tr("Choose the USB stick"))
        if not target:
            return

        def done(n: int) -> None:
            self.ctx.info(self.tr("{0} file(s) written to {1}. Take the stick to a connected computer and import it "
                                  "there.").format(n, target))

        self.ctx.tasks.run(lambda p: services.export_queue(self.ctx, target, p), on_done=done, progress=True,
                           label=self.tr("Exporting to USB"))
