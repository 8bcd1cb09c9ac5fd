"""Sampling review of digitised pages (C9 in REQUIREMENTS.md, issue 13).

IT staff or a lead clerk draw a random sample (setting ``review.sample_pct``, 5 % by default) of the pages
digitised in a period, look at each one and answer a short checklist — legible, whole page, right
orientation, colour faithful — and the answers are kept (table ``review``, one row per sampled page) and
summed up per clerk and per scanner, so a clerk who feeds pages crooked or a scanner that cuts the page
edge shows up. Every draw and every answer is an audit event.

    s = sample(station, start, end)                   # draws and records the sample
    record(station, item_id, {"legible": True, "whole_page": False, ...}, note="...")
    summary(station, start, end)                      # items + per clerk + per scanner

A page is drawn at most once (a second draw over the same period takes only pages not drawn before).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from scanstation.errors import ValidationError
from scanstation.flow.station import Station
from scanstation.model import new_id
from scanstation.store.tables import DossierRow, PageRow, ReviewRow

#: The checklist, in order: (key, English, Vietnamese).
CHECKLIST: tuple[tuple[str, str, str], ...] = (
    ("legible", "legible", "đọc rõ"),
    ("whole_page", "whole page (nothing cut off)", "đủ trang (không bị cắt)"),
    ("orientation", "right way up", "đúng chiều"),
    ("colour", "colour faithful", "màu trung thực"),
)
CHECK_KEYS: tuple[str, ...] = tuple(k for k, _, _ in CHECKLIST)


@dataclass(frozen=True)
class ReviewItem:
    """One sampled page and, once reviewed, the checklist's answers."""

    id: str
    sample_id: str
    page_id: str
    receipt_code: str
    component_id: str
    clerk: str
    device: str
    file: str
    captured_at: str | None
    answers: dict[str, bool | None]
    note: str
    reviewer: str | None
    reviewed_at: str | None

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None

    @property
    def passed(self) -> bool | None:
        """``None`` until reviewed; then whether every checklist item was answered yes."""
        if not self.reviewed:
            return None
        return all(v is True for v in self.answers.values())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sample_id": self.sample_id, "page_id": self.page_id,
                "receipt_code": self.receipt_code, "component_id": self.component_id, "clerk": self.clerk,
                "device": self.device, "file": self.file, "captured_at": self.captured_at,
                "answers": dict(self.answers), "note": self.note, "reviewer": self.reviewer,
                "reviewed_at": self.reviewed_at, "passed": self.passed}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)      # SQLite hands times back without their zone


def _iso(at: datetime | None) -> str | None:
    return None if at is None else _aware(at).isoformat()


