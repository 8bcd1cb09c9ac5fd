"""QC findings: a stable code, a severity, bilingual text, the pages concerned and the clerk's override."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from scanstation.errors import ValidationError


class Severity(StrEnum):
    BLOCK = "block"   # stops assembly/signing until fixed or overridden with a reason
    WARN = "warn"     # the clerk should look; never stops the flow
    INFO = "info"


@dataclass(frozen=True)
class Override:
    """A clerk's decision to go on despite a finding: who, why and when (kept for the audit log)."""

    by: str
    reason: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "reason": self.reason, "at": self.at.isoformat()}


@dataclass
class Finding:
    code: str
    severity: Severity
    message_en: str
    message_vi: str
    pages: list[int] = field(default_factory=list)   # indexes in feed order
    overridable: bool = True
    override: Override | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == Severity.BLOCK and self.override is None

    def to_dict(self, *, with_pages: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "severity": self.severity.value,
                             "message_vi": self.message_vi, "message_en": self.message_en}
        if with_pages:
            d["pages"] = list(self.pages)
        d["overridable"] = self.overridable
        d["override"] = self.override.to_dict() if self.override else None
        return d


def override_finding(finding: Finding, by: str, reason: str, at: datetime | None = None) -> Finding:
    """Record a clerk's override. A reason is required; some findings (the law's hard limits) refuse it."""
    if not finding.overridable:
        raise ValidationError(f"Finding {finding.code} cannot be overridden; fix it (rescan) instead",
                              f"Không thể bỏ qua lỗi {finding.code}; cần khắc phục (quét lại)", field="override")
    if not by.strip() or not reason.strip():
        raise ValidationError("An override needs the clerk's name and a reason",
                              "Bỏ qua cảnh báo cần ghi tên cán bộ và lý do", field="override.reason")
    finding.override = Override(by.strip(), reason.strip(), at or datetime.now(UTC))
    return finding


def finding(code: str, severity: Severity | str, en: str, vi: str, pages: list[int] | None = None,
            overridable: bool = True) -> Finding:
    return Finding(code, Severity(severity), en, vi, list(pages or []), overridable)
