"""Improvement plans (PIP): tasks with owners, due dates and status, progress, overdue tracking
given ``now``, and a closing outcome with a reason. Tracked to the end: nothing closes silently.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any

from dingperf.perf.audit import AuditRecord, record, require_aware, require_reason, transition_error
from dingperf.perf.errors import ValidationError
from dingperf.perf.interviews import AgreedAction


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"


class PlanTaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


_TERMINAL = (PlanTaskStatus.DONE, PlanTaskStatus.DROPPED)


class PlanOutcome(StrEnum):
    COMPLETED = "completed"  # improvement achieved
    NOT_MET = "not_met"
    CANCELLED = "cancelled"  # e.g. the employee moved role
    EMPLOYEE_LEFT = "employee_left"  # neutral: closed because the employee left, not judged


@dataclass(frozen=True)
class PlanTask:
    task_id: str
    title: str
    owner: str
    due: date
    status: PlanTaskStatus = PlanTaskStatus.TODO
    note: str = ""


@dataclass(frozen=True)
class ImprovementPlan:
    plan_id: str
    employee: str
    manager: str
    starts_on: date
    ends_on: date
    objective: str
    tasks: tuple[PlanTask, ...] = ()
    status: PlanStatus = PlanStatus.DRAFT
    outcome: PlanOutcome | None = None
    closing_reason: str = ""

    def __post_init__(self) -> None:
        if self.ends_on <= self.starts_on:
            raise ValidationError(f"plan {self.plan_id} ends on {self.ends_on}, not after it starts ({self.starts_on})")
        if not self.objective.strip():
            raise ValidationError("an improvement plan states what must improve")
        if self.employee == self.manager:
            raise ValidationError(f"plan {self.plan_id}: the employee cannot be their own plan's manager")


_ALLOWED = {PlanStatus.DRAFT: ("add_task", "start", "close"), PlanStatus.ACTIVE: ("add_task", "update_task", "extend", "close"),
            PlanStatus.CLOSED: ()}


def _guard(plan: ImprovementPlan, action: str) -> None:
    if action not in _ALLOWED[plan.status]:
        raise transition_error(f"improvement plan {plan.plan_id}", plan.status.value, action, _ALLOWED[plan.status])


def require_may_change(plan: ImprovementPlan, actor: str, hr_userids: Collection[str],
                       task_id: str | None = None) -> None:
    """The plan's manager and HR change a plan; a task's owner may also move that one task."""
    if actor == plan.manager or actor in hr_userids:
        return
    owner = next((t.owner for t in plan.tasks if t.task_id == task_id), None)
    if task_id is not None and actor == owner:
        return
    who = f"the owner of task {task_id} ({owner}), " if owner else ""
    raise ValidationError(f"{actor} cannot change improvement plan {plan.plan_id}: only {who}its manager "
                          f"({plan.manager}) or HR can; ask one of them")


def add_task(plan: ImprovementPlan, task: PlanTask) -> ImprovementPlan:
    """Add a task due within the plan's dates."""
    _guard(plan, "add_task")
    if not task.task_id.strip() or not task.title.strip() or not task.owner.strip():
        raise ValidationError("a plan task needs an id, a title and an owner")
    if any(t.task_id == task.task_id for t in plan.tasks):
        raise ValidationError(f"plan {plan.plan_id} already has task {task.task_id}")
    if not (plan.starts_on <= task.due <= plan.ends_on):
        raise ValidationError(f"task {task.task_id} is due {task.due}, outside the plan {plan.starts_on}..{plan.ends_on}")
    return replace(plan, tasks=(*plan.tasks, task))


def start(plan: ImprovementPlan, actor: str, now: datetime) -> tuple[ImprovementPlan, AuditRecord]:
    """Start a plan that has at least one task."""
    _guard(plan, "start")
    if not plan.tasks:
        raise ValidationError(f"plan {plan.plan_id} has no tasks; add what the employee will do first")
    new = replace(plan, status=PlanStatus.ACTIVE)
    return new, record(actor, "start", plan.status.value, new.status.value, now)


def update_task(plan: ImprovementPlan, task_id: str, status: PlanTaskStatus, actor: str, now: datetime,
                note: str = "") -> tuple[ImprovementPlan, AuditRecord]:
    """Move a task; dropping needs a note, finished tasks stay finished."""
    _guard(plan, "update_task")
    task = next((t for t in plan.tasks if t.task_id == task_id), None)
    if task is None:
        raise ValidationError(f"plan {plan.plan_id} has no task {task_id}")
    if task.status in _TERMINAL:
        raise transition_error(f"task {task_id}", task.status.value, status.value, ())
    if status is PlanTaskStatus.DROPPED:
        note = require_reason(note, "drop a plan task")
    tasks = tuple(replace(t, status=status, note=note or t.note) if t.task_id == task_id else t for t in plan.tasks)
    return replace(plan, tasks=tasks), record(actor, f"task:{task_id}", task.status.value, status.value, now, note)


def extend(plan: ImprovementPlan, new_end: date, actor: str, now: datetime, reason: str) -> tuple[ImprovementPlan, AuditRecord]:
    """Extend the end date, with a reason."""
    _guard(plan, "extend")
    text = require_reason(reason, "extend an improvement plan")
    if new_end <= plan.ends_on:
        raise ValidationError(f"the new end {new_end} must be after the current end {plan.ends_on}")
    new = replace(plan, ends_on=new_end)
    return new, record(actor, "extend", plan.ends_on.isoformat(), new_end.isoformat(), now, text)