def _period(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise ValidationError(f"The review period is empty: {start.isoformat()} is not before {end.isoformat()}",
                              f"Khoảng thời gian rà soát không hợp lệ: {start.date()} không trước {end.date()}",
                              field="period")
    return start, end


def _item(r: ReviewRow) -> ReviewItem:
    return ReviewItem(id=r.id, sample_id=r.sample_id, page_id=r.page_id, receipt_code=r.receipt_code,
                      component_id=r.component_id, clerk=r.clerk, device=r.device, file=r.file,
                      captured_at=_iso(r.captured_at), answers={k: getattr(r, k) for k in CHECK_KEYS},
                      note=r.note, reviewer=r.reviewer, reviewed_at=_iso(r.reviewed_at))


def sample_size(population: int, pct: float) -> int:
    """How many pages to draw: ``pct`` % of the population rounded up, at least one when there is a page."""
    if population <= 0:
        return 0
    return min(population, max(1, math.ceil(population * pct / 100 - 1e-9)))


def sample(station: Station, start: datetime, end: datetime, *, pct: float | None = None,
           seed: int | None = None) -> dict[str, Any]:
    """Draw ``pct`` % (default: the setting ``review.sample_pct``) of the kept pages captured in
    [start, end) that were never drawn before, record them as pending review items, audit the draw.

    Returns ``{"sample_id", "period": [from, to], "pct", "population", "items": [...]}``; ``population``
    counts the pages that could be drawn. ``seed`` makes the draw repeatable (tests)."""
    start, end = _period(start, end)
    pct = float(station.settings.get("review.sample_pct") if pct is None else pct)
    if not 0 < pct <= 100:
        raise ValidationError(f"The sample share must be above 0 and at most 100 %, got {pct:g}",
                              f"Tỉ lệ lấy mẫu phải lớn hơn 0 và không quá 100 %, nhận được {pct:g}", field="pct")
    now = datetime.now(UTC)
    sample_id = new_id()
    with station.store.session() as db:
        drawn = set(db.scalars(select(ReviewRow.page_id)))
        q = (select(PageRow, DossierRow).join(DossierRow, PageRow.dossier_id == DossierRow.id)
             .where(PageRow.kept.is_(True), PageRow.captured_at.is_not(None),
                    PageRow.captured_at >= start, PageRow.captured_at < end)
             .order_by(PageRow.id))
        pool = [(p, d) for p, d in db.execute(q) if p.id not in drawn]
        chosen = random.Random(seed).sample(pool, sample_size(len(pool), pct)) if pool else []
        rows = []
        for p, d in sorted(chosen, key=lambda pd: (_aware(pd[0].captured_at or now), pd[0].id)):
            data = json.loads(p.data or "{}")
            row = ReviewRow(id=new_id(), sample_id=sample_id, page_id=p.id, dossier_id=d.id,
                            receipt_code=d.receipt_code, component_id=p.component_id, clerk=d.clerk or "",
                            device=str(data.get("device") or ""), file=str(Path(d.workdir) / p.file),
                            captured_at=p.captured_at, period_from=start, period_to=end, note="",
                            sampled_by=station.actor, sampled_at=now)
            db.add(row)
            rows.append(row)
        db.flush()
        items = [_item(r).to_dict() for r in rows]
        station.audit.append(station.actor, "review.sample", session=db, details={
            "sample": sample_id, "from": start.isoformat(), "to": end.isoformat(), "pct": pct,
            "population": len(pool), "pages": [r.page_id for r in rows]})
    return {"sample_id": sample_id, "period": [start.isoformat(), end.isoformat()], "pct": pct,
            "population": len(pool), "items": items}


def record(station: Station, item_id: str, answers: dict[str, bool], note: str = "") -> dict[str, Any]:
    """Keep the checklist's answers for one sampled page (every checklist item must be answered; a page
    reviewed once is not reviewed again). Audited as ``review.record``."""
    missing = [k for k in CHECK_KEYS if k not in answers]
    unknown = sorted(set(answers) - set(CHECK_KEYS))
    if missing or unknown:
        what = "; ".join(x for x in (f"missing: {', '.join(missing)}" if missing else "",
                                     f"unknown: {', '.join(unknown)}" if unknown else "") if x)
        raise ValidationError(f"Review answers must cover exactly {', '.join(CHECK_KEYS)} ({what})",
                              f"Phải trả lời đủ và đúng các mục: {', '.join(vi for _, _, vi in CHECKLIST)}",
                              field="answers")
    bad = [k for k, v in answers.items() if not isinstance(v, bool)]
    if bad:
        raise ValidationError(f"Review answers must be yes or no: {', '.join(bad)}",
                              f"Câu trả lời phải là có hoặc không: {', '.join(bad)}", field="answers")
    with station.store.session() as db:
        row = db.get(ReviewRow, item_id)
        if row is None:
            raise ValidationError(f"No sampled page with review id '{item_id}' (see 'scanstation review list')",
                                  f"Không có trang mẫu nào có mã '{item_id}'", field="id")
        if row.reviewed_at is not None:
            raise ValidationError(f"Page {row.page_id} of dossier {row.receipt_code} was already reviewed by "
                                  f"{row.reviewer} on {_aware(row.reviewed_at).date()}",
                                  f"Trang {row.page_id} của hồ sơ {row.receipt_code} đã được {row.reviewer} rà soát "
                                  f"ngày {_aware(row.reviewed_at).date()}", field="id")
        for k in CHECK_KEYS:
            setattr(row, k, answers[k])
        row.note = note.strip()
        row.reviewer = station.actor
        row.reviewed_at = datetime.now(UTC)
        db.flush()
        item = _item(row)
        station.audit.append(station.actor, "review.record", dossier=row.receipt_code, page=row.page_id,
                             session=db, details={"review": row.id, "answers": item.answers, "note": row.note,
                                                  "passed": item.passed})
    return item.to_dict()


def items(station: Station, start: datetime | None = None, end: datetime | None = None, *,
          pending_only: bool = False) -> list[ReviewItem]:
    """Sampled pages whose capture time falls in [start, end) (all when not given), oldest first."""
    with station.store.session() as db:
        q = select(ReviewRow)
        if start is not None:
            q = q.where(ReviewRow.captured_at >= _aware(start))
        if end is not None:
            q = q.where(ReviewRow.captured_at < _aware(end))
        if pending_only:
            q = q.where(ReviewRow.reviewed_at.is_(None))
        return [_item(r) for r in db.scalars(q.order_by(ReviewRow.captured_at, ReviewRow.id))]


def _tally(group: list[ReviewItem]) -> dict[str, Any]:
    done = [i for i in group if i.reviewed]
    return {"sampled": len(group), "reviewed": len(done), "passed": sum(1 for i in done if i.passed),
            "failed": sum(1 for i in done if not i.passed),
            "failed_by_check": {k: sum(1 for i in done if i.answers.get(k) is False) for k in CHECK_KEYS}}


def summary(station: Station, start: datetime | None = None, end: datetime | None = None) -> dict[str, Any]:
    """The sampled pages of the period and their results summed per clerk and per scanner."""
    found = items(station, start, end)
    by_clerk: dict[str, list[ReviewItem]] = {}
    by_device: dict[str, list[ReviewItem]] = {}
    for i in found:
        by_clerk.setdefault(i.clerk or "?", []).append(i)
        by_device.setdefault(i.device or "?", []).append(i)
    return {"period": [_iso(_aware(start)) if start else None, _iso(_aware(end)) if end else None],
            "items": [i.to_dict() for i in found], "total": _tally(found),
            "by_clerk": {k: _tally(v) for k, v in sorted(by_clerk.items())},
            "by_scanner": {k: _tally(v) for k, v in sorted(by_device.items())}}


__all__ = ["CHECKLIST", "CHECK_KEYS", "ReviewItem", "items", "record", "sample", "sample_size", "summary"]
