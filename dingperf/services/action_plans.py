"""Action plans in the store: tasks under a goal, each task its own revisioned document (kind "action_plan",
id "<goal_id>/<task_id>") in perf_documents.

One document per task rather than a list inside the goal body: a task change does not make a new goal revision
(the goal's history stays the history of its targets and check-ins), two people updating different tasks never
collide, and the document's subject is the task owner, so "my overdue tasks" is an indexed read. Each change is
one audited save (`action_plan.add|update|complete|cancel`) and follows the goal's cycle phase (`perf.goal_gate`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from dingperf.perf import action_plans as rules
from dingperf.perf.action_plans import ActionTask, Priority, TaskStatus
from dingperf.perf.audit import AuditRecord, record
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_gate import GoalAction
from dingperf.perf.goals import Goal
from dingperf.services.documents import Document, get_document_in, latest_documents_in, save_document_in
from dingperf.services.goal_store import check_phase, load_goal, override_note
from dingperf.store.engine import NotFound, Store
from dingperf.store.types import utcnow

KIND = "action_plan"


@dataclass(frozen=True)
class StoredTask:
    """The newest revision of an action task."""

    task: ActionTask
    revision: int


def _doc_id(goal_id: str, task_id: str) -> str:
    return f"{goal_id}/{task_id}"


def _task_json(t: ActionTask) -> dict[str, Any]:
    return {"task_id": t.task_id, "goal_id": t.goal_id, "title": t.title, "owner": t.owner,
            "priority": t.priority.value, "due": t.due.isoformat(), "status": t.status.value,
            "finished_at": None if t.finished_at is None else t.finished_at.isoformat(), "note": t.note}


def _task(d: Mapping[str, Any]) -> ActionTask:
    done = d["finished_at"]
    return ActionTask(d["task_id"], d["goal_id"], d["title"], d["owner"], Priority(d["priority"]),
                      date.fromisoformat(d["due"]), TaskStatus(d["status"]),
                      None if done is None else datetime.fromisoformat(done), d["note"])


def _stored(doc: Document) -> StoredTask:
    return StoredTask(_task(doc.body), doc.revision)


def _save(s: Session, corp_id: str, goal: Goal, task: ActionTask, audit: AuditRecord, reason: str,
          expected_revision: int | None) -> StoredTask:
    doc = save_document_in(s, corp_id, KIND, _doc_id(goal.goal_id, task.task_id), status=task.status.value,
                           body=_task_json(task), actor=audit.actor, cycle_id=goal.cycle_id or None,
                           subject_userid=task.owner, expected_revision=expected_revision, action=audit.action,
                           reason=reason, now=audit.at)
    return _stored(doc)


def add_action_task(store: Store, corp_id: str, goal_id: str, *, task_id: str, title: str, owner: str,
                    priority: Priority | str, due: date, actor: str, admin_override: str = "",
                    now: datetime | None = None) -> StoredTask:
    """Add an open task to the goal's action plan (refused on a closed goal or a taken task id)."""
    at = now or utcnow()
    if len(task_id) > 63 or "/" in task_id:
        raise ValidationError(f"task id must be 1–63 characters without '/', got {task_id!r}")
    with store.session() as s:
        goal = load_goal(s, corp_id, goal_id).goal
        decision = check_phase(s, corp_id, goal, GoalAction.ACTION_PLAN, admin_override)
        task = rules.add_task(goal, task_id, title, owner, priority, due)  # type: ignore[arg-type]
        try:
            get_document_in(s, corp_id, KIND, _doc_id(goal_id, task.task_id))
        except NotFound:
            pass
        else:
            raise ValidationError(f"goal {goal_id} already has a task {task.task_id!r}; pick another id")
        audit = record(actor, "add", "new", task.status.value, at, f"{task.priority.value}, due {task.due}")
        return _save(s, corp_id, goal, task, audit, override_note(decision, audit.reason), 0)


TaskMove = Callable[[ActionTask, datetime], tuple[ActionTask, AuditRecord]]


