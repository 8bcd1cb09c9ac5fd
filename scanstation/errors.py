"""Typed errors of the station core: each carries English (logs, CLI) and Vietnamese (UI) text."""

from __future__ import annotations

from typing import Any


class ScanStationError(Exception):
    """Base of every error the core raises on purpose.

    ``code`` is stable (the UI and tests key on it); ``message_en`` goes to logs and the CLI;
    ``message_vi`` is what a clerk reads; ``field`` names the input that was wrong, when one was.
    """

    code = "ERROR"

    def __init__(self, message_en: str, message_vi: str | None = None, *, field: str | None = None,
                 code: str | None = None, **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_vi = message_vi or message_en
        self.field = field
        if code:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "message_en": self.message_en, "message_vi": self.message_vi}
        if self.field:
            d["field"] = self.field
        return d


class Cancelled(ScanStationError):
    code = "CANCELLED"

    def __init__(self, what: str = "operation") -> None:
        super().__init__(f"{what} cancelled", f"Đã hủy {what}")


# --- input -------------------------------------------------------------------------------------
class ValidationError(ScanStationError):
    """A value a person or a file gave is not acceptable; ``field`` names it."""

    code = "INVALID_INPUT"


class InvalidIdentifier(ValidationError):
    code = "INVALID_IDENTIFIER"


class DossierFormatError(ValidationError):
    code = "DOSSIER_FORMAT"


class UnknownProfileError(ValidationError):
    code = "UNKNOWN_PROFILE"


class SettingsError(ValidationError):
    code = "SETTINGS"


class SettingLockedError(SettingsError):
    code = "SETTING_LOCKED"


# --- storage -----------------------------------------------------------------------------------
class StorageError(ScanStationError):
    code = "STORAGE"


class DiskSpaceError(StorageError):
    code = "DISK_FULL"


class JournalError(StorageError):
    code = "JOURNAL"


class AuditChainBroken(StorageError):
    code = "AUDIT_TAMPERED"


# --- capability families: each package raises subclasses of its family --------------------------
class DeviceError(ScanStationError):
    """A scanner problem. ``pages`` holds the pages captured before it happened (never lost)."""

    code = "DEVICE"

    def __init__(self, message_en: str, message_vi: str | None = None, *, pages: list | None = None,
                 **kw: Any) -> None:
        super().__init__(message_en, message_vi, **kw)
        self.pages = list(pages or [])


# DeviceError subclasses (scanstation.devices). Scanner stops carry the pages already captured.
class DeviceNotFound(DeviceError):
    code = "DEVICE_NOT_FOUND"


class UnsupportedScanSetting(DeviceError):
    """A request the device cannot honour (dpi, mode, source, raw option); ``field`` names it."""

    code = "DEVICE_UNSUPPORTED"


class ScanProfileLocked(DeviceError):
    code = "DEVICE_PROFILE_LOCKED"


class PaperJam(DeviceError):
    code = "DEVICE_JAMMED"


class FeederEmpty(DeviceError):
    code = "DEVICE_NO_DOCS"


class CoverOpen(DeviceError):
    code = "DEVICE_COVER_OPEN"


class DeviceBusy(DeviceError):
    code = "DEVICE_BUSY"


class DoubleFeed(DeviceError):
    code = "DEVICE_DOUBLE_FEED"


class DeviceGone(DeviceError):
    """I/O failure or the device vanished mid-scan (unplugged, powered off, network scanner lost)."""

    code = "DEVICE_GONE"


class ScanCancelled(DeviceError):
    code = "DEVICE_CANCELLED"


class DriverCrashed(DeviceError):
    code = "DEVICE_DRIVER_CRASHED"


class QCError(ScanStationError):
    code = "QC"


class UnreadableImageError(QCError):
    """An image file cannot be decoded (missing, corrupt, truncated, not an image); ``field`` is the file."""

    code = "IMAGE_UNREADABLE"


class PdfError(ScanStationError):
    code = "PDF"


class SigningError(ScanStationError):
    code = "SIGNING"


class SyncError(ScanStationError):
    code = "SYNC"
