"""Action plans: tasks with priority, owner, due date and status under a goal, and overdue detection given ``now``.

open ⇄ in_progress → done | cancelled (reason). Moving a due day later needs a reason, so a plan cannot be
kept on time by quietly postponing it. Every change returns ``(new_task, AuditRecord)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from enum import StrEnum

from dingperf.perf.audit import (
    AuditRecord,
    record,
    require_actor,
    require_aware,
    require_reason,
    transition_error,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.goals import Goal, GoalStatus


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


UNFINISHED = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


@dataclass(frozen=True)
class ActionTask:
    """A task under a goal; due at the end of ``due`` in the org timezone."""

    task_id: str
    goal_id: str
    title: str
    owner: str
    priority: Priority
    due: date
    status: TaskStatus = TaskStatus.OPEN
    finished_at: datetime | None = None
    note: str = ""  # the completion note or the cancel reason


def add_task(goal: Goal, task_id: str, title: str, owner: str, priority: Priority, due: date) -> ActionTask:
    """A new open task under a goal that is not closed."""
    if goal.status is GoalStatus.CLOSED:
        raise ValidationError(f"goal {goal.goal_id} is closed; open a new goal for new work")
    if not task_id.strip():
        raise ValidationError("a task needs an id")
    if not title.strip():
        raise ValidationError("a task needs a title: write what has to be done")
    try:
        rank = Priority(priority)
    except ValueError as exc:
        raise ValidationError(f"task priority must be one of {[p.value for p in Priority]}, got {priority!r}") from exc
    return ActionTask(task_id.strip(), goal.goal_id, title.strip(), require_actor(owner), rank, due)


def _require_unfinished(task: ActionTask, action: str) -> None:
    if task.status not in UNFINISHED:
        raise transition_error(f"task {task.task_id}", task.status.value, action, ())


def update_task(task: ActionTask, actor: str, now: datetime, *, title: str | None = None, owner: str | None = None,
                priority: Priority | None = None, due: date | None = None, status: TaskStatus | None = None,
                reason: str = "") -> tuple[ActionTask, AuditRecord]:
    """Change an unfinished task's title, owner, priority, due day or open/in-progress status; postponing the
    due day needs a reason."""
    _require_unfinished(task, "update")
    if status is not None and TaskStatus(status) not in UNFINISHED:
        raise ValidationError("update moves a task between open and in_progress; complete or cancel it instead")
    changes: dict[str, object] = {}
    if title is not None:
        if not title.strip():
            raise ValidationError("a task needs a title: write what has to be done")
        changes["title"] = title.strip()
    if owner is not None:
        changes["owner"] = require_actor(owner)
    if priority is not None:
        changes["priority"] = Priority(priority)
    if status is not None:
        changes["status"] = TaskStatus(status)
    if due is not None:
        if due > task.due:
            reason = require_reason(reason, f"postpone task {task.task_id} from {task.due} to {due}")
        changes["due"] = due
    changed = {k: v for k, v in changes.items() if getattr(task, k) != v}
    if not changed:
        raise ValidationError(f"task {task.task_id}: nothing to change; give a new title, owner, priority, due day or status")
    new = replace(task, **changed)  # type: ignore[arg-type]
    return new, record(actor, "update", task.status.value, new.status.value, now, reason)


def complete_task(task: ActionTask, actor: str, now: datetime, note: str = "") -> tuple[ActionTask, AuditRecord]:
    """Mark an unfinished task done, with an optional note on the outcome."""
    _require_unfinished(task, "complete")
    new = replace(task, status=TaskStatus.DONE, finished_at=require_aware(now), note=note.strip())
    return new, record(actor, "complete", task.status.value, new.status.value, now, note)


def cancel_task(task: ActionTask, actor: str, now: datetime, reason: str) -> tuple[ActionTask, AuditRecord]:
    """Cancel an unfinished task; the reason is kept on the task."""
    _require_unfinished(task, "cancel")
    text = require_reason(reason, f"cancel task {task.task_id}")
    new = replace(task, status=TaskStatus.CANCELLED, finished_at=require_aware(now), note=text)
    return new, record(actor, "cancel", task.status.value, new.status.value, now, text)


def is_overdue(task: ActionTask, now: datetime, tz: tzinfo) -> bool:
    """Unfinished and past its due day in the org timezone."""
    return task.status in UNFINISHED and require_aware(now).astimezone(tz).date() > task.due


def overdue_tasks(tasks: Iterable[ActionTask], now: datetime, tz: tzinfo) -> tuple[ActionTask, ...]:
    """Overdue tasks, most urgent first (priority, then earliest due)."""
    late = [t for t in tasks if is_overdue(t, now, tz)]
    return tuple(sorted(late, key=lambda t: (_RANK[t.priority], t.due, t.task_id)))
