"""Phase transitions of a stored cycle: the pure rules in `perf.phases` decide, this module loads, persists
the new phase (and the participant lock) and appends the audit entry, all in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, select

from dingperf.perf.audit import AuditRecord
from dingperf.perf.cycles import Cycle, Phase, phase_index
from dingperf.perf.errors import DomainError, ValidationError
from dingperf.perf.periods import CycleKind, Period
from dingperf.perf.phases import admin_override, advance
from dingperf.services.cycle_notices import queue_phase_notices_in
from dingperf.services.cycles import CycleRecord, _record, _row
from dingperf.services.participant_refresh import refresh_participants
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.types import utcnow

Transition = Callable[[Cycle, bool], tuple[Cycle, AuditRecord]]


def pure_cycle(row: PerfCycle) -> Cycle:
    """The pure `Cycle` of a stored row (period made half-open, deadlines parsed back to aware instants)."""
    deadlines = tuple(sorted(((Phase(p), datetime.fromisoformat(at)) for p, at in (row.deadlines or {}).items()),
                             key=lambda pair: phase_index(pair[0])))
    return Cycle(row.cycle_id, row.name, CycleKind(row.kind), Period(row.period_start, row.period_end + timedelta(days=1)),
                 row.timezone, phase=Phase(row.phase), deadlines=deadlines, locked_at=row.locked_at,
                 template_id=row.template_id, template_version=row.template_version)


def calibration_finalised(session: Session, corp_id: str, cycle_id: str) -> bool:
    """Calibration is finalised when the cycle has at least one stored result and every result is scored
    (none blocked): a blocked score has nothing to calibrate, so releasing would publish a hole."""
    statuses = session.exec(select(PerfResult.status).where(PerfResult.corp_id == corp_id,
                                                            PerfResult.cycle_id == cycle_id)).all()
    return bool(statuses) and all(status == "scored" for status in statuses)


def _locks(store: Store, corp_id: str, cycle_id: str, step: Transition) -> bool:
    """Whether `step` would freeze the participant list now (a refused step does not; _transition reports it)."""
    with store.session() as s:
        row = _row(s, corp_id, cycle_id)
        if row.locked_at is not None:
            return False
        try:
            new, _ = step(pure_cycle(row), calibration_finalised(s, corp_id, cycle_id))
        except DomainError:
            return False
        return new.locked_at is not None


def _transition(store: Store, corp_id: str, cycle_id: str, step: Transition, now: datetime,
                hr_userids: Sequence[str], public_url: str) -> CycleRecord:
    if _locks(store, corp_id, cycle_id, step):
        # The groups are re-evaluated one last time against the org as it is now, so whoever joined since the
        # last periodic refresh is in (and told about the new phase) before the list freezes.
        refresh_participants(store, corp_id, cycle_id, now=now, actor="system:phase-lock")
    with store.session() as s:
        row = _row(s, corp_id, cycle_id)
        new, audit = step(pure_cycle(row), calibration_finalised(s, corp_id, cycle_id))
        row.phase, row.updated_at = new.phase.value, now
        if new.locked_at is not None and row.locked_at is None:
            # Same semantics as lock_cycle: the participant list freezes once, and that is audited on its own.
            row.locked_at = new.locked_at
            append_audit(session=s, corp_id=corp_id, actor=audit.actor, action="cycle.lock",
                         subject=f"cycle:{cycle_id}", at=now)
        s.add(row)
        append_audit(session=s, corp_id=corp_id, actor=audit.actor, action=f"cycle.{audit.action}",
                     subject=f"cycle:{cycle_id}", before={"phase": audit.from_state},
                     after={"phase": audit.to_state}, reason=audit.reason, at=audit.at)
        s.flush()
        # Same transaction: the phase change and the notices to the people who must act commit together.
        queue_phase_notices_in(s, corp_id, row, now=now, hr_userids=hr_userids, public_url=public_url)
        return _record(row)


def advance_cycle(store: Store, corp_id: str, cycle_id: str, *, actor: str, reason: str = "",
                  now: datetime | None = None, hr_userids: Sequence[str] = (), public_url: str = "") -> CycleRecord:
    """Move the cycle to its next phase and queue notices to whoever must act in it (HR for calibration);
    closing a phase before its deadline needs a reason (TransitionError or ValidationError otherwise)."""
    at = now or utcnow()
    return _transition(store, corp_id, cycle_id,
                       lambda c, done: advance(c, actor, at, reason, calibration_finalised=done), at,
                       hr_userids, public_url)


def override_phase(store: Store, corp_id: str, cycle_id: str, to: Phase | str, *, actor: str, reason: str,
                   now: datetime | None = None, hr_userids: Sequence[str] = (), public_url: str = "") -> CycleRecord:
    """Admin jump to any phase (skip ahead or re-open) with a reason, notifying as `advance_cycle` does;
    results still wait for calibration."""
    try:
        target = Phase(to)
    except ValueError as exc:
        raise ValidationError(f"unknown phase {to!r}; use one of {[p.value for p in Phase]}") from exc
    at = now or utcnow()
    return _transition(store, corp_id, cycle_id,
                       lambda c, done: admin_override(c, target, actor, at, reason, calibration_finalised=done), at,
                       hr_userids, public_url)
