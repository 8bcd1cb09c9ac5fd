"""Sign: token and certificate (remembered per clerk), PIN with tries left, progress per file, stamp preview."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from scanstation.errors import Cancelled, ScanStationError
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick
from scanstation.ui.pages_view import PagePreview
from scanstation.ui.screens.base import Screen
from scanstation.ui.tasks import Task, UiProgress
from scanstation.ui.widgets import COLOURS, banner_style, make_banner


class PinDialog(QDialog):
    """Asks the PIN (a decision only the clerk can make). The PIN lives in this widget until it is handed on."""

    def __init__(self, token_label: str, tries_left: int | None, problem: str = "", final_try: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowTitle(self.tr("Token PIN"))
        self.setModal(True)
        self.setMinimumWidth(420)
        lay = QVBoxLayout(self)
        self.info = QLabel(self.tr("Enter the PIN of token <b>{0}</b>. It is used once for the whole dossier and never "
                                   "stored.").format(token_label), self)
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.problem = QLabel(problem, self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {COLOURS['error']}; font-weight: 600;")
        self.problem.setVisible(bool(problem))
        lay.addWidget(self.problem)
        self.tries = QLabel(self)
        if final_try:
            self.tries.setText(self.tr("Last try: a wrong PIN now locks the token."))
            self.tries.setStyleSheet(f"color: {COLOURS['error']}; font-weight: 700;")
        elif tries_left is not None:
            self.tries.setText(self.tr("Tries left: {0}").format(tries_left))
            self.tries.setStyleSheet(f"color: {COLOURS['warn'] if tries_left <= 3 else '#202124'};")
        self.tries.setVisible(bool(self.tries.text()))
        lay.addWidget(self.tries)
        form = QFormLayout()
        self.pin = QLineEdit(self)
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setObjectName("pin")
        lab = QLabel(self.tr("&PIN"), self)
        lab.setBuddy(self.pin)
        form.addRow(lab, self.pin)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.pin.setFocus()

    def take_pin(self) -> str:
        pin = self.pin.text()
        self.pin.clear()
        return pin


class SignScreen(Screen):
    key = "sign"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        self.banner = make_banner(self, "warn")
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(split, 1)
        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.token = QComboBox(left)
        self.cert = QComboBox(left)
        self.token_state = QLabel(left)
        self.token_state.setWordWrap(True)
        self.lab_token, self.lab_cert = QLabel(left), QLabel(left)
        self.lab_token.setBuddy(self.token)
        self.lab_cert.setBuddy(self.cert)
        form.addRow(self.lab_token, self.token)
        form.addRow(self.lab_cert, self.cert)
        form.addRow("", self.token_state)
        ll.addLayout(form)
        self.refresh_btn = QPushButton(left)
        ll.addWidget(self.refresh_btn, 0, Qt.AlignmentFlag.AlignLeft)
        self.files = QTableWidget(0, 4, left)
        self.files.verticalHeader().hide()
        self.files.horizontalHeader().setStretchLastSection(True)
        self.files.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        ll.addWidget(self.files, 1)
        self.total = QLabel(left)               # the dossier's size: masters -> what is uploaded
        self.total.setWordWrap(True)
        ll.addWidget(self.total)
        self.bar = QProgressBar(left)
        self.bar.hide()
        ll.addWidget(self.bar)
        row = QHBoxLayout()
        self.sign_btn = QPushButton(left)
        self.sign_btn.setStyleSheet("font-size: 12pt; font-weight: 600; padding: 8px;")
        self.cancel_btn = QPushButton(left)
        self.cancel_btn.hide()
        row.addWidget(self.sign_btn, 1)
        row.addWidget(self.cancel_btn)
        ll.addLayout(row)
        right = QWidget(split)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.lab_preview = QLabel(right)
        self.lab_preview.setWordWrap(True)
        self.close_up = QLabel(right)           # the stamp itself, large enough to read
        self.close_up.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.close_up.setMaximumHeight(90)
        self.preview = PagePreview(right)
        rl.addWidget(self.lab_preview)
        rl.addWidget(self.close_up)
        rl.addWidget(self.preview, 1)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([720, 520])

        self.tokens: list[services.TokenChoice] = []
        self.sizes: dict[str, object] = {}      # component id -> flow.sign_preview.FileSize
        self._stamp_key: tuple | None = None    # what the stamp shown was drawn for
        self.task: Task | None = None
        self.file_states: dict[str, str] = {}
        self._batch = 0                         # signing attempts: late file states of an ended one are dropped
        self.token.currentIndexChanged.connect(self._token_changed)
        self.cert.currentIndexChanged.connect(lambda _i: self._show_stamp())
        self.refresh_btn.clicked.connect(self.load_tokens)
        self.sign_btn.clicked.connect(self.sign)
        self.cancel_btn.clicked.connect(self.cancel)
        self.shortcut("F9", self.sign)
        self.shortcut("Ctrl+Return", self.sign)
        self.shortcut("F5", self.load_tokens)
        ctx.dossier_changed.connect(self._refresh)
        ctx.findings_changed.connect(self._refresh)
        self.retranslate()

    def title(self) -> str:
        return self.tr("Sign")

    def retranslate(self) -> None:
        self.lab_token.setText(self.tr("&Token"))
        self.lab_cert.setText(self.tr("&Certificate"))
        self.refresh_btn.setText(self.tr("Look for tokens again (F5)"))
        self.files.setHorizontalHeaderLabels([self.tr("Paper"), self.tr("File"), self.tr("Size: scans → file"),
                                              self.tr("State")])
        self.sign_btn.setText(self.tr("Sign the dossier (F9)"))
        self.cancel_btn.setText(self.tr("Stop (Esc)"))
        self.lab_preview.setText(self.tr("The stamp as it will be on page 1 (blue frame; Ctrl+wheel or + zooms):"))
        self._refresh()

    def activated(self) -> None:
        self._refresh()
        self.load_sizes()
        if self.tokens:
            self._show_stamp()                  # pages may have changed meanwhile (drawn again only then)
        if not self.tokens:
            self.load_tokens()
        self.sign_btn.setFocus()
        d, wa = self.ctx.dossier, self.ctx.workarea
        if d is not None and wa is not None and services.stale_components(self.ctx):
            # pages changed since the last check (a rotation, a removal): check them again, then refresh
            self.ctx.tasks.run(lambda p: services.check_dossier(self.ctx, d, wa, p), on_done=self._checked,
                               progress=True, label=self.tr("Checking the pages"))

    def _checked(self, _result: object = None) -> None:
        self.ctx.findings_changed.emit()
        self._refresh()

    # --- tokens ---------------------------------------------------------------------------------------
    def load_tokens(self, then=None) -> None:
        """Look for tokens (F5); ``then`` runs once they are listed (F9 right after plugging a token back)."""
        self.token_state.setText(self.tr("Looking for tokens…"))

        def done(tokens: list[services.TokenChoice]) -> None:
            self._tokens_loaded(tokens)
            if then is not None and tokens:
                then()

        self.ctx.tasks.run(lambda: services.list_tokens(self.ctx), on_done=done,
                           on_error=self._tokens_failed, lane="token")

    def _tokens_failed(self, exc: BaseException) -> None:
        self.tokens = []
        self.token.clear()
        self.cert.clear()
        self.token_state.setText(f"<span style='color:{COLOURS['error']}'>{describe_error(exc)}</span>")
        self._refresh()

    def _tokens_loaded(self, tokens: list[services.TokenChoice]) -> None:
        self.tokens = tokens
        self.token.blockSignals(True)
        self.token.clear()
        for t in tokens:
            self.token.addItem(t.label, t.label)
        self.token.setCurrentIndex(self._token_for_role())
        self.token.blockSignals(False)
        self._token_changed()
        if not tokens:
            self.token_state.setText(f"<span style='color:{COLOURS['warn']}'>" +
                                     self.tr("No token found. Plug in your USB token and press F5.") + "</span>")

    def _token_for_role(self) -> int:
        """The token to sign with now: the clerk's remembered one, or for the certified copy (SAO Y) the first
        token that holds an organisation's certificate (the clerk need not pick it)."""
        if self.ctx.dossier is not None and services.signing_role(self.ctx) == "copy":
            for i, t in enumerate(self.tokens):
                if any(c.organisation for c in t.certificates):
                    return i
        idx = self.token.findData(self.ctx.settings.get("token.label"))
        return idx if idx >= 0 else 0

    def _choose_for_role(self) -> None:
        """After the clerk has signed: the organisation's token and certificate, ready for F9."""
        idx = self._token_for_role()
        if self.tokens and idx != self.token.currentIndex():
            self.token.setCurrentIndex(idx)          # _token_changed follows

    def current_token(self) -> services.TokenChoice | None:
        i = self.token.currentIndex()
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def _token_changed(self, *_a) -> None:
        t = self.current_token()
        self.cert.blockSignals(True)
        self.cert.clear()
        if t is not None:
            for c in t.certificates:
                self.cert.addItem(c.label, c.key_id)
            idx = self.cert.findData(self.ctx.settings.get("token.key_id"))
            if services.signing_role(self.ctx) == "copy" if self.ctx.dossier is not None else False:
                idx = next((i for i, c in enumerate(t.certificates) if c.organisation), idx)
            self.cert.setCurrentIndex(idx if idx >= 0 else 0)
            state = pick(t.pin_warning_vi, t.pin_warning_en) if t.pin_warning_en else self.tr("Ready")
            colour = COLOURS["warn"] if t.pin_warning_en else COLOURS["ok"]
            self.token_state.setText(f"<span style='color:{colour}'>{state}</span>")
        self.cert.blockSignals(False)
        self._refresh()
        self._show_stamp()

    # --- state ------------------------------------------------------------------------------------------
    def _refresh(self, *_a) -> None:
        d = self.ctx.dossier
        comps = [c for c in d.components if c.digitised] if d else []
        self.files.setRowCount(len(comps))
        for i, c in enumerate(comps):
            name = services.output_name(self.ctx, d, c)
            state = self.file_states.get(c.id) or services.output_state(d, c)
            words = {"": self.tr("not signed yet"), "assembling": self.tr("making PDF/A…"),
                     "built": self.tr("PDF/A made, not signed yet"),
                     "signing": self.tr("signing…"), "signed": self.tr("signed and verified"),
                     "queued": self.tr("signed, waiting to upload"), "failed": self.tr("failed")}
            for j, text in enumerate((c.name, name, self._size_text(c.id), words.get(state, state))):
                self.files.setItem(i, j, QTableWidgetItem(text))
        self.files.resizeColumnsToContents()
        self._show_total()
        reasons = services.sign_blockers(self.ctx)
        ready = not reasons and self.current_token() is not None and self.cert.count() > 0 and self.task is None
        self.sign_btn.setEnabled(ready)
        copy_next = d is not None and services.signing_role(self.ctx) == "copy"
        signed = d is not None and d.status.value in ("signed", "queued", "uploaded") and not copy_next
        if copy_next and not reasons and self.task is None:
            # only once the clerk's batch has ended: a file's state arriving mid-batch (after the flow saved the
            # clerk's signature) must not announce the organisation's certificate before it is chosen below
            self.banner.setStyleSheet(banner_style("warn"))
            self.banner.setText(self.tr("The clerk has signed. Next, the certified copy (SAO Y) with the "
                                        "organisation's certificate (chosen below): press F9."))
            self.banner.show()
        elif reasons and not signed:
            self.banner.setStyleSheet(banner_style("error"))
            self.banner.setText(self.tr("Signing is disabled:") + " " + "; ".join(pick(vi, en) for vi, en in reasons))
            self.banner.show()
        elif signed:
            self.banner.setStyleSheet(banner_style("ok"))
            self.banner.setText(self.tr("This dossier is signed. Its files are in the upload queue (Ctrl+7)."))
            self.banner.show()
        else:
            self.banner.hide()

    # --- sizes ------------------------------------------------------------------------------------------
    @staticmethod
    def _mb(n: int) -> str:
        """'12,4 MB' in Vietnamese, '12.4 MB' in English."""
        from scanstation.ui.i18n import current_language

        text = f"{n / 1_000_000:.1f}" if n >= 100_000 else f"{n / 1_000_000:.2f}"
        return (text.replace(".", ",") if current_language() == "vi" else text) + " MB"

    def _size_text(self, component_id: str) -> str:
        f = self.sizes.get(component_id)
        if f is None:
            return ""
        masters, built = getattr(f, "masters", 0), getattr(f, "file", None)
        return f"{self._mb(masters)} → " + (self._mb(built) if built is not None else self.tr("(made when signing)"))

    def _show_total(self) -> None:
        sizes = list(self.sizes.values())
        if not sizes:
            self.total.setText("")
            return
        masters = sum(getattr(f, "masters", 0) for f in sizes)
        built = [getattr(f, "file", None) for f in sizes]
        if all(b is not None for b in built):
            self.total.setText(self.tr("Dossier: {0} of scans → {1} to upload").format(
                self._mb(masters), self._mb(sum(b for b in built if b is not None))))
        else:
            self.total.setText(self.tr("Dossier: {0} of scans; the files' size is known once they are made "
                                       "(when signing).").format(self._mb(masters)))

    def load_sizes(self) -> None:
        d = self.ctx.dossier
        if d is None:
            self.sizes = {}
            self._refresh()
            return

        def done(sizes: list) -> None:
            if self.ctx.dossier is d:
                self.sizes = {f.component_id: f for f in sizes}
                self._refresh()

        self.ctx.tasks.run(lambda: services.file_sizes(self.ctx, d), on_done=done, on_error=lambda e: None)

    # --- the stamp ------------------------------------------------------------------------------------
    def _show_stamp(self) -> None:
        d, wa = self.ctx.dossier, self.ctx.workarea
        if d is None or wa is None:
            self._stamp_key = None
            self.preview.clear(self.tr("No dossier open."))
            self.close_up.clear()
            return
        first = services.first_page(d)
        if first is None:
            self._stamp_key = None
            self.preview.clear(self.tr("Nothing scanned yet."))
            self.close_up.clear()
            return
        comp, page = first
        cert_label = self.cert.currentText()
        key = (d.id, page.id, page.file, cert_label, services.signing_role(self.ctx))
        if key == self._stamp_key and self.preview.has_image():
            return                              # drawn already: nothing to redo on the GUI thread's account
        self._stamp_key = key

        def done(res: services.StampImages | None) -> None:
            if res is None or self._stamp_key != key:
                return
            img = QImage.fromData(res.page)
            close = QImage.fromData(res.close_up)
            self.preview.set_page(img, img.size(), self.tr("Page 1 of {0}").format(comp.name))
            x, y, w, h = res.box
            self.preview.set_regions([(x - 3, y - 3, w + 6, h + 6, "#1a73e8", "")])
            if not close.isNull():
                pix = QPixmap.fromImage(close)
                if pix.height() > 86:
                    pix = pix.scaledToHeight(86, Qt.TransformationMode.SmoothTransformation)
                self.close_up.setPixmap(pix)
            self.close_up.setToolTip("\n".join(res.lines))

        def failed(exc: BaseException) -> None:
            self._stamp_key = None
            self.close_up.setText(describe_error(exc))

        self.ctx.tasks.run(lambda: services.stamp_images(self.ctx, d, cert_label), on_done=done, on_error=failed)

    # --- signing ----------------------------------------------------------------------------------------
    def sign(self, *, problem: str = "") -> None:
        t = self.current_token()
        d, wa = self.ctx.dossier, self.ctx.workarea
        if t is None and d is not None and self.task is None and not services.sign_blockers(self.ctx):
            self.load_tokens(then=self.sign)   # F9 after plugging the token back: look for it, then sign
            return
        if t is None or d is None or wa is None or not self.sign_btn.isEnabled() and not problem:
            return
        dlg = PinDialog(t.label, t.tries_left, problem, t.final_try, self)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return
        pin = dlg.take_pin()
        key_id = self.cert.currentData()
        role = services.signing_role(self.ctx)
        progress = UiProgress(self.tr("Signing the dossier"), shown_by_screen=True)
        progress.listeners.append(self._progress)
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel_btn.show()

        self._batch += 1
        batch = self._batch

        def on_file(component_id: str, state: str) -> None:
            # a late state from a batch that has ended must not bring back "making PDF/A…"
            self.ctx.tasks.run_on_main(lambda: self._file_state(component_id, state)
                                       if batch == self._batch else None)

        def done(result) -> None:
            self._finish()
            if result.get("queued"):
                self.ctx.info(self.tr("Dossier {0} signed; its files wait in the upload queue.").format(d.receipt_code))
            else:
                self.ctx.info(self.tr("Dossier {0} signed by the clerk; the certified copy (SAO Y) is next.")
                              .format(d.receipt_code))
            self.ctx.dossier_changed.emit()
            if role == "clerk":                   # the organisation's token is never the clerk's preference
                self.ctx.tasks.run(lambda: services.remember_token(self.ctx, t.label, key_id))
            self._choose_for_role()
            self.sign_btn.setFocus()
            self.load_sizes()
            if services.signing_role(self.ctx) == "copy":
                self._show_stamp()            # the SAO Y next: drawn on the file the clerk signed
            else:
                self._show_signed()

        def failed(exc: BaseException) -> None:
            self._batch += 1                  # the unsigned files go back to their saved state
            self._finish()
            self.ctx.dossier_changed.emit()
            self.ctx.health_probe.emit()      # the token light tells the truth (pulled out, back in)
            if isinstance(exc, Cancelled):
                self.ctx.info(self.tr("Signing stopped. Files already signed are kept."))
                return
            if isinstance(exc, ScanStationError) and services.is_wrong_pin(exc):
                info = services.pin_info(exc)
                t.tries_left, t.final_try = info.get("tries_left", t.tries_left), info.get("final_try", t.final_try)
                self.sign(problem=describe_error(exc))
                return
            self.ctx.error(describe_error(exc))
            if isinstance(exc, ScanStationError) and exc.code == "TOKEN_REMOVED":
                self.load_tokens()            # the list shows what is plugged in now

        pin_box = [pin]     # emptied by the work function: nothing keeps the PIN after the token has it
        del pin
        self.task = self.ctx.tasks.run(
            lambda p: services.sign_dossier(self.ctx, d, wa, t.label, key_id, pin_box.pop(), p, on_file),
            on_done=done, on_error=failed, progress=progress, lane="token", label=self.tr("Signing the dossier"))
        self._refresh()

    def _progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)

    def _file_state(self, component_id: str, state: str) -> None:
        self.file_states[component_id] = state
        self._refresh()

    def _finish(self) -> None:
        self.task = None
        self.file_states.clear()
        self.bar.hide()
        self.cancel_btn.hide()
        self._refresh()

    def _show_signed(self) -> None:
        d, wa = self.ctx.dossier, self.ctx.workarea
        if d is None or wa is None:
            return

        def done(png: bytes | None) -> None:
            img = QImage.fromData(png) if png else QImage()
            if not img.isNull():
                self.preview.set_page(img, img.size(), self.tr("Signed file, page 1 as a reader shows it"))

        self.ctx.tasks.run(lambda: services.signed_page1_png(self.ctx, d, wa, dpi=110), on_done=done,
                           on_error=lambda e: None)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def escape(self) -> bool:
        if self.task is not None:
            self.cancel()
            return True
        return False
