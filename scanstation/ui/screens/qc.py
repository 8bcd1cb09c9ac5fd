"""QC panel: every finding in plain words, its page highlighted, the fix one key away, overrides with a reason."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick
from scanstation.ui.pages_view import PagePreview, load_preview
from scanstation.ui.screens.base import Screen
from scanstation.ui.screens.capture import page_label
from scanstation.ui.widgets import COLOURS, banner_style, make_banner

SEVERITY_MARK = {"block": "✗", "warn": "⚠", "info": "ℹ"}
SEVERITY_COLOUR = {"block": COLOURS["error"], "warn": COLOURS["warn"], "info": COLOURS["info"]}


class StickyPairView(QWidget):
    """The sticky-note pair side by side: the page with its note, and the same page with the note removed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.left = PagePreview(self)
        self.right = PagePreview(self)
        row.addWidget(self.left)
        row.addWidget(self.right)
        self.verdict = QLabel(self)
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("font-size: 11pt; font-weight: 600;")
        lay.addLayout(row, 1)
        lay.addWidget(self.verdict)


class QcScreen(Screen):
    key = "qc"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        self.banner = make_banner(self, "ok")
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(split, 1)

        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.lab_findings = QLabel(left)
        self.findings = QListWidget(left)
        self.findings.setWordWrap(True)
        self.findings.setSpacing(2)
        self.findings.setMinimumWidth(380)
        ll.addWidget(self.lab_findings)
        ll.addWidget(self.findings, 1)
        self.show_info = QCheckBox(left)
        self.show_info.toggled.connect(lambda _on: self.refresh())
        ll.addWidget(self.show_info)
        self.rerun_btn = QPushButton(left)
        ll.addWidget(self.rerun_btn)

        right = QWidget(split)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        self.detail = QLabel(right)
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("font-size: 11pt;")
        rl.addWidget(self.detail)
        self.views = QStackedWidget(right)
        self.preview = PagePreview(self.views)
        self.pair = StickyPairView(self.views)
        self.views.addWidget(self.preview)
        self.views.addWidget(self.pair)
        rl.addWidget(self.views, 1)
        actions = QHBoxLayout()
        self.fix_btn = QPushButton(right)
        self.fix_btn.setStyleSheet("font-weight: 600; padding: 6px;")
        self.override_btn = QPushButton(right)
        actions.addWidget(self.fix_btn)
        actions.addWidget(self.override_btn)
        actions.addStretch(1)
        self.next_btn = QPushButton(right)
        actions.addWidget(self.next_btn)
        rl.addLayout(actions)
        self.reason_row = QWidget(right)
        rr = QHBoxLayout(self.reason_row)
        rr.setContentsMargins(0, 0, 0, 0)
        self.reason_label = QLabel(self.reason_row)
        self.reason = QLineEdit(self.reason_row)
        self.reason_label.setBuddy(self.reason)
        self.reason_ok = QPushButton(self.reason_row)
        rr.addWidget(self.reason_label)
        rr.addWidget(self.reason, 1)
        rr.addWidget(self.reason_ok)
        self.reason_row.hide()
        rl.addWidget(self.reason_row)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 820])

        self.items: list[services.FindingRef] = []
        self.findings.currentRowChanged.connect(self._selected)
        self.fix_btn.clicked.connect(self.fix)
        self.override_btn.clicked.connect(self.ask_override)
        self.reason_ok.clicked.connect(self.confirm_override)
        self.reason.returnPressed.connect(self.confirm_override)
        self.rerun_btn.clicked.connect(self.rerun)
        self.next_btn.clicked.connect(lambda: self.ctx.navigate.emit("metadata"))
        self.findings.itemActivated.connect(lambda _i: self.fix())
        self.shortcut("Ctrl+O", self.ask_override)
        self.shortcut("I", self.show_info.toggle, within=self.findings)
        self.shortcut("F5", self.rerun)
        self.shortcut("F8", lambda: self.ctx.navigate.emit("metadata"))
        ctx.findings_changed.connect(self.refresh)
        ctx.dossier_changed.connect(self.refresh)
        self.retranslate()
        self.refresh()

    def title(self) -> str:
        return self.tr("Check")

    def retranslate(self) -> None:
        self.lab_findings.setText(self.tr("Findings (Up/Down to move, Enter to fix)"))
        self.rerun_btn.setText(self.tr("Check again (F5)"))
        self.show_info.setText(self.tr("Also show information about single pages (I)"))
        self.override_btn.setText(self.tr("Accept with a reason (Ctrl+O)"))
        self.next_btn.setText(self.tr("Document details (F8)"))
        self.reason_label.setText(self.tr("&Reason:"))
        self.reason.setPlaceholderText(self.tr("Why the dossier is right as it is, e.g. the applicant brought 3 sheets"))
        self.reason_ok.setText(self.tr("Record (Enter)"))
        self.refresh()

    def activated(self) -> None:
        self.refresh()
        self.findings.setFocus()
        if services.stale_components(self.ctx):
            self.rerun()                        # pages changed since the last check: check them again

    def escape(self) -> bool:
        if self.reason_row.isVisible():
            self.reason_row.hide()
            self.findings.setFocus()
            return True
        return False

    # --- list ------------------------------------------------------------------------------------------
    @staticmethod
    def _message(ref) -> str:
        """The finding's text, with a page's file name (how QC names it) replaced by 'Sheet 2 · back'."""
        f = ref.finding
        msg = pick(f["message_vi"], f["message_en"])
        if ref.page_level and len(f.get("pages", [])) == 1:
            page = services.page_at(ref.component, f["pages"][0])
            name = Path(page.file).name if page else None
            if name and msg.startswith(name + ": "):
                msg = page_label(page, ref.component).split("\n")[0] + ": " + msg[len(name) + 2:]
        return msg

    def refresh(self) -> None:
        if not self.isVisible():       # rebuilt when shown: a long list costs the GUI thread while scanning
            self._dirty = True
            return
        self._dirty = False
        keep = self.findings.currentRow()
        self.items = [r for r in services.all_findings(self.ctx)
                      if self.show_info.isChecked() or not (r.page_level and r.finding.get("severity") == "info")]
        self.findings.blockSignals(True)
        self.findings.clear()
        for ref in self.items:
            f = ref.finding
            sev = f.get("severity", "info")
            text = f"{SEVERITY_MARK.get(sev, '')} {ref.component.name}: {self._message(ref)}"
            if f.get("override"):
                text += "\n   " + self.tr("Accepted by {0}: {1}").format(f["override"]["by"], f["override"]["reason"])
            item = QListWidgetItem(text)
            item.setForeground(QColor(SEVERITY_COLOUR.get(sev, "#202124") if not f.get("override") else COLOURS["off"]))
            self.findings.addItem(item)
        self.findings.blockSignals(False)
        blocking = services.blocking_count(self.ctx)
        d = self.ctx.dossier
        if d is None:
            level, text = "off", self.tr("No dossier open.")
        elif not services.qc_ran(self.ctx):
            level, text = "warn", self.tr("The pages have not been checked yet: scan them first (Ctrl+3).")
        elif blocking:
            level, text = "error", self.tr("Signing is blocked: {0} problem(s) to fix or accept with a reason.").format(blocking)
        else:
            level, text = "ok", self.tr("Nothing blocks signing. Check the warnings, then press F8.")
        self.banner.setText(text)
        self.banner.setStyleSheet(banner_style(level))
        if self.items:
            self.findings.setCurrentRow(min(max(keep, 0), len(self.items) - 1))
            self._selected(self.findings.currentRow())
        else:
            self.detail.setText(self.tr("No findings."))
            self.preview.clear(self.tr("Select a finding to see its page."))
            self.views.setCurrentWidget(self.preview)
            self.fix_btn.setText(self._fix_text(None))
            self.fix_btn.setEnabled(False)
            self.override_btn.setEnabled(False)

    def current(self) -> services.FindingRef | None:
        row = self.findings.currentRow()
        return self.items[row] if 0 <= row < len(self.items) else None

    def _selected(self, row: int) -> None:
        ref = self.current()
        self.reason_row.hide()
        if ref is None:
            return
        f = ref.finding
        fix = services.fix_for(ref)
        sev_words = {"block": self.tr("Blocks signing"), "warn": self.tr("Warning"), "info": self.tr("Information")}
        pages = [p for p in (services.page_at(ref.component, i) for i in f.get("pages", [])) if p]
        where = ", ".join(page_label(p, ref.component).replace("\n", " ") for p in pages)
        self.detail.setText(f"<b style='color:{SEVERITY_COLOUR.get(f['severity'], '#202124')}'>"
                            f"{sev_words.get(f['severity'], '')}</b> — {self._message(ref)}"
                            + ("<br>" + self.tr("Pages: {0}").format(where) if where else ""))
        self.fix_btn.setText(self._fix_text(fix) + " (Enter)")
        self.fix_btn.setEnabled(fix is not None)
        self.override_btn.setEnabled(f.get("severity") != "info" and not f.get("override")
                                     and (f.get("overridable", True) or f.get("code") == "DEVICE_EVENT"))
        pair = services.sticky_pair_for(ref)
        if pair is not None:
            self._show_pair(ref, pair)
        elif pages:
            self._show_page(ref, pages[0])
        else:
            self.views.setCurrentWidget(self.preview)
            self.preview.clear(self.tr("This finding is about the whole component, not one page."))

    def _fix_text(self, fix: str | None) -> str:
        return {
            "rescan": self.tr("Rescan this sheet"),
            "continue": self.tr("Scan the missing sheets"),
            "note_removed": self.tr("Remove the note and rescan"),
            "restore": self.tr("Restore the excluded page"),
            "redo_note": self.tr("Scan the page again without the note"),
            "delete": self.tr("Delete the duplicate"),
            "goto": self.tr("Show the page"),
            "rotate": self.tr("Turn the page upright"),
            "rescan_all": self.tr("Rescan the whole component"),
            None: self.tr("No fix needed"),
        }[fix]

    def _show_page(self, ref: services.FindingRef, page) -> None:
        self.views.setCurrentWidget(self.preview)
        wa = self.ctx.workarea
        if wa is None:
            return
        path = wa.root / page.file
        caption = page_label(page, ref.component).replace("\n", " · ")

        def done(res) -> None:
            if self.current() is ref:
                self.preview.set_page(res[0], res[1], caption)
                self.preview.set_regions(services.page_regions(page, self.tr("note"), highlight_all=True))

        self.ctx.tasks.run(lambda: load_preview(path, 1000), on_done=done, on_error=lambda e: None)

    def _show_pair(self, ref: services.FindingRef, pair) -> None:
        self.views.setCurrentWidget(self.pair)
        with_note, removed, verified = pair
        wa = self.ctx.workarea
        if verified is True:
            self.pair.verdict.setText(f"<span style='color:{COLOURS['ok']}'>✓ " +
                                      self.tr("Same page, note removed: both images go into the PDF, with the note first.")
                                      + "</span>")
        elif verified is False:
            self.pair.verdict.setText(f"<span style='color:{COLOURS['error']}'>✗ " +
                                      self.tr("The second scan is not the same page, or the note is still there. "
                                              "Rescan the sheet without the note.") + "</span>")
        else:
            self.pair.verdict.setText(self.tr("Waiting for the scan without the note (F6 on the Scan screen)."))
        for view, page in ((self.pair.left, with_note), (self.pair.right, removed)):
            if page is None or wa is None:
                view.clear(self.tr("Not scanned yet"))
                continue
            path = wa.root / page.file
            cap = page_label(page, ref.component).replace("\n", " · ")

            def done(res, view=view, page=page, cap=cap) -> None:
                view.set_page(res[0], res[1], cap)
                view.set_regions(services.page_regions(page, self.tr("note")))

            self.ctx.tasks.run(lambda path=path: load_preview(path, 900), on_done=done, on_error=lambda e: None)

    # --- actions ---------------------------------------------------------------------------------------
    def fix(self) -> None:
        ref = self.current()
        if ref is None:
            return
        fix = services.fix_for(ref)
        if fix is None:
            return
        capture = self.window().screens.get("capture") if hasattr(self.window(), "screens") else None
        pages = [p for p in (services.page_at(ref.component, i) for i in ref.finding.get("pages", [])) if p]
        c, d, wa = ref.component, self.ctx.dossier, self.ctx.workarea
        if fix == "rotate" and pages and d is not None and wa is not None:   # OCR reads the page as turned
            deg = int(ref.finding.get("rotate", 0)) or 180
            pid = pages[0].id

            def turned(_r) -> None:
                self.ctx.pages_changed.emit(c.id)
                self.rerun()

            self.ctx.tasks.run(lambda: services.rotate_page(self.ctx, d, wa, c, pid, deg), on_done=turned,
                               label=self.tr("Fixing"))
            return
        if fix in ("restore", "delete", "redo_note") and pages:
            if fix == "restore":
                ids = [p.id for p in pages if not p.kept]
                work = lambda: services.restore_pages(self.ctx, d, wa, c, ids)  # noqa: E731
            else:                       # the duplicate, or the wrong scan without the note, goes
                work = lambda: services.remove_pages(self.ctx, d, wa, c, [pages[-1].id])  # noqa: E731

            def done(_r) -> None:
                self.ctx.pages_changed.emit(c.id)
                if fix == "redo_note" and capture is not None:
                    self.ctx.navigate.emit("capture")
                    capture.show_component(c.id, pages[0].id)
                    capture.rescan_sheet()
                else:
                    self.rerun()

            self.ctx.tasks.run(work, on_done=done, label=self.tr("Fixing"))
            return
        if capture is None:
            return
        if fix == "rescan_all":         # the whole component again: its pages go (one Ctrl+Z brings them back)
            ids = [p.id for p in c.pages]
            if d is None or wa is None:
                return

            def rescan(_r: object) -> None:
                capture.after_page_op(c.id)
                self.ctx.navigate.emit("capture")
                capture.show_component(c.id)
                capture.scan_or_continue()

            self.ctx.tasks.run(lambda: services.remove_pages(self.ctx, d, wa, c, ids), on_done=rescan,
                               label=self.tr("Fixing"))
            return
        self.ctx.navigate.emit("capture")
        capture.show_component(ref.component.id, pages[0].id if pages else None)
        if fix in ("rescan", "note_removed"):
            capture.rescan_sheet()
        elif fix == "continue":
            capture.scan_or_continue()

    def ask_override(self) -> None:
        ref = self.current()
        if ref is None or not self.override_btn.isEnabled():
            return
        self.reason.clear()
        self.reason_row.show()
        self.reason.setFocus()

    def confirm_override(self) -> None:
        ref = self.current()
        reason = self.reason.text().strip()
        if ref is None:
            return
        if not reason:
            self.ctx.warn(self.tr("Type the reason first: it goes to the audit log."))
            self.reason.setFocus()
            return
        d, wa = self.ctx.dossier, self.ctx.workarea

        def done(_r) -> None:
            self.reason_row.hide()
            self.ctx.findings_changed.emit()
            self.findings.setFocus()

        def failed(e: BaseException) -> None:
            self.ctx.error(describe_error(e))

        self.ctx.tasks.run(lambda: services.override(self.ctx, d, wa, ref, reason), on_done=done, on_error=failed)

    def rerun(self) -> None:
        d, wa = self.ctx.dossier, self.ctx.workarea
        if d is None or wa is None:
            return
        self.ctx.tasks.run(lambda p: services.check_dossier(self.ctx, d, wa, p), on_done=lambda _r: self.ctx.findings_changed.emit(),
                           progress=True, label=self.tr("Checking the pages"))
