"""What a departure or a manager change means for work a person held: pure rules, no I/O.

Who replaces a departed manager on a participant row, and how an improvement plan is handed over (its manager
replaced, open tasks the departed person owned moved to the plan's manager) with the reason recorded.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime

from dingperf.perf.audit import AuditRecord, record, require_reason
from dingperf.perf.cycles import Phase, phase_index
from dingperf.perf.improvement import ImprovementPlan, PlanOutcome, PlanStatus, PlanTaskStatus, close

SYSTEM_ACTOR = "system:departures"
_FINISHED = (PlanTaskStatus.DONE, PlanTaskStatus.DROPPED)


def departure_reason(userid: str, on: date) -> str:
    """The reason every change made because `userid` left is recorded with."""
    return f"{userid} left on {on.isoformat()}"


def manager_change_reason(userid: str, old: str | None, new: str | None, on: date) -> str:
    """The reason a participant's manager follows the address book."""
    return f"{userid}'s manager changed from {old or 'nobody'} to {new or 'nobody'} on {on.isoformat()}"


def successor(participant: str, departed: str, synced_manager: str | None, active: Collection[str]) -> str | None:
    """Who reviews `participant` now that `departed` left: their synced manager when that is someone else who
    is still active; None when the address book names nobody usable yet (HR must step in)."""
    if synced_manager in (None, "", departed, participant) or synced_manager not in active:
        return None
    return synced_manager


def follows_manager_change(phase: Phase | str, old_manager_left: bool) -> bool:
    """Whether a cycle's participant rows follow a manager change: before the manager review opens, or in any
    open phase when the old manager left (their review would otherwise never be written)."""
    p = Phase(phase)
    if p is Phase.CLOSED:
        return False
    return old_manager_left or phase_index(p) < phase_index(Phase.MANAGER_REVIEW)


def hand_over_plan(plan: ImprovementPlan, departed: str, new_manager: str | None, now: datetime,
                   reason: str) -> tuple[ImprovementPlan, AuditRecord] | None:
    """The open plan after `departed` left: `new_manager` replaces them as its manager (when given and not the
    employee), and their unfinished tasks pass to the plan's manager; None when nothing changes."""
    text = require_reason(reason, "hand over an improvement plan")
    if plan.status is PlanStatus.CLOSED:
        return None
    manager = plan.manager
    if manager == departed and new_manager and new_manager not in (departed, plan.employee):
        manager = new_manager
    owner = manager if manager != departed else None
    moved = [t.task_id for t in plan.tasks if t.owner == departed and t.status not in _FINISHED and owner]
    if manager == plan.manager and not moved:
        return None
    tasks = tuple(replace(t, owner=manager, note=f"{t.note}; {text}, now owned by {manager}".lstrip("; "))
                  if t.task_id in moved else t for t in plan.tasks)
    new = replace(plan, manager=manager, tasks=tasks)
    parts = [f"manager {plan.manager} -> {manager}"] if manager != plan.manager else []
    if moved:
        parts.append(f"tasks {', '.join(moved)} -> {manager}")
    return new, record(SYSTEM_ACTOR, "hand_over", plan.status.value, new.status.value, now,
                       f"{text}; {'; '.join(parts)}")


def close_for_departure(plan: ImprovementPlan, employee: str, now: datetime,
                        reason: str) -> tuple[ImprovementPlan, AuditRecord] | None:
    """`employee` left: their open plan closes with the neutral outcome 'employee_left' (tasks kept as they
    were); None when the plan is someone else's or already closed."""
    if plan.employee != employee or plan.status is PlanStatus.CLOSED:
        return None
    return close(plan, PlanOutcome.EMPLOYEE_LEFT, SYSTEM_ACTOR, now, reason)
