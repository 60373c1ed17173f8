"""Improvement plans (PIP) in the store: create one for an employee (typically after a C/D result), add tasks
with owners and due dates, start, update tasks, extend with a reason, close with an outcome; progress, who still
needs a plan, overdue plans and a daily reminder per late task owner through the outbox.

Plans are revisioned documents of kind "improvement_plan" (status = the plan's status); the rules are
`perf.improvement`. Each step reads the newest revision and writes the next one, audited, in one transaction;
`expected_revision` refuses a save over someone else's change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from dingperf.perf import improvement as rules
from dingperf.perf.audit import AuditRecord, record
from dingperf.perf.departures import hand_over_plan
from dingperf.perf.errors import ValidationError
from dingperf.perf.improvement import ImprovementPlan, PlanOutcome, PlanStatus, PlanTask, PlanTaskStatus
from dingperf.perf.interviews import record_from_dict
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.documents import (
    Document,
    document_history,
    get_document,
    get_document_in,
    latest_documents,
    latest_documents_in,
    save_document_in,
)
from dingperf.services.followup_notices import overdue_plan_notice
from dingperf.services.interviews import KIND as INTERVIEW
from dingperf.services.notice_queue import queue_notice_in
from dingperf.services.results import _stored as _stored_result
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.types import utcnow

KIND = "improvement_plan"
DEFAULT_ZONE = "Asia/Shanghai"
_OPEN = (PlanStatus.DRAFT.value, PlanStatus.ACTIVE.value)


@dataclass(frozen=True)
class StoredPlan:
    """One revision of a plan, with the cycle whose result and the 面谈 whose agreed actions prompted it (if any)."""

    plan: ImprovementPlan
    cycle_id: str | None
    interview_id: str | None
    revision: int
    saved_by: str
    saved_at: datetime

    @property
    def progress(self) -> Decimal:
        """Done ÷ tasks not dropped."""
        return rules.progress(self.plan)


@dataclass(frozen=True)
class PlanCandidate:
    """A released result in the grades that call for a plan, with no plan from that cycle yet."""

    userid: str
    grade: str
    total: Decimal | None
    manager_userid: str | None


def _stored(doc: Document) -> StoredPlan:
    return StoredPlan(rules.plan_from_dict(doc.body), doc.cycle_id, doc.body.get("interview_id"), doc.revision,
                      doc.saved_by, doc.saved_at)


def _zone(zone: str | tzinfo) -> tzinfo:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def _exists(s: Session, corp_id: str, plan_id: str) -> bool:
    try:
        get_document_in(s, corp_id, KIND, plan_id)
    except NotFound:
        return False
    return True


def save_plan_in(s: Session, corp_id: str, plan: ImprovementPlan, audit: AuditRecord, expected_revision: int | None,
                 *, cycle_id: str | None, interview_id: str | None) -> StoredPlan:
    """Store the plan's next revision for one pure step, in the caller's transaction (audited as the step)."""
    # The pure moves name "task:<id>" and "close:<outcome>"; the audit action stays one per kind of step and the
    # detail moves into the reason.
    head, _, detail = audit.action.partition(":")
    action = "update_task" if head == "task" else head
    move = f"{detail}: {audit.from_state} -> {audit.to_state}" if detail else ""
    why = ": ".join(x for x in (move, audit.reason) if x) or f"{audit.from_state} -> {audit.to_state}"
    body = {**rules.plan_to_dict(plan), "interview_id": interview_id}
    doc = save_document_in(s, corp_id, KIND, plan.plan_id, status=plan.status.value, body=body,
                           actor=audit.actor, cycle_id=cycle_id, subject_userid=plan.employee,
                           expected_revision=expected_revision, action=action, reason=why, now=audit.at)
    return _stored(doc)


def _agreed_actions(s: Session, corp_id: str, interview_id: str, employee: str) -> tuple[PlanTask, ...]:
    rec = record_from_dict(get_document_in(s, corp_id, INTERVIEW, interview_id).body["record"])
    if rec.employee != employee:
        raise ValidationError(f"interview {interview_id} was with {rec.employee}, not {employee}; "
                              "pick that employee's interview")
    return rules.tasks_from_actions(rec.agreed_actions)


def create_plan(store: Store, corp_id: str, *, employee: str, manager: str, objective: str, starts_on: date,
                ends_on: date, actor: str, tasks: Iterable[PlanTask] = (), cycle_id: str | None = None,
                interview_id: str | None = None, hr_userids: Collection[str] = (), plan_id: str | None = None,
                now: datetime | None = None) -> StoredPlan:
    """The manager (or HR) drafts a plan (revision 1), optionally prompted by a cycle's result; with
    `interview_id` the actions agreed in that 面谈 become its first tasks. One open plan per employee."""
    at = now or utcnow()
    with store.session() as s:
        if cycle_id is not None:
            _cycle_row(s, corp_id, cycle_id)
        open_plans = [d.doc_id for d in latest_documents_in(s, corp_id, KIND, subject_userid=employee)
                      if d.status in _OPEN]
        if open_plans:
            raise ValidationError(f"{employee} already has an open improvement plan ({open_plans[0]}); "
                                  "add tasks to it, or close it before starting another")
        plan = ImprovementPlan(plan_id or f"pip-{uuid.uuid4().hex[:12]}", employee, manager, starts_on, ends_on,
                               objective.strip())
        if _exists(s, corp_id, plan.plan_id):
            raise ValidationError(f"improvement plan {plan.plan_id!r} already exists; pick another id")
        rules.require_may_change(plan, actor, hr_userids)
        if interview_id is not None:
            tasks = (*_agreed_actions(s, corp_id, interview_id, employee), *tasks)
        for task in tasks:
            plan = rules.add_task(plan, task)
        audit = record(actor, "create", "new", plan.status.value, at, plan.objective)
        return save_plan_in(s, corp_id, plan, audit, 0, cycle_id=cycle_id, interview_id=interview_id)


Move = Callable[[ImprovementPlan], tuple[ImprovementPlan, AuditRecord]]


def _step(store: Store, corp_id: str, plan_id: str, expected_revision: int | None, move: Move, *, actor: str,
          hr_userids: Collection[str], task_id: str | None = None) -> StoredPlan:
    with store.session() as s:
        current = _stored(get_document_in(s, corp_id, KIND, plan_id))
        rules.require_may_change(current.plan, actor, hr_userids, task_id)
        plan, audit = move(current.plan)
        return save_plan_in(s, corp_id, plan, audit, current.revision if expected_revision is None else expected_revision,
                     cycle_id=current.cycle_id, interview_id=current.interview_id)


def add_plan_task(store: Store, corp_id: str, plan_id: str, task: PlanTask, *, actor: str,
                  hr_userids: Collection[str] = (), expected_revision: int | None = None,
                  now: datetime | None = None) -> StoredPlan:
    """Add a task (owner, due date within the plan) to a draft or active plan."""
    at = now or utcnow()

    def move(p: ImprovementPlan) -> tuple[ImprovementPlan, AuditRecord]:
        new = rules.add_task(p, task)
        return new, record(actor, "add_task", p.status.value, new.status.value, at,
                           f"{task.task_id}: {task.title} ({task.owner}, due {task.due.isoformat()})")
    return _step(store, corp_id, plan_id, expected_revision, move, actor=actor, hr_userids=hr_userids)


def start_plan(store: Store, corp_id: str, plan_id: str, *, actor: str, hr_userids: Collection[str] = (),
               expected_revision: int | None = None, now: datetime | None = None) -> StoredPlan:
    """Start a draft plan that has at least one task."""
    at = now or utcnow()
    return _step(store, corp_id, plan_id, expected_revision, lambda p: rules.start(p, actor, at), actor=actor,
                 hr_userids=hr_userids)


def update_plan_task(store: Store, corp_id: str, plan_id: str, task_id: str, status: PlanTaskStatus | str, *,
                     actor: str, note: str = "", hr_userids: Collection[str] = (),
                     expected_revision: int | None = None, now: datetime | None = None) -> StoredPlan:
    """The task's owner, the manager or HR moves a task of an active plan (dropping needs a note; finished
    tasks stay finished)."""
    at = now or utcnow()
    return _step(store, corp_id, plan_id, expected_revision,
                 lambda p: rules.update_task(p, task_id, PlanTaskStatus(status), actor, at, note), actor=actor,
                 hr_userids=hr_userids, task_id=task_id)


def extend_plan(store: Store, corp_id: str, plan_id: str, new_end: date, *, actor: str, reason: str,
                hr_userids: Collection[str] = (), expected_revision: int | None = None,
                now: datetime | None = None) -> StoredPlan:
    """Move an active plan's end date later, with a reason."""
    at = now or utcnow()
    return _step(store, corp_id, plan_id, expected_revision, lambda p: rules.extend(p, new_end, actor, at, reason),
                 actor=actor, hr_userids=hr_userids)


