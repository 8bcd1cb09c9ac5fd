"""Typed errors of the calibration package (bilingual, stable codes the UI keys on)."""

from __future__ import annotations

from scanstation.errors import ScanStationError


class CalibrationError(ScanStationError):
    """A scan of the calibration target cannot be measured; the message says what was found and what to do."""

    code = "CALIBRATION"


class TargetNotFound(CalibrationError):
    """No marker of the station target in the image: another document, a blank side, or not a scan at all."""

    code = "CAL_TARGET_NOT_FOUND"


class TargetIncomplete(CalibrationError):
    """Some markers are missing (cut off, folded, covered): too few to measure both axes."""

    code = "CAL_MARKERS_MISSING"


class TargetRotated(CalibrationError):
    """The target was fed upside down or sideways."""

    code = "CAL_TARGET_ROTATED"


class TargetMirrored(CalibrationError):
    """The image is mirrored: the back of the sheet was scanned with the print showing through, or the
    driver flipped the image."""

    code = "CAL_TARGET_MIRRORED"


class WrongTarget(CalibrationError):
    """Markers of a different station target (another paper size or version) than the layout given."""

    code = "CAL_WRONG_TARGET"


class TargetFileError(CalibrationError):
    """A ``target.json`` or reference file cannot be read or is not what it should be."""

    code = "CAL_TARGET_FILE"
