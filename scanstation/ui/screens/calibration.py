"""IT staff screen (issue 13): scanner calibration, scanner profiles as a form, sampling review (C9).

Listed in the navigation only while IT mode is on (Settings, Ctrl+Shift+I). Everything that touches the
scanner, the database or the disk runs in the task runner; the GUI thread only shows results.

- Calibration: pick a scanner (and a feed), run the calibration (``flow.calibration.run``), see the scan
  with the markers, patches, edges and streaks drawn on it, the checks with values, limits and verdicts,
  a small chart of each figure's history for that scanner, set the baseline, save the target PDF to print.
- Scanner profiles: the saved presets (``scanner.profiles``) as a form, checked against the compliance
  profile when saved (``devices.save_profile``).
- Sampling review: draw a sample of the pages digitised in a period, answer the checklist for each, see
  the results per clerk and per scanner (``flow.review``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QPointF, QRectF, QSize, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick
from scanstation.ui.screens.base import Screen
from scanstation.ui.widgets import COLOURS

VERDICT_COLOURS = {"pass": COLOURS["ok"], "warn": COLOURS["warn"], "fail": COLOURS["error"], "skip": COLOURS["off"]}
#: checks whose limit is a minimum (the chart draws one line, not a band around zero)
MIN_CHECKS = ("sampling_efficiency_pct",)


# --- a small hand-drawn chart -------------------------------------------------------------------------------
class Sparkline(QWidget):
    """One figure's history: a line per sensor (front blue, back orange), the limit dashed in red."""

    SERIES = (QColor(COLOURS["info"]), QColor("#e8710a"))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: list[list[float]] = []
        self.limit: float | None = None
        self.minimum = False
        self.setMinimumSize(QSize(150, 44))

    def set_data(self, series: list[list[float]], limit: float | None, minimum: bool = False) -> None:
        self.series, self.limit, self.minimum = series, limit, minimum
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(3, 3, -3, -3)
        p.fillRect(self.rect(), QColor("#ffffff"))
        p.setPen(QPen(QColor("#dadce0"), 1))
        p.drawRect(r)
        values = [v for s in self.series for v in s]
        if not values:
            p.end()
            return
        bounds = list(values)
        if self.limit is not None:
            bounds += [self.limit] if self.minimum else [self.limit, -self.limit]
        lo, hi = min(bounds), max(bounds)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        pad = (hi - lo) * 0.1
        lo, hi = lo - pad, hi + pad

        def y(v: float) -> float:
            return r.bottom() - (v - lo) / (hi - lo) * r.height()

        if self.limit is not None:
            pen = QPen(QColor(COLOURS["error"]), 1, Qt.PenStyle.DashLine)
            p.setPen(pen)
            for lim in ([self.limit] if self.minimum else [self.limit, -self.limit]):
                p.drawLine(QPointF(r.left(), y(lim)), QPointF(r.right(), y(lim)))
        n = max(len(s) for s in self.series)
        for colour, s in zip(self.SERIES, self.series, strict=False):
            if not s:
                continue
            step = r.width() / max(1, n - 1)
            pts = [QPointF(r.left() + i * step, y(v)) for i, v in enumerate(s)]
            p.setPen(QPen(colour, 2))
            if len(pts) > 1:
                p.drawPolyline(QPolygonF(pts))
            p.setBrush(colour)
            p.drawEllipse(pts[-1], 3, 3)
        p.end()


def _item(text: str, colour: str | None = None) -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if colour:
        it.setForeground(QColor(colour))
    return it


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        v += 0.0                                 # no "-0"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
    return str(v)


