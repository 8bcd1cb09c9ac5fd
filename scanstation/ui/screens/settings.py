"""Settings: clerk preferences, and for IT staff the station values and which of them are locked."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from scanstation.compliance import PROFILES
from scanstation.config import OPTIONS, Option, Settings
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick, set_language
from scanstation.ui.screens.base import Screen
from scanstation.ui.widgets import COLOURS

GROUPS = (
    ("station", ("station.id", "station.name", "station.org_name", "station.org_code", "compliance.profile",
                 "db.url", "storage.min_free_mb")),
    ("clerk", ("ui.language", "clerk.name")),
    ("scanner", ("scanner.device", "scanner.profile")),
    ("token", ("token.module", "token.label", "token.key_id", "signing.trust_roots", "signing.tsa_url")),
    ("provincial", ("provincial.endpoint", "provincial.token_url", "provincial.client_id",
                    "provincial.ca_bundle", "sync.concurrency", "sync.bandwidth_kbps", "sync.window",
                    "sync.retention_days")),
)


class OptionEditor:
    """The editing widget of one option, plus its lock checkbox (IT staff only)."""

    def __init__(self, opt: Option, parent: QWidget) -> None:
        self.opt = opt
        if opt.key == "compliance.profile":
            w = QComboBox(parent)
            for p in PROFILES.values():
                w.addItem(pick(p.name_vi, p.name_en), p.id)
        elif opt.key == "ui.language":
            w = QComboBox(parent)
            w.addItem("Tiếng Việt", "vi")
            w.addItem("English", "en")
        elif opt.key == "scanner.profile":           # a profile's name; the built-in one in words
            w = QComboBox(parent)
            w.setEditable(True)                      # IT staff may name a profile saved later
            w.addItem("default", "default")
        elif opt.choices:
            w = QComboBox(parent)
            for c in opt.choices:
                w.addItem(str(c), c)          # shown in words by SettingsScreen.retranslate
        elif opt.type is bool:
            w = QComboBox(parent)
            w.addItem("", True)
            w.addItem("", False)
        elif opt.type is int:
            w = QSpinBox(parent)
            w.setRange(0, 10_000_000)
        elif opt.type in (dict, list):
            w = QPlainTextEdit(parent)
            w.setMaximumHeight(70)
            w.setTabChangesFocus(True)
        else:
            w = QLineEdit(parent)
        self.widget = w
        self.lock = QCheckBox(parent)
        self.source = QLabel(parent)
        self.source.setStyleSheet("color: #5f6368;")

    def set_value(self, v: Any) -> None:
        w = self.widget
        if isinstance(w, QComboBox):
            if w.findData(v) < 0 and self.opt.key == "scanner.profile" and v:
                w.addItem(str(v), v)              # a profile IT staff saved
            w.setCurrentIndex(max(0, w.findData(v)))
        elif isinstance(w, QSpinBox):
            w.setValue(int(v))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(json.dumps(v, ensure_ascii=False))
        else:
            w.setText(str(v))

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QComboBox):
            i = w.findText(w.currentText())
            if w.isEditable() and (i < 0 or w.itemData(i) is None):
                return w.currentText().strip()       # a name typed in
            return w.itemData(i) if w.isEditable() else w.currentData()
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText()           # Settings coerces JSON text and names the key if it is wrong
        return w.text()

    def set_editable(self, editable: bool) -> None:
        w = self.widget
        if isinstance(w, QLineEdit | QPlainTextEdit):
            w.setReadOnly(not editable)
        else:
            w.setEnabled(editable)
        w.setProperty("locked", not editable)


class SettingsScreen(Screen):
    key = "settings"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.mode = QLabel(self)
        self.mode.setWordWrap(True)
        self.it_btn = QPushButton(self)
        self.it_btn.setCheckable(True)
        self.it_btn.toggled.connect(self.set_it_mode)
        top.addWidget(self.mode, 1)
        top.addWidget(self.it_btn)
        outer.addLayout(top)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(scroll)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.form = QFormLayout(body)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.editors: dict[str, OptionEditor] = {}
        self.row_labels: dict[str, QLabel] = {}
        self.group_labels: dict[str, QLabel] = {}
        for group, keys in GROUPS:
            head = QLabel(body)
            head.setStyleSheet("font-weight: 600; font-size: 11pt; padding-top: 8px;")
            self.group_labels[group] = head
            self.form.addRow(head)
            for key in keys:
                ed = OptionEditor(OPTIONS[key], body)
                self.editors[key] = ed
                row = QHBoxLayout()
                row.addWidget(ed.widget, 1)
                row.addWidget(ed.source)
                row.addWidget(ed.lock)
                lab = QLabel(body)
                lab.setBuddy(ed.widget)
                self.row_labels[key] = lab
                self.form.addRow(lab, row)
        # options added later by other parts; saved scanner profiles are a form on the IT screen (calibration.py)
        missing = [k for k in OPTIONS if k not in self.editors and k != "scanner.profiles"]
        for key in missing:
            ed = OptionEditor(OPTIONS[key], body)
            self.editors[key] = ed
            row = QHBoxLayout()
            row.addWidget(ed.widget, 1)
            row.addWidget(ed.source)
            row.addWidget(ed.lock)
            lab = QLabel(body)                # plain words from labels(); the technical key only as a tooltip
            lab.setBuddy(ed.widget)
            self.row_labels[key] = lab
            self.form.addRow(lab, row)
        bottom = QHBoxLayout()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.revert_btn = QPushButton(self)
        self.revert_btn.clicked.connect(self.load)
        self.save_btn = QPushButton(self)
        self.save_btn.clicked.connect(self.save)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.revert_btn)
        bottom.addWidget(self.save_btn)
        outer.addLayout(bottom)
        self.shortcut("Ctrl+S", self.save)
        self.shortcut("Ctrl+Shift+I", self.it_btn.toggle)
        self.retranslate()
        self.load()

    def title(self) -> str:
        return self.tr("Settings")

    def labels(self) -> dict[str, str]:
        return {
            "station.id": self.tr("Station identifier"), "station.name": self.tr("Office name"),
            "station.org_name": self.tr("Organisation name (certified copies)"),
            "station.org_code": self.tr("Organisation code"), "compliance.profile": self.tr("Compliance profile"),
            "db.url": self.tr("Database (empty: on this station)"),
            "storage.min_free_mb": self.tr("Minimum free disk to scan (MB)"),
            "ui.language": self.tr("Language"), "clerk.name": self.tr("Clerk's name on the stamp"),
            "scanner.device": self.tr("Scanner"), "scanner.profile": self.tr("Scanner profile"),
            "token.module": self.tr("Token module (PKCS#11 library)"), "token.label": self.tr("Preferred token"),
            "token.key_id": self.tr("Preferred certificate (key id)"),
            "signing.trust_roots": self.tr("Trusted certification authorities (JSON list of files)"),
            "signing.tsa_url": self.tr("Timestamp server (empty: sign offline)"),
            "provincial.endpoint": self.tr("Provincial system address"),
            "provincial.token_url": self.tr("Provincial login address"),
            "provincial.client_id": self.tr("Provincial client id"),
            "provincial.ca_bundle": self.tr("Extra CA bundle for the provincial system"),
            "sync.concurrency": self.tr("Parallel uploads"), "sync.bandwidth_kbps": self.tr("Upload limit (kB/s)"),
            "sync.window": self.tr("Upload window (HH:MM-HH:MM)"),
            "sync.retention_days": self.tr("Days to keep files after upload"),
            "signing.certified_copy": self.tr("Add the organisation's certified copy (SAO Y)"),
            "signing.stamp_font": self.tr("Font of the signature stamp"),
            "signing.copy_font": self.tr("Font of the certified-copy stamp"),
            "sync.chunk_kb": self.tr("Upload piece size (kB)"),
            "sync.timeout_s": self.tr("Wait for the provincial system (seconds)"),
            "sync.backoff_max_s": self.tr("Longest pause between upload tries (seconds)"),
            "calibration.tolerances": self.tr("Scanner calibration tolerances (JSON)"),
            "calibration.required": self.tr("Scanner calibration before scanning"),
            "calibration.max_age_days": self.tr("Calibration valid for (days)"),
            "pdf.image_encoding": self.tr("Image compression in the PDF"),
            "pdf.jpeg_quality": self.tr("JPEG quality (1-100)"),
            "signing.trust_disabled": self.tr("Certification authorities no longer trusted"),
            "signing.trust_test_ca": self.tr("Test certification authorities (training only)"),
            "review.sample_pct": self.tr("Share of pages drawn for the sampling review (%)"),
        }

    def choice_words(self) -> dict[object, str]:
        return {"off": self.tr("Off"), "warn": self.tr("Warn only"), "block": self.tr("Required (blocks scanning)"),
                "": self.tr("Automatic"), "lossless": self.tr("Lossless"), "jpeg": self.tr("JPEG (smaller)"),
                "mrc": self.tr("Mixed text and image (smallest)"), True: self.tr("Yes"), False: self.tr("No"),
                "default": self.tr("standard")}

    def retranslate(self) -> None:
        names = {"station": self.tr("Station (IT staff)"), "clerk": self.tr("Clerk"), "scanner": self.tr("Scanner"),
                 "token": self.tr("Signing"), "provincial": self.tr("Provincial system and uploads")}
        for g, lab in self.group_labels.items():
            lab.setText(names[g])
        labels = self.labels()
        for key, lab in self.row_labels.items():
            lab.setText(labels.get(key) or key)
            lab.setToolTip(key)               # for IT staff and the documentation
        words = self.choice_words()
        for key, ed in self.editors.items():
            if isinstance(ed.widget, QComboBox) and key not in ("compliance.profile", "ui.language"):
                for i in range(ed.widget.count()):
                    data = ed.widget.itemData(i)
                    ed.widget.setItemText(i, words.get(data, str(data)))
        for ed in self.editors.values():
            ed.lock.setText(self.tr("Lock"))
            ed.lock.setToolTip(self.tr("Clerks cannot change a locked value"))
        self.it_btn.setText(self.tr("IT staff mode (Ctrl+Shift+I)"))
        self.revert_btn.setText(self.tr("Undo changes"))
        self.save_btn.setText(self.tr("Save (Ctrl+S)"))
        self._show_mode()
        self._show_sources()

    def activated(self) -> None:
        self.load()

    def station_writable(self) -> bool:
        """IT mode needs write access to the station file: the OS account decides who is IT staff."""
        return self.ctx.settings.station_writable()[0]

    def set_it_mode(self, on: bool) -> None:
        if on and not self.station_writable():
            self.it_btn.setChecked(False)
            self.ctx.warn(self.tr("Only IT staff can change station settings: this Windows/Linux account cannot "
                                  "write the station settings file."))
            return
        self.ctx.it_mode = on
        self.load()

    def _show_mode(self) -> None:
        if self.ctx.it_mode:
            self.mode.setText(self.tr("IT staff mode: you edit the station's values and choose which ones clerks "
                                      "may change."))
        else:
            self.mode.setText(self.tr("Clerk mode: values with a lock were set by IT staff and are read-only."))

    def load(self) -> None:
        s = self.ctx.settings
        it = self.ctx.it_mode
        for key, ed in self.editors.items():
            ed.set_value(s.station["values"].get(key, OPTIONS[key].default) if it else s.get(key))
            locked = s.is_locked_for_clerk(key)
            ed.set_editable(it or not locked)
            ed.lock.setVisible(it)
            ed.lock.setEnabled(OPTIONS[key].clerk_may_set)
            ed.lock.setChecked(locked)
            ed.widget.setToolTip(pick(OPTIONS[key].doc, OPTIONS[key].doc))
        self._show_mode()
        self._show_sources()
        self.status.clear()

    def _show_sources(self) -> None:
        s = self.ctx.settings
        words = {"default": self.tr("default"), "station": self.tr("set by IT"), "clerk": self.tr("your choice")}
        for key, ed in self.editors.items():
            text = words[s.source(key)]
            if not self.ctx.it_mode and s.is_locked_for_clerk(key):
                text = self.tr("locked")
            ed.source.setText(text)
            locked = not self.ctx.it_mode and s.is_locked_for_clerk(key)
            ed.source.setStyleSheet("color: #b06000; font-weight: 600;" if locked else "color: #5f6368;")

    def save(self) -> None:
        """Write the changed values (clerk layer, or station layer in IT mode) off the GUI thread."""
        s: Settings = self.ctx.settings
        it = self.ctx.it_mode
        writes: list[tuple[str, Any]] = []
        locks: list[tuple[str, bool]] = []
        for key, ed in self.editors.items():
            current = s.station["values"].get(key, OPTIONS[key].default) if it else s.get(key)
            value = ed.value()
            same = _json_equal(value, current) if isinstance(ed.widget, QPlainTextEdit) else value == current
            if not same and (it or not s.is_locked_for_clerk(key)):
                writes.append((key, value))
            if it and OPTIONS[key].clerk_may_set and ed.lock.isChecked() != (key in s.locked):
                locks.append((key, ed.lock.isChecked()))
        layer = "station" if it else "clerk"

        def work() -> list[str]:
            # each change (and a refused attempt at the station layer) is its own audit event: OS account,
            # machine, key, old -> new (services.change_setting)
            for key, value in writes:
                services.change_setting(self.ctx, key, value, layer=layer)
            for key, on in locks:
                services.change_setting(self.ctx, key, lock=on)
            return sorted({k for k, _ in writes} | {k for k, _ in locks})

        def done(changed: list[str]) -> None:
            if "ui.language" in changed:
                set_language(s.get("ui.language"))
            self.load()
            self.status.setText(self.tr("Saved.") if changed else self.tr("Nothing changed."))
            self.ctx.settings_changed.emit(changed)

        def failed(e: BaseException) -> None:
            self.status.setText(f"<span style='color:{COLOURS['error']}'>{describe_error(e)}</span>")
            field = getattr(e, "field", None)
            if field in self.editors:
                self.editors[field].widget.setFocus()

        self.ctx.tasks.run(work, on_done=done, on_error=failed)


def _json_equal(text: str, value: Any) -> bool:
    try:
        return json.loads(text) == value
    except json.JSONDecodeError:
        return False

