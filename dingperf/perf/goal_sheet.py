"""One person's goal sheet for a cycle: KPI, OKR and MBO goals side by side, grouped by BSC perspective.

The sheet shows problems (weights not totalling 100) instead of refusing, so a half-set sheet can still be
shown while goals are being set; `goals.validate_scorecard` is the strict check. Cancelled goals (closed before
they were confirmed) stay listed as "cancelled" but count in neither the weight total nor the progress.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dingperf.perf.checkins import CheckIn, goal_progress, latest_confidences, latest_values
from dingperf.perf.errors import ValidationError
from dingperf.perf.goals import BscPerspective, Goal, GoalKind, by_perspective
from dingperf.perf.okr import KrReport, objective_report

# Perspectives in the order a balanced scorecard is read; goals without one come last.
_ORDER: tuple[BscPerspective | None, ...] = (*BscPerspective, None)


@dataclass(frozen=True)
class SheetLine:
    """One goal on the sheet with its progress (and, for an OKR, each key result)."""

    goal_id: str
    title: str
    kind: GoalKind
    status: str
    weight: Decimal
    progress: Decimal
    key_results: tuple[KrReport, ...] = ()
    criteria: str = ""
    due: date | None = None
    confidence: int | None = None  # latest confidence of a KPI or MBO goal


@dataclass(frozen=True)
class SheetGroup:
    """The goals of one BSC perspective (None = no perspective) and the total weight of those not cancelled."""

    perspective: BscPerspective | None
    weight: Decimal
    lines: tuple[SheetLine, ...]


@dataclass(frozen=True)
class GoalSheet:
    """A person's goals in one cycle, grouped; ``progress`` is Σ(weight × progress) ÷ Σ weight."""

    owner: str
    groups: tuple[SheetGroup, ...]
    total_weight: Decimal
    progress: Decimal
    problems: tuple[str, ...]


def _line(goal: Goal, check_ins: Sequence[CheckIn]) -> SheetLine:
    progress = goal_progress(goal, check_ins)
    confidences = latest_confidences(check_ins)
    krs: tuple[KrReport, ...] = ()
    if goal.kind is GoalKind.OKR:
        values = {k: v for k, v in latest_values(check_ins).items() if k is not None}
        krs = objective_report(goal.key_results, values,
                               {k: c for k, c in confidences.items() if k is not None}).key_results
    status = "cancelled" if goal.cancelled else goal.status.value
    return SheetLine(goal.goal_id, goal.title, goal.kind, status, goal.weight, progress, krs,
                     goal.criteria, goal.due, confidences.get(None))


def goal_sheet(owner: str, goals: Sequence[tuple[Goal, Sequence[CheckIn]]]) -> GoalSheet:
    """Build the sheet from the owner's goals and their check-ins (goals of anyone else are refused)."""
    others = sorted({g.owner for g, _ in goals} - {owner})
    if others:
        raise ValidationError(f"the goal sheet of {owner} cannot hold goals owned by {others}")
    ins = {g.goal_id: c for g, c in goals}
    grouped = by_perspective(g for g, _ in goals)
    groups = []
    for perspective in _ORDER:
        if perspective in grouped:
            lines = tuple(_line(g, ins[g.goal_id]) for g in grouped[perspective])
            counted = (ln.weight for ln in lines if ln.status != "cancelled")
            groups.append(SheetGroup(perspective, sum(counted, Decimal(0)), lines))
    live = [ln for grp in groups for ln in grp.lines if ln.status != "cancelled"]
    total = sum((ln.weight for ln in live), Decimal(0))
    weighted = sum((ln.weight * ln.progress for ln in live), Decimal(0))
    problems = []
    if not live:
        problems.append(f"{owner} has no goals in this cycle yet; create them during goal setting")
    elif total != 100:
        problems.append(f"goal weights of {owner} total {total}; they must total 100, so adjust the weights "
                        "during goal setting")
    return GoalSheet(owner, tuple(groups), total, weighted / total if total else Decimal(0), tuple(problems))
