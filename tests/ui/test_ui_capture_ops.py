"""Page operations on the Scan screen, from the keyboard; every one survives reopening the dossier."""

from PIL import Image
from PySide6.QtCore import Qt

from scanstation.dossier_io import load_dossier_file
from scanstation.resources import resource
from scanstation.ui import services
from tests.ui.ui_pages import add_pages


def _open(w):
    st = w.ctx.station
    d, _ = load_dossier_file(resource("demo", "dossier.json"))
    wa = st.create_dossier(d)
    comp = d.components[0]                     # Giấy chứng sinh, 2 sheets, duplex
    add_pages(st, d, wa, comp, 2)
    w.ctx.open_dossier(d, wa)
    w.show_screen("capture")
    return d, wa, comp


def _reopened(w, d, comp):
    d2 = services.load_dossier(w.ctx.station, d.id).dossier
    return d2.component(comp.id)


def test_thumbnails_labels_and_counters(make_window, qtbot):
    w = make_window()
    d, wa, comp = _open(w)
    cap = w.screens["capture"]
    assert cap.thumbs.count() == 4
    assert [cap.thumbs.item(i).text().split("\n")[0] for i in range(4)] == [
        "Sheet 1 · front", "Sheet 1 · back", "Sheet 2 · front", "Sheet 2 · back"]
    assert "2</b> of 2 declared" in cap.counters.text() and "Images: 4 (expected 4)" in cap.counters.text()
    qtbot.waitUntil(lambda: not cap.thumbs.item(0).icon().isNull() and cap.preview.has_image(), timeout=5000)


def test_delete_exclude_move_rotate_from_the_keyboard(make_window, qtbot):
    w = make_window()
    d, wa, comp = _open(w)
    cap = w.screens["capture"]
    ids = [p.id for p in comp.pages]
    cap.thumbs.setFocus()
    cap.thumbs.setCurrentRow(1)
    qtbot.keyClick(cap.thumbs, Qt.Key.Key_X)                      # exclude the back of sheet 1
    qtbot.waitUntil(lambda: not comp.pages[1].kept)
    qtbot.waitUntil(lambda: "(excluded)" in cap.thumbs.item(1).text())
    cap.thumbs.setCurrentRow(3)
    qtbot.keyClick(cap.thumbs, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)   # move earlier
    qtbot.waitUntil(lambda: [p.id for p in comp.pages] == [ids[0], ids[1], ids[3], ids[2]])
    cap.thumbs.setCurrentRow(0)
    qtbot.keyClick(cap.thumbs, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)  # rotate right
    qtbot.waitUntil(lambda: comp.pages[0].id != ids[0])
    rotated = comp.pages[0]
    with Image.open(wa.root / rotated.file) as im:
        assert im.size == (1169, 827) and round(im.info["dpi"][0]) == 100
    assert (wa.root / "pages" / comp.id).exists() and len(list((wa.root / "pages" / comp.id).glob("*.png"))) == 5
    qtbot.waitUntil(lambda: cap.thumbs.count() == 4 and cap.thumbs.item_for(rotated.id) is not None)
    cap.thumbs.setCurrentRow(3)
    qtbot.keyClick(cap.thumbs, Qt.Key.Key_Delete)              # Del takes out the whole sheet 2 (both sides)
    qtbot.waitUntil(lambda: len(comp.pages) == 2)
    again = _reopened(w, d, comp)
    assert [p.id for p in again.pages] == [p.id for p in comp.pages] == [rotated.id, ids[1]]
    assert [p.kept for p in again.pages] == [True, False]
    actions = [e.action for e in w.ctx.station.audit.events()]
    assert {"page.excluded", "pages.reordered", "page.rotated", "page.removed"} <= set(actions)
