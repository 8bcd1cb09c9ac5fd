"""The counter's own steps on the open dossier: the applicant's digital identity and the stored papers to
reuse, the result digitised by the records officer (signed with the organisation's token as SAO Y),
and revoking a signed file. Every call runs in the background (network, scanner, token, disk)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from scanstation.flow.reuse import EDITABLE
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick
from scanstation.ui.screens.base import Screen, status_text


def _local_time(iso_text: str) -> str:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso_text).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return iso_text


class RecordsScreen(Screen):
    key = "records"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        # Scrolls rather than grow: the window must fit a counter's 1366x768 screen (tests/ui/test_ui_xcb.py).
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        inner = QWidget()
        area.setWidget(inner)
        outer.addWidget(area)
        lay = QVBoxLayout(inner)
        self.header = QLabel(self)
        self.header.setStyleSheet("font-size: 12pt; font-weight: 600;")
        lay.addWidget(self.header)

        self.id_box = QGroupBox(self)
        il = QVBoxLayout(self.id_box)
        row = QHBoxLayout()
        self.check_btn = QPushButton(self.id_box)
        self.answer = QLabel(self.id_box)
        self.answer.setWordWrap(True)
        row.addWidget(self.check_btn)
        row.addWidget(self.answer, 1)
        il.addLayout(row)
        self.papers = self._table(self.id_box, 5)
        self.papers.setMaximumHeight(96)
        il.addWidget(self.papers)
        self.reuse_btn = QPushButton(self.id_box)
        il.addWidget(self.reuse_btn)
        lay.addWidget(self.id_box)

        self.result_box = QGroupBox(self)
        form = QFormLayout(self.result_box)
        self.r_name, self.r_code, self.r_number = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.r_date, self.r_issuer = QLineEdit(self), QLineEdit(self)
        self.r_token, self.r_pin = QLineEdit(self), QLineEdit(self)
        self.r_pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.labels = [QLabel(self) for _ in range(7)]
        for lab, w in zip(self.labels, (self.r_name, self.r_code, self.r_number, self.r_date, self.r_issuer,
                                        self.r_token, self.r_pin)):
            lab.setBuddy(w)
            form.addRow(lab, w)
        btns = QHBoxLayout()
        self.scan_btn, self.sign_btn = QPushButton(self), QPushButton(self)
        btns.addWidget(self.scan_btn)
        btns.addWidget(self.sign_btn)
        btns.addStretch(1)
        form.addRow(btns)
        lay.addWidget(self.result_box)

        self.files_box = QGroupBox(self)
        fl = QVBoxLayout(self.files_box)
        self.files = self._table(self.files_box, 3)
        self.files.setMinimumHeight(120)
        fl.addWidget(self.files)
        row = QHBoxLayout()
        self.reason = QLineEdit(self.files_box)
        self.revoke_btn = QPushButton(self.files_box)
        row.addWidget(self.reason, 1)
        row.addWidget(self.revoke_btn)
        fl.addLayout(row)
        lay.addWidget(self.files_box, 1)
        self.status = QLabel(self)              # below the scrolling part: what just happened is always in view
        self.status.setWordWrap(True)
        self.status.setContentsMargins(9, 4, 9, 4)
        outer.addWidget(self.status)

        self._proposals: list[tuple[Any, Any]] = []
        self._files: list[dict[str, Any]] = []
        self._shown_dossier = ""
        self.check_btn.clicked.connect(self.check_identity)
        self.reuse_btn.clicked.connect(self.reuse_selected)
        self.scan_btn.clicked.connect(self.scan_result)
        self.sign_btn.clicked.connect(self.sign_result)
        self.revoke_btn.clicked.connect(self.revoke_selected)
        ctx.dossier_changed.connect(self.activated)
        self.retranslate()

    @staticmethod
    def _table(parent: QWidget, cols: int) -> QTableWidget:
        t = QTableWidget(0, cols, parent)
        t.verticalHeader().hide()
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return t

    def title(self) -> str:
        return self.tr("Records officer")

    def retranslate(self) -> None:
        self.id_box.setTitle(self.tr("Digital identity and papers already held electronically"))
        self.check_btn.setText(self.tr("Check digital identity"))
        self.papers.setHorizontalHeaderLabels([self.tr("Component"), self.tr("Stored document"), self.tr("Number"),
                                               self.tr("Issued"), self.tr("Valid until")])
        self.reuse_btn.setText(self.tr("Reuse the selected paper instead of scanning it"))
        self.result_box.setTitle(self.tr("Result digitised by the records officer (SAO Y, organisation token)"))
        for lab, text in zip(self.labels, (self.tr("Result name"), self.tr("Document type code"),
                                           self.tr("Number and symbol"), self.tr("Issue date"),
                                           self.tr("Issuing body"), self.tr("Organisation token"), self.tr("PIN"))):
            lab.setText(text)
        self.scan_btn.setText(self.tr("Scan and check the result"))
        self.sign_btn.setText(self.tr("Sign the result as the organisation"))
        self.files_box.setTitle(self.tr("Files of the dossier"))
        self.files.setHorizontalHeaderLabels([self.tr("File"), self.tr("State"), self.tr("Signatures")])
        self.reason.setPlaceholderText(self.tr("Reason for revoking (required)"))
        self.revoke_btn.setText(self.tr("Revoke the selected file"))
        self.activated()

    def activated(self) -> None:
        d = self.ctx.dossier
        for w in (self.id_box, self.result_box, self.files_box):
            w.setEnabled(d is not None)
        # reuse only changes a dossier still being taken in or scanned (flow.reuse.EDITABLE)
        self.id_box.setEnabled(d is not None and d.status in EDITABLE)
        if d is None:
            self.header.setText(self.tr("Open a dossier first (home screen)."))
            return
        self.header.setText(f"{d.receipt_code} · {d.applicant.name} · {status_text(d.status)}")
        if d.id != self._shown_dossier:            # another dossier: nothing of the previous one stays on screen
            self._shown_dossier = d.id
            self.answer.clear()
            self.status.clear()
            self._proposals = []
            self.papers.setRowCount(0)
        self.ctx.tasks.run(lambda: services.dossier_files(self.ctx), on_done=self._show_files,
                           on_error=self._failed, label=self.tr("Reading the files"))

    def _show_files(self, files: list[dict[str, Any]]) -> None:
        self._files = files
        self.files.setRowCount(len(files))
        for i, f in enumerate(files):
            state = self.state_names().get(f["state"], f["state"])
            if f.get("revoked_at"):
                state += f" · {_local_time(f['revoked_at'])} · {f.get('revoked_reason') or ''}"
            for j, v in enumerate((f["name"], state,
                                   ", ".join(f["signatures"]))):
                self.files.setItem(i, j, QTableWidgetItem(str(v)))

    def state_names(self) -> dict[str, str]:
        return {"assembled": self.tr("PDF ready"), "signed": self.tr("Signed"), "queued": self.tr("Waiting to upload"),
                "uploaded": self.tr("Uploaded"), "revoked": self.tr("Revoked (kept)")}

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(describe_error(exc))

    # --- identity and reuse ---
    def check_identity(self) -> None:
        self.status.clear()
        self.ctx.tasks.run(lambda: services.identity_check(self.ctx), on_done=self._answered, on_error=self._failed,
                           label=self.tr("Checking the digital identity"))

    def _answered(self, res: tuple[Any, list[Any]]) -> None:
        ans, props = res
        self.answer.setText(pick(ans.message_vi, ans.message_en))
        self._proposals = props
        self.papers.setRowCount(len(props))
        for i, (c, p) in enumerate(props):
            for j, v in enumerate((c.name, f"{p.name} ({p.document_id})", p.number_symbol, p.issue_date or "",
                                   p.valid_until or "")):
                self.papers.setItem(i, j, QTableWidgetItem(str(v)))
        if props:
            self.papers.selectRow(0)

    def reuse_selected(self) -> None:
        row = self.papers.currentRow()
        if not 0 <= row < len(self._proposals):
            self.status.setText(self.tr("Select a stored paper first."))
            return
        c, p = self._proposals[row]

        def done(comp: Any) -> None:
            self.status.setText(self.tr("'{0}' will not be scanned: already held as valid electronic data ({1}).")
                                .format(comp.name, comp.reused_document_id))
            self.papers.removeRow(row)
            del self._proposals[row]
            self.ctx.dossier_changed.emit()

        self.ctx.tasks.run(lambda: services.reuse_component(self.ctx, c.id, p.document_id), on_done=done,
                           on_error=self._failed, label=self.tr("Recording the reuse"))

    # --- the result ---
    def scan_result(self) -> None:
        values = {"name": self.r_name.text(), "code": self.r_code.text(), "number_symbol": self.r_number.text(),
                  "issue_date": self.r_date.text(), "issuing_body": self.r_issuer.text()}

        def done(findings: list[Any]) -> None:
            block = [f for f in findings if f.blocking]
            self.status.setText(self.tr("Result scanned and checked: {0} finding(s) block signing.").format(len(block))
                                + "".join(f"\n• {pick(f.message_vi, f.message_en)}" for f in block))
            self.ctx.dossier_changed.emit()

        self.ctx.tasks.run(lambda: services.result_scan(self.ctx, values), on_done=done, on_error=self._failed,
                           label=self.tr("Scanning the result"))

    def sign_result(self) -> None:
        token, pin = self.r_token.text().strip(), self.r_pin.text()
        self.r_pin.clear()

        def done(res: dict[str, Any]) -> None:
            self.status.setText(self.tr("Result signed as SAO Y by {0}; queued for upload.").format(res["signer"]))
            self.ctx.dossier_changed.emit()

        self.ctx.tasks.run(lambda: services.result_sign(self.ctx, token, pin), on_done=done, on_error=self._failed,
                           label=self.tr("Signing the result"))

    # --- revocation ---
    def revoke_selected(self) -> None:
        row = self.files.currentRow()
        reason = self.reason.text().strip()
        if not 0 <= row < len(self._files):
            self.status.setText(self.tr("Select a file first."))
            return
        if not reason:
            self.status.setText(self.tr("Give the reason for revoking the file."))
            self.reason.setFocus()
            return
        name = self._files[row]["name"]

        def done(res: dict[str, Any]) -> None:
            told = (self.tr("the provincial system was told") if res["provincial_notified"]
                    else self.tr("the provincial system could not be told yet; revoke again later to repeat the notice"))
            self.status.setText(self.tr("{0} revoked: {1}.").format(res["file_name"], told))
            self.reason.clear()
            self.activated()

        self.ctx.tasks.run(lambda: services.revoke_file(self.ctx, name, reason), on_done=done, on_error=self._failed,
                           label=self.tr("Revoking the file"))
