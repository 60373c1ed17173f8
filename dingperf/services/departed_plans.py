"""A leaver's own open improvement plan closes with the neutral outcome 'employee_left'; its manager and HR are
told. Part of services.departures.handle_departure (same transaction); a second run finds the plan closed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from dingperf.perf import departures as rules
from dingperf.perf.improvement import plan_from_dict
from dingperf.services import departure_notices as wording
from dingperf.services.documents import latest_documents_in
from dingperf.services.improvement_plans import KIND as PLAN
from dingperf.services.improvement_plans import save_plan_in
from dingperf.services.notice_queue import queue_batches_in


def close_departed_plans_in(s: Session, corp_id: str, employee: str, left_on: date, *, reason: str, now: datetime,
                            hr_userids: Sequence[str], public_url: str) -> tuple[list[str], int]:
    """In the caller's transaction, close `employee`'s open plans as 'employee_left'. Plan ids closed, notices
    newly queued."""
    closed: list[str] = []
    notices = 0
    for doc in latest_documents_in(s, corp_id, PLAN, subject_userid=employee):
        plan = plan_from_dict(doc.body)
        change = rules.close_for_departure(plan, employee, now, reason)
        if change is None:
            continue
        new, audit = change
        save_plan_in(s, corp_id, new, audit, doc.revision, cycle_id=doc.cycle_id,
                     interview_id=doc.body.get("interview_id"))
        closed.append(plan.plan_id)
        # The manager is told even if they left too; the sender skips departed recipients.
        to = list(dict.fromkeys([*([plan.manager] if plan.manager != employee else []), *hr_userids]))
        msg = wording.plan_closed_notice(corp_id=corp_id, employee=employee, left_on=left_on, plan_id=plan.plan_id,
                                         public_url=public_url)
        digest = hashlib.sha1(f"{employee}|{plan.plan_id}".encode()).hexdigest()[:24]
        notices += queue_batches_in(s, corp_id, key_prefix=f"departure:plan-closed:{digest}", userids=to, msg=msg,
                                    now=now)
    return closed, notices
