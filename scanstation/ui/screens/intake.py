"""Intake: receipt code, procedure, applicant and authorising party, components to digitise."""

from __future__ import annotations

import html
import re
import time
from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from scanstation.dossier_io import load_dossier_file, parse_dossier
from scanstation.errors import ScanStationError
from scanstation.identifiers import check_identifier
from scanstation.model import DigitisationClass, Dossier, IdType, Party, PartyKind, new_id
from scanstation.resources import resource
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick
from scanstation.ui.screens.base import Screen
from scanstation.ui.widgets import COLOURS, guard_wheel

BURST_GAP_S = 0.05     # longer pauses between two characters are a person typing, not a 2D reader

ID_TYPES_BY_KIND = {
    PartyKind.CITIZEN: (IdType.CCCD, IdType.CMND, IdType.PASSPORT, IdType.NONE),
    PartyKind.FOREIGNER: (IdType.PASSPORT, IdType.NONE),
    PartyKind.ORGANISATION: (IdType.TAX_CODE, IdType.ORG_CODE, IdType.NONE),
}


class PartyEditor(QGroupBox):
    """One party: kind, identifier (checked as typed), name, birth date or founding year.

    The identifier field also takes a handheld 2D reader's burst (the chip CCCD's QR typed as keys,
    ending with Enter): the party is filled from the card; a QR that is not a CCCD leaves the form
    as it was before the burst and says why (``card_failed``).
    """

    changed = Signal()
    card_read = Signal(object)       # the CccdCard the party was filled from
    card_failed = Signal(str)        # what was wrong with the QR, for the clerk

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.kind = QComboBox(self)
        self.id_type = QComboBox(self)
        self.number = QLineEdit(self)
        self.check = QLabel(self)
        self.check.setWordWrap(True)
        self.name = QLineEdit(self)
        self.birth = QDateEdit(self)
        self.birth.setDisplayFormat("dd/MM/yyyy")
        self.birth.setCalendarPopup(True)
        self.birth.setDate(QDate(1990, 1, 1))
        self.founding = QSpinBox(self)
        self.founding.setRange(1800, date.today().year)
        self.founding.setValue(2000)
        self.lab_kind, self.lab_type, self.lab_number = QLabel(self), QLabel(self), QLabel(self)
        self.lab_name, self.lab_birth, self.lab_founding = QLabel(self), QLabel(self), QLabel(self)
        for lab, w in ((self.lab_kind, self.kind), (self.lab_type, self.id_type), (self.lab_number, self.number),
                       (None, self.check), (self.lab_name, self.name), (self.lab_birth, self.birth),
                       (self.lab_founding, self.founding)):
            if lab is None:
                form.addRow("", w)
            else:
                lab.setBuddy(w)
                form.addRow(lab, w)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.id_type.currentIndexChanged.connect(self._type_changed)
        self.number.textChanged.connect(self.validate_number)
        self.number.textChanged.connect(self._remember_typed)
        self.number.returnPressed.connect(self.read_card_burst)
        self._typed = ""               # the field as the clerk typed it, before any reader burst
        self.burst_failed = False
        self._prev_text, self._last_change = "", 0.0
        self.retranslate()
        self._kind_changed()

    def retranslate(self) -> None:
        self.lab_kind.setText(self.tr("&Kind"))
        self.lab_type.setText(self.tr("Identifier &type"))
        self.lab_number.setText(self.tr("Identifier &number"))
        self.lab_name.setText(self.tr("Full &name"))
        self.lab_birth.setText(self.tr("&Birth date"))
        self.lab_founding.setText(self.tr("&Founding year"))
        kinds = {PartyKind.CITIZEN: self.tr("Vietnamese citizen"), PartyKind.FOREIGNER: self.tr("Foreigner"),
                 PartyKind.ORGANISATION: self.tr("Organisation")}
        cur = self.kind.currentData()
        self.kind.blockSignals(True)
        self.kind.clear()
        for k, text in kinds.items():
            self.kind.addItem(text, k)
        self.kind.setCurrentIndex(max(0, self.kind.findData(cur)))
        self.kind.blockSignals(False)
        self._fill_types()
        self.validate_number()

    def type_names(self) -> dict[IdType, str]:
        return {IdType.CCCD: self.tr("Personal identification number (CCCD, 12 digits)"),
                IdType.CMND: self.tr("Old ID card (CMND)"), IdType.PASSPORT: self.tr("Passport"),
                IdType.TAX_CODE: self.tr("Tax code"), IdType.ORG_CODE: self.tr("Organisation code"),
                IdType.NONE: self.tr("No identifier")}

    def _fill_types(self) -> None:
        kind = PartyKind(self.kind.currentData() or PartyKind.CITIZEN)
        cur = self.id_type.currentData()
        names = self.type_names()
        self.id_type.blockSignals(True)
        self.id_type.clear()
        for t in ID_TYPES_BY_KIND[kind]:
            self.id_type.addItem(names[t], t)
        idx = self.id_type.findData(cur)
        self.id_type.setCurrentIndex(idx if idx >= 0 else 0)
        self.id_type.blockSignals(False)
        self._type_changed()

    def _kind_changed(self) -> None:
        self._fill_types()

    def _type_changed(self) -> None:
        none = self.id_type.currentData() == IdType.NONE
        org = self.kind.currentData() == PartyKind.ORGANISATION
        for w in (self.number, self.lab_number, self.check):
            w.setVisible(not none)
        for w in (self.birth, self.lab_birth):
            w.setVisible(none and not org)
        for w in (self.founding, self.lab_founding):
            w.setVisible(none and org)
        self.validate_number()
        self.changed.emit()

    def validate_number(self) -> bool:
        """Check the identifier as typed: red for an error, amber for a structural hint, green when fine."""
        id_type = IdType(self.id_type.currentData() or IdType.NONE)
        if id_type == IdType.NONE:
            self.check.setText("")
            return True
        text = self.number.text()
        if not text.strip():
            hint = self.tr("Type the number as printed")
            self.check.setText(f"<span style='color:{COLOURS['off']}'>{hint}</span>")
            return False
        res = check_identifier(id_type, text)
        lines = [f"<span style='color:{COLOURS['error']}'>✗ {pick(n.vi, n.en)}</span>" for n in res.errors]
        lines += [f"<span style='color:{COLOURS['warn']}'>⚠ {pick(n.vi, n.en)}</span>" for n in res.hints]
        if res.ok and not res.hints:
            fine = self.tr("Looks right")
            lines.append(f"<span style='color:{COLOURS['ok']}'>✓ {fine}</span>")
        self.check.setText("<br>".join(lines))
        self.number.setProperty("invalid", not res.ok)
        self.number.setStyleSheet("" if res.ok else f"border: 2px solid {COLOURS['error']};")
        return res.ok

    @staticmethod
    def _looks_like_burst(text: str) -> bool:
        t = text.strip()
        return "|" in t or len(t) > 20 or "://" in t

    def _remember_typed(self, text: str) -> None:
        # A reader types a character every few milliseconds, a person every 100 ms or more: the text as it
        # stood before a quick run of changes is what the clerk typed (restored when the burst is no CCCD).
        now = time.monotonic()
        if now - self._last_change > BURST_GAP_S:
            self._typed = self._prev_text
        self._prev_text, self._last_change = text, now

    def _burst_start(self, text: str) -> int | None:
        """Where a reader's burst begins in the field (the clerk may have typed something first), or None."""
        typed = self._typed if text.startswith(self._typed) else ""
        rest = text[len(typed):]
        for pattern in (r"[0-9]{12}\|", r"[A-Za-z][A-Za-z0-9+.-]*://", r"000201"):
            if re.match(pattern, rest):
                return len(typed)
            m = re.search(pattern, text)
            if m:
                return m.start()
        return len(typed) if self._looks_like_burst(rest) else None

    def read_card_burst(self) -> bool:
        """Enter in the identifier field: a reader's CCCD QR fills the party; anything else is left alone."""
        text = self.number.text()
        start = self._burst_start(text)
        self.burst_failed = False
        if start is None:
            return False
        try:
            card = services.card_from_reader(text[start:])
        except ScanStationError as e:
            self.number.blockSignals(True)
            self.number.setText(text[:start])           # the form as it was before the burst
            self.number.blockSignals(False)
            self._typed = self._prev_text = text[:start]
            self.validate_number()
            self.burst_failed = True        # the cursor stays here (Enter does not move on)
            self.card_failed.emit(describe_error(e))
            return False
        self.kind.setCurrentIndex(max(0, self.kind.findData(PartyKind.CITIZEN)))
        self._fill_types()
        self.id_type.setCurrentIndex(max(0, self.id_type.findData(IdType.CCCD)))
        self.number.setText(card.id_number)
        self.name.setText(card.name)
        if card.birth_date:
            self.birth.setDate(QDate(card.birth_date.year, card.birth_date.month, card.birth_date.day))
        self.card_read.emit(card)
        return True

    def to_plain(self) -> dict[str, Any]:
        id_type = IdType(self.id_type.currentData() or IdType.NONE)
        kind = PartyKind(self.kind.currentData() or PartyKind.CITIZEN)
        d: dict[str, Any] = {"kind": kind.value, "name": self.name.text().strip(), "id_type": id_type.value}
        if id_type != IdType.NONE:
            d["id_number"] = self.number.text()
        elif kind == PartyKind.ORGANISATION:
            d["founding_year"] = self.founding.value()
        else:
            d["birth_date"] = self.birth.date().toPython().isoformat()
        return d

    def set_party(self, p: Party) -> None:
        self.kind.setCurrentIndex(self.kind.findData(p.kind))
        self._fill_types()
        self.id_type.setCurrentIndex(max(0, self.id_type.findData(p.id_type)))
        self.number.setText(p.id_number)
        self.name.setText(p.name)
        if p.birth_date:
            self.birth.setDate(QDate(p.birth_date.year, p.birth_date.month, p.birth_date.day))
        if p.founding_year:
            self.founding.setValue(p.founding_year)

    def focus_field(self, name: str) -> None:
        {"id_number": self.number, "name": self.name, "birth_date": self.birth,
         "founding_year": self.founding, "kind": self.kind, "id_type": self.id_type}.get(name, self.name).setFocus()


