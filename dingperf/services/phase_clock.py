"""The phase clock: a cycle whose current phase reached its deadline moves on by itself, as HR would move it.

Every open cycle whose current phase has a deadline at or before `now` advances with actor "system:phase-clock"
and reason "deadline … passed"; the pure rules decide (`perf.phases.advance`), so a refused step — results
while scores are blocked or calibration unfinished — leaves the cycle where it is and tells HR once per
(cycle, phase entry, deadline), claimed by a "phase_clock" document, with the rule's own message. The clock then
leaves that phase to HR (the notice asks them to fix the cause and advance by hand): releasing results on its own
minutes after calibration is finished would surprise them. A moved deadline or a re-entered phase is tried again.

Before the phase moves on, the people who still owe work in it are escalated (`phase_reminders`).

Several phases overdue at once (a cycle created or extended with deadlines already past, or a scheduler that was
down) are all closed in the same run, each step audited on its own, until the cycle lands in a phase whose
deadline is still ahead (or has none). Only the landing phase tells its people: a phase that is over before
anyone heard of it has nobody to chase, and a notice naming a past deadline would only confuse. A step that
freezes the participant list goes through `advance_cycle` like a manual one (it refreshes the groups first).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import DomainError
from dingperf.perf.phases import advance, next_phase
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.documents import get_document_in, save_document_in
from dingperf.services.notice_queue import queue_batches_in
from dingperf.services.perf_notices import phase_close_refused_notice
from dingperf.services.phase_reminders import escalate_missed_deadline, phase_entry
from dingperf.services.phases import advance_cycle, calibration_finalised, pure_cycle
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.types import utcnow

log = logging.getLogger(__name__)

ACTOR = "system:phase-clock"
CLAIM_KIND = "phase_clock"  # one document per refused close: id `{cycle}:{phase}:{entry}:{deadline}:refused`


@dataclass
class ClockReport:
    advanced: dict[str, list[str]] = field(default_factory=dict)  # cycle id → phases entered by this run, in order
    refused: dict[str, str] = field(default_factory=dict)  # cycle id → why its overdue phase could not close
    failed: dict[str, str] = field(default_factory=dict)  # cycle id → error of a cycle that could not be handled

    def summary(self) -> str:
        """One log line: what moved, what was refused, what failed."""
        moved = ", ".join(f"{c} → {'/'.join(p)}" for c, p in self.advanced.items()) or "nothing"
        return f"advanced {moved}; refused {sorted(self.refused) or 'none'}; failed {sorted(self.failed) or 'none'}"


def _overdue(row: PerfCycle, now: datetime) -> datetime | None:
    due = (row.deadlines or {}).get(row.phase)
    if row.phase == Phase.CLOSED.value or not due:
        return None
    at = datetime.fromisoformat(due)
    return at if at <= now else None


def _reason(deadline: datetime) -> str:
    return f"deadline {deadline.isoformat()} passed"


def _step_quietly(store: Store, corp_id: str, cycle_id: str, deadline: datetime, now: datetime) -> bool:
    """Close an overdue phase whose successor is overdue too, without notices; False (nothing written) when the
    step would freeze the participant list, which only `advance_cycle` does. DomainError when refused."""
    with store.session() as s:
        row = _cycle_row(s, corp_id, cycle_id)
        new, audit = advance(pure_cycle(row), ACTOR, now, _reason(deadline),
                             calibration_finalised=calibration_finalised(s, corp_id, cycle_id))
        if new.locked_at is not None and row.locked_at is None:
            return False
        row.phase, row.updated_at = new.phase.value, now
        s.add(row)
        # The same audit entry advance_cycle writes, so times_entered and the history read it alike.
        append_audit(session=s, corp_id=corp_id, actor=audit.actor, action=f"cycle.{audit.action}",
                     subject=f"cycle:{cycle_id}", before={"phase": audit.from_state},
                     after={"phase": audit.to_state}, reason=audit.reason, at=audit.at)
        return True


def _tell_hr_refused(store: Store, corp_id: str, cycle_id: str, deadline: datetime, problem: str, *,
                     now: datetime, hr_userids: Sequence[str], public_url: str) -> bool:
    """Tell HR once per (cycle, phase entry, deadline) that the phase could not close; False if told before."""
    with store.session() as s:
        row = _cycle_row(s, corp_id, cycle_id)
        claim, problem_before = _refusal(s, row, deadline)
        if problem_before is not None:
            return False
        save_document_in(s, corp_id, CLAIM_KIND, claim, status="refused", cycle_id=cycle_id, actor=ACTOR,
                         body={"phase": row.phase, "deadline": deadline.isoformat(), "problem": problem,
                               "told": sorted(set(hr_userids))},
                         expected_revision=0, action="close_refused", reason=problem, now=now)
        if not hr_userids:
            log.warning("cycle %s: the %s deadline passed but the phase cannot close (%s) and no HR userids are "
                        "configured to tell (set [org] hr_userids)", cycle_id, row.phase, problem)
            return True
        msg = phase_close_refused_notice(corp_id=corp_id, cycle_id=cycle_id, cycle_name=row.name,
                                         timezone=row.timezone, phase=Phase(row.phase), deadline=deadline,
                                         problem=problem, public_url=public_url)
        queue_batches_in(s, corp_id, key_prefix=f"cycle:{cycle_id}:close-refused:{claim}", userids=hr_userids,
                         msg=msg, now=now)
        return True


def _refusal(s: Session, row: PerfCycle, deadline: datetime) -> tuple[str, str | None]:
    """The claim id of a refused close of the current phase entry and deadline, and its problem if claimed."""
    n, _ = phase_entry(s, row)
    claim = f"{row.cycle_id}:{row.phase}:{n}:{int(deadline.timestamp())}:refused"
    try:
        return claim, str(get_document_in(s, row.corp_id, CLAIM_KIND, claim).body.get("problem", ""))
    except NotFound:
        return claim, None


def _close_cycle(store: Store, corp_id: str, cycle_id: str, report: ClockReport, *, now: datetime,
                 hr_userids: Sequence[str], public_url: str) -> None:
    try:
        escalate_missed_deadline(store, corp_id, cycle_id, now=now, hr_userids=hr_userids, public_url=public_url)
    except Exception as exc:  # the deadline is HR's contract: the phase closes even so
        log.exception("cycle %s: escalating the late people of its phase failed; closing it anyway", cycle_id)
        report.failed[cycle_id] = f"escalation: {type(exc).__name__}: {exc}"
    while True:
        with store.session() as s:
            row = _cycle_row(s, corp_id, cycle_id)
            deadline = _overdue(row, now)
            if deadline is None:
                return
            _, problem = _refusal(s, row, deadline)
            if problem is not None:
                # HR was told to fix it and advance by hand: releasing results later on its own would surprise them.
                report.refused[cycle_id] = problem
                return
            after = next_phase(Phase(row.phase))
            successor_due = (row.deadlines or {}).get(after.value)
            landing = after is Phase.CLOSED or not successor_due or datetime.fromisoformat(successor_due) > now
        try:
            if landing or not _step_quietly(store, corp_id, cycle_id, deadline, now):
                advance_cycle(store, corp_id, cycle_id, actor=ACTOR, reason=_reason(deadline), now=now,
                              hr_userids=hr_userids, public_url=public_url)
        except DomainError as refused:
            report.refused[cycle_id] = str(refused)
            _tell_hr_refused(store, corp_id, cycle_id, deadline, str(refused), now=now, hr_userids=hr_userids,
                             public_url=public_url)
            return
        report.advanced.setdefault(cycle_id, []).append(after.value)


def close_due_phases(store: Store, corp_id: str, *, now: datetime | None = None, hr_userids: Sequence[str] = (),
                     public_url: str = "") -> ClockReport:
    """Advance every open cycle whose current phase deadline has passed (all overdue phases, notices for the
    phase it lands in); safe to run every minute. A failing cycle is reported and does not stop the others."""
    at = now or utcnow()
    with store.session() as s:
        rows = s.exec(select(PerfCycle).where(PerfCycle.corp_id == corp_id,
                                              PerfCycle.phase != Phase.CLOSED.value)).all()
        due = sorted(r.cycle_id for r in rows if _overdue(r, at) is not None)
    report = ClockReport()
    for cycle_id in due:
        try:
            _close_cycle(store, corp_id, cycle_id, report, now=at, hr_userids=hr_userids, public_url=public_url)
        except Exception as exc:  # one broken cycle must not keep the others open; the next run retries it
            log.exception("cycle %s: closing its overdue phase failed", cycle_id)
            report.failed[cycle_id] = f"{type(exc).__name__}: {exc}"
    return report
