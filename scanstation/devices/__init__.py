"""Scanners behind one driver protocol: SANE, TWAIN (worker process) and the virtual scanner."""

from scanstation.devices.base import (
    MODES,
    SOURCES,
    Capabilities,
    CapturedImage,
    DeviceInfo,
    RawOption,
    ScanEvent,
    ScanRequest,
    validate_request,
)
from scanstation.devices.capture import CaptureResult, PageCaptured, capture, manifest, write_manifest
from scanstation.devices.factory import Scanner, capabilities, list_devices, open_scanner
from scanstation.devices.profiles import (
    Overrides,
    ScanProfile,
    get_profile,
    load_profiles,
    save_profile,
    to_request,
)

__all__ = [
    "MODES", "SOURCES", "Capabilities", "CapturedImage", "CaptureResult", "DeviceInfo", "Overrides", "PageCaptured",
    "RawOption", "ScanEvent", "ScanProfile", "ScanRequest", "Scanner", "capabilities", "capture", "get_profile",
    "list_devices", "load_profiles", "manifest", "open_scanner", "save_profile", "to_request", "validate_request",
    "write_manifest",
]
