"""Page thumbnails (drag to reorder) and the large preview with highlighted regions."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QSizePolicy, QWidget

from scanstation.model import Page

THUMB = QSize(120, 170)
# Image decoding runs on worker threads; Qt loads its image-format plugins on first use, and two threads
# doing that at once crashed the process (a segfault seen in the suite). One decode at a time is plenty
# for thumbnails and previews.
_DECODE = threading.Lock()


def load_thumbnail(path: Path, size: QSize = THUMB) -> QImage:
    """Read an image scaled down while decoding (JPEG DCT scaling): cheap enough for a worker thread."""
    with _DECODE:
        reader = QImageReader(str(path))
        reader.setAutoTransform(True)
        full = reader.size()
        if full.isValid():
            reader.setScaledSize(full.scaled(size, Qt.AspectRatioMode.KeepAspectRatio))
        img = reader.read()
    return img if not img.isNull() else QImage()


def qimage_from_array(arr) -> QImage:
    """A QImage that owns a copy of a small RGB or grey numpy array (safe to hand to the GUI thread)."""
    import numpy as np

    a = np.ascontiguousarray(arr)
    h, w = a.shape[:2]
    if a.ndim == 2:
        return QImage(a.data, w, h, a.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGB888).copy()


def load_preview(path: Path, max_side: int = 1400) -> tuple[QImage, QSize]:
    """A screen-sized image and the full size (for mapping regions given in full-image pixels)."""
    with _DECODE:
        reader = QImageReader(str(path))
        full = reader.size()
        if full.isValid() and max(full.width(), full.height()) > max_side:
            reader.setScaledSize(full.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio))
        img = reader.read()
    return img, full


class ThumbnailList(QListWidget):
    """Thumbnails in feed order. Drag (or Ctrl+Shift+Left/Right) to reorder; ``order_changed`` gives page ids."""

    order_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(THUMB)
        self.setGridSize(QSize(THUMB.width() + 40, THUMB.height() + 64))   # room for three label lines
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Snap)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)   # "Sheet 1 · front" + "with note" on two lines
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.model().rowsMoved.connect(lambda *_: self.order_changed.emit(self.page_ids()))
        self._placeholder = QPixmap(THUMB)
        self._placeholder.fill(QColor("#e8eaed"))

    def page_ids(self) -> list[str]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]

    def item_for(self, page_id: str) -> QListWidgetItem | None:
        for i in range(self.count()):
            if self.item(i).data(Qt.ItemDataRole.UserRole) == page_id:
                return self.item(i)
        return None

    def add_page(self, page: Page, label: str, image: QImage | None = None, row: int | None = None) -> QListWidgetItem:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, page.id)
        item.setIcon(QPixmap.fromImage(image) if image is not None and not image.isNull() else self._placeholder)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
        if row is None:
            self.addItem(item)
        else:
            self.insertItem(row, item)
        return item

    def set_image(self, page_id: str, image: QImage) -> None:
        item = self.item_for(page_id)
        if item is not None and not image.isNull():
            item.setIcon(QPixmap.fromImage(image))

    def move_selected(self, delta: int) -> None:
        row = self.currentRow()
        new = row + delta
        if row < 0 or not 0 <= new < self.count():
            return
        item = self.takeItem(row)
        self.insertItem(new, item)
        self.setCurrentRow(new)
        self.order_changed.emit(self.page_ids())

    def selected_ids(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.selectedItems()]


class PagePreview(QWidget):
    """The large preview: the page fitted to the widget, regions (sticky notes, problems) outlined."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(280, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._image = QImage()
        self._full = QSize()
        self._regions: list[tuple[QRect, QColor, str]] = []
        self._caption = ""
        self._placeholder = ""
        self._rotation = 0
        # Zoom: 1.0 fits the page in the widget; Ctrl+wheel or +/-/0 (with focus) zoom, dragging pans.
        self.zoom = 1.0
        self._pan = QPoint(0, 0)
        self._drag: QPoint | None = None
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = max(self.ZOOMS[0], min(self.ZOOMS[-1], zoom))
        if self.zoom == 1.0:
            self._pan = QPoint(0, 0)
        self.update()

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in self.ZOOMS if z > self.zoom + 1e-6), self.ZOOMS[-1]))

    def zoom_out(self) -> None:
        self.set_zoom(next((z for z in reversed(self.ZOOMS) if z < self.zoom - 1e-6), self.ZOOMS[0]))

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and not self._image.isNull():
            (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_in()
        elif key == Qt.Key.Key_Minus:
            self.zoom_out()
        elif key == Qt.Key.Key_0:
            self.set_zoom(1.0)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        self._drag = event.position().toPoint() if self.zoom > 1.0 else None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._drag is not None:
            pos = event.position().toPoint()
            self._pan += pos - self._drag
            self._drag = pos
            self.update()
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None
        super().mouseReleaseEvent(event)

    def set_page(self, image: QImage, full_size: QSize | None = None, caption: str = "") -> None:
        if image.cacheKey() != self._image.cacheKey() and caption != self._caption:
            self.zoom, self._pan = 1.0, QPoint(0, 0)      # another page: fitted again
        self._image = image
        self._full = full_size if full_size and full_size.isValid() else image.size()
        self._caption = caption
        self._regions = []
        self.update()

    def set_caption(self, caption: str) -> None:
        """The caption follows the page's state (e.g. no "(excluded)" once it is restored)."""
        if caption != self._caption:
            self._caption = caption
            self.update()

    def caption(self) -> str:
        return self._caption

    def region_labels(self) -> list[str]:
        return [label for _r, _c, label in self._regions if label]

    def clear(self, placeholder: str = "") -> None:
        self._image = QImage()
        self._regions = []
        self._caption = ""
        self._placeholder = placeholder
        self.update()

    def set_regions(self, regions: Iterable[tuple[int, int, int, int, str, str]]) -> None:
        """Regions in full-image pixels: (x, y, w, h, colour, label)."""
        self._regions = [(QRect(x, y, w, h), QColor(colour), label) for x, y, w, h, colour, label in regions]
        self.update()

    def has_image(self) -> bool:
        return not self._image.isNull()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#f1f3f4"))
        if self._image.isNull():
            p.setPen(QColor("#5f6368"))
            p.drawText(self.rect().adjusted(20, 20, -20, -20), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       self._placeholder)
            return
        caption_h = 24 if self._caption else 0
        area = self.rect().adjusted(8, 8, -8, -8 - caption_h)
        scaled = self._image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio) * self.zoom
        top_left = QPoint(area.x() + (area.width() - scaled.width()) // 2, area.y() + (area.height() - scaled.height()) // 2)
        target = QRect(top_left + self._pan, scaled)
        p.setClipRect(area)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(target, self._image)
        p.setPen(QPen(QColor("#9aa0a6"), 1))
        p.drawRect(target)
        if self._full.width() and self._full.height():
            sx = target.width() / self._full.width()
            sy = target.height() / self._full.height()
            for rect, colour, label in self._regions:
                r = QRect(int(target.x() + rect.x() * sx), int(target.y() + rect.y() * sy),
                          max(4, int(rect.width() * sx)), max(4, int(rect.height() * sy)))
                p.setPen(QPen(colour, 3))
                p.drawRect(r)
                if label:
                    p.fillRect(QRect(r.x(), r.y() - 20, p.fontMetrics().horizontalAdvance(label) + 10, 20), colour)
                    p.setPen(QColor("white"))
                    p.drawText(QRect(r.x() + 5, r.y() - 20, 1000, 20), Qt.AlignmentFlag.AlignVCenter, label)
        p.setClipping(False)
        if self._caption:
            p.setPen(QColor("#202124"))
            p.drawText(QRect(8, self.height() - caption_h - 4, self.width() - 16, caption_h),
                       Qt.AlignmentFlag.AlignCenter, self._caption)
