"""Cycles (考核周期): kind, period in the org timezone, phases with deadlines, the review policy and
the pinned template version. Several cycles may overlap for one person (monthly KPI + quarterly OKR).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dingperf.perf.audit import require_aware
from dingperf.perf.errors import ValidationError
from dingperf.perf.periods import CycleKind, Period, period_for
from dingperf.perf.reviews import RaterType, ReviewPolicy, review_policy


class Phase(StrEnum):
    GOAL_SETTING = "goal_setting"
    CONFIRMATION = "confirmation"
    IN_PROGRESS = "in_progress"
    SELF_REVIEW = "self_review"
    MANAGER_REVIEW = "manager_review"  # manager and 360 reviews
    CALIBRATION = "calibration"
    RESULTS = "results"
    APPEAL_WINDOW = "appeal_window"
    CLOSED = "closed"


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)


def phase_index(phase: Phase) -> int:
    return PHASE_ORDER.index(Phase(phase))


DEFAULT_POLICY = review_policy({RaterType.SELF: 10, RaterType.MANAGER: 70, RaterType.PEER: 20})


@dataclass(frozen=True)
class Cycle:
    """One cycle. ``deadlines`` pairs a phase with the aware instant it is due to end."""

    cycle_id: str
    name: str
    kind: CycleKind
    period: Period
    timezone: str
    phase: Phase = Phase.GOAL_SETTING
    deadlines: tuple[tuple[Phase, datetime], ...] = ()
    lock_phase: Phase = Phase.IN_PROGRESS
    locked_at: datetime | None = None
    review_policy: ReviewPolicy = DEFAULT_POLICY
    template_id: str = ""
    template_version: int | None = None
    group_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"unknown timezone {self.timezone!r}; use an IANA name like Asia/Shanghai") from exc
        validate_deadlines(self.deadlines)
        if self.lock_phase is Phase.GOAL_SETTING:
            raise ValidationError("the lock phase must come after goal setting, or nobody can join the cycle")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_locked(self) -> bool:
        """Participants are frozen once the cycle reached its lock phase."""
        return phase_index(self.phase) >= phase_index(self.lock_phase)

    def deadline(self, phase: Phase) -> datetime | None:
        return dict(self.deadlines).get(Phase(phase))


def validate_deadlines(deadlines: Iterable[tuple[Phase, datetime]]) -> None:
    """Deadlines are aware, one per phase, and do not go backwards in phase order."""
    pairs = sorted(((Phase(p), require_aware(at, f"deadline of {p}")) for p, at in deadlines),
                   key=lambda pair: phase_index(pair[0]))
    phases = [p for p, _ in pairs]
    if len(phases) != len(set(phases)):
        raise ValidationError(f"a phase has two deadlines: {[p.value for p in phases]}")
    for (p1, a1), (p2, a2) in pairwise(pairs):
        if a2 < a1:
            raise ValidationError(f"deadline of {p2.value} ({a2.isoformat()}) is before that of {p1.value} ({a1.isoformat()})")


def new_cycle(
    cycle_id: str,
    name: str,
    kind: CycleKind,
    anchor: date,
    timezone: str,
    *,
    index: int = 0,
    deadlines: Mapping[Phase, datetime] | None = None,
    **fields: object,
) -> Cycle:
    """A cycle in goal setting whose period is the ``index``-th ``kind`` period from ``anchor``."""
    pairs = tuple(sorted(((Phase(p), at) for p, at in (deadlines or {}).items()), key=lambda x: phase_index(x[0])))
    return Cycle(cycle_id, name, CycleKind(kind), period_for(kind, anchor, index), timezone, deadlines=pairs,
                 **fields)  # type: ignore[arg-type]


def cycles_overlap(a: Cycle, b: Cycle) -> bool:
    """Whether two cycles' periods share at least one day (allowed; shown so HR sees the load)."""
    return a.period.overlaps(b.period)


def active_cycles(cycles: Iterable[Cycle], at: datetime) -> tuple[Cycle, ...]:
    """Cycles not closed whose period contains ``at`` in the cycle's own timezone."""
    return tuple(c for c in cycles if c.phase is not Phase.CLOSED and c.period.contains_moment(at, c.tz))
