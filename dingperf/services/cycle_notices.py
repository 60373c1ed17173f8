"""Who is told when a cycle enters a phase or releases results, queued in the transaction that made the change.

Entering a phase tells the people who must act in it (see `perf_notices.phase_audiences`). Employees learn of
their result once, from `queue_results_released_in` (release_results): entering the results phase tells only HR,
and only while some result is unreleased; the appeal window tells the released employees its deadline. Keys are
`cycle:{id}:phase:{phase}:{n}:{audience}:{batch}`, where n counts how often the cycle has entered that phase
(its audited transitions): a retried transaction writes the same keys and sends nothing twice, while an admin
re-opening the phase makes n grow and tells everyone again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import and_
from sqlmodel import Session, col, select

from dingperf.perf.cycles import Phase
from dingperf.perf.reviews import RaterType
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.documents import latest_documents_in
from dingperf.services.notice_queue import batches, queue_batches_in, queue_notice_in, recipients
from dingperf.services.perf_notices import phase_audiences, phase_notice, results_released_notice
from dingperf.store.engine import Store
from dingperf.store.tables.audit import AuditEntry
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.types import utcnow

NOMINATION = "nomination"  # document kind of 360 rater nominations; body {"rater": userid, ...}
_ENTERING = ("cycle.advance", "cycle.admin_override")


def times_entered(s: Session, corp_id: str, cycle_id: str, phase: Phase) -> int:
    """How many audited transitions brought the cycle into `phase` (0 for the phase it was created in)."""
    afters = s.exec(select(AuditEntry.after).where(AuditEntry.corp_id == corp_id,
                                                   AuditEntry.subject == f"cycle:{cycle_id}",
                                                   col(AuditEntry.action).in_(_ENTERING))).all()
    return sum(1 for after in afters if (after or {}).get("phase") == Phase(phase).value)


def _participants(s: Session, corp_id: str, cycle_id: str) -> list[str]:
    return list(s.exec(select(PerfParticipant.userid).where(PerfParticipant.corp_id == corp_id,
                                                            PerfParticipant.cycle_id == cycle_id)).all())


def _managers(s: Session, corp_id: str, cycle_id: str) -> list[str | None]:
    # The manager recorded on the participant wins; the synced address book fills the gaps.
    rows = s.exec(select(PerfParticipant.manager_userid, Employee.manager_userid).select_from(PerfParticipant)
                  .outerjoin(Employee, and_(col(Employee.corp_id) == col(PerfParticipant.corp_id),
                                            col(Employee.userid) == col(PerfParticipant.userid)))
                  .where(PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id)).all()
    return [own or synced for own, synced in rows]


def _raters(s: Session, corp_id: str, cycle_id: str) -> list[str | None]:
    # Nominations may not exist at all yet: no documents simply means no 360 raters to tell. Approved means
    # not yet rated ("submitted" is done); self and manager nominations are told as participant and manager.
    docs = latest_documents_in(s, corp_id, NOMINATION, cycle_id=cycle_id, status="approved")
    return [d.body.get("rater") if isinstance(d.body.get("rater"), str) else None for d in docs
            if d.body.get("rater_type") not in (RaterType.SELF.value, RaterType.MANAGER.value)]


def _released(s: Session, corp_id: str, cycle_id: str) -> list[str]:
    return list(s.exec(select(PerfResult.userid).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
                                                       col(PerfResult.released_at).is_not(None))).all())


def _unreleased(s: Session, corp_id: str, cycle_id: str) -> bool:
    return s.exec(select(PerfResult.userid).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
                                                  col(PerfResult.released_at).is_(None)).limit(1)).first() is not None


def phase_recipients(s: Session, corp_id: str, cycle_id: str, phase: Phase,
                     hr_userids: Sequence[str] = ()) -> dict[str, list[str]]:
    """Audience → distinct userids who must act when the cycle is in `phase` (empty audiences left out)."""
    found: dict[str, Iterable[str | None]] = {}
    for audience in phase_audiences(phase):
        if audience == "participant":
            releasing = Phase(phase) in (Phase.RESULTS, Phase.APPEAL_WINDOW)
            found[audience] = _released(s, corp_id, cycle_id) if releasing else _participants(s, corp_id, cycle_id)
        elif audience == "manager":
            found[audience] = _managers(s, corp_id, cycle_id)
        elif audience == "rater":
            found[audience] = _raters(s, corp_id, cycle_id)
        elif audience == "hr":
            waiting = Phase(phase) is not Phase.RESULTS or _unreleased(s, corp_id, cycle_id)
            found[audience] = hr_userids if waiting else ()
    return {audience: people for audience, people in ((a, recipients(p)) for a, p in found.items()) if people}


def queue_phase_notices_in(s: Session, corp_id: str, row: PerfCycle, *, now: datetime,
                           hr_userids: Sequence[str] = (), public_url: str = "") -> int:
    """Queue the notices of the phase the cycle is in now (its latest entry); how many outbox rows were new."""
    phase = Phase(row.phase)
    n = times_entered(s, corp_id, row.cycle_id, phase)
    due = (row.deadlines or {}).get(phase.value)
    queued = 0
    for audience, people in phase_recipients(s, corp_id, row.cycle_id, phase, hr_userids).items():
        msg = phase_notice(corp_id=corp_id, cycle_id=row.cycle_id, cycle_name=row.name, timezone=row.timezone,
                           phase=phase, audience=audience, deadline=datetime.fromisoformat(due) if due else None,
                           entered_at=row.updated_at or now, public_url=public_url)
        for b, batch in enumerate(batches(people)):
            queued += queue_notice_in(s, corp_id, key=f"cycle:{row.cycle_id}:phase:{phase.value}:{n}:{audience}:{b}",
                                      userids=batch, msg=msg, now=now)
    return queued


def queue_phase_notices(store: Store, corp_id: str, cycle_id: str, *, hr_userids: Sequence[str] = (),
                        public_url: str = "", now: datetime | None = None) -> int:
    """(Re-)queue the current phase's notices in their own transaction; nothing new if they were queued."""
    with store.session() as s:
        return queue_phase_notices_in(s, corp_id, _cycle_row(s, corp_id, cycle_id), now=now or utcnow(),
                                      hr_userids=hr_userids, public_url=public_url)


def queue_results_released_in(s: Session, corp_id: str, cycle_id: str, userids: Sequence[str], *, now: datetime,
                              public_url: str = "") -> int:
    """Queue "your result is out, please acknowledge" to the employees released at `now`; rows queued."""
    row = _cycle_row(s, corp_id, cycle_id)
    msg = results_released_notice(corp_id=corp_id, cycle_id=cycle_id, cycle_name=row.name, timezone=row.timezone,
                                  released_at=now, public_url=public_url)
    return queue_batches_in(s, corp_id, key_prefix=f"cycle:{cycle_id}:released:{now.isoformat()}", userids=userids,
                            msg=msg, now=now)
