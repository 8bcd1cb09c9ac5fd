"""What every screen has: a key, a translated title, retranslation, and screen-local shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget

from scanstation.model import DossierStatus
from scanstation.ui.context import AppContext


class Screen(QWidget):
    """Base of the screens. Subclasses build widgets in ``__init__`` and set texts in ``retranslate``."""

    key = ""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"screen_{self.key}")

    def title(self) -> str:
        raise NotImplementedError

    def retranslate(self) -> None:
        """Set every user-visible text (called at start and on a language change)."""

    def activated(self) -> None:
        """The screen became visible: refresh what may be stale (in the background)."""

    def shortcut(self, keys: str | QKeySequence, slot: Callable[[], None], *,
                 within: QWidget | None = None) -> QShortcut:
        """A shortcut active only while this screen is shown.

        A command key (with Ctrl or Alt, or a function key) works wherever the focus is in the window
        (message bar, status bar, a field of the screen): a clerk must not have to click somewhere
        first. A plain key (a letter, Del, Ins, Enter) would steal typing and can destroy work, so it
        acts only while the focus is inside ``within`` (default: this screen), e.g. the page view.
        """
        seq = QKeySequence(keys)
        sc = QShortcut(seq, within or self)
        combo = seq[0]  # type: ignore[index]  # QKeySequence.operator[] (missing from the stubs)
        mods = combo.keyboardModifiers()
        key = combo.key()
        command = bool(mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)) or (
            Qt.Key.Key_F1.value <= key.value <= Qt.Key.Key_F35.value)
        if command and within is None:
            sc.setContext(Qt.ShortcutContext.WindowShortcut)   # a hidden screen's shortcuts never fire
        else:
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
        return sc

    def first_field(self) -> QWidget | None:
        """Where the cursor goes when the screen opens: the first empty field that can be typed in (in Tab
        order), else the first widget that takes the keyboard."""
        first: QWidget | None = None
        w = self.nextInFocusChain()
        seen = 0
        while w is not None and w is not self and seen < 2000:
            seen += 1
            if (self.isAncestorOf(w) and w.isVisible() and w.isEnabled()
                    and w.focusPolicy() & Qt.FocusPolicy.TabFocus):
                if isinstance(w, QLineEdit) and not w.isReadOnly() and not w.text():
                    return w
                if isinstance(w, QPlainTextEdit) and not w.isReadOnly() and not w.toPlainText():
                    return w
                if first is None:
                    first = w
            w = w.nextInFocusChain()
        return first

    def focus_first(self) -> None:
        """Put the cursor in the screen's first field that needs attention."""
        target = self.first_field()
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def status_text(status: DossierStatus) -> str:
    return {
        DossierStatus.INTAKE: QCoreApplication.translate("Status", "Received"),
        DossierStatus.CAPTURING: QCoreApplication.translate("Status", "Scanning"),
        DossierStatus.CHECKED: QCoreApplication.translate("Status", "Checked"),
        DossierStatus.ASSEMBLED: QCoreApplication.translate("Status", "PDF ready"),
        DossierStatus.SIGNED: QCoreApplication.translate("Status", "Signed"),
        DossierStatus.QUEUED: QCoreApplication.translate("Status", "Waiting to upload"),
        DossierStatus.UPLOADED: QCoreApplication.translate("Status", "Uploaded"),
        DossierStatus.REVOKED: QCoreApplication.translate("Status", "Revoked"),
    }[status]
