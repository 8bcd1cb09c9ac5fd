"""What every screen has: a key, a translated title, retranslation, and screen-local shortcuts."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

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

    def shortcut(self, keys: str | QKeySequence, slot: Callable[[], None]) -> QShortcut:
        """A shortcut active only while this screen is shown."""
        sc = QShortcut(QKeySequence(keys), self)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
        return sc

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