def progress(plan: ImprovementPlan) -> Decimal:
    """Done ÷ (tasks not dropped); 0 for a plan with nothing left to do."""
    counted = [t for t in plan.tasks if t.status is not PlanTaskStatus.DROPPED]
    if not counted:
        return Decimal(0)
    return Decimal(sum(1 for t in counted if t.status is PlanTaskStatus.DONE)) / Decimal(len(counted))


def overdue_tasks(plan: ImprovementPlan, now: datetime, tz: tzinfo) -> tuple[PlanTask, ...]:
    """Open tasks past their due day in the org timezone, earliest first."""
    today = require_aware(now).astimezone(tz).date()
    late = [t for t in plan.tasks if t.status not in _TERMINAL and today > t.due]
    return tuple(sorted(late, key=lambda t: (t.due, t.task_id)))


def is_overdue(plan: ImprovementPlan, now: datetime, tz: tzinfo) -> bool:
    """An active plan past its end day (needs a closing outcome) or with overdue tasks."""
    if plan.status is not PlanStatus.ACTIVE:
        return False
    return require_aware(now).astimezone(tz).date() > plan.ends_on or bool(overdue_tasks(plan, now, tz))


def close(plan: ImprovementPlan, outcome: PlanOutcome, actor: str, now: datetime,
          reason: str) -> tuple[ImprovementPlan, AuditRecord]:
    """Close with an outcome and reason; 'completed' requires every task finished."""
    _guard(plan, "close")
    text = require_reason(reason, "close an improvement plan")
    open_tasks = [t.task_id for t in plan.tasks if t.status not in _TERMINAL]
    if outcome is PlanOutcome.COMPLETED and open_tasks:
        raise ValidationError(f"plan {plan.plan_id} still has open tasks {open_tasks}; finish or drop them first")
    new = replace(plan, status=PlanStatus.CLOSED, outcome=PlanOutcome(outcome), closing_reason=text)
    return new, record(actor, f"close:{PlanOutcome(outcome).value}", plan.status.value, new.status.value, now, text)


def open_plans_needing_attention(plans: Sequence[ImprovementPlan], now: datetime, tz: tzinfo) -> tuple[ImprovementPlan, ...]:
    """Active plans that are overdue (reminders and HR dashboards)."""
    return tuple(p for p in plans if is_overdue(p, now, tz))


@dataclass(frozen=True)
class Reminder:
    """One thing a person is late on: an open task past its due day, or (task_id None) a plan past its end."""

    userid: str
    plan_id: str
    employee: str
    task_id: str | None
    title: str
    due: date


def reminders(plans: Iterable[ImprovementPlan], now: datetime, tz: tzinfo) -> dict[str, tuple[Reminder, ...]]:
    """Who to remind today: each overdue task's owner, and the manager of an active plan past its end day
    (it needs a closing outcome); per person, earliest first."""
    today = require_aware(now).astimezone(tz).date()
    found: dict[str, list[Reminder]] = {}
    for p in plans:
        if p.status is not PlanStatus.ACTIVE:
            continue
        for t in overdue_tasks(p, now, tz):
            found.setdefault(t.owner, []).append(Reminder(t.owner, p.plan_id, p.employee, t.task_id, t.title, t.due))
        if today > p.ends_on:
            found.setdefault(p.manager, []).append(Reminder(p.manager, p.plan_id, p.employee, None, p.objective,
                                                            p.ends_on))
    return {u: tuple(sorted(r, key=lambda x: (x.due, x.plan_id, x.task_id or ""))) for u, r in sorted(found.items())}


def tasks_from_actions(actions: Iterable[AgreedAction], prefix: str = "a") -> tuple[PlanTask, ...]:
    """The actions agreed in a 面谈 as plan tasks (ids a1, a2, …), so what was agreed is tracked to the end."""
    return tuple(PlanTask(f"{prefix}{n}", a.text, a.owner, a.due) for n, a in enumerate(actions, 1))


def needing_plan(grades: Mapping[str, str | None], planned: Collection[str], wanted: Collection[str]) -> tuple[str, ...]:
    """The people (sorted) whose grade is one of `wanted` and who have no plan yet."""
    return tuple(sorted(u for u, g in grades.items() if g in wanted and u not in planned))


# --- JSON data for stored documents -----------------------------------------------------------------------------

def plan_to_dict(plan: ImprovementPlan) -> dict[str, Any]:
    """The plan as JSON-safe data (dates as ISO strings), exactly reversible by `plan_from_dict`."""
    return {"plan_id": plan.plan_id, "employee": plan.employee, "manager": plan.manager,
            "starts_on": plan.starts_on.isoformat(), "ends_on": plan.ends_on.isoformat(),
            "objective": plan.objective, "status": plan.status.value,
            "outcome": None if plan.outcome is None else plan.outcome.value, "closing_reason": plan.closing_reason,
            "tasks": [{"task_id": t.task_id, "title": t.title, "owner": t.owner, "due": t.due.isoformat(),
                       "status": t.status.value, "note": t.note} for t in plan.tasks]}


def plan_from_dict(d: Mapping[str, Any]) -> ImprovementPlan:
    """The plan back from `plan_to_dict` data."""
    tasks = tuple(PlanTask(t["task_id"], t["title"], t["owner"], date.fromisoformat(t["due"]),
                           PlanTaskStatus(t["status"]), t["note"]) for t in d["tasks"])
    return ImprovementPlan(d["plan_id"], d["employee"], d["manager"], date.fromisoformat(d["starts_on"]),
                           date.fromisoformat(d["ends_on"]), d["objective"], tasks, PlanStatus(d["status"]),
                           None if d["outcome"] is None else PlanOutcome(d["outcome"]), d["closing_reason"])
