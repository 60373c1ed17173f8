"""Goal progress from check-ins, and pacing alerts: expected progress is the elapsed share of the
period; a goal is behind when actual ÷ expected falls below a threshold (default 0.7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from dingperf.perf.audit import require_aware
from dingperf.perf.checkins import CheckIn, latest_values
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import time_weighted_achievement
from dingperf.perf.goals import Goal, GoalKind
from dingperf.perf.okr import objective_progress
from dingperf.perf.periods import Period

DEFAULT_THRESHOLD = Decimal("0.7")


def goal_progress(goal: Goal, check_ins: Sequence[CheckIn]) -> Decimal:
    """Progress (1 = done) from the latest check-in values.

    OKR: weighted key-result progress. KPI (and MBO with a numeric target): time-weighted achievement
    of the latest value. MBO without a target: the latest value read as percent complete (0–100).
    """
    own = [c for c in check_ins if c.goal_id == goal.goal_id]
    values = latest_values(own)
    if goal.kind is GoalKind.OKR:
        return objective_progress(goal.key_results, {k: v for k, v in values.items() if k is not None})
    latest = values.get(None)
    if latest is None:
        return Decimal(0)
    if goal.versions:
        return time_weighted_achievement(goal.versions, goal.period, latest).achievement
    if not (0 <= latest <= 100):
        raise ValidationError(f"goal {goal.goal_id}: percent complete must be 0–100, got {latest}")
    return latest / 100


def expected_progress(period: Period, now: datetime, tz: tzinfo) -> Decimal:
    """Elapsed share of the period at ``now`` (0 before it starts, 1 after it ends)."""
    start, end = period.starts_at(tz), period.ends_at(tz)
    at = require_aware(now)
    if at <= start:
        return Decimal(0)
    if at >= end:
        return Decimal(1)
    return Decimal((at - start).total_seconds()) / Decimal((end - start).total_seconds())


@dataclass(frozen=True)
class Pacing:
    """Progress against the elapsed share of the period; ``behind`` drives the anomaly alert."""

    goal_id: str
    progress: Decimal
    expected: Decimal
    ratio: Decimal | None  # None before the period starts (nothing expected yet)
    behind: bool


def pacing(goal_id: str, progress: Decimal, period: Period, now: datetime, tz: tzinfo,
           threshold: Decimal = DEFAULT_THRESHOLD) -> Pacing:
    """Compare progress with the elapsed share; behind when progress ÷ expected < threshold."""
    expected = expected_progress(period, now, tz)
    if expected == 0:
        return Pacing(goal_id, Decimal(progress), expected, None, False)
    ratio = Decimal(progress) / expected
    return Pacing(goal_id, Decimal(progress), expected, ratio, ratio < threshold)
