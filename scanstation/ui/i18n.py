"""Language of the window: Qt translators (Vietnamese first) and the wording of core errors.

Source strings in the code are English; ``i18n/scanstation_vi.ts`` holds the Vietnamese translation
(complete, checked by a test) and ``scanstation_vi.qm`` is its compiled form, built by
``make i18n`` (pyside6-lupdate + pyside6-lrelease). English is the absence of a translator.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from scanstation.errors import Cancelled, ScanStationError

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("vi", "en")

_state: dict[str, object] = {"language": "en", "translators": []}


def qm_path(language: str) -> Path:
    return I18N_DIR / f"scanstation_{language}.qm"


def current_language() -> str:
    return str(_state["language"])


def set_language(language: str) -> str:
    """Install the translators of ``language`` (``vi`` or ``en``); widgets get a LanguageChange event."""
    app = QCoreApplication.instance()
    for t in list(_state["translators"]):  # type: ignore[arg-type]
        app.removeTranslator(t)
    _state["translators"] = []
    if language not in LANGUAGES:
        language = "vi"
    if language != "en":
        own = QTranslator(app)
        if not own.load(str(qm_path(language))):
            raise FileNotFoundError(f"missing translation {qm_path(language)}: run `make i18n`")
        app.installTranslator(own)
        _state["translators"].append(own)  # type: ignore[union-attr]
        qt = QTranslator(app)  # Qt's own dialogs (Cancel, OK ...) when the Qt install ships them
        if qt.load(QLocale(language), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            _state["translators"].append(qt)  # type: ignore[union-attr]
    QLocale.setDefault(QLocale(QLocale.Language.Vietnamese if language == "vi" else QLocale.Language.English,
                               QLocale.Country.Vietnam if language == "vi" else QLocale.Country.UnitedKingdom))
    _state["language"] = language
    return language


def tr(text: str, context: str = "Messages") -> str:
    return QCoreApplication.translate(context, text)


def pick(vi: str, en: str) -> str:
    """Choose the core's Vietnamese or English wording for the current language."""
    return vi if current_language() == "vi" else en


def describe_error(exc: BaseException) -> str:
    """What a clerk reads for an error: the core's own wording, or a translated generic message."""
    if isinstance(exc, Cancelled):
        return QCoreApplication.translate("Messages", "Stopped as you asked.")
    if isinstance(exc, ScanStationError):
        return pick(exc.message_vi, exc.message_en)
    if isinstance(exc, FileNotFoundError | PermissionError | OSError):
        return QCoreApplication.translate(
            "Messages", "The station could not read or write a file ({0}). Check the disk or USB stick and "
            "try again.").format(getattr(exc, "filename", "") or exc)
    return QCoreApplication.translate(
        "Messages", "Something went wrong inside the station ({0}). Your pages are kept; try again, and call IT "
        "staff if it happens again.").format(type(exc).__name__)
