"""Who is told when an appeal moves, queued inside the transaction of the step (file, assign, decide, re-open).

Keys name the appeal, the step and the appeal's round (its re-open count), so a retried step sends nothing
twice while the second round after a re-open is told again: `appeal:{id}:{step}:{round}[:{detail}]:{batch}`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, select

from dingperf.perf.appeals import MAX_REOPENS, Appeal, AppealStatus
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.notice_queue import queue_batches_in
from dingperf.services.perf_notices import (
    appeal_accepted_notice,
    appeal_assigned_notice,
    appeal_filed_notice,
    appeal_rejected_notice,
    appeal_reopened_notice,
)
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_participants import PerfParticipant

log = logging.getLogger(__name__)


def manager_of(s: Session, corp_id: str, userid: str, cycle_id: str | None = None) -> str | None:
    """The person's manager: as recorded on the cycle's participant row, else from the synced address book."""
    if cycle_id is not None:
        participant = s.get(PerfParticipant, (corp_id, cycle_id, userid))
        if participant is not None and participant.manager_userid:
            return participant.manager_userid
    return s.exec(select(Employee.manager_userid).where(Employee.corp_id == corp_id,
                                                        Employee.userid == userid)).first()


def _key(appeal: Appeal, step: str, detail: str = "") -> str:
    return f"appeal:{appeal.appeal_id}:{step}:{appeal.reopen_count}" + (f":{detail}" if detail else "")


def queue_filed_in(s: Session, corp_id: str, appeal: Appeal, *, hr_userids: Sequence[str], now: datetime,
                   public_url: str = "") -> int:
    """HR (or, when no HR userids are configured, the appellant's manager) must assign a handler."""
    cycle = _cycle_row(s, corp_id, appeal.cycle_id)
    people = list(hr_userids) or [manager_of(s, corp_id, appeal.userid, appeal.cycle_id)]
    if not any(people):
        log.warning("appeal %s: no HR userids configured and %s has no manager; nobody was told to assign a "
                    "handler (set [org] hr_userids)", appeal.appeal_id, appeal.userid)
    msg = appeal_filed_notice(corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_name=cycle.name,
                              appellant=appeal.userid, statement=appeal.statement, public_url=public_url)
    return queue_batches_in(s, corp_id, key_prefix=_key(appeal, "filed"), userids=people, msg=msg, now=now)


def queue_assigned_in(s: Session, corp_id: str, appeal: Appeal, *, now: datetime, public_url: str = "") -> int:
    """The handler owns the appeal until its deadline; a re-assignment (other handler or deadline) tells again."""
    cycle = _cycle_row(s, corp_id, appeal.cycle_id)
    due = appeal.deadline.isoformat() if appeal.deadline else ""
    detail = hashlib.sha1(f"{appeal.handler}|{due}".encode()).hexdigest()[:12]  # keys stay within 128 characters
    msg = appeal_assigned_notice(corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_name=cycle.name,
                                 appellant=appeal.userid, statement=appeal.statement, deadline=appeal.deadline,
                                 timezone=cycle.timezone, public_url=public_url)
    return queue_batches_in(s, corp_id, key_prefix=_key(appeal, "assigned", detail), userids=[appeal.handler],
                            msg=msg, now=now)


def queue_decided_in(s: Session, corp_id: str, appeal: Appeal, *, grade: str | None = None, now: datetime,
                     public_url: str = "") -> int:
    """The appellant reads the decision: the new score and grade when accepted, the reason either way."""
    cycle = _cycle_row(s, corp_id, appeal.cycle_id)
    if appeal.new_score is not None and appeal.status is AppealStatus.ACCEPTED:
        msg = appeal_accepted_notice(corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_name=cycle.name,
                                     score_before=appeal.score_before, new_score=appeal.new_score,
                                     grade=grade or "—", reason=appeal.decision_reason, public_url=public_url)
    else:
        msg = appeal_rejected_notice(corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_name=cycle.name,
                                     reason=appeal.decision_reason, can_reopen=appeal.reopen_count < MAX_REOPENS,
                                     public_url=public_url)
    return queue_batches_in(s, corp_id, key_prefix=_key(appeal, appeal.status.value), userids=[appeal.userid],
                            msg=msg, now=now)


def queue_reopened_in(s: Session, corp_id: str, appeal: Appeal, *, previous_handler: str, reason: str,
                      now: datetime, public_url: str = "") -> int:
    """The handler who decided is told the appellant re-opened it (the appeal waits for a handler again)."""
    cycle = _cycle_row(s, corp_id, appeal.cycle_id)
    msg = appeal_reopened_notice(corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_name=cycle.name,
                                 appellant=appeal.userid, reason=reason, round_no=appeal.reopen_count + 1,
                                 public_url=public_url)
    return queue_batches_in(s, corp_id, key_prefix=_key(appeal, "reopened"), userids=[previous_handler], msg=msg,
                            now=now)
