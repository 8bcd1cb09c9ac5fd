"""Metadata: the ten fields of each digitised paper (seed 002), validated before signing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from scanstation.model import Component
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import pick
from scanstation.ui.pages_view import PagePreview, load_preview
from scanstation.ui.screens.base import Screen
from scanstation.ui.widgets import COLOURS

FIELDS = ("document_type_code", "holder_identifier", "holder_name", "document_name", "number_symbol", "issue_date",
          "issuing_body", "summary", "valid_until", "validity_scope", "extra")


class MetadataScreen(Screen):
    key = "metadata"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        split = QSplitter(self)
        outer.addWidget(split, 1)
        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.lab_components = QLabel(left)
        self.components = QListWidget(left)
        self.components.setMinimumWidth(180)
        ll.addWidget(self.lab_components)
        ll.addWidget(self.components, 1)
        self.box = QGroupBox(split)
        box_lay = QVBoxLayout(self.box)
        form = QFormLayout()
        form.setVerticalSpacing(4)
        box_lay.addLayout(form)
        box_lay.addStretch(1)           # spare height below the fields, not between a field and its mark
        self.edits: dict[str, QLineEdit | QPlainTextEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        for f in FIELDS:
            w = QPlainTextEdit(self.box) if f in ("summary", "extra") else QLineEdit(self.box)
            if isinstance(w, QPlainTextEdit):
                w.setTabChangesFocus(True)
                w.setMaximumHeight(64)
            lab = QLabel(self.box)
            lab.setBuddy(w)
            err = QLabel(self.box)
            err.setStyleSheet(f"color: {COLOURS['error']}; font-size: 9pt;")   # compact: one short line
            err.setWordWrap(True)
            err.hide()
            if isinstance(w, QLineEdit):
                w.returnPressed.connect(lambda f=f: self._enter_next(f))      # Enter: the next field
                w.textChanged.connect(lambda _t, f=f: self._edited(f))
            else:
                w.textChanged.connect(lambda f=f: self._edited(f))
            col = QVBoxLayout()
            col.setSpacing(0)
            col.addWidget(w)
            col.addWidget(err)
            form.addRow(lab, col)
            self.edits[f], self.labels[f], self.errors[f] = w, lab, err
        # the paper's page 1 beside the fields (zoomable: Ctrl+wheel, or +/- with it focused): details are
        # copied from the paper, not typed blind
        self.page = PagePreview(split)
        self.page.setMinimumWidth(300)
        split.addWidget(left)
        split.addWidget(self.box)
        split.addWidget(self.page)
        split.setSizes([200, 560, 420])
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 1)
        bottom = QHBoxLayout()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.save_btn = QPushButton(self)
        self.next_btn = QPushButton(self)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.save_btn)
        bottom.addWidget(self.next_btn)
        outer.addLayout(bottom)
        self.components.currentRowChanged.connect(self._component_changed)
        self.save_btn.clicked.connect(self.save)
        self.next_btn.clicked.connect(self.save_and_next)
        self.shortcut("Ctrl+S", self.save)
        self.shortcut("F8", self.save_and_next)
        self.shortcut("Alt+Up", lambda: self._switch(-1))
        self.shortcut("Alt+Down", lambda: self._switch(1))
        self._shown: Component | None = None
        self._filling = False
        self._page_shown: str | None = None
        ctx.dossier_changed.connect(self.reload)
        self.retranslate()
        self.reload()

    def title(self) -> str:
        return self.tr("Document details")

    def retranslate(self) -> None:
        names = {
            "document_type_code": self.tr("1. Document type code"),
            "holder_identifier": self.tr("2. Holder's identifier"),
            "holder_name": self.tr("   or holder's name (no identifier)"),
            "document_name": self.tr("3. Document name"),
            "number_symbol": self.tr("4. Number and symbol"),
            "issue_date": self.tr("5. Issue date"),
            "issuing_body": self.tr("6. Issuing body"),
            "summary": self.tr("7. Summary"),
            "valid_until": self.tr("8. Valid until"),
            "validity_scope": self.tr("9. Validity scope"),
            "extra": self.tr("10. Other fields (name = value per line)"),
        }
        for f, text in names.items():
            self.labels[f].setText(text)
        for f in ("issue_date", "valid_until"):
            self.edits[f].setPlaceholderText(self.tr("dd/mm/yyyy"))
        self.edits["extra"].setPlaceholderText(self.tr("e.g. Số khung = RLHJA3906KY123456"))
        self.lab_components.setText(self.tr("Papers (Alt+Up/Down)"))
        self.box.setTitle(self.tr("Details of the paper"))
        self.save_btn.setText(self.tr("Save (Ctrl+S)"))
        self.next_btn.setText(self.tr("Save and sign (F8)"))
        self.reload()

    def digitised(self) -> list[Component]:
        return [c for c in self.ctx.dossier.components if c.digitised] if self.ctx.dossier else []

    def reload(self) -> None:
        """The dossier changed (a scan, an upload's state): redraw, staying on the paper the clerk is on (what
        was typed is already in the dossier: fields are collected as typed)."""
        comps = self.digitised()
        keep = comps.index(self._shown) if self._shown in comps else 0
        self._shown = None
        self.components.blockSignals(True)
        self.components.clear()
        for c in comps:
            problems = services.metadata_problems(c, self.ctx.dossier, self.ctx.settings.profile)
            self.components.addItem(("✓ " if not problems else "✗ ") + c.name)
        self.components.setCurrentRow(keep if keep < self.components.count() else 0)
        self.components.blockSignals(False)
        if self.components.count():
            self._component_changed(self.components.currentRow())

    def _switch(self, delta: int) -> None:
        self._collect()
        row = min(max(0, self.components.currentRow() + delta), self.components.count() - 1)
        self.components.setCurrentRow(row)

    def _component_changed(self, row: int) -> None:
        if self._shown is not None:
            self._collect()
        comps = self.digitised()
        if not 0 <= row < len(comps):
            return
        c = comps[row]
        self._shown = c
        values = services.metadata_as_text(c, self.ctx.dossier)
        self._filling = True
        for f, w in self.edits.items():
            if isinstance(w, QPlainTextEdit):
                w.setPlainText(values.get(f, ""))
            else:
                w.setText(values.get(f, ""))
        self._filling = False
        self._show_page(c)
        # checked as shown: the values prefilled from the dossier count (a filled field was once flagged empty)
        self._show_problems(c, self._collect())
        focus = QApplication.focusWidget()
        if self.isVisible() and focus is not None and self.isAncestorOf(focus):
            self.focus_first()                  # another paper (Alt+Up/Down): its first field to fill

    def _show_page(self, c: Component) -> None:
        """Page 1 of the paper, read on a worker thread (the GUI thread never decodes a scan)."""
        wa = self.ctx.workarea
        kept = c.kept_pages()
        if wa is None or not kept:
            self._page_shown = None
            self.page.clear(self.tr("This paper has no scanned page yet."))
            return
        page = kept[0]
        if self._page_shown == page.file and self.page.has_image():
            return
        self._page_shown = page.file
        path = wa.root / page.file

        def done(res) -> None:
            img, full = res
            if self._shown is c and self._page_shown == page.file:
                self.page.set_page(img, full, self.tr("Page 1 of {0}").format(c.name))

        self.ctx.tasks.run(lambda: load_preview(path, 1400), on_done=done, on_error=lambda e: None)

    def _enter_next(self, field: str) -> None:
        i = FIELDS.index(field)
        if i + 1 < len(FIELDS):
            self.edits[FIELDS[i + 1]].setFocus(Qt.FocusReason.TabFocusReason)

    def _edited(self, field: str) -> None:
        """Live validation: a field's mark goes as soon as it is filled; the rest is checked as typed."""
        if self._filling or self._shown is None:
            return
        c = self._shown
        parse_problems = self._collect()
        self._show_problems(c, parse_problems, live=field)

    def _text(self, field: str) -> str:
        w = self.edits[field]
        return w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()

    def first_problem_field(self) -> QWidget | None:
        """Where the cursor goes: the first field with a problem, else the first empty one."""
        for f in FIELDS:
            if self.errors[f].isVisibleTo(self):
                return self.edits[f]
        for f in FIELDS:
            if not self._text(f):
                return self.edits[f]
        return None

    def focus_first(self) -> None:
        target = self.first_problem_field()
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            super().focus_first()

    def _collect(self) -> list[services.FieldProblem]:
        c = self._shown
        if c is None:
            return []
        values = {f: (w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()) for f, w in self.edits.items()}
        return services.set_metadata_from_text(c, values)

    def _show_problems(self, c: Component, parse_problems: list[services.FieldProblem] | None = None,
                       live: str | None = None) -> bool:
        """Mark the fields with a problem. ``live``: the field being typed in; while typing, marks only go away
        (a half-typed date is not an error yet) and other fields keep theirs."""
        problems = (parse_problems or []) + services.metadata_problems(c, self.ctx.dossier, self.ctx.settings.profile)
        by_field: dict[str, str] = {}
        for p in problems:
            by_field.setdefault(p.field, pick(p.vi, p.en))
        for f, err in self.errors.items():
            text = by_field.get(f)
            if live is not None and text is not None:
                if f != live or not self._text(f).strip():
                    continue                     # no new mark while the clerk types; the mark stays till filled
                text = None                      # the field being typed in is filled: its mark goes now
            err.setVisible(text is not None)
            err.setText(text or "")
            self.edits[f].setStyleSheet(f"border: 1px solid {COLOURS['error']};" if text else "")
        row = self.digitised().index(c) if c in self.digitised() else -1
        if row >= 0 and self.components.item(row):
            self.components.item(row).setText(("✓ " if not problems else "✗ ") + c.name)
        return not problems

    def save(self) -> bool:
        parse_problems = self._collect()
        ok = self._shown is None or self._show_problems(self._shown, parse_problems)
        d = self.ctx.dossier
        if d is None:
            return False
        all_ok = ok and all(not services.metadata_problems(c, d, self.ctx.settings.profile) for c in self.digitised())
        self.ctx.tasks.run(lambda: services.save_dossier(self.ctx), label=self.tr("Saving"))
        self.status.setText(self.tr("Saved.") if all_ok else
                            f"<span style='color:{COLOURS['error']}'>" +
                            self.tr("Saved, but some papers still miss required details (marked ✗).") + "</span>")
        if not ok:
            for f, err in self.errors.items():
                if err.isVisible():
                    self.edits[f].setFocus()
                    break
        return all_ok

    def save_and_next(self) -> None:
        if self.save():
            self.ctx.navigate.emit("sign")