class ComponentRow(QFrame):
    """One component: name, document type code, digitisation class (+ reason), sheets, simplex/duplex."""

    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.component_id = new_id()
        self.metadata: dict[str, Any] | None = None
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        self.name = QLineEdit(self)
        self.code = QLineEdit(self)
        self.code.setMaximumWidth(110)
        self.cls = QComboBox(self)
        self.reason = QLineEdit(self)
        self.sheets = QSpinBox(self)
        self.sheets.setRange(0, 10000)
        self.sheets.setMinimumWidth(70)
        self.duplex = QCheckBox(self)
        self.duplex.setChecked(True)
        self.remove = QPushButton("✕", self)
        self.remove.setMaximumWidth(32)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))
        lay.addWidget(self.name, 0, 0)
        lay.addWidget(self.code, 0, 1)
        lay.addWidget(self.cls, 0, 2)
        lay.addWidget(self.sheets, 0, 3)
        lay.addWidget(self.duplex, 0, 4)
        lay.addWidget(self.remove, 0, 5)
        lay.addWidget(self.reason, 1, 0, 1, 5)
        lay.setColumnStretch(0, 3)
        lay.setColumnStretch(2, 2)
        self.cls.currentIndexChanged.connect(self._cls_changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.name.setPlaceholderText(self.tr("Paper name, e.g. Giấy chứng sinh"))
        self.code.setPlaceholderText(self.tr("Type code"))
        self.reason.setPlaceholderText(self.tr("Why it is not digitised (required)"))
        self.duplex.setText(self.tr("Two-sided"))
        self.sheets.setToolTip(self.tr("Number of sheets the applicant handed in"))
        self.sheets.setSuffix(self.tr(" sheets"))
        self.remove.setToolTip(self.tr("Remove this component"))
        cur = self.cls.currentData()
        self.cls.blockSignals(True)
        self.cls.clear()
        self.cls.addItem(self.tr("Must digitise"), DigitisationClass.MUST)
        self.cls.addItem(self.tr("Digitise on request (fee)"), DigitisationClass.ON_REQUEST)
        self.cls.addItem(self.tr("Not digitised"), DigitisationClass.NOT_DIGITISED)
        self.cls.setCurrentIndex(max(0, self.cls.findData(cur)))
        self.cls.blockSignals(False)
        self._cls_changed()

    def _cls_changed(self) -> None:
        nd = self.cls.currentData() == DigitisationClass.NOT_DIGITISED
        self.reason.setVisible(nd)
        self.duplex.setEnabled(not nd)

    def to_plain(self) -> dict[str, Any]:
        cls = DigitisationClass(self.cls.currentData() or DigitisationClass.MUST)
        d: dict[str, Any] = {"name": self.name.text().strip(), "document_type_code": self.code.text().strip(),
                             "class": cls.value, "sheets": self.sheets.value(), "duplex": self.duplex.isChecked()}
        if cls == DigitisationClass.NOT_DIGITISED:
            d["not_digitised_reason"] = self.reason.text().strip()
        if self.metadata:
            d["metadata"] = self.metadata
        return d

    def focus_field(self, name: str) -> None:
        {"name": self.name, "document_type_code": self.code, "class": self.cls, "sheets": self.sheets,
         "duplex": self.duplex, "not_digitised_reason": self.reason}.get(name, self.name).setFocus()


class IdentityPanel(QGroupBox):
    """The account party's digital identity and the papers the electronic store already holds, on the form.

    Asked on the task runner (never on the GUI thread: a network call) when the card is read or the
    identifier is typed in full, and again with "Check again". Per component whose type code matches a
    valid stored paper, one checkbox proposes to reuse it instead of scanning; the choices are recorded
    once the dossier is saved (``flow.reuse.reuse_at_intake``). Offline: "could not check", the clerk goes on.
    """

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.answer = QLabel(self)
        self.answer.setWordWrap(True)
        self.check_btn = QPushButton(self)
        self.check_btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        top.addWidget(self.answer, 1)
        top.addWidget(self.check_btn, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(top)
        self.props = QVBoxLayout()
        lay.addLayout(self.props)
        self.ans: Any = None                        # the IdentityAnswer shown (flow.reuse)
        self.asked: tuple[str, str] | None = None   # (id type, number) asked last (answered or in flight)
        self._seq = 0
        self.boxes: list[tuple[QCheckBox, ComponentRow, Any]] = []
        self._rows: list[ComponentRow] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(self.tr("Digital identity and papers already held electronically"))
        self._show()

    def focus_widgets(self) -> list[QWidget]:
        return [b for b, _r, _p in self.boxes]       # the button has Ctrl+I: the Tab walk stays as it was

    def reset(self) -> None:
        self._seq += 1                               # an answer still in flight is dropped
        self.ans, self.asked = None, None
        self._show()

    def ask(self, party: tuple[str, str] | None, *, force: bool = False) -> None:
        """Ask about ``party`` (id type, number) unless it is the one asked last (``force``: ask again)."""
        if party is None:
            if self.asked is not None:
                self.reset()
            return
        if party == self.asked and not force:
            return
        self._seq += 1
        seq = self._seq
        self.asked, self.ans = party, None
        self.answer.setText(self.tr("Checking the digital identity on the provincial system…"))
        self._set_boxes([])
        id_type, number = party

        def answered(ans: Any) -> None:
            if seq == self._seq:                    # the form still shows that identifier
                self.ans = ans
                self._show()

        def failed(exc: BaseException) -> None:
            if seq == self._seq:
                self.ans = None
                self.answer.setText(self.tr("Could not check the digital identity: {0}").format(describe_error(exc)))
                self._show_button(ok=False)

        self.ctx.tasks.run(lambda: services.identity_lookup(self.ctx, id_type, number), on_done=answered,
                           on_error=failed, label=self.tr("Checking the digital identity"))

    def party_changed(self, party: tuple[str, str] | None) -> None:
        """The form's identifier changed: an answer about another one no longer applies."""
        if self.asked is not None and party != self.asked:
            self.reset()
            if party is not None:
                self.answer.setText(self.tr("The identifier changed: check the digital identity again."))

    def _show_button(self, *, ok: bool) -> None:
        self.check_btn.setText(self.tr("Check digital identity (Ctrl+I)") if ok else self.tr("Check again (Ctrl+I)"))

    def _show(self) -> None:
        ans = self.ans
        if ans is None:
            if self.asked is None:
                self.answer.setText(self.tr("Read the ID card or type the identifier: the station checks the "
                                            "account and the papers already held electronically."))
            self._show_button(ok=True)
            self._set_boxes([])
            return
        good = ans.status == "checked"
        colour = COLOURS["ok"] if good else COLOURS["warn"]
        held = ", ".join(f"{p.name or p.type_code} ({p.type_code})" for p in ans.papers) if good else ""
        self.answer.setText(f"<span style='color:{colour}'>{'✓' if good else '⚠'} "
                            f"{pick(ans.message_vi, ans.message_en)}</span>"
                            + ("<br>" + self.tr("In the electronic store: {0}").format(held) if held else ""))
        self._show_button(ok=good)
        self.refresh(self._rows)

    def refresh(self, rows: list[ComponentRow]) -> None:
        """Per component of the form (to scan, with a type code), the stored papers it may reuse."""
        from scanstation.flow.reuse import papers_for

        self._rows = list(rows)
        props = []
        for row in rows:
            if row.cls.currentData() == DigitisationClass.NOT_DIGITISED:
                continue
            props += [(row, p) for p in papers_for(self.ans, row.code.text())]
        self._set_boxes(props)

    def _set_boxes(self, props: list[tuple[ComponentRow, Any]]) -> None:
        checked = {(r.component_id, p.document_id) for b, r, p in self.boxes if b.isChecked()}
        keep = [(r.component_id, p.document_id) for r, p in props]
        if keep == [(r.component_id, p.document_id) for _b, r, p in self.boxes]:
            for b, r, p in self.boxes:               # the same proposals: only their wording may change
                b.setText(self._box_text(r, p))
            return
        for b, _r, _p in self.boxes:
            b.setParent(None)
            b.deleteLater()
        self.boxes = []
        for row, paper in props:
            box = QCheckBox(self._box_text(row, paper), self)
            box.setChecked((row.component_id, paper.document_id) in checked)
            box.toggled.connect(lambda on, b=box: self._exclusive(b, on))
            self.props.addWidget(box)
            self.boxes.append((box, row, paper))

    def _box_text(self, row: ComponentRow, paper: Any) -> str:
        what = " ".join(x for x in (paper.name, paper.number_symbol) if x)
        return self.tr("Reuse for \"{0}\": {1} ({2}), already held electronically; it is not scanned").format(
            row.name.text().strip() or row.code.text().strip(), what, paper.document_id)

    def _exclusive(self, box: QCheckBox, on: bool) -> None:
        """One stored paper per component, and a paper for one component only."""
        if not on:
            return
        _b, row, paper = next(t for t in self.boxes if t[0] is box)
        for b, r, p in self.boxes:
            if b is not box and (r is row or p.document_id == paper.document_id):
                b.setChecked(False)

    def for_dossier(self, dossier: Dossier) -> tuple[Any, list[tuple[str, str]]] | None:
        """The answer and the chosen (component id, document id), if the answer is about the dossier's account
        party; None otherwise (nothing to keep)."""
        ans, party = self.ans, dossier.account_party
        if ans is None or (ans.id_type, ans.id_number) != (party.id_type.value, party.id_number):
            return None
        if ans.status == "not_configured":      # nothing was asked (no provincial system here): nothing to keep
            return None
        ids = {c.id for c in dossier.components}
        return ans, [(r.component_id, p.document_id) for b, r, p in self.boxes
                     if b.isChecked() and r.component_id in ids]


class IntakeScreen(Screen):
    key = "intake"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        # Which dossier the form is about: the open one (its intake can be corrected) or a new one.
        self.editing: str | None = None       # dossier id; "" = a new dossier; None = not decided yet
        self._seen: str | None = None         # the open dossier when the screen was last shown
        self.mode_label = QLabel(self)
        self.mode_label.setStyleSheet("font-weight: 600;")
        self.new_btn = QPushButton(self)
        self.new_btn.clicked.connect(self.new_dossier)
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.mode_label, 1)
        mode_row.addWidget(self.new_btn)
        outer.addLayout(mode_row)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget(scroll)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        lay = QVBoxLayout(body)

        self.dossier_box = QGroupBox(body)
        form = QFormLayout(self.dossier_box)
        self.receipt = QLineEdit(self.dossier_box)
        self.proc_code = QLineEdit(self.dossier_box)
        self.proc_name = QLineEdit(self.dossier_box)
        self.lab_receipt, self.lab_proc_code, self.lab_proc_name = QLabel(body), QLabel(body), QLabel(body)
        for lab, w in ((self.lab_receipt, self.receipt), (self.lab_proc_code, self.proc_code),
                       (self.lab_proc_name, self.proc_name)):
            lab.setBuddy(w)
            form.addRow(lab, w)
        lay.addWidget(self.dossier_box)

        parties = QHBoxLayout()
        self.applicant = PartyEditor(body)
        self.authorised = QCheckBox(body)
        self.authority = PartyEditor(body)
        right = QVBoxLayout()
        right.addWidget(self.authorised)
        right.addWidget(self.authority)
        right.addStretch(1)
        parties.addWidget(self.applicant, 1)
        parties.addLayout(right, 1)
        lay.addLayout(parties)
        self.authorised.toggled.connect(self.authority.setEnabled)
        self.authority.setEnabled(False)
        self.identity = IdentityPanel(ctx, body)
        lay.addWidget(self.identity)
        self.identity.check_btn.clicked.connect(lambda: self.check_identity(force=True))
        self.authorised.toggled.connect(lambda _on: self.check_identity())
        for party in (self.applicant, self.authority):
            party.card_read.connect(lambda _card: self.check_identity())
            party.number.editingFinished.connect(self.check_identity)
            party.number.textChanged.connect(lambda _t: self.identity.party_changed(self.account_party()))
            party.id_type.currentIndexChanged.connect(lambda _i: self.identity.party_changed(self.account_party()))

        self.comp_box = QGroupBox(body)
        cl = QVBoxLayout(self.comp_box)
        self.comp_header = QLabel(self.comp_box)
        self.comp_header.setStyleSheet("color: #5f6368;")
        cl.addWidget(self.comp_header)
        self.comp_list = QVBoxLayout()
        cl.addLayout(self.comp_list)
        self.add_btn = QPushButton(self.comp_box)
        self.add_btn.clicked.connect(lambda: self.add_component(focus=True))
        cl.addWidget(self.add_btn, 0, Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.comp_box)
        lay.addStretch(1)

        buttons = QHBoxLayout()
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {COLOURS['error']}; font-weight: 600;")
        for party in (self.applicant, self.authority):
            party.card_read.connect(self._card_read)
            party.card_failed.connect(self.error.setText)
        self.sample_btn = QPushButton(self)
        self.sample_btn.clicked.connect(self.load_sample)
        self.sample_btn.setVisible(ctx.demo)
        self.clear_btn = QPushButton(self)
        self.clear_btn.clicked.connect(self.clear)
        self.save_btn = QPushButton(self)
        self.save_btn.setDefault(True)
        self.save_btn.clicked.connect(self.submit)
        self.open_dup_btn = QPushButton(self)        # a receipt code already taken: open that dossier instead
        self.open_dup_btn.clicked.connect(self.open_duplicate)
        self.open_dup_btn.hide()
        self.duplicate_of: str | None = None
        buttons.addWidget(self.error, 1)
        buttons.addWidget(self.open_dup_btn)
        buttons.addWidget(self.sample_btn)
        buttons.addWidget(self.clear_btn)
        buttons.addWidget(self.save_btn)
        outer.addLayout(buttons)

        self.rows: list[ComponentRow] = []
        # Enter in a field moves to the next field to type in (combo boxes and check boxes keep their defaults
        # and stay on the Tab path): one key per field, as on the paper form the clerk copies from.
        for w in (self.receipt, self.proc_code, self.proc_name, self.applicant.number, self.applicant.name,
                  self.authority.number, self.authority.name):
            w.returnPressed.connect(lambda w=w: self.enter_next(w))    # after a reader's burst was read
        self.shortcut("Ctrl+Return", self.submit)
        self.shortcut("Ctrl+Enter", self.submit)
        self.shortcut("Ctrl+Shift+A", lambda: self.add_component(focus=True))
        self.shortcut("Ctrl+L", self.load_sample)
        self.shortcut("Ctrl+O", self.open_duplicate)
        self.shortcut("Ctrl+I", lambda: self.check_identity(force=True))
        ctx.dossier_changed.connect(self._show_mode)
        self.retranslate()
        self.clear()

    def title(self) -> str:
        return self.tr("Intake")

    def retranslate(self) -> None:
        self.dossier_box.setTitle(self.tr("Dossier"))
        self.lab_receipt.setText(self.tr("&Receipt code"))
        self.receipt.setPlaceholderText(self.tr("As printed on the receipt, e.g. H49.64.33-261121-0001"))
        self.lab_proc_code.setText(self.tr("&Procedure code"))
        self.lab_proc_name.setText(self.tr("Procedure &name"))
        self.identity.retranslate()
        self.applicant.setTitle(self.tr("Applicant"))
        self.authorised.setText(self.tr("The applicant acts for someone else (authorisation)"))
        self.authority.setTitle(self.tr("Authorising party (results go to this account)"))
        self.comp_box.setTitle(self.tr("Components of the dossier"))
        self.comp_header.setText(self.tr("Paper name · type code · digitisation · sheets handed in · two-sided"))
        self.add_btn.setText(self.tr("Add component (Ctrl+Shift+A)"))
        self.sample_btn.setText(self.tr("Load sample dossier (Ctrl+L)"))
        self.clear_btn.setText(self.tr("Clear"))
        self.new_btn.setText(self.tr("New dossier (Ctrl+N)"))
        self.open_dup_btn.setText(self.tr("Open that dossier (Ctrl+O)"))
        self._show_mode()
        self.save_btn.setText(self.tr("Save and scan (Ctrl+Enter)"))
        for w in (self.applicant, self.authority, *self.rows):
            w.retranslate()

    def activated(self) -> None:
        d = self.ctx.dossier
        opened_since = d is not None and d.id != self._seen
        self._seen = d.id if d is not None else None
        if d is not None and (opened_since or self.editing is None):
            self.edit_open_dossier()           # the open dossier's intake, to correct
        elif d is None and self.editing:
            self.new_dossier()
        if not self.receipt.text():
            self.receipt.setFocus()

    def _show_mode(self) -> None:
        d = self.ctx.dossier
        if self.editing and d is not None and d.id == self.editing:
            self.mode_label.setText(self.tr("Correcting the intake of dossier {0} (open). Save with Ctrl+Enter; "
                                            "Ctrl+N takes in a new dossier.").format(d.receipt_code))
            self.save_btn.setText(self.tr("Save changes (Ctrl+Enter)"))
        else:
            self.mode_label.setText(self.tr("New dossier"))
            self.save_btn.setText(self.tr("Save and scan (Ctrl+Enter)"))

    def edit_open_dossier(self) -> None:
        d = self.ctx.dossier
        if d is None:
            return
        self.fill(d)
        for row, c in zip(self.rows, d.components, strict=False):
            row.component_id = c.id            # saved onto the same components: their pages stay
        self.editing = d.id
        self._show_mode()

    def new_dossier(self) -> None:
        """A blank form for a new dossier ("" = new, even while another dossier is open)."""
        self.clear()
        self.editing = ""
        self._show_mode()
        self.receipt.setFocus()

    def open_duplicate(self) -> None:
        target = self.duplicate_of
        if not target:
            return

        def opened(session) -> None:
            self.ctx.open_dossier(session)
            self.editing = None
            self.edit_open_dossier()
            self.receipt.setFocus()

        self.ctx.tasks.run(lambda: services.load_dossier(self.ctx.station, target), on_done=opened,
                           on_error=lambda e: self.error.setText(describe_error(e)))

    # --- components --------------------------------------------------------------------------------
    def add_component(self, focus: bool = False) -> ComponentRow:
        row = ComponentRow(self.comp_box)
        guard_wheel(row)                # its sheet count must not change under a wheel that meant to scroll
        row.remove_requested.connect(self.remove_component)
        self.rows.append(row)
        for w in (row.name, row.code, row.reason):
            w.returnPressed.connect(lambda w=w: self.enter_next(w))
        spin_edit = row.sheets.findChild(QLineEdit)
        if spin_edit is not None:        # a spin box's Enter reaches its line edit's returnPressed
            spin_edit.returnPressed.connect(lambda s=row.sheets: self.enter_next(s))
        self.comp_list.addWidget(row)
        for sig in (row.code.textChanged, row.name.textChanged, row.cls.currentIndexChanged):
            sig.connect(lambda *_: self.identity.refresh(self.rows))
        self.identity.refresh(self.rows)
        row.show()          # a layout only shows a late child on the next event-loop pass; focus needs it now
        if focus:
            row.name.setFocus()
        return row

    def remove_component(self, row: ComponentRow) -> None:
        if len(self.rows) <= 1:
            return
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.identity.refresh(self.rows)
        self.rows[-1].name.setFocus()

    def tab_chain(self) -> list[QWidget]:
        """Tab walks the form top to bottom, through component rows added later too."""
        chain: list[QWidget] = [self.receipt, self.proc_code, self.proc_name]
        for p in (self.applicant, self.authority):
            chain += [p.kind, p.id_type, p.number, p.name, p.birth, p.founding]
            if p is self.applicant:
                chain.append(self.authorised)
        for r in self.rows:
            chain += [r.name, r.code, r.cls, r.reason, r.sheets, r.duplex, r.remove]
        chain += self.identity.focus_widgets()       # the reuse proposals (Space ticks one)
        chain += [self.add_btn, self.sample_btn, self.clear_btn, self.save_btn]
        return chain

    def typing_chain(self) -> list[QWidget]:
        """The fields Enter walks through: those a clerk types into, top to bottom."""
        chain: list[QWidget] = [self.receipt, self.proc_code, self.proc_name]
        for p in (self.applicant, self.authority):
            if p is self.authority and not self.authorised.isChecked():
                continue
            chain += [p.number, p.name]
        for r in self.rows:
            chain += [r.name, r.code, r.reason, r.sheets]
        return [w for w in chain if w.isVisibleTo(self) and w.isEnabled()]

    def enter_next(self, field: QWidget) -> None:
        """Enter in ``field``: the cursor goes to the next field to type in (nothing after the last one)."""
        if any(field is p.number and p.burst_failed for p in (self.applicant, self.authority)):
            return                      # a QR that is no CCCD: the clerk stays on the identifier
        focus = QApplication.focusWidget()
        if focus is None or (focus is not field and not field.isAncestorOf(focus)):
            return                      # a reader's burst already moved on, or the field lost the focus meanwhile
        chain = self.typing_chain()
        if field not in chain or chain.index(field) + 1 >= len(chain):
            return
        nxt = chain[chain.index(field) + 1]
        nxt.setFocus(Qt.FocusReason.TabFocusReason)
        if isinstance(nxt, QSpinBox):
            nxt.selectAll()             # typing replaces the count, as after Tab

    def focusNextPrevChild(self, next: bool) -> bool:
        # Qt's own focus chain puts widgets in creation order, so rows added later would come last.
        chain = [w for w in self.tab_chain() if w.isVisibleTo(self) and w.isEnabled()]
        focus = QApplication.focusWidget()
        here = next_i = None
        for i, w in enumerate(chain):
            if focus is w or (focus is not None and w.isAncestorOf(focus)):
                here = i
                break
        if here is None:
            return super().focusNextPrevChild(next)
        next_i = (here + (1 if next else -1)) % len(chain)
        chain[next_i].setFocus(Qt.FocusReason.TabFocusReason if next else Qt.FocusReason.BacktabFocusReason)
        return True

    def clear(self) -> None:
        for w in (self.receipt, self.proc_code, self.proc_name, self.applicant.number, self.applicant.name,
                  self.authority.number, self.authority.name):
            w.clear()
        self.authorised.setChecked(False)
        for row in list(self.rows):
            self.rows.remove(row)
            row.setParent(None)
            row.deleteLater()
        self.add_component()
        self.identity.reset()
        self.error.clear()

    # --- loading and saving ------------------------------------------------------------------------
    def fill(self, d: Dossier) -> None:
        self.clear()
        self.receipt.setText(d.receipt_code)
        self.proc_code.setText(d.procedure_code)
        self.proc_name.setText(d.procedure_name)
        self.applicant.set_party(d.applicant)
        self.authorised.setChecked(d.authorising_party is not None)
        if d.authorising_party:
            self.authority.set_party(d.authorising_party)
        for i, c in enumerate(d.components):
            row = self.rows[0] if i == 0 else self.add_component()
            row.name.setText(c.name)
            row.code.setText(c.document_type_code)
            row.cls.setCurrentIndex(row.cls.findData(c.digitisation_class))
            row.reason.setText(c.not_digitised_reason)
            row.sheets.setValue(c.declared_sheets)
            row.duplex.setChecked(c.duplex)
            from scanstation.model import to_plain
            row.metadata = to_plain(c.metadata)

    def load_sample(self) -> None:
        d, _ = load_dossier_file(resource("demo", "dossier.json"))
        d.receipt_code = f"{d.receipt_code}-{new_id()[:4].upper()}"
        self.fill(d)
        self.receipt.setFocus()

    def to_plain(self) -> dict[str, Any]:
        return {
            "version": 1, "receipt_code": self.receipt.text().strip(),
            "procedure": {"code": self.proc_code.text().strip(), "name": self.proc_name.text().strip()},
            "applicant": self.applicant.to_plain(),
            "authorising_party": self.authority.to_plain() if self.authorised.isChecked() else None,
            "clerk": self.ctx.settings.get("clerk.name") or self.ctx.station.actor,
            "profile": self.ctx.settings.get("compliance.profile"),
            "components": [r.to_plain() for r in self.rows],
        }

    def build(self) -> Dossier:
        """The dossier the form describes; raises a ScanStationError naming the wrong field."""
        dossier, _ = parse_dossier(self.to_plain())
        for comp, row in zip(dossier.components, self.rows):
            comp.id = row.component_id
        return dossier

    def submit(self) -> None:
        self.error.clear()
        self.open_dup_btn.hide()
        self.duplicate_of = None
        try:
            dossier = self.build()
        except ScanStationError as e:
            self.show_field_error(e)
            return
        open_d = self.ctx.dossier
        if self.editing and open_d is not None and open_d.id == self.editing:
            self._save_changes(dossier)
            return

        ident = self.identity.for_dossier(dossier)

        def create() -> tuple[Any, Any]:
            session = services.create_dossier(self.ctx.station, dossier)
            return session, (services.intake_identity(session, *ident) if ident else None)

        def created(res: tuple[Any, Any]) -> None:
            session, problem = res
            self.ctx.open_dossier(session)
            self.ctx.info(self.tr("Dossier {0} saved. Put the first component in the feeder and press F5.")
                          .format(dossier.receipt_code) + (" " + describe_error(problem) if problem else ""))
            self.edit_open_dossier()          # back on Intake later: this dossier, to correct
            self._seen = session.dossier.id
            self.ctx.navigate.emit("capture")

        self.ctx.tasks.run(create, on_done=created,
                           on_error=self._failed, label=self.tr("Saving the dossier"))

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ScanStationError):
            self.show_field_error(exc)
            dup = getattr(exc, "dossier_id", None)
            if dup:
                self.duplicate_of = dup
                self.open_dup_btn.show()
        else:
            self.error.setText(describe_error(exc))

    def _save_changes(self, dossier: Dossier) -> None:
        """The open dossier's intake, corrected: same components (their pages stay), new values."""
        def saved(changed: list[str]) -> None:
            d = self.ctx.dossier
            self.ctx.dossier_changed.emit()
            for c in d.components if d else []:
                self.ctx.pages_changed.emit(c.id)
            self.ctx.info(self.tr("Dossier {0}: changes saved.").format(d.receipt_code if d else "")
                          if changed else self.tr("Nothing changed."))
            if "reused" in changed:
                self.edit_open_dossier()       # the reused components now show as not digitised, with the reason

        ident = self.identity.for_dossier(dossier)

        def update() -> list[str]:
            changed = services.update_intake(self.ctx, dossier)
            problem = services.intake_identity(services.session(self.ctx), *ident) if ident else None
            if problem is not None:
                raise problem
            return changed + (["reused"] if ident and ident[1] else [])

        self.ctx.tasks.run(update, on_done=saved,
                           on_error=self._failed, label=self.tr("Saving the dossier"))

    def account_party(self) -> tuple[str, str] | None:
        """(id type, normalised number) of the party whose account the dossier's results go to, when the form
        holds a complete, valid identifier for it; None otherwise."""
        p = self.authority if self.authorised.isChecked() else self.applicant
        id_type = IdType(p.id_type.currentData() or IdType.NONE)
        if id_type == IdType.NONE:
            return None
        res = check_identifier(id_type, p.number.text())
        return (id_type.value, res.value) if res.ok and res.value else None

    def check_identity(self, force: bool = False) -> None:
        self.identity.ask(self.account_party(), force=force)

    def _card_read(self, card: Any) -> None:
        """The applicant came from the card's QR: say so (and what the QR lacked); audit it, without the data."""
        missing = services.card_missing(card)
        # news, not an error: in the colour of what it is (the label's own red is for errors)
        text = self.tr("Filled from the ID card's QR code.") + (" " + missing if missing else "")
        self.error.setText(f"<span style='color:{COLOURS['warn' if missing else 'ok']}'>{html.escape(text)}</span>")
        self.ctx.tasks.run(lambda: services.card_filled(self.ctx.station), label=self.tr("Recording the card read"))

    def show_field_error(self, e: ScanStationError) -> None:
        """Show the core's message and put the cursor in the field it names."""
        self.error.setText(describe_error(e))
        field = e.field or ""
        head, _, rest = field.partition(".")
        if field == "receipt_code":
            self.receipt.setFocus()
        elif head == "procedure":
            (self.proc_code if rest == "code" else self.proc_name).setFocus()
        elif head == "applicant":
            self.applicant.focus_field(rest)
        elif head == "authorising_party":
            self.authority.focus_field(rest)
        elif head.startswith("components["):
            i = int(head[len("components["):-1])
            if i < len(self.rows):
                self.rows[i].focus_field(rest)
