"""Reminders before a phase deadline and the escalation when it passes, claimed once per slot from the database.

A slot is (cycle, phase, how often the cycle entered that phase, the deadline, the offset). The first run that
finds a slot due claims it by saving a "phase_reminder" document whose id names the slot (a second run finds it
and does nothing), and in the same transaction queues the work notifications: one per group of people owing the
same kinds of work, in batches of 100, keys `cycle:{id}:remind:{slot}:{tasks}:{batch}`; at the deadline (offset
0) the late people are told (`...:missed:{tasks}:{batch}`) and each of their managers gets one list of names
(`...:escalated:{manager}`). A moved deadline or a re-opened phase is a new slot, so it is reminded again.

The offsets come from a "reminder_policy" document: the cycle's own (id = cycle id), else the corp's
(id "default"), else 7 days, 3 days, 1 day and the deadline (`perf.reminders.DEFAULT_POLICY`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.cycles import Phase
from dingperf.perf.reminders import (
    DEFAULT_POLICY,
    ESCALATED,
    PHASE_TASKS,
    Debt,
    ReminderPolicy,
    Task,
    due_reminder,
    escalations,
    is_escalation_due,
    owed_by,
    reminder_policy,
)
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.cycles import get_cycle
from dingperf.services.documents import get_document_in, save_document, save_document_in
from dingperf.services.notice_queue import queue_batches_in, queue_notice_in
from dingperf.services.perf_notices import phase_escalation_notice, phase_missed_notice, phase_reminder_notice
from dingperf.services.phase_debts import participant_managers, people, phase_debts
from dingperf.store.engine import NotFound, Store
from dingperf.store.tables.audit import AuditEntry
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.types import utcnow

log = logging.getLogger(__name__)

POLICY_KIND, SLOT_KIND = "reminder_policy", "phase_reminder"
CORP_DEFAULT = "default"  # document id of the corp-wide reminder policy
ACTOR = "system:phase-reminders"
_ENTERING = ("cycle.advance", "cycle.admin_override")


@dataclass
class ReminderReport:
    reminded: dict[str, int] = field(default_factory=dict)  # slot id → people reminded by this run
    escalated: dict[str, int] = field(default_factory=dict)  # cycle id → managers told by this run
    failed: dict[str, str] = field(default_factory=dict)  # cycle id → error of a cycle that could not be handled


def set_reminder_policy(store: Store, corp_id: str, cycle_id: str | None, hours_before: Sequence[int], *,
                        actor: str, now: datetime | None = None) -> ReminderPolicy:
    """Store the reminder offsets (whole hours before a deadline; 0 = escalate at it) for one cycle, or for
    the corp when cycle_id is None; ValidationError for a bad list, nothing stored."""
    policy = reminder_policy(hours_before)
    if cycle_id is not None:
        get_cycle(store, corp_id, cycle_id)  # NotFound for a typo, before anything is stored
    save_document(store, corp_id, POLICY_KIND, cycle_id or CORP_DEFAULT, status="active", cycle_id=cycle_id,
                  body={"hours_before": policy.to_hours()}, actor=actor, now=now)
    return policy


def policy_in(s: Session, corp_id: str, cycle_id: str) -> ReminderPolicy:
    """The cycle's reminder policy, else the corp's, else the default."""
    for doc_id in (cycle_id, CORP_DEFAULT):
        try:
            return reminder_policy(get_document_in(s, corp_id, POLICY_KIND, doc_id).body["hours_before"])
        except NotFound:
            continue
    return DEFAULT_POLICY


def phase_entry(s: Session, row: PerfCycle) -> tuple[int, datetime]:
    """(How often the cycle entered its current phase, when it last did): creation counts as entry 0 (the same
    count as `cycle_notices.times_entered`, so a re-opened phase is reminded again)."""
    entries = [at for at, after in s.exec(select(AuditEntry.at, AuditEntry.after).where(
        AuditEntry.corp_id == row.corp_id, AuditEntry.subject == f"cycle:{row.cycle_id}",
        col(AuditEntry.action).in_(_ENTERING))).all() if (after or {}).get("phase") == row.phase]
    return (len(entries), max(entries)) if entries else (0, row.created_at)


def _slot(row: PerfCycle, n: int, deadline: datetime, offset: timedelta) -> str:
    return f"{row.cycle_id}:{row.phase}:{n}:{int(deadline.timestamp())}:{int(offset.total_seconds() // 3600)}h"


def _claim(s: Session, row: PerfCycle, slot: str, body: dict[str, Any], action: str, now: datetime) -> None:
    # expected_revision=0: a slot someone else claimed meanwhile is refused (StaleRevision), rolling this back.
    save_document_in(s, row.corp_id, SLOT_KIND, slot, status="sent", body=body, actor=ACTOR, cycle_id=row.cycle_id,
                     expected_revision=0, action=action, now=now)


def _by_tasks(debts: Sequence[Debt]) -> dict[tuple[str, ...], list[str]]:
    """People grouped by the set of kinds of work they owe: one message text per group."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for userid, owed in owed_by(debts).items():
        groups.setdefault(tuple(sorted({d.task.value for d in owed})), []).append(userid)
    return groups