def close_plan(store: Store, corp_id: str, plan_id: str, outcome: PlanOutcome | str, *, actor: str, reason: str,
               hr_userids: Collection[str] = (), expected_revision: int | None = None,
               now: datetime | None = None) -> StoredPlan:
    """Close with an outcome and a reason; 'completed' needs every task finished."""
    at = now or utcnow()
    return _step(store, corp_id, plan_id, expected_revision,
                 lambda p: rules.close(p, PlanOutcome(outcome), actor, at, reason), actor=actor,
                 hr_userids=hr_userids)


def get_plan(store: Store, corp_id: str, plan_id: str, revision: int | None = None) -> StoredPlan:
    """The newest revision (or the one asked for); NotFound when the plan does not exist."""
    return _stored(get_document(store, corp_id, KIND, plan_id, revision))


def plan_history(store: Store, corp_id: str, plan_id: str) -> list[StoredPlan]:
    """Every revision of a plan, oldest first."""
    history = document_history(store, corp_id, KIND, plan_id)
    if not history:
        raise NotFound(f"no improvement plan {plan_id!r} in corp {corp_id}; list the plans to find its id")
    return [_stored(d) for d in history]


def list_plans(store: Store, corp_id: str, *, cycle_id: str | None = None, employee: str | None = None,
               status: PlanStatus | str | None = None) -> list[StoredPlan]:
    """Plans (newest revision each) ordered by plan id; filtered by prompting cycle, employee and status."""
    wanted = None if status is None else PlanStatus(status).value
    return [_stored(d) for d in latest_documents(store, corp_id, KIND, cycle_id=cycle_id, subject_userid=employee,
                                                 status=wanted)]


