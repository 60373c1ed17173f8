"""Action plans: tasks with priority and due date under a goal, and overdue detection given ``now``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from enum import StrEnum

from dingperf.perf.audit import AuditRecord, record, require_aware, transition_error
from dingperf.perf.errors import ValidationError
from dingperf.perf.goals import Goal, GoalStatus


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


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


def add_task(goal: Goal, task_id: str, title: str, owner: str, priority: Priority, due: date) -> ActionTask:
    """A new open task under a goal that is not closed."""
    if goal.status is GoalStatus.CLOSED:
        raise ValidationError(f"goal {goal.goal_id} is closed; open a new goal for new work")
    if not title.strip():
        raise ValidationError("a task needs a title")
    return ActionTask(task_id, goal.goal_id, title.strip(), owner, Priority(priority), due)


def finish_task(task: ActionTask, actor: str, now: datetime, status: TaskStatus = TaskStatus.DONE,
                reason: str = "") -> tuple[ActionTask, AuditRecord]:
    """Mark an open task done or dropped (dropping needs a reason)."""
    if task.status is not TaskStatus.OPEN:
        raise transition_error(f"task {task.task_id}", task.status.value, status.value, ())
    if status is TaskStatus.OPEN:
        raise ValidationError("finish a task as done or dropped")
    if status is TaskStatus.DROPPED and not reason.strip():
        raise ValidationError("dropping a task requires a reason")
    new = replace(task, status=status, finished_at=require_aware(now))
    return new, record(actor, status.value, task.status.value, status.value, now, reason)


def is_overdue(task: ActionTask, now: datetime, tz: tzinfo) -> bool:
    """Open and past its due day in the org timezone."""
    return task.status is TaskStatus.OPEN and require_aware(now).astimezone(tz).date() > task.due


def overdue_tasks(tasks: Iterable[ActionTask], now: datetime, tz: tzinfo) -> tuple[ActionTask, ...]:
    """Overdue tasks, most urgent first (priority, then earliest due)."""
    late = [t for t in tasks if is_overdue(t, now, tz)]
    return tuple(sorted(late, key=lambda t: (_RANK[t.priority], t.due, t.task_id)))