def _remind_in(s: Session, row: PerfCycle, slot: str, deadline: datetime, offset: timedelta, *,
               policy: ReminderPolicy, hr_userids: Sequence[str], public_url: str, now: datetime) -> int:
    debts = phase_debts(s, row, hr_userids)
    groups = _by_tasks(debts)
    notice = partial(phase_reminder_notice, corp_id=row.corp_id, cycle_id=row.cycle_id, cycle_name=row.name,
                     timezone=row.timezone, phase=Phase(row.phase), deadline=deadline, before=offset,
                     public_url=public_url)
    for tasks, userids in groups.items():
        escalates = policy.escalates and all(Task(t) in ESCALATED for t in tasks)
        queue_batches_in(s, row.corp_id, key_prefix=f"cycle:{row.cycle_id}:remind:{slot}:{'+'.join(tasks)}",
                         userids=userids, msg=notice(tasks=tasks, escalates=escalates), now=now)
    reminded = sum(len(u) for u in groups.values())
    _claim(s, row, slot, {"phase": row.phase, "deadline": deadline.isoformat(), "reminded": reminded},
           "remind", now)
    return reminded


def _about(builder: Any, *, row: PerfCycle, deadline: datetime, public_url: str, **extra: Any) -> dict[str, Any]:
    return builder(corp_id=row.corp_id, cycle_id=row.cycle_id, cycle_name=row.name, timezone=row.timezone,
                   phase=Phase(row.phase), deadline=deadline, public_url=public_url, **extra)


def _escalate_in(s: Session, row: PerfCycle, slot: str, deadline: datetime, *, hr_userids: Sequence[str],
                 public_url: str, now: datetime) -> int:
    debts = phase_debts(s, row, hr_userids)
    late = {d.userid for d in debts}
    known = people(s, row.corp_id, late)
    managers = {u: m for u, (_, m) in known.items()} | {
        u: m for u, m in participant_managers(s, row.corp_id, row.cycle_id).items() if u in late and m}
    told = escalations(debts, managers, fallback=hr_userids)
    about = partial(_about, row=row, deadline=deadline, public_url=public_url)
    escalated_people = {u for names in told.values() for u in names}
    for tasks, userids in _by_tasks([d for d in debts if d.userid in escalated_people and d.task in ESCALATED]).items():
        queue_batches_in(s, row.corp_id, key_prefix=f"cycle:{row.cycle_id}:missed:{slot}:{'+'.join(tasks)}",
                         userids=userids, msg=about(phase_missed_notice, tasks=tasks), now=now)
    for manager, names in told.items():
        shown = [known.get(u, (u, None))[0] or u for u in names]
        queue_notice_in(s, row.corp_id, key=f"cycle:{row.cycle_id}:escalated:{slot}:{manager}", userids=[manager],
                        msg=about(phase_escalation_notice, late=shown), now=now)
    _claim(s, row, slot, {"phase": row.phase, "deadline": deadline.isoformat(), "late": sorted(escalated_people),
                          "managers": sorted(told)}, "escalate", now)
    return len(told)