def _change(store: Store, corp_id: str, goal_id: str, task_id: str, move: TaskMove, *, admin_override: str,
            expected_revision: int | None, now: datetime | None) -> StoredTask:
    at = now or utcnow()
    with store.session() as s:
        goal = load_goal(s, corp_id, goal_id).goal
        decision = check_phase(s, corp_id, goal, GoalAction.ACTION_PLAN, admin_override)
        current = _stored(get_document_in(s, corp_id, KIND, _doc_id(goal_id, task_id)))
        task, audit = move(current.task, at)
        expected = current.revision if expected_revision is None else expected_revision
        return _save(s, corp_id, goal, task, audit, override_note(decision, audit.reason), expected)


def update_action_task(store: Store, corp_id: str, goal_id: str, task_id: str, *, actor: str,
                       title: str | None = None, owner: str | None = None, priority: Priority | str | None = None,
                       due: date | None = None, status: TaskStatus | str | None = None, reason: str = "",
                       expected_revision: int | None = None, admin_override: str = "",
                       now: datetime | None = None) -> StoredTask:
    """Change an unfinished task (title, owner, priority, due day, open/in progress); postponing needs a reason.
    With `expected_revision`, a task saved meanwhile by someone else is refused (StaleRevision)."""
    def move(task: ActionTask, at: datetime) -> tuple[ActionTask, AuditRecord]:
        return rules.update_task(task, actor, at, title=title, owner=owner,
                                 priority=None if priority is None else Priority(priority), due=due,
                                 status=None if status is None else TaskStatus(status), reason=reason)
    return _change(store, corp_id, goal_id, task_id, move, admin_override=admin_override,
                   expected_revision=expected_revision, now=now)


def complete_action_task(store: Store, corp_id: str, goal_id: str, task_id: str, *, actor: str, note: str = "",
                         expected_revision: int | None = None, admin_override: str = "",
                         now: datetime | None = None) -> StoredTask:
    """Mark an unfinished task done, with an optional note on the outcome."""
    return _change(store, corp_id, goal_id, task_id, lambda t, at: rules.complete_task(t, actor, at, note),
                   admin_override=admin_override, expected_revision=expected_revision, now=now)


def cancel_action_task(store: Store, corp_id: str, goal_id: str, task_id: str, *, actor: str, reason: str,
                       expected_revision: int | None = None, admin_override: str = "",
                       now: datetime | None = None) -> StoredTask:
    """Cancel an unfinished task with a reason (kept on the task)."""
    return _change(store, corp_id, goal_id, task_id, lambda t, at: rules.cancel_task(t, actor, at, reason),
                   admin_override=admin_override, expected_revision=expected_revision, now=now)


def action_plan(store: Store, corp_id: str, goal_id: str) -> list[StoredTask]:
    """The goal's tasks (newest revisions), unfinished first, then by priority, due day and id."""
    rank = {p: i for i, p in enumerate(Priority)}
    with store.session() as s:
        goal = load_goal(s, corp_id, goal_id).goal
        docs = latest_documents_in(s, corp_id, KIND, cycle_id=goal.cycle_id or None)
    tasks = [_stored(d) for d in docs if d.body["goal_id"] == goal_id]
    return sorted(tasks, key=lambda st: (st.task.status not in rules.UNFINISHED, rank[st.task.priority], st.task.due,
                                         st.task.task_id))


def overdue_action_tasks(store: Store, corp_id: str, *, now: datetime, timezone: str, cycle_id: str | None = None,
                         owner: str | None = None) -> list[StoredTask]:
    """Unfinished tasks past their due day in `timezone` (the org's), most urgent first; by cycle or owner."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"unknown timezone {timezone!r}; use an IANA name like Asia/Shanghai") from exc
    with store.session() as s:
        docs = latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id, subject_userid=owner)
    stored = {(st.task.goal_id, st.task.task_id): st for st in map(_stored, docs)}
    late = rules.overdue_tasks((st.task for st in stored.values()), now, tz)
    return [stored[(t.goal_id, t.task_id)] for t in late]
