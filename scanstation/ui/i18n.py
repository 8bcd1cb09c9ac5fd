"""Language of the window: Qt translators (Vietnamese first) and the wording of core errors.

Source strings in the code are English; ``i18n/scanstation_vi.ts`` holds the Vietnamese translation
(complete, checked by a test) and ``scanstation_vi.qm`` is its compiled form, built by
``make i18n`` (pyside6-lupdate + pyside6-lrelease). English is the absence of a translator.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

from scanstation.errors import Cancelled, ScanStationError

I18N_DIR = Path(__file__).parent / "i18n"
LANGUAGES = ("vi", "en")

_state: dict[str, object] = {"language": "en", "translators": []}

#: Qt's own words on standard buttons and message boxes. Qt ships no Vietnamese for them (no qtbase_vi.qm),
#: so a Vietnamese question was answered with "Yes"/"No" and a refusal offered "Show Details...": they are
#: translated in the station's own file, under Qt's contexts (pyside6-lupdate reads these markers).
QT_OWN_WORDS = (
    QT_TRANSLATE_NOOP("QPlatformTheme", "OK"), QT_TRANSLATE_NOOP("QPlatformTheme", "Cancel"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "&Yes"), QT_TRANSLATE_NOOP("QPlatformTheme", "&No"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Close"), QT_TRANSLATE_NOOP("QPlatformTheme", "Save"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Open"), QT_TRANSLATE_NOOP("QPlatformTheme", "Retry"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Ignore"), QT_TRANSLATE_NOOP("QPlatformTheme", "Abort"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Apply"), QT_TRANSLATE_NOOP("QPlatformTheme", "Reset"),
    QT_TRANSLATE_NOOP("QPlatformTheme", "Help"), QT_TRANSLATE_NOOP("QPlatformTheme", "Discard"),
    QT_TRANSLATE_NOOP("QMessageBox", "Show Details..."), QT_TRANSLATE_NOOP("QMessageBox", "Hide Details..."),
    # a field's right-click menu (single-line fields, multi-line text, number boxes)
    QT_TRANSLATE_NOOP("QLineEdit", "&Undo"), QT_TRANSLATE_NOOP("QLineEdit", "&Redo"),
    QT_TRANSLATE_NOOP("QLineEdit", "Cu&t"), QT_TRANSLATE_NOOP("QLineEdit", "&Copy"),
    QT_TRANSLATE_NOOP("QLineEdit", "&Paste"), QT_TRANSLATE_NOOP("QLineEdit", "Delete"),
    QT_TRANSLATE_NOOP("QLineEdit", "Select All"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "&Undo"), QT_TRANSLATE_NOOP("QWidgetTextControl", "&Redo"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "Cu&t"), QT_TRANSLATE_NOOP("QWidgetTextControl", "&Copy"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "&Paste"), QT_TRANSLATE_NOOP("QWidgetTextControl", "Delete"),
    QT_TRANSLATE_NOOP("QWidgetTextControl", "Select All"),
    QT_TRANSLATE_NOOP("QAbstractSpinBox", "&Step up"), QT_TRANSLATE_NOOP("QAbstractSpinBox", "Step &down"),
)


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


#: The upload queue keeps a job's last problem as the upload worker's English text (scanstation.sync stores
#: ``message_en``); these are the Vietnamese wordings of the same errors (scanstation.sync.adapter's own
#: ``message_vi``), found by the English text's beginning. The English stays in the cell's tooltip for IT.
QUEUE_PROBLEMS_VI: tuple[tuple[str, str], ...] = (
    ("Cannot reach ", "Không kết nối được hệ thống của tỉnh (mất mạng?); tệp sẽ được gửi lại tự động"),
    ("Connection to ", "Kết nối với hệ thống của tỉnh bị ngắt giữa chừng; tệp sẽ được gửi lại tự động"),
    ("TLS verification of ", "Không xác minh được chứng chỉ TLS của hệ thống tỉnh; báo cán bộ CNTT"),
    ("The provincial system is throttling", "Hệ thống của tỉnh đang giới hạn tốc độ tải lên; tệp sẽ được gửi lại"),
    ("The provincial system refused", "Hệ thống của tỉnh từ chối tệp; báo cán bộ CNTT (chi tiết trong chú thích)"),
    ("The provincial system answered HTTP", "Hệ thống của tỉnh báo lỗi; tệp sẽ được gửi lại tự động"),
    ("upload interrupted", "Lần gửi bị gián đoạn (trạm dừng giữa chừng); sẽ gửi tiếp phần còn lại"),
    ("the server confirmed a different SHA-256", "Hệ thống của tỉnh xác nhận một tệp khác; chưa coi là đã gửi, "
                                                  "báo cán bộ CNTT"),
    ("server SHA-256 ", "Hệ thống của tỉnh xác nhận một tệp khác; sẽ gửi lại"),
    ("not uploaded: ", "Chưa gửi: chữ ký số của tệp không kiểm tra được; báo cán bộ CNTT"),
    ("unexpected error", "Lỗi không lường trước khi gửi; tệp sẽ được gửi lại tự động"),
)


def queue_problem(text: str) -> str:
    """A queue job's last problem in the window's language (the English as stored, for English)."""
    if not text or current_language() == "en":
        return text
    if " did not answer within " in text or " did not complete the request within " in text:
        return "Hệ thống của tỉnh trả lời quá chậm; tệp sẽ được gửi lại tự động"
    for start, vi in QUEUE_PROBLEMS_VI:
        if text.startswith(start):
            return vi
    if " became shorter while it was being uploaded" in text:
        return "Tệp bị thay đổi trong lúc gửi; báo cán bộ CNTT"
    return "Gửi chưa được; báo cán bộ CNTT (chi tiết trong chú thích)"
