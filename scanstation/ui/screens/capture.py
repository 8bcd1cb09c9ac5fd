"""Capture: scanner profile, live thumbnails, counters, large preview, and the clerk's page operations."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from scanstation.model import Component, Page, PageVariant, Side
from scanstation.ui import services
from scanstation.ui.context import AppContext
from scanstation.ui.i18n import describe_error, pick
from scanstation.ui.pages_view import (
    PagePreview,
    ThumbnailList,
    load_preview,
    load_thumbnail,
    qimage_from_array,
)
from scanstation.ui.screens.base import Screen
from scanstation.ui.tasks import Task, UiProgress
from scanstation.ui.widgets import COLOURS, make_banner


def page_label(page: Page, comp: Component | None = None) -> str:
    """'Sheet 3 · back' (+ note, excluded, problem marks); sheets counted from the feed order."""
    sheet, side_v, variant = services.page_place(page)
    if comp is not None:
        sheet, side_v = services.layout(comp).get(page.id, (sheet, side_v))
    side = QCoreApplication.translate("Pages", "front") if side_v == Side.FRONT.value else QCoreApplication.translate("Pages", "back")
    text = QCoreApplication.translate("Pages", "Sheet {0} · {1}").format(sheet, side)
    if services.page_has_note(page) and variant != PageVariant.NOTE_REMOVED.value:
        text += "\n" + QCoreApplication.translate("Pages", "with note")
    elif variant == PageVariant.NOTE_REMOVED.value:
        text += "\n" + QCoreApplication.translate("Pages", "note removed")
    if not page.kept:
        text += "\n" + QCoreApplication.translate("Pages", "(excluded)")
    else:
        sev = services.page_severity(page)
        if sev == "block":
            text += "\n✗ " + QCoreApplication.translate("Pages", "to fix")
        elif sev == "warn":
            text += "\n⚠ " + QCoreApplication.translate("Pages", "check")
    return text


class CaptureScreen(Screen):
    key = "capture"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        self.banner = make_banner(self, "warn")
        self.banner.hide()
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(split, 1)

        left = QWidget(split)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.lab_components = QLabel(left)
        self.components = QListWidget(left)
        self.components.setMinimumWidth(230)
        self.lab_profile = QLabel(left)
        self.profile = QComboBox(left)
        self.lab_profile.setBuddy(self.profile)
        self.counters = QLabel(left)
        self.counters.setWordWrap(True)
        self.counters.setStyleSheet("font-size: 11pt;")
        self.scan_btn = QPushButton(left)
        self.scan_btn.setStyleSheet("font-size: 12pt; font-weight: 600; padding: 8px;")
        self.stop_btn = QPushButton(left)
        self.bar = QProgressBar(left)
        self.bar.hide()
        for w in (self.lab_components, self.components, self.lab_profile, self.profile, self.counters,
                  self.scan_btn, self.stop_btn, self.bar):
            ll.addWidget(w)
        ll.setStretchFactor(self.components, 1)

        middle = QWidget(split)
        ml = QVBoxLayout(middle)
        ml.setContentsMargins(0, 0, 0, 0)
        self.thumbs = ThumbnailList(middle)
        ml.addWidget(self.thumbs, 1)
        ops = QGridLayout()
        self.rescan_btn, self.insert_btn, self.replace_btn = QPushButton(middle), QPushButton(middle), QPushButton(middle)
        self.delete_btn, self.rotate_l_btn, self.rotate_r_btn = QPushButton(middle), QPushButton(middle), QPushButton(middle)
        self.exclude_btn, self.left_btn, self.right_btn = QPushButton(middle), QPushButton(middle), QPushButton(middle)
        for i, b in enumerate((self.rescan_btn, self.insert_btn, self.replace_btn, self.delete_btn, self.exclude_btn,
                               self.rotate_l_btn, self.rotate_r_btn, self.left_btn, self.right_btn)):
            ops.addWidget(b, i // 5, i % 5)
        ml.addLayout(ops)

        self.preview = PagePreview(split)
        split.addWidget(left)
        split.addWidget(middle)
        split.addWidget(self.preview)
        split.setSizes([260, 560, 460])

        self.components.currentRowChanged.connect(self._component_changed)
        self.thumbs.currentItemChanged.connect(lambda cur, _prev: self._page_selected(cur))
        self.thumbs.order_changed.connect(self._reordered)
        self.scan_btn.clicked.connect(self.scan_or_continue)
        self.stop_btn.clicked.connect(self.stop)
        self.rescan_btn.clicked.connect(self.rescan_sheet)
        self.insert_btn.clicked.connect(self.insert_before)
        self.replace_btn.clicked.connect(self.replace_page)
        self.delete_btn.clicked.connect(self.delete_pages)
        self.exclude_btn.clicked.connect(self.toggle_exclude)
        self.rotate_l_btn.clicked.connect(lambda: self.rotate(-90))
        self.rotate_r_btn.clicked.connect(lambda: self.rotate(90))
        self.left_btn.clicked.connect(lambda: self.thumbs.move_selected(-1))
        self.right_btn.clicked.connect(lambda: self.thumbs.move_selected(1))

        self.shortcut("F5", self.scan_or_continue)
        self.shortcut("F6", self.rescan_sheet)
        self.shortcut("Insert", self.insert_before, within=self.thumbs)
        self.shortcut("F7", self.replace_page)
        self.shortcut("Delete", self.delete_pages, within=self.thumbs)
        self.shortcut("X", self.toggle_exclude, within=self.thumbs)     # only with the page view focused
        self.shortcut("Ctrl+Left", lambda: self.rotate(-90))
        self.shortcut("Ctrl+Right", lambda: self.rotate(90))
        self.shortcut("Alt+Left", lambda: self.thumbs.move_selected(-1))
        self.shortcut("Alt+Right", lambda: self.thumbs.move_selected(1))
        self.shortcut("Alt+Up", lambda: self.components.setCurrentRow(max(0, self.components.currentRow() - 1)))
        self.shortcut("Alt+Down", lambda: self.components.setCurrentRow(
            min(self.components.count() - 1, self.components.currentRow() + 1)))
        self.shortcut("F8", lambda: self.ctx.navigate.emit("qc"))

        self.scan_task: Task | None = None
        self._shown_component: str | None = None
        self.stopped_component: str | None = None
        self.thumb_latencies: list[float] = []     # seconds from page written to thumbnail shown (bench)
        ctx.dossier_changed.connect(self.reload)
        ctx.pages_changed.connect(self._pages_changed)
        ctx.findings_changed.connect(self._refresh_labels)
        ctx.page_checked.connect(self._page_checked)
        self.retranslate()
        self.reload()

    def title(self) -> str:
        return self.tr("Scan")

    def retranslate(self) -> None:
        self.lab_components.setText(self.tr("Components (Alt+Up/Down)"))
        self.lab_profile.setText(self.tr("Scanner &profile"))
        self.stop_btn.setText(self.tr("Stop (Esc)"))
        self.rescan_btn.setText(self.tr("Rescan sheet (F6)"))
        self.insert_btn.setText(self.tr("Insert before (Ins)"))
        self.replace_btn.setText(self.tr("Replace page (F7)"))
        self.delete_btn.setText(self.tr("Delete (Del)"))
        self.exclude_btn.setText(self.tr("Exclude/restore (X)"))
        self.rotate_l_btn.setText(self.tr("Rotate left (Ctrl+←)"))
        self.rotate_r_btn.setText(self.tr("Rotate right (Ctrl+→)"))
        self.left_btn.setText(self.tr("Move earlier (Alt+←)"))
        self.right_btn.setText(self.tr("Move later (Alt+→)"))
        self.preview.clear(self.tr("Put the papers in the feeder and press F5.\nPages appear here as they are scanned."))
        self._update_buttons()
        self._refresh_components()
        self._refresh_labels()

    # --- dossier and components -------------------------------------------------------------------------
    @property
    def component(self) -> Component | None:
        d = self.ctx.dossier
        row = self.components.currentRow()
        comps = self.digitised()
        return comps[row] if d and 0 <= row < len(comps) else None

    def digitised(self) -> list[Component]:
        return [c for c in self.ctx.dossier.components if c.digitised] if self.ctx.dossier else []

    def reload(self) -> None:
        """Another dossier, or this one changed: keep the component the clerk is on when it is still there."""
        keep = self.component.id if self.component is not None else None
        comps = self.digitised()
        self.components.blockSignals(True)
        self.components.clear()
        for _c in comps:
            self.components.addItem(QListWidgetItem())
        ids = [c.id for c in comps]
        self.components.setCurrentRow(ids.index(keep) if keep in ids else (0 if comps else -1))
        self.components.blockSignals(False)
        self._refresh_components()
        self._component_changed()
        if not self.profile.count():
            self._load_profiles()

    def activated(self) -> None:
        self._load_profiles()          # IT staff may have saved or locked a profile meanwhile
        self.thumbs.setFocus()

    def _load_profiles(self) -> None:
        def done(profiles: list[services.ScannerProfile]) -> None:
            cur = self.profile.currentData() or self.ctx.settings.get("scanner.profile")
            self.profile.clear()
            for p in profiles:
                self.profile.addItem(p.label, p.name)
            self.profile.setCurrentIndex(max(0, self.profile.findData(cur)))
        self.ctx.tasks.run(lambda: services.scanner_profiles(self.ctx), on_done=done, on_error=lambda e: None)

    def _refresh_components(self) -> None:
        for i, c in enumerate(self.digitised()):
            item = self.components.item(i)
            if item is None:
                continue
            sheets = services.sheets_captured(c)
            mark = "✓ " if c.declared_sheets and sheets == c.declared_sheets else ""
            item.setText(f"{mark}{c.name}\n" + self.tr("{0} of {1} sheets · {2} images").format(
                sheets, c.declared_sheets, len(c.pages)))
        self._update_counters()

    def _update_counters(self) -> None:
        c = self.component
        if c is None:
            self.counters.setText(self.tr("Open or take in a dossier first (Ctrl+N)."))
            return
        sheets = services.sheets_captured(c)
        expected = services.expected_images(c)
        colour = COLOURS["ok"] if sheets == c.declared_sheets else COLOURS["warn"]
        self.counters.setText(
            self.tr("Sheets: <b style='color:{0}'>{1}</b> of {2} declared<br>Images: {3} (expected {4})<br>"
                    "{5}").format(colour, sheets, c.declared_sheets, len(c.pages), expected,
                                  self.tr("two-sided") if c.duplex else self.tr("one-sided")))

    def _component_changed(self, *_args) -> None:
        c = self.component
        same = c is not None and c.id == self._shown_component
        if same and c is not None and self.thumbs.page_ids() == [p.id for p in c.pages]:
            self._refresh_labels()             # same pages: keep the thumbnails and the clerk's selection
            self._update_counters()
            self._update_buttons()
            return
        cur = self.thumbs.currentItem()
        keep = cur.data(Qt.ItemDataRole.UserRole) if same and cur is not None else None
        self.thumbs.clear()
        self._shown_component = c.id if c is not None else None
        if c is not None:
            for p in c.pages:
                self.thumbs.add_page(p, page_label(p, c))
                self._request_thumbnail(p)
            if c.pages:
                ids = [p.id for p in c.pages]   # stay on the page the clerk was on (not back to sheet 1)
                self.thumbs.setCurrentRow(ids.index(keep) if keep in ids else 0)
        if not c or not c.pages:
            self.preview.clear(self.tr("Put the papers in the feeder and press F5.\n"
                                       "Pages appear here as they are scanned."))
        self._update_counters()
        self._update_buttons()

    def _pages_changed(self, component_id: str) -> None:
        self._refresh_components()
        c = self.component
        if c is None or c.id != component_id or self.scan_task is not None:
            return
        if self.thumbs.page_ids() == [p.id for p in c.pages]:
            self._refresh_labels()              # same pages, same order: no thumbnail to read again
            return
        keep = self.thumbs.currentRow()
        self._component_changed()
        if 0 <= keep < self.thumbs.count():
            self.thumbs.setCurrentRow(keep)

    def _refresh_labels(self) -> None:
        c = self.component
        if c is None:
            return
        by_id = {p.id: p for p in c.pages}
        for i in range(self.thumbs.count()):
            item = self.thumbs.item(i)
            page = by_id.get(item.data(Qt.ItemDataRole.UserRole))
            if page is not None:
                item.setText(page_label(page, c))
                if item is self.thumbs.currentItem() and self.preview.has_image():
                    self.preview.set_caption(page_label(page, c).replace("\n", " · "))
        self._show_banner()

    def _page_checked(self, component_id: str, page_id: str) -> None:
        c = self.component
        if c is None or c.id != component_id:
            return
        item = self.thumbs.item_for(page_id)
        page = services.find_page(c, page_id)
        if item is not None and page is not None:
            item.setText(page_label(page, c))
            if item is self.thumbs.currentItem():
                self.preview.set_regions(services.page_regions(page, self.tr("note")))
        if services.page_has_note(page) if page else False:
            self._show_banner()

    def _show_banner(self) -> None:
        c = self.component
        note = services.unpaired_note(c) if c else None
        if note is not None:
            self.banner.setText(self.tr("Sheet {0} ({1}) has a sticky note. Take the note off, put the sheet back in "
                                        "the feeder and press F6: the station scans it again and keeps both images.")
                                .format(note.sheet, self.tr("front") if note.side == Side.FRONT else self.tr("back")))
            self.banner.show()
        else:
            self.banner.hide()

    # --- thumbnails and preview ----------------------------------------------------------------------
    def _request_thumbnail(self, page: Page, written_at: float | None = None) -> None:
        wa = self.ctx.workarea
        if wa is None:
            return
        path = wa.root / page.file

        def done(img: QImage) -> None:
            self.thumbs.set_image(page.id, img)
            if written_at is not None:
                self.thumb_latencies.append(time.perf_counter() - written_at)

        self.ctx.tasks.run(lambda: load_thumbnail(path), on_done=done, on_error=lambda e: None)

    def _page_selected(self, item: QListWidgetItem | None) -> None:
        self._update_buttons()
        if item is None or self.ctx.workarea is None or self.component is None:
            return
        page = services.find_page(self.component, item.data(Qt.ItemDataRole.UserRole))
        if page is None:
            return
        path = self.ctx.workarea.root / page.file
        caption = page_label(page, self.component).replace("\n", " · ")

        def done(result) -> None:
            img, full = result
            if self.thumbs.currentItem() is item:
                self.preview.set_page(img, full, caption)
                self.preview.set_regions(services.page_regions(page, self.tr("note")))

        self.ctx.tasks.run(lambda: load_preview(path), on_done=done, on_error=lambda e: None)

    def show_component(self, component_id: str, page_id: str | None = None) -> None:
        """Select a component (and one of its pages): how the QC panel sends the clerk to a fix."""
        for i, c in enumerate(self.digitised()):
            if c.id == component_id:
                self.components.setCurrentRow(i)
                break
        if page_id:
            item = self.thumbs.item_for(page_id)
            if item is not None:
                self.thumbs.setCurrentItem(item)
                self.thumbs.scrollToItem(item)
        self.thumbs.setFocus()

    def current_page(self) -> Page | None:
        item = self.thumbs.currentItem()
        if item is None or self.component is None:
            return None
        return services.find_page(self.component, item.data(Qt.ItemDataRole.UserRole))

    def _update_buttons(self) -> None:
        scanning = self.scan_task is not None
        has_comp = self.component is not None
        has_page = self.thumbs.currentItem() is not None
        if scanning:
            self.scan_btn.setText(self.tr("Scanning…"))
        elif self.stopped_component and self.component and self.stopped_component == self.component.id:
            self.scan_btn.setText(self.tr("Continue scanning (F5)"))
        else:
            self.scan_btn.setText(self.tr("Scan (F5)"))
        self.scan_btn.setEnabled(has_comp and not scanning)
        self.stop_btn.setEnabled(scanning)
        for b in (self.rescan_btn, self.insert_btn, self.replace_btn, self.delete_btn, self.exclude_btn,
                  self.rotate_l_btn, self.rotate_r_btn, self.left_btn, self.right_btn):
            b.setEnabled(has_page and not scanning)

    # --- scanning ------------------------------------------------------------------------------------
    def scan_or_continue(self) -> None:
        c = self.component
        if c is None or self.scan_task is not None:
            return
        if c.declared_sheets and services.sheets_captured(c) >= c.declared_sheets:
            answer = QMessageBox.question(
                self, self.tr("Component complete"),
                self.tr("“{0}” already has its {1} declared sheet(s). Scan more sheets into it?")
                .format(c.name, c.declared_sheets),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            self.activateWindow()
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.start_scan(services.CaptureRequest(component_id=c.id, profile=self.profile.currentData() or "",
                                                mode="append"))

    def rescan_sheet(self) -> None:
        page = self.current_page()
        c = self.component
        if page is None or c is None or self.scan_task is not None:
            return
        note = services.unpaired_note(c)
        if note is not None and note.sheet == page.sheet:
            req = services.CaptureRequest(component_id=c.id, profile=self.profile.currentData() or "", mode="note_removed",
                                          target_page=note.id)
        else:
            req = services.CaptureRequest(component_id=c.id, profile=self.profile.currentData() or "", mode="rescan",
                                          target_page=page.id)
        self.start_scan(req)

    def insert_before(self) -> None:
        page = self.current_page()
        c = self.component
        if page is None or c is None or self.scan_task is not None:
            return
        self.start_scan(services.CaptureRequest(component_id=c.id, profile=self.profile.currentData() or "",
                                                mode="insert", target_page=page.id))

    def replace_page(self) -> None:
        page = self.current_page()
        c = self.component
        if page is None or c is None or self.scan_task is not None:
            return
        self.start_scan(services.CaptureRequest(component_id=c.id, profile=self.profile.currentData() or "",
                                                mode="replace", target_page=page.id))

    def start_scan(self, req: services.CaptureRequest) -> None:
        d, wa = self.ctx.dossier, self.ctx.workarea
        if d is None or wa is None:
            return
        progress = UiProgress(self.tr("Scanning"), shown_by_screen=True)
        progress.listeners.append(self._progress)
        self.bar.setRange(0, 0)
        self.bar.show()

        comp = d.component(req.component_id)

        def checked(cid: str, pid: str) -> None:              # a QC pool thread
            self.ctx.tasks.run_on_main(lambda: self.ctx.page_checked.emit(cid, pid))

        def on_page(page: Page, written_at: float, small=None) -> None:   # device thread
            img = qimage_from_array(small) if small is not None else None      # no decode of the full page
            self.ctx.tasks.run_on_main(lambda: self._page_arrived(req, page, written_at, img))
            if req.mode == "append":
                services.qc_page_arrived(self.ctx, wa, comp, page, checked)

        def done(result: services.CaptureResult) -> None:
            self.scan_task = None
            self.ctx.scanning = False
            self.bar.hide()
            ids = set(self.thumbs.page_ids())
            comp_now = self.ctx.dossier.component(req.component_id) if self.ctx.dossier else None
            if comp_now is not None and self.component is comp_now and ids != {p.id for p in comp_now.pages}:
                self._component_changed()            # rescans and inserts moved pages: show the new order
            if result.pages and self.component is not None:
                item = self.thumbs.item_for(result.pages[-1].id)
                if item is not None:
                    self.thumbs.setCurrentItem(item)   # the full-size preview of the last page
            self.stopped_component = req.component_id if result.stopped else None
            self._update_buttons()
            if result.event_vi or result.event_en:
                self.ctx.warn(pick(result.event_vi, result.event_en))
            self.ctx.pages_changed.emit(req.component_id)
            self.ctx.dossier_changed.emit()
            self._after_scan(req, scanned=not result.stopped)

        def failed(exc: BaseException) -> None:
            self.scan_task = None
            self.ctx.scanning = False
            self.bar.hide()
            self.stopped_component = req.component_id
            self._update_buttons()
            self.ctx.error(describe_error(exc) + " " + self.tr("Pages scanned before the problem are kept; fix it and "
                                                               "press F5 to continue."))
            self.ctx.pages_changed.emit(req.component_id)

        self.ctx.scanning = True
        self.scan_task = self.ctx.tasks.run(
            lambda p: services.capture(self.ctx, d, wa, req, p, on_page),
            on_done=done, on_error=failed, progress=progress, lane="device", label=self.tr("Scanning"))
        self._update_buttons()

    def _progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)

    def _page_arrived(self, req: services.CaptureRequest, page: Page, written_at: float,
                      small: QImage | None = None) -> None:
        c = self.component
        self._refresh_components()
        if c is None or c.id != req.component_id:
            return
        row = services.index_of(c, page.id)
        item = self.thumbs.item_for(page.id)
        if item is None:
            item = self.thumbs.add_page(page, page_label(page, c), small, row=row if row is not None else None)
        if small is not None and not small.isNull():
            self.thumb_latencies.append(time.perf_counter() - written_at)
            # while the feeder runs, the big preview follows the scanner's own small image (no decode)
            self.preview.set_page(small, QSize(page.width, page.height), page_label(page, c).replace("\n", " · "))
        else:
            self._request_thumbnail(page, written_at)
        self.thumbs.scrollToItem(item)
        self._update_counters()

    def _after_scan(self, req: services.CaptureRequest, scanned: bool = False) -> None:
        """Run the component checks once the feeder is empty (QC of each page already ran as it arrived)."""
        c = self.ctx.dossier.component(req.component_id) if self.ctx.dossier else None
        if c is None:
            return
        def checked(cid: str, pid: str) -> None:
            self.ctx.tasks.run_on_main(lambda: self.ctx.page_checked.emit(cid, pid))

        d, wa = self.ctx.dossier, self.ctx.workarea
        self.ctx.tasks.run(lambda: services.check_component(self.ctx, d, wa, c, checked),
                           on_done=lambda _r: self._checked(c.id if scanned else None),
                           label=self.tr("Checking the pages"))

    def _checked(self, scanned: str | None = None) -> None:
        self.ctx.findings_changed.emit()
        n = services.blocking_count(self.ctx)
        c = self.component
        if c is not None and n and services.unpaired_note(c) is None:
            self.ctx.problems_noted.emit()      # the window keeps the count true until it is 0
        if scanned and c is not None and c.id == scanned and self.scan_task is None:
            self._next_action(c)

    def _next_action(self, c: Component) -> None:
        """After a scan is checked, the selection goes where the clerk's next key acts: the page with a sticky
        note (F6 scans it again without the note), else the next component still to scan (F5)."""
        note = services.unpaired_note(c)
        if note is not None:
            item = self.thumbs.item_for(note.id)
            if item is not None:
                self.thumbs.setCurrentItem(item)
                self.thumbs.scrollToItem(item)
            return
        if not c.declared_sheets or services.sheets_captured(c) < c.declared_sheets:
            return                              # sheets missing: the clerk stays on this component
        comps = self.digitised()
        for i, other in enumerate(comps):
            if not other.pages and i != self.components.currentRow():
                self.components.setCurrentRow(i)
                self.ctx.info(self.tr("“{0}” is complete. Next: “{1}” — put it in the feeder and press F5.")
                              .format(c.name, other.name))
                return

    def stop(self) -> None:
        if self.scan_task is not None:
            self.scan_task.cancel()

    def escape(self) -> bool:
        if self.scan_task is not None:
            self.stop()
            return True
        return False

    def shutdown(self) -> None:
        self.stop()

    # --- page operations (journaled by the core; the image files are never deleted) ------------------
    def _page_op(self, work, label: str) -> None:
        c = self.component
        if c is None:
            return
        cid = c.id

        self.ctx.tasks.run(work, on_done=lambda _r: self.after_page_op(cid), label=label)

    def after_page_op(self, component_id: str) -> None:
        """A page operation (or its undo) is journaled: redraw from the dossier and check the component again."""
        self.ctx.pages_changed.emit(component_id)
        self.ctx.dossier_changed.emit()
        self._after_scan(services.CaptureRequest(component_id=component_id, profile="", mode="append"))

    def delete_pages(self) -> None:
        """Del: take the selected sheet out, both sides (one side alone would turn the back of the sheet into
        the front of the next one); the clerk can take it back with Ctrl+Z."""
        page = self.current_page()
        c = self.component
        if page is None or c is None or self.scan_task is not None:
            return
        sheet = services.page_position(c, page.id)[0]

        def work() -> int:
            return len(services.remove_sheet(self.ctx, c, page.id))

        def done(n: int) -> None:
            self.after_page_op(c.id)
            self.ctx.offer_undo(self.tr("Sheet {0} taken out ({1} image(s)); the files stay in the work folder.")
                                .format(sheet, n))

        self.ctx.tasks.run(work, on_done=done, label=self.tr("Deleting pages"))

    def toggle_exclude(self) -> None:
        page = self.current_page()
        if page is None or self.component is None:
            return
        c, d, wa = self.component, self.ctx.dossier, self.ctx.workarea
        self._page_op(lambda: services.toggle_exclude(self.ctx, d, wa, c, page.id, self.tr("excluded by the clerk")),
                      self.tr("Updating the page"))

    def rotate(self, degrees: int) -> None:
        page = self.current_page()
        if page is None or self.component is None:
            return
        c, d, wa = self.component, self.ctx.dossier, self.ctx.workarea
        self._page_op(lambda: services.rotate_page(self.ctx, d, wa, c, page.id, degrees), self.tr("Rotating the page"))

    def _reordered(self, ids: list[str]) -> None:
        c, d, wa = self.component, self.ctx.dossier, self.ctx.workarea
        if c is None:
            return
        self._page_op(lambda: services.reorder(self.ctx, d, wa, c, ids), self.tr("Saving the new order"))

