"""Escalation of appeals whose handler missed the handling deadline: once per appeal and round.

The hourly scheduler job claims the work from the database: an appeal in review past its deadline is escalated
when the outbox row telling its handler can be inserted (unique key `appeal:{id}:escalated:{round}:handler`).
The claim, the notices to the handler's manager and HR, and the `appeal.escalate` audit entry commit in one
transaction per appeal, so a second run — or a second scheduler after a restart — escalates nothing new,
while an appeal re-opened and missed again is escalated in its new round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlmodel import Session, col, select

from dingperf.perf import appeals as rules
from dingperf.perf.appeals import Appeal, AppealStatus
from dingperf.services.appeal_notices import manager_of
from dingperf.services.appeals import _appeal
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.notice_queue import queue_batches_in, queue_notice_in, recipients
from dingperf.services.perf_notices import appeal_overdue_notice
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_appeals import PerfAppeal

ACTOR = "system:appeal-escalation"


@dataclass(frozen=True)
class EscalationReport:
    overdue: int  # appeals in review past their deadline, escalated now or before
    escalated: tuple[str, ...]  # appeal ids this run escalated
    notified: tuple[str, ...]  # the handlers' managers and HR told by this run


def _overdue_ids(store: Store, corp_id: str, now: datetime) -> list[str]:
    with store.session() as s:
        rows = s.exec(select(PerfAppeal).where(PerfAppeal.corp_id == corp_id,
                                               PerfAppeal.status == AppealStatus.IN_REVIEW.value,
                                               col(PerfAppeal.deadline).is_not(None),
                                               col(PerfAppeal.deadline) < now)).all()
        return [a.appeal_id for a in rules.overdue_appeals([_appeal(r) for r in rows], now)]


def _escalate_in(s: Session, corp_id: str, appeal: Appeal, *, now: datetime, hr_userids: Sequence[str],
                 public_url: str) -> list[str] | None:
    """Escalate one overdue appeal; the userids told, or None when this round was escalated before."""
    cycle = _cycle_row(s, corp_id, appeal.cycle_id)
    # A new deadline (re-assigned) is a new SLA: escalate again when that one passes too.
    due = int(appeal.deadline.timestamp()) if appeal.deadline else 0
    prefix = f"appeal:{appeal.appeal_id}:escalated:{appeal.reopen_count}:{due}"
    notice = partial(appeal_overdue_notice, corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_name=cycle.name,
                     handler=appeal.handler, appellant=appeal.userid, deadline=appeal.deadline,
                     timezone=cycle.timezone, public_url=public_url)
    if not queue_notice_in(s, corp_id, key=f"{prefix}:handler", userids=[appeal.handler],
                           msg=notice(for_handler=True), now=now):
        return None
    people = [u for u in recipients([manager_of(s, corp_id, appeal.handler), *hr_userids]) if u != appeal.handler]
    queue_batches_in(s, corp_id, key_prefix=prefix, userids=people, now=now,
                     msg=notice(for_handler=False))
    append_audit(session=s, corp_id=corp_id, actor=ACTOR, action="appeal.escalate",
                 subject=f"appeal:{appeal.appeal_id}", before={"status": appeal.status.value},
                 after={"status": appeal.status.value, "cycle": appeal.cycle_id, "handler": appeal.handler,
                        "round": appeal.reopen_count, "notified": people},
                 reason=f"handling deadline {appeal.deadline.isoformat() if appeal.deadline else '-'} passed", at=now)
    return people


def escalate_overdue_appeals(store: Store, corp_id: str, *, now: datetime, hr_userids: Sequence[str] = (),
                             public_url: str = "") -> EscalationReport:
    """Tell the handler, the handler's manager and HR about every appeal past its handling deadline, once per
    appeal and round; safe to run as often as you like."""
    ids = _overdue_ids(store, corp_id, now)
    escalated: list[str] = []
    notified: set[str] = set()
    for appeal_id in ids:
        with store.session() as s:  # one transaction per appeal: a failure leaves the others escalated
            row = s.get(PerfAppeal, (corp_id, appeal_id))
            appeal = _appeal(row) if row is not None else None
            if appeal is None or not rules.is_overdue(appeal, now):
                continue  # decided or re-assigned since the scan
            people = _escalate_in(s, corp_id, appeal, now=now, hr_userids=hr_userids, public_url=public_url)
            if people is not None:
                escalated.append(appeal_id)
                notified.update(people)
    return EscalationReport(len(ids), tuple(escalated), tuple(sorted(notified)))
