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


class StationSettingsReadOnlyError(SettingsError):
    """This OS account may not write the station (machine) settings file: only IT staff may."""

    code = "STATION_SETTINGS_READ_ONLY"


class StationIdInUseError(SettingsError):
    """On a shared database, this station.id is held by another counter PC (a cloned image, an id typed twice)."""

    code = "STATION_ID_IN_USE"


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


class DeviceHung(DriverCrashed):
    """The driver did not answer a call in time and its worker process was killed (``call`` names it)."""

    code = "DEVICE_HUNG"


class QCError(ScanStationError):
    code = "QC"


class UnreadableImageError(QCError):
    """An image file cannot be decoded (missing, corrupt, truncated, not an image); ``field`` is the file."""

    code = "IMAGE_UNREADABLE"


class PdfError(ScanStationError):
    code = "PDF"


class PageImageError(PdfError):
    """An image file cannot be a page: missing, empty, corrupt, alpha channel, no dpi, wrong colour."""

    code = "PDF_PAGE_IMAGE"


class PdfConformanceError(PdfError):
    """The assembled file did not pass PDF/A validation; nothing was written."""

    code = "PDF_NOT_PDFA"


class FileNamingError(PdfError):
    """The profile's file-name template cannot name a component."""

    code = "PDF_FILE_NAME"


class SigningError(ScanStationError):
    code = "SIGNING"


class SyncError(ScanStationError):
    code = "SYNC"


# --- signing (scanstation.signing) ---------------------------------------------------------------
class TokenModuleError(SigningError):
    """The PKCS#11 module cannot be found or loaded."""

    code = "TOKEN_MODULE"


class TokenNotFoundError(SigningError):
    code = "TOKEN_NOT_FOUND"


class TokenRemovedError(SigningError):
    """The token went away (pulled out, session lost) in the middle of work; nothing half-written."""

    code = "TOKEN_REMOVED"


class WrongPinError(SigningError):
    """The token refused the PIN. ``tries_left`` is set only when the token says (``final_try``: 1)."""

    code = "WRONG_PIN"

    def __init__(self, message_en: str, message_vi: str | None = None, *, tries_left: int | None = None,
                 count_low: bool = False, final_try: bool = False, **kw) -> None:
        super().__init__(message_en, message_vi, field="pin", **kw)
        self.tries_left = tries_left
        self.count_low = count_low
        self.final_try = final_try


class PinLockedError(SigningError):
    code = "PIN_LOCKED"


class NoUsableKeyError(SigningError):
    code = "NO_USABLE_KEY"


class CertificateError(SigningError):
    """The signing certificate may not be used (validity, key usage, chain)."""

    code = "CERTIFICATE"


class CertificateExpiredError(CertificateError):
    code = "CERT_EXPIRED"


class CertificateNotYetValidError(CertificateError):
    code = "CERT_NOT_YET_VALID"


class CertificateUsageError(CertificateError):
    code = "CERT_KEY_USAGE"


class CertificateUntrustedError(CertificateError):
    code = "CERT_UNTRUSTED"


class NotSignableError(SigningError):
    """The input is not a PDF this station can sign (not a PDF, encrypted, broken)."""

    code = "NOT_SIGNABLE"


class SignatureVerificationError(SigningError):
    """A file just signed did not verify; it was not kept."""

    code = "SIGNATURE_NOT_VERIFIED"


# --- sync (upload queue, provincial adapter) ---------------------------------------------------
class UploadRetryable(SyncError):
    """The attempt failed but may succeed later (network, server busy, throttled).

    ``kind``: offline (could not connect), network (broken mid-transfer), timeout, server, throttled,
    auth, tls. ``retry_after``: seconds the server asked us to wait, when it did."""

    code = "SYNC_RETRY"

    def __init__(self, message_en: str, message_vi: str | None = None, *, kind: str = "network",
                 retry_after: float | None = None, **kw) -> None:
        super().__init__(message_en, message_vi, **kw)
        self.kind = kind
        self.retry_after = retry_after


class UploadRejected(SyncError):
    """The server refused the upload for a reason retrying cannot fix (needs a person)."""

    code = "SYNC_REJECTED"


class HashMismatch(SyncError):
    """The SHA-256 the server confirmed differs from the one recorded when the file was signed."""

    code = "SYNC_HASH_MISMATCH"


class CredentialsError(SyncError):
    """No secret for the provincial system (no keyring backend, nothing stored, no env variable)."""

    code = "SYNC_CREDENTIALS"


class JobNotFound(SyncError):
    code = "SYNC_NO_JOB"


class JobStateError(SyncError):
    """The job is not in a state that allows this (e.g. cancel a confirmed upload)."""

    code = "SYNC_JOB_STATE"


class BundleError(SyncError):
    """An export/import bundle is incomplete, tampered with or cannot be written."""

    code = "SYNC_BUNDLE"


class UnsignedFileError(SyncError):
    """A file offered to the queue has no signature, or a broken one."""

    code = "SYNC_UNSIGNED"


# --- the station's flow ------------------------------------------------------------------------
class FlowError(ScanStationError):
    code = "FLOW"


class DossierNotFound(FlowError):
    code = "DOSSIER_NOT_FOUND"


class DossierBusy(FlowError):
    """Another capture (another window, another command) is working on this dossier or folder now."""

    code = "DOSSIER_BUSY"


class GateBlocked(FlowError):
    """The QC gate: findings remain that must be fixed or overridden with a reason first.

    ``findings`` holds the blocking findings as plain dicts (id, code, message_en, message_vi, ...)."""

    code = "BLOCKED"

    def __init__(self, message_en: str, message_vi: str | None = None, *, findings: list | None = None,
                 **kw: Any) -> None:
        super().__init__(message_en, message_vi, **kw)
        self.findings = list(findings or [])


class ScannerNotCalibrated(FlowError):
    """The calibration gate (settings ``calibration.required`` / ``calibration.max_age_days``): the scanner's
    last calibration failed, is too old, or there is none. The message names the scanner, the failed
    check and what to do; ``details`` carries ``device``, ``reason`` (never | failed | expired),
    ``failed`` (check names) and ``mode`` (warn | block)."""

    code = "SCANNER_NOT_CALIBRATED"


class WrongState(FlowError):
    """The step does not apply to the dossier as it is now (e.g. signing before assembly)."""

    code = "WRONG_STATE"