# --- the calibration tab ------------------------------------------------------------------------------
class CalibrationTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.result: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.device_label = QLabel(self)
        self.device = QComboBox(self)
        self.device.setEditable(True)
        self.device.setMinimumWidth(220)
        self.device.currentTextChanged.connect(lambda _t: self.load_history())
        self.source_label = QLabel(self)
        self.source = QComboBox(self)
        self.options_label = QLabel(self)
        self.options = QLineEdit(self)
        self.run_btn = QPushButton(self)
        self.run_btn.clicked.connect(self.run)
        self.baseline_btn = QPushButton(self)
        self.baseline_btn.clicked.connect(self.set_baseline)
        self.target_btn = QPushButton(self)
        self.target_btn.clicked.connect(self.choose_target_dir)
        for w in (self.device_label, self.device, self.source_label, self.source, self.options_label):
            top.addWidget(w)
        top.addWidget(self.options, 1)
        outer.addLayout(top)
        buttons = QHBoxLayout()
        for b in (self.run_btn, self.baseline_btn, self.target_btn):
            buttons.addWidget(b)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setOpenExternalLinks(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        outer.addWidget(self.status)

        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(split)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.side = QComboBox(left)
        self.side.currentIndexChanged.connect(lambda _i: self.show_side())
        lv.addWidget(self.side)
        scroll = QScrollArea(left)
        scroll.setWidgetResizable(True)
        self.image = QLabel(scroll)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(QSize(300, 400))
        scroll.setWidget(self.image)
        lv.addWidget(scroll, 1)
        right = QWidget(split)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.verdict = QLabel(right)
        self.verdict.setStyleSheet("font-size: 13pt; font-weight: 700;")
        rv.addWidget(self.verdict)
        self.checks = QTableWidget(0, 4, right)
        self.checks.verticalHeader().setVisible(False)
        self.checks.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.checks.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        rv.addWidget(self.checks, 2)
        self.advice = QLabel(right)
        self.advice.setWordWrap(True)
        rv.addWidget(self.advice)
        self.history_box = QGroupBox(right)
        self.history_grid = QGridLayout(self.history_box)
        rv.addWidget(self.history_box, 2)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        outer.addWidget(split, 1)
        self.charts: dict[str, tuple[QLabel, Sparkline]] = {}

    # texts ----------------------------------------------------------------------------------------------
    def check_names(self) -> dict[str, str]:
        return {"scale_x_pct": self.tr("Scale across (X, %)"), "scale_y_pct": self.tr("Scale along the feed (Y, %)"),
                "skew_deg": self.tr("Skew (degrees)"), "tone_delta_L": self.tr("Tone (ΔL*)"),
                "white_balance_delta_ab": self.tr("White balance (Δa*b*)"),
                "colour_delta_e_mean": self.tr("Colour (mean ΔE)"), "noise_L_rms": self.tr("Noise (L* RMS)"),
                "sampling_efficiency_pct": self.tr("Sharpness (sampling efficiency, %)"),
                "uniformity_pct": self.tr("Light uniformity (%)"), "streak_delta_L": self.tr("Streaks (ΔL*)")}

    def verdict_text(self, v: str) -> str:
        return {"pass": self.tr("Pass"), "warn": self.tr("Warning"), "fail": self.tr("Fail"),
                "skip": self.tr("Not measured")}.get(v, v)

    def retranslate(self) -> None:
        self.device_label.setText(self.tr("Scanner"))
        self.source_label.setText(self.tr("Feed"))
        self.options_label.setText(self.tr("Driver options"))
        self.options.setPlaceholderText(self.tr("e.g. defect=scale-y:-1.5 (virtual scanner: simulate a fault)"))
        current = self.source.currentData()
        self.source.clear()
        for key, text in (("", self.tr("Automatic")), ("adf-duplex", self.tr("Feeder, both sides")),
                          ("adf", self.tr("Feeder, one side")), ("flatbed", self.tr("Flatbed glass"))):
            self.source.addItem(text, key)
        self.source.setCurrentIndex(max(0, self.source.findData(current)))
        self.run_btn.setText(self.tr("Run calibration (F5)"))
        self.baseline_btn.setText(self.tr("Make the last run the baseline"))
        self.target_btn.setText(self.tr("Save the target to print (PDF)…"))
        self.checks.setHorizontalHeaderLabels([self.tr("Check"), self.tr("Value"), self.tr("Limit"),
                                               self.tr("Result")])
        self.history_box.setTitle(self.tr("History on this scanner (blue: front, orange: back; red: limit)"))
        if not self.status.text():
            self.status.setText(self.tr("Load the printed target in the scanner (face up, top edge first), "
                                        "then run the calibration."))
        self.show_side()
        self.show_history()

    # devices and history -------------------------------------------------------------------------------
    def refresh_devices(self) -> None:
        def work() -> list[tuple[str, str]]:
            from scanstation.devices import list_devices

            return [(d.id, d.name) for d in list_devices()]

        def done(devs: list[tuple[str, str]]) -> None:
            keep = self.device.currentText() or str(self.ctx.settings.get("scanner.device"))
            self.device.blockSignals(True)
            self.device.clear()
            for dev_id, name in devs:
                self.device.addItem(dev_id, name)
                self.device.setItemData(self.device.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
            self.device.setEditText(keep)
            self.device.blockSignals(False)
            self.load_history()

        self.ctx.tasks.run(work, on_done=done, on_error=lambda e: self.load_history(), lane="device")

    def load_history(self) -> None:
        device = self.device.currentText().strip()
        if not device:
            return

        def work() -> list[dict[str, Any]]:
            from scanstation.flow import calibration

            return calibration.history(self.ctx.station, device)

        def done(rows: list[dict[str, Any]]) -> None:
            if device == self.device.currentText().strip():
                self.history = rows
                self.show_history()

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def show_history(self) -> None:
        names = self.check_names()
        limits: dict[str, float | None] = {}
        try:
            from scanstation.calibrate import Tolerances

            tol = Tolerances.from_overrides(self.ctx.settings.get("calibration.tolerances"))
            limits = {k: v.limit for k, v in tol.limits.items()}
        except Exception:  # noqa: BLE001 - a bad setting is reported by the run itself; the chart goes without
            limits = {}
        keys = [k for k in names if any(r["figures"].get(k) is not None for r in self.history)]
        for label, chart in self.charts.values():
            label.hide()
            chart.hide()
        for i, key in enumerate(keys):
            if key not in self.charts:
                lab, chart = QLabel(self.history_box), Sparkline(self.history_box)
                self.charts[key] = (lab, chart)
            lab, chart = self.charts[key]
            self.history_grid.addWidget(lab, (i // 2) * 2, i % 2)
            self.history_grid.addWidget(chart, (i // 2) * 2 + 1, i % 2)
            series = [[float(r["figures"][key]) for r in self.history if r["side"] == side
                       and r["figures"].get(key) is not None] for side in ("front", "back")]
            latest = next((float(r["figures"][key]) for r in reversed(self.history)
                           if r["figures"].get(key) is not None), None)
            lab.setText(f"{names[key]}: {_fmt(latest)}")
            chart.set_data(series, limits.get(key), key in MIN_CHECKS)
            lab.show()
            chart.show()
        if not keys:
            self.history_box.setToolTip(self.tr("No calibration recorded for this scanner yet."))

    # a run ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        device = self.device.currentText().strip()
        if not device:
            self.status.setText(self.tr("Choose the scanner to calibrate."))
            return
        source = self.source.currentData() or None
        opts = tuple(o for o in self.options.text().split() if o)
        self.run_btn.setEnabled(False)
        self.status.setText(self.tr("Scanning and measuring the target on {0}…").format(device))

        def work(progress: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            from scanstation.flow import calibration

            res = calibration.run(self.ctx.station, device, source, options=opts, progress=progress, annotated=True)
            return res, calibration.history(self.ctx.station, device)

        def done(out: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            self.run_btn.setEnabled(True)
            res, hist = out
            self.result, self.history = res, hist
            self.side.blockSignals(True)
            self.side.clear()
            for s in res["sides"]:
                self.side.addItem(self.tr("Front") if s["side"] == "front" else self.tr("Back"), s["side"])
            self.side.blockSignals(False)
            self.status.setText(self.tr("Calibration of {0} recorded ({1} dpi, {2}).").format(
                res["device"], res["dpi"], res["source"]))
            self.show_side()
            self.show_history()

        def failed(e: BaseException) -> None:
            self.run_btn.setEnabled(True)
            self._failed(e)

        self.ctx.tasks.run(work, on_done=done, on_error=failed, progress=True, lane="device",
                           label=self.tr("Calibrating the scanner"))

    def show_side(self) -> None:
        res = self.result
        if res is None:
            self.verdict.setText(self.tr("No calibration run yet in this session."))
            self.checks.setRowCount(0)
            return
        want = self.side.currentData() or res["sides"][0]["side"]
        side = next((s for s in res["sides"] if s["side"] == want), res["sides"][0])
        v = side["verdict"]
        self.verdict.setText(self.tr("Result: {0}").format(self.verdict_text(v)))
        self.verdict.setStyleSheet(f"font-size: 13pt; font-weight: 700; color: {VERDICT_COLOURS.get(v, '#000')};")
        png = side.get("annotated_png")
        if png:
            img = QImage.fromData(png)
            self.image.setPixmap(QPixmap.fromImage(img).scaled(QSize(520, 740), Qt.AspectRatioMode.KeepAspectRatio,
                                                               Qt.TransformationMode.SmoothTransformation))
        names = self.check_names()
        checks = side["measurement"]["checks"]
        self.checks.setRowCount(len(checks))
        for i, c in enumerate(checks):
            colour = VERDICT_COLOURS.get(c["verdict"])
            bound = "≥" if c["name"] in MIN_CHECKS else "±"
            self.checks.setItem(i, 0, _item(names.get(c["name"], c["name"])))
            self.checks.setItem(i, 1, _item(f"{_fmt(c['value'])} {c.get('unit', '')}".strip()))
            self.checks.setItem(i, 2, _item(f"{bound}{c['limit']:g} {c.get('unit', '')}".strip()))
            self.checks.setItem(i, 3, _item(self.verdict_text(c["verdict"]), colour))
        from scanstation.flow.calibration import ADVICE

        advice = [pick(ADVICE[n][1], ADVICE[n][0]) for n in side["failed"] if n in ADVICE]
        self.advice.setText(self.tr("What to do: {0}").format("; ".join(advice)) if advice else "")
        self.advice.setStyleSheet(f"color: {COLOURS['error']};")

    def set_baseline(self) -> None:
        device = self.device.currentText().strip()

        def work() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            from scanstation.flow import calibration

            return calibration.set_baseline(self.ctx.station, device), calibration.history(self.ctx.station, device)

        def done(out: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            self.history = out[1]
            self.status.setText(self.tr("The run of {0} is now the baseline of {1}.").format(
                out[0]["at"][:16].replace("T", " "), device))
            self.show_history()

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def choose_target_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the calibration target"))
        if folder:
            self.save_target(Path(folder))

    def save_target(self, folder: Path) -> None:
        def work() -> Path:
            import json

            from scanstation.calibrate import make_target, target_png
            from scanstation.fsio import atomic_write_bytes, atomic_write_text

            pdf, layout = make_target("A4")
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(folder / "target.pdf", pdf)
            atomic_write_text(folder / "target.json", json.dumps(layout.to_dict(), ensure_ascii=False, indent=2))
            atomic_write_bytes(folder / "target.png", target_png(layout))
            self.ctx.station.audit.append(self.ctx.station.actor, "calibration.target",
                                          details={"folder": str(folder), "paper": "A4"})
            return folder / "target.pdf"

        def done(pdf: Path) -> None:
            url = QUrl.fromLocalFile(str(pdf)).toString()
            self.status.setText(self.tr("Saved <a href=\"{0}\">{1}</a>. Print it at 100 % (actual size, no "
                                        "fitting to the page).").format(url, pdf))

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def _failed(self, e: BaseException) -> None:
        self.status.setText(f"<span style='color:{COLOURS['error']}'>{describe_error(e)}</span>")


# --- scanner profiles as a form ----------------------------------------------------------------------------
class ProfilesTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        self.list = QListWidget(self)
        self.list.currentItemChanged.connect(lambda cur, _prev: self.show_profile(cur))
        left.addWidget(self.list, 1)
        self.new_btn = QPushButton(self)
        self.new_btn.clicked.connect(self.new_profile)
        self.delete_btn = QPushButton(self)
        self.delete_btn.clicked.connect(self.delete_profile)
        left.addWidget(self.new_btn)
        left.addWidget(self.delete_btn)
        outer.addLayout(left)
        right = QVBoxLayout()
        self.form = QFormLayout()
        self.name = QLineEdit(self)
        self.device = QComboBox(self)
        self.device.setEditable(True)
        self.source = QComboBox(self)
        self.dpi = QSpinBox(self)
        self.dpi.setRange(0, 1200)
        self.dpi.setSingleStep(100)
        self.mode = QComboBox(self)
        self.paper = QComboBox(self)
        self.double_feed = QCheckBox(self)
        self.locked = QCheckBox(self)
        self.labels = [QLabel(self) for _ in range(8)]
        for lab, w in zip(self.labels, (self.name, self.device, self.source, self.dpi, self.mode, self.paper,
                                        self.double_feed, self.locked), strict=True):
            lab.setBuddy(w)
            self.form.addRow(lab, w)
        right.addLayout(self.form)
        self.rules = QLabel(self)
        self.rules.setWordWrap(True)
        self.rules.setStyleSheet("color: #5f6368;")
        right.addWidget(self.rules)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        right.addWidget(self.status)
        self.save_btn = QPushButton(self)
        self.save_btn.clicked.connect(self.save)
        right.addWidget(self.save_btn)
        right.addStretch(1)
        outer.addLayout(right, 2)
        self.options: tuple[str, ...] = ()

    def retranslate(self) -> None:
        for lab, text in zip(self.labels, (self.tr("Profile name"), self.tr("Scanner"), self.tr("Feed"),
                                           self.tr("Resolution (dpi, 0: automatic)"), self.tr("Colour"),
                                           self.tr("Paper"), self.tr("Double-feed detection"),
                                           self.tr("Locked (clerks cannot change it when scanning)")), strict=True):
            lab.setText(text)
        self.dpi.setSpecialValueText(self.tr("automatic"))
        for combo, items in (
            (self.source, (("", self.tr("Automatic")), ("adf-duplex", self.tr("Feeder, both sides")),
                           ("adf", self.tr("Feeder, one side")), ("flatbed", self.tr("Flatbed glass")))),
            (self.mode, (("", self.tr("Automatic")), ("color", self.tr("Colour")), ("gray", self.tr("Grey")))),
            (self.paper, (("", self.tr("Automatic")), ("A4", "A4"), ("Letter", "Letter"),
                          ("max", self.tr("Whole scan area")))),
        ):
            current = combo.currentData()
            combo.clear()
            for key, text in items:
                combo.addItem(text, key)
            combo.setCurrentIndex(max(0, combo.findData(current)))
        self.new_btn.setText(self.tr("New profile"))
        self.delete_btn.setText(self.tr("Delete profile"))
        self.save_btn.setText(self.tr("Save profile"))
        self.double_feed.setText(self.tr("on"))
        self.locked.setText(self.tr("locked"))
        rules = self.ctx.settings.profile
        self.rules.setText(self.tr("Compliance profile {0}: at least {1} dpi{2}. A profile below it is refused.")
                           .format(rules.id, rules.min_dpi, self.tr(", in colour") if rules.colour_required else ""))

    def load(self) -> None:
        from scanstation.devices import load_profiles

        keep = self.list.currentItem().text() if self.list.currentItem() else ""
        self.list.clear()
        self.profiles = {n: p for n, p in load_profiles(self.ctx.settings).items() if n != "default"}
        for name in sorted(self.profiles):
            self.list.addItem(QListWidgetItem(name))
        devices = {self.ctx.settings.get("scanner.device"), *(p.device for p in self.profiles.values())}
        cur = self.device.currentText()
        self.device.clear()
        self.device.addItems(sorted(d for d in devices if d))
        self.device.setEditText(cur or str(self.ctx.settings.get("scanner.device")))
        found = self.list.findItems(keep, Qt.MatchFlag.MatchExactly) if keep else []
        if found:
            self.list.setCurrentItem(found[0])
        elif self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.new_profile()

    def show_profile(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        p = self.profiles.get(item.text())
        if p is None:
            return
        self.name.setText(p.name)
        self.device.setEditText(p.device)
        self.source.setCurrentIndex(max(0, self.source.findData(p.source or "")))
        self.dpi.setValue(p.dpi or 0)
        self.mode.setCurrentIndex(max(0, self.mode.findData(p.mode or "")))
        self.paper.setCurrentIndex(max(0, self.paper.findData(p.paper or "")))
        self.double_feed.setChecked(p.double_feed_detection)
        self.locked.setChecked(p.locked)
        self.options = p.options
        self.status.clear()

    def new_profile(self) -> None:
        self.list.setCurrentRow(-1)
        self.name.setText("")
        self.device.setEditText(str(self.ctx.settings.get("scanner.device")))
        for combo in (self.source, self.mode, self.paper):
            combo.setCurrentIndex(0)
        self.dpi.setValue(0)
        self.double_feed.setChecked(True)
        self.locked.setChecked(False)
        self.options = ()
        self.name.setFocus()

    def save(self) -> None:
        from scanstation.devices import ScanProfile, save_profile

        name = self.name.text().strip()
        if not name or name == "default":
            self.status.setText(f"<span style='color:{COLOURS['error']}'>"
                                + self.tr("Give the profile a name (not 'default').") + "</span>")
            self.name.setFocus()
            return
        profile = ScanProfile(name=name, device=self.device.currentText().strip(),
                              source=self.source.currentData() or None, dpi=self.dpi.value() or None,
                              mode=self.mode.currentData() or None, paper=self.paper.currentData() or None,
                              double_feed_detection=self.double_feed.isChecked(), options=self.options,
                              locked=self.locked.isChecked())

        def work() -> None:
            save_profile(self.ctx.settings, profile)
            self.ctx.station.audit.append(self.ctx.station.actor, "settings.changed",
                                          details={"keys": ["scanner.profiles"], "layer": "station",
                                                   "profile": name, "saved": profile.to_dict()})

        def done(_r: None) -> None:
            self.load()
            found = self.list.findItems(name, Qt.MatchFlag.MatchExactly)
            if found:
                self.list.setCurrentItem(found[0])
            self.status.setText(self.tr("Profile '{0}' saved.").format(name))
            self.ctx.settings_changed.emit(["scanner.profiles"])

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def delete_profile(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        name = item.text()

        def work() -> None:
            saved = dict(self.ctx.settings.get("scanner.profiles") or {})
            saved.pop(name, None)
            self.ctx.settings.set("scanner.profiles", saved, layer="station")
            self.ctx.station.audit.append(self.ctx.station.actor, "settings.changed",
                                          details={"keys": ["scanner.profiles"], "layer": "station",
                                                   "deleted_profile": name})

        def done(_r: None) -> None:
            self.load()
            self.status.setText(self.tr("Profile '{0}' deleted.").format(name))
            self.ctx.settings_changed.emit(["scanner.profiles"])

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def _failed(self, e: BaseException) -> None:
        self.status.setText(f"<span style='color:{COLOURS['error']}'>{describe_error(e)}</span>")


# --- sampling review (C9) -------------------------------------------------------------------------------
class ReviewTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[dict[str, Any]] = []
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        self.from_label, self.to_label, self.pct_label = QLabel(self), QLabel(self), QLabel(self)
        today = QDate.currentDate()
        self.start = QDateEdit(today.addDays(-30), self)
        self.end = QDateEdit(today, self)
        for d in (self.start, self.end):
            d.setCalendarPopup(True)
            d.setDisplayFormat("dd/MM/yyyy")
            d.dateChanged.connect(lambda _d: self.load())
        self.pct = QSpinBox(self)
        self.pct.setRange(1, 100)
        self.pct.setSuffix(" %")
        self.sample_btn = QPushButton(self)
        self.sample_btn.clicked.connect(self.sample)
        for w in (self.from_label, self.start, self.to_label, self.end, self.pct_label, self.pct, self.sample_btn):
            top.addWidget(w)
        top.addStretch(1)
        outer.addLayout(top)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.table = QTableWidget(0, 4, split)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.show_item)
        mid = QWidget(split)
        mv = QVBoxLayout(mid)
        self.preview = QLabel(mid)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(QSize(240, 320))
        mv.addWidget(self.preview, 1)
        self.boxes: dict[str, QCheckBox] = {}
        from scanstation.flow.review import CHECK_KEYS

        for key in CHECK_KEYS:
            self.boxes[key] = QCheckBox(mid)
            mv.addWidget(self.boxes[key])
        self.note = QLineEdit(mid)
        mv.addWidget(self.note)
        self.record_btn = QPushButton(mid)
        self.record_btn.clicked.connect(self.record)
        mv.addWidget(self.record_btn)
        self.summary = QTableWidget(0, 6, split)
        self.summary.verticalHeader().setVisible(False)
        self.summary.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        split.addWidget(self.table)
        split.addWidget(mid)
        split.addWidget(self.summary)
        split.setSizes([440, 380, 420])
        outer.addWidget(split, 1)

    def check_labels(self) -> dict[str, str]:
        return {"legible": self.tr("Legible"), "whole_page": self.tr("Whole page (nothing cut off)"),
                "orientation": self.tr("Right way up"), "colour": self.tr("Colour faithful")}

    def retranslate(self) -> None:
        self.from_label.setText(self.tr("From"))
        self.to_label.setText(self.tr("to"))
        self.pct_label.setText(self.tr("Sample"))
        self.sample_btn.setText(self.tr("Draw a sample"))
        for key, text in self.check_labels().items():
            self.boxes[key].setText(text)
        self.note.setPlaceholderText(self.tr("Note (what was wrong)"))
        self.record_btn.setText(self.tr("Record the review"))
        self.table.setHorizontalHeaderLabels([self.tr("Dossier"), self.tr("Clerk"), self.tr("Scanner"),
                                              self.tr("Result")])
        self.summary.setHorizontalHeaderLabels([self.tr("By"), self.tr("Name"), self.tr("Sampled"),
                                                self.tr("Reviewed"), self.tr("Passed"), self.tr("Failed")])
        self.show_items(None)

    def _period(self) -> tuple[datetime, datetime]:
        a, b = self.start.date(), self.end.date()
        first = datetime(a.year(), a.month(), a.day(), tzinfo=UTC)
        last = datetime(b.year(), b.month(), b.day(), tzinfo=UTC)
        return first, last + timedelta(days=1)

    def load(self) -> None:
        start, end = self._period()

        def work() -> dict[str, Any]:
            from scanstation.flow import review

            return review.summary(self.ctx.station, start, end)

        self.ctx.tasks.run(work, on_done=self.show_items, on_error=self._failed)

    def sample(self) -> None:
        start, end = self._period()
        pct = self.pct.value()

        def work() -> tuple[dict[str, Any], dict[str, Any]]:
            from scanstation.flow import review

            drawn = review.sample(self.ctx.station, start, end, pct=pct)
            return drawn, review.summary(self.ctx.station, start, end)

        def done(out: tuple[dict[str, Any], dict[str, Any]]) -> None:
            drawn, summary = out
            self.status.setText(self.tr("{0} page(s) drawn out of {1} not yet sampled in the period.").format(
                len(drawn["items"]), drawn["population"]))
            self.show_items(summary)

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def result_text(self, item: dict[str, Any]) -> tuple[str, str | None]:
        if item["reviewed_at"] is None:
            return self.tr("To review"), None
        if item["passed"]:
            return self.tr("Pass"), COLOURS["ok"]
        names = self.check_labels()
        failed = [names[k] for k, v in item["answers"].items() if v is False]
        return self.tr("Fail: {0}").format(", ".join(failed)), COLOURS["error"]

    def show_items(self, summary: dict[str, Any] | None) -> None:
        if summary is None:
            summary = getattr(self, "_summary", None)
            if summary is None:
                return
        self._summary = summary
        self.items = summary["items"]
        self.table.setRowCount(len(self.items))
        for i, it in enumerate(self.items):
            text, colour = self.result_text(it)
            for col, value in enumerate((it["receipt_code"], it["clerk"] or "?", it["device"] or "?")):
                self.table.setItem(i, col, _item(value))
            self.table.setItem(i, 3, _item(text, colour))
        rows = [(self.tr("Clerk"), k, t) for k, t in summary["by_clerk"].items()]
        rows += [(self.tr("Scanner"), k, t) for k, t in summary["by_scanner"].items()]
        self.summary.setRowCount(len(rows))
        for i, (group, name, t) in enumerate(rows):
            for col, value in enumerate((group, name, t["sampled"], t["reviewed"], t["passed"], t["failed"])):
                self.summary.setItem(i, col, _item(str(value), COLOURS["error"] if col == 5 and value else None))

    def current(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.items[rows[0].row()] if rows and rows[0].row() < len(self.items) else None

    def show_item(self) -> None:
        it = self.current()
        if it is None:
            return
        reviewed = it["reviewed_at"] is not None
        for key, box in self.boxes.items():
            box.setChecked(it["answers"][key] is not False)
            box.setEnabled(not reviewed)
        self.note.setText(it["note"])
        self.note.setReadOnly(reviewed)
        self.record_btn.setEnabled(not reviewed)
        path = it["file"]

        def work() -> QImage:
            img = QImage(path)
            return img.scaled(QSize(360, 500), Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation) if not img.isNull() else img

        def done(img: QImage) -> None:
            cur = self.current()
            if cur is not None and cur["file"] == path:
                if img.isNull():
                    self.preview.setText(self.tr("The page image is no longer on this station."))
                else:
                    self.preview.setPixmap(QPixmap.fromImage(img))

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def record(self) -> None:
        it = self.current()
        if it is None:
            self.status.setText(self.tr("Choose a sampled page first."))
            return
        answers = {k: b.isChecked() for k, b in self.boxes.items()}
        note = self.note.text()
        start, end = self._period()
        row = self.table.currentRow()

        def work() -> dict[str, Any]:
            from scanstation.flow import review

            review.record(self.ctx.station, it["id"], answers, note)
            return review.summary(self.ctx.station, start, end)

        def done(summary: dict[str, Any]) -> None:
            self.status.setText(self.tr("Review of a page of dossier {0} recorded.").format(it["receipt_code"]))
            self.show_items(summary)
            nxt = next((i for i, x in enumerate(self.items) if x["reviewed_at"] is None), row)
            if 0 <= nxt < self.table.rowCount():
                self.table.selectRow(nxt)

        self.ctx.tasks.run(work, on_done=done, on_error=self._failed)

    def _failed(self, e: BaseException) -> None:
        self.status.setText(f"<span style='color:{COLOURS['error']}'>{describe_error(e)}</span>")


# --- the screen ------------------------------------------------------------------------------------------
class ItScreen(Screen):
    key = "it"
    it_only = True

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.calibration = CalibrationTab(ctx, self.tabs)
        self.profiles = ProfilesTab(ctx, self.tabs)
        self.review = ReviewTab(ctx, self.tabs)
        for tab in (self.calibration, self.profiles, self.review):
            self.tabs.addTab(tab, "")
        outer.addWidget(self.tabs)
        self.shortcut("F5", self._f5)
        self.retranslate()

    def title(self) -> str:
        return self.tr("Scanners (IT)")

    def retranslate(self) -> None:
        self.tabs.setTabText(0, self.tr("Calibration"))
        self.tabs.setTabText(1, self.tr("Scanner profiles"))
        self.tabs.setTabText(2, self.tr("Sampling review"))
        self.calibration.retranslate()
        self.profiles.retranslate()
        self.review.retranslate()

    def activated(self) -> None:
        if not self.ctx.it_mode:
            return
        self.calibration.refresh_devices()
        self.profiles.load()
        self.review.pct.setValue(int(self.ctx.settings.get("review.sample_pct")))
        self.review.load()

    def _f5(self) -> None:
        if self.tabs.currentWidget() is self.calibration and self.calibration.run_btn.isEnabled():
            self.calibration.run()