def plans_needed(store: Store, corp_id: str, cycle_id: str, grades: Iterable[str] = ("C", "D")) -> list[PlanCandidate]:
    """Released results of the cycle whose final grade is in `grades` and who have no plan from this cycle."""
    wanted = tuple(grades)
    with store.session() as s:
        _cycle_row(s, corp_id, cycle_id)
        results = {r.userid: _stored_result(r) for r in s.exec(select(PerfResult).where(
            PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
            col(PerfResult.released_at).is_not(None))).all()}
        planned = {d.subject_userid for d in latest_documents_in(s, corp_id, KIND, cycle_id=cycle_id)}
        need = rules.needing_plan({u: r.final_grade for u, r in results.items()}, planned, wanted)
        managers = {p.userid: p.manager_userid for p in s.exec(select(PerfParticipant).where(
            PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id,
            col(PerfParticipant.userid).in_(need))).all()} if need else {}
    return [PlanCandidate(u, str(results[u].final_grade), results[u].final_total, managers.get(u)) for u in need]


def overdue_plans(store: Store, corp_id: str, *, now: datetime, zone: str | tzinfo = DEFAULT_ZONE) -> list[StoredPlan]:
    """Active plans past their end day or with a task past its due day, in the org's timezone."""
    active = list_plans(store, corp_id, status=PlanStatus.ACTIVE)
    late = {p.plan_id for p in rules.open_plans_needing_attention([a.plan for a in active], now, _zone(zone))}
    return [a for a in active if a.plan.plan_id in late]


def remind_overdue_plans(store: Store, corp_id: str, *, now: datetime, zone: str | tzinfo = DEFAULT_ZONE,
                         public_url: str = "") -> int:
    """Queue today's reminder (one per person per org-local day) to each owner of an overdue task and each
    manager of a plan past its end; returns how many were newly queued (a second run the same day queues 0)."""
    tz = _zone(zone)
    today = now.astimezone(tz).date()
    with store.session() as s:
        plans = [_stored(d).plan for d in latest_documents_in(s, corp_id, KIND, status=PlanStatus.ACTIVE.value)]
        due = rules.reminders(plans, now, tz)
        return sum(queue_notice_in(s, corp_id, key=f"pip-overdue:{userid}:{today.isoformat()}", userids=[userid],
                                   msg=overdue_plan_notice(corp_id=corp_id, today=today, items=items,
                                                           public_url=public_url), now=now)
                   for userid, items in due.items())


def hand_over_plans_in(s: Session, corp_id: str, departed: str, successor: Callable[[str], str | None], *,
                       reason: str, now: datetime) -> list[tuple[StoredPlan, tuple[str, ...]]]:
    """In the caller's transaction, hand over the open plans `departed` managed or holds open tasks in:
    `successor(employee)` (when someone) becomes the manager, their open tasks pass to the plan's manager. Each
    changed plan with the task ids moved; plans still managed by `departed` are left for HR."""
    done = []
    for doc in latest_documents_in(s, corp_id, KIND):
        if doc.status not in _OPEN:
            continue
        current = _stored(doc)
        plan = current.plan
        if plan.manager != departed and all(t.owner != departed for t in plan.tasks):
            continue
        change = hand_over_plan(plan, departed, successor(plan.employee), now, reason)
        if change is None:
            continue
        new, audit = change
        moved = tuple(t.task_id for t, old in zip(new.tasks, plan.tasks, strict=True) if t.owner != old.owner)
        done.append((save_plan_in(s, corp_id, new, audit, current.revision, cycle_id=current.cycle_id,
                           interview_id=current.interview_id), moved))
    return done