def escalate_missed_deadline(store: Store, corp_id: str, cycle_id: str, *, now: datetime,
                             hr_userids: Sequence[str] = (), public_url: str = "") -> int | None:
    """At the current phase's deadline (under the policy), tell the late people and their managers, once per
    slot; managers told, or None when nothing was due or the slot was handled before."""
    with store.session() as s:
        row = _cycle_row(s, corp_id, cycle_id)
        due = (row.deadlines or {}).get(row.phase)
        if Phase(row.phase) not in PHASE_TASKS or not due:
            return None
        deadline = datetime.fromisoformat(due)
        n, entered = phase_entry(s, row)
        if not is_escalation_due(policy_in(s, corp_id, cycle_id), deadline, entered, now):
            return None
        slot = _slot(row, n, deadline, timedelta(0))
        if _claimed(s, corp_id, slot):
            return None
        return _escalate_in(s, row, slot, deadline, hr_userids=hr_userids, public_url=public_url, now=now)


def _claimed(s: Session, corp_id: str, slot: str) -> bool:
    try:
        get_document_in(s, corp_id, SLOT_KIND, slot)
        return True
    except NotFound:
        return False


def _remind_cycle(store: Store, corp_id: str, cycle_id: str, report: ReminderReport, *, now: datetime,
                  hr_userids: Sequence[str], public_url: str) -> None:
    with store.session() as s:  # one transaction per cycle: the claim and its notices commit together
        row = _cycle_row(s, corp_id, cycle_id)
        due = (row.deadlines or {}).get(row.phase)
        if not due or Phase(row.phase) not in PHASE_TASKS:
            return  # in progress and results chase nobody: no slot to claim
        deadline = datetime.fromisoformat(due)
        n, entered = phase_entry(s, row)
        policy = policy_in(s, corp_id, cycle_id)
        offset = due_reminder(policy, deadline, entered, now)
        if offset is None:
            return
        slot = _slot(row, n, deadline, offset)
        if not _claimed(s, corp_id, slot):
            report.reminded[slot] = _remind_in(s, row, slot, deadline, offset, policy=policy, hr_userids=hr_userids,
                                               public_url=public_url, now=now)


def send_phase_reminders(store: Store, corp_id: str, *, now: datetime | None = None, hr_userids: Sequence[str] = (),
                         public_url: str = "") -> ReminderReport:
    """Remind everyone who still owes work before their phase deadline, and escalate at it, for every open
    cycle; each slot once, so running it every minute is safe. A failing cycle does not stop the others."""
    at = now or utcnow()
    with store.session() as s:
        ids = list(s.exec(select(PerfCycle.cycle_id).where(PerfCycle.corp_id == corp_id,
                                                           PerfCycle.phase != Phase.CLOSED.value)).all())
    report = ReminderReport()
    for cycle_id in sorted(ids):
        try:
            _remind_cycle(store, corp_id, cycle_id, report, now=at, hr_userids=hr_userids, public_url=public_url)
            told = escalate_missed_deadline(store, corp_id, cycle_id, now=at, hr_userids=hr_userids,
                                            public_url=public_url)
            if told is not None:
                report.escalated[cycle_id] = told
        except Exception as exc:  # one broken cycle must not silence the others; the next run retries it
            log.exception("cycle %s: deadline reminders failed", cycle_id)
            report.failed[cycle_id] = f"{type(exc).__name__}: {exc}"
    return report
