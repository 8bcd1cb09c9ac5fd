"""Image quality control: per-page and per-component checks, plain functions with progress/cancel.

Entry points: :func:`run_batch` (one component's images, in this process: the CLI),
:class:`QCPool` (worker processes for pages as they arrive: the station), :class:`PageChecker`
(one page), :func:`check_component` (component rules over page results).
"""

from scanstation.qc.batch import run_batch
from scanstation.qc.component import DeviceEvent, QCReport, check_component, restore_page
from scanstation.qc.findings import Finding, Override, Severity, override_finding
from scanstation.qc.imageio import RawFrame, load_page
from scanstation.qc.page import PageChecker, PageContext, PageResult
from scanstation.qc.pool import ComponentSession, QCPool

__all__ = [
    "ComponentSession", "DeviceEvent", "Finding", "Override", "PageChecker", "PageContext", "PageResult",
    "QCPool", "QCReport", "RawFrame", "Severity", "check_component", "load_page", "override_finding",
    "restore_page", "run_batch",
]
