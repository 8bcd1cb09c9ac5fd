"""Details beside the paper: page 1 of the paper next to its fields (read on a worker thread, zoomable), marks
that go as soon as a field is filled, and prefilled values that count as filled."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from scanstation.dossier_io import load_dossier_file
from scanstation.model import DocumentMetadata
from scanstation.resources import resource
from tests.ui.ui_keys import type_text
from tests.ui.ui_pages import add_pages


def test_details_beside_page_1_with_live_marks(make_window, qtbot, tmp_path):
    w = make_window(language="vi")
    w.resize(1366, 768)
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    for c in d.components:
        c.metadata = DocumentMetadata()           # nothing typed yet: the form starts from the dossier
    wa = st.create_dossier(d)
    for c in d.components:
        if c.digitised:
            add_pages(st, d, wa, c, c.declared_sheets)
    w.ctx.open_dossier(d, wa)
    qtbot.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    meta = w.screens["metadata"]
    assert w.current_screen() is meta
    first = d.components[0]
    qtbot.waitUntil(lambda: meta.page.has_image(), timeout=10000)
    assert meta.page.caption() == f"Trang 1 của {first.name}"
    assert meta.page.isVisible() and meta.page.width() >= 300                     # beside the fields, not below
    assert meta.page.geometry().left() > meta.box.geometry().left()
    # prefilled from the dossier (type code, holder, name): not flagged empty
    for f in ("document_type_code", "holder_identifier", "document_name"):
        assert meta.edits[f].text() and not meta.errors[f].isVisible(), f
    # the cursor is in the first field to fill, marked; the mark goes with the first character typed
    field = QApplication.focusWidget()
    assert field is meta.edits["number_symbol"] and meta.errors["number_symbol"].isVisible()
    type_text(field, "1")
    assert not meta.errors["number_symbol"].isVisible()
    assert meta.errors["issue_date"].isVisible()                                   # the others keep theirs
    type_text(field, "234/GCS")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    date_field = QApplication.focusWidget()
    assert date_field is meta.edits["issue_date"]
    type_text(date_field, "15/1")                                                  # half a date: no new mark
    assert not meta.errors["issue_date"].isVisible()
    type_text(date_field, "1/2026")
    assert first.metadata.issue_date is not None and first.metadata.issue_date.day == 15
    # zoom with the keyboard once the page has the focus
    meta.page.setFocus()
    before = meta.page.zoom
    qtbot.keyClick(meta.page, Qt.Key.Key_Plus)
    assert meta.page.zoom > before
    # the other paper: its page 1
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    second = d.components[1]
    qtbot.waitUntil(lambda: meta.page.caption() == f"Trang 1 của {second.name}", timeout=10000)
    assert QApplication.focusWidget() is meta.edits["number_symbol"]
    w.grab().save(str(tmp_path / "details.png"))
    import shutil
    shutil.copy(tmp_path / "details.png", "/tmp/window-details-1366.png")


def test_a_dossier_change_keeps_the_paper_and_what_was_typed(make_window, qtbot):
    w = make_window(language="vi")
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    for c in d.components:
        c.metadata = DocumentMetadata()
    wa = st.create_dossier(d)
    w.ctx.open_dossier(d, wa)
    qtbot.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    meta = w.screens["metadata"]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert meta._shown is d.components[1]
    type_text(QApplication.focusWidget(), "15/UQ")
    w.ctx.dossier_changed.emit()                 # e.g. the upload worker finished another dossier meanwhile
    assert meta._shown is d.components[1] and meta.components.currentRow() == 1
    assert meta.edits["number_symbol"].text() == "15/UQ" and d.components[1].metadata.number_symbol == "15/UQ"
