"""Cycle periods: monthly, quarterly, half-year and annual date ranges computed from an anchor date.

Periods are half-open ``[start, end)`` in calendar dates of the org timezone; ``last_day`` is the
inclusive end HR people write on forms. Successive periods are computed from the anchor, never
from the previous period, so a cycle anchored on the 31st does not drift to the 28th.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from dingperf.perf.audit import require_aware
from dingperf.perf.errors import ValidationError


class CycleKind(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEAR = "half_year"
    ANNUAL = "annual"


MONTHS_PER_KIND: dict[CycleKind, int] = {
    CycleKind.MONTHLY: 1,
    CycleKind.QUARTERLY: 3,
    CycleKind.HALF_YEAR: 6,
    CycleKind.ANNUAL: 12,
}


@dataclass(frozen=True)
class Period:
    """A half-open date range ``[start, end)``."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(f"period end {self.end} must be after its start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        """The inclusive last calendar day."""
        return self.end - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def starts_at(self, tz: tzinfo) -> datetime:
        """Local midnight of the first day, as an aware datetime."""
        return datetime.combine(self.start, time(0), tzinfo=tz)

    def ends_at(self, tz: tzinfo) -> datetime:
        """Local midnight after the last day (exclusive), as an aware datetime."""
        return datetime.combine(self.end, time(0), tzinfo=tz)

    def contains_moment(self, at: datetime, tz: tzinfo) -> bool:
        """Whether an instant falls inside the period as seen in the org timezone."""
        return self.contains(require_aware(at, "at").astimezone(tz).date())


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamping to the month's last day (Jan 31 + 1 → Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def period_for(kind: CycleKind, anchor: date, index: int = 0) -> Period:
    """The ``index``-th period of ``kind`` counted from ``anchor`` (0 = the one starting on anchor)."""
    step = MONTHS_PER_KIND[CycleKind(kind)]
    return Period(add_months(anchor, index * step), add_months(anchor, (index + 1) * step))


def periods(kind: CycleKind, anchor: date, count: int) -> tuple[Period, ...]:
    """``count`` consecutive periods from ``anchor``; they tile without gaps or overlaps."""
    if count < 1:
        raise ValidationError(f"count must be at least 1, got {count}")
    return tuple(period_for(kind, anchor, i) for i in range(count))


def period_containing(kind: CycleKind, anchor: date, at: datetime, tz: tzinfo) -> Period:
    """The period of ``kind`` (anchored at ``anchor``) that contains instant ``at`` in timezone ``tz``."""
    day = require_aware(at, "at").astimezone(tz).date()
    step = MONTHS_PER_KIND[CycleKind(kind)]
    months = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    index = months // step
    # Clamped month ends can put the guess one period off; walk to the right one.
    while period_for(kind, anchor, index).start > day:
        index -= 1
    while period_for(kind, anchor, index).end <= day:
        index += 1
    return period_for(kind, anchor, index)
