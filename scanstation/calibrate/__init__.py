"""Scanner calibration: the station's target sheet and the measurement of scans of it (plain functions).

    pdf, layout = make_target("A4")             # target.pdf bytes + its nominal layout (target.json)
    m = measure("scan.png", layout, Tolerances.from_overrides(settings.get("calibration.tolerances")),
                reference=Reference.from_dict(baseline_dict, layout))
    m.verdict, m.failed_checks(), m.to_dict()

Nothing here talks to a scanner or a database: the flow scans the target, calls :func:`measure`, and
keeps the result.
"""

from scanstation.calibrate.errors import (
    CalibrationError,
    TargetFileError,
    TargetIncomplete,
    TargetMirrored,
    TargetNotFound,
    TargetRotated,
    WrongTarget,
)
from scanstation.calibrate.measure import Check, Measurement, Reference, Streak, load_image, measure
from scanstation.calibrate.target import (
    TargetLayout,
    load_layout,
    make_layout,
    make_target,
    render_target,
    target_png,
)
from scanstation.calibrate.tolerances import DEFAULT_LIMITS, Limit, Tolerances

__all__ = [
    "DEFAULT_LIMITS", "CalibrationError", "Check", "Limit", "Measurement", "Reference", "Streak", "TargetFileError",
    "TargetIncomplete", "TargetLayout", "TargetMirrored", "TargetNotFound", "TargetRotated", "Tolerances",
    "WrongTarget", "load_image", "load_layout", "make_layout", "make_target", "measure", "render_target",
    "target_png",
]
