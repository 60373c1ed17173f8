"""Phase transitions of a cycle: one step at a time, audited; skips and re-opens only through an
explicit admin override with a reason; results only after calibration is finalised, and released only once
the cycle has reached calibration.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from dingperf.perf.audit import AuditRecord, record, require_aware, require_reason, transition_error
from dingperf.perf.cycles import PHASE_ORDER, Cycle, Phase, phase_index, validate_deadlines
from dingperf.perf.errors import TransitionError, ValidationError


def next_phase(phase: Phase) -> Phase:
    """The phase after ``phase``; closed has none."""
    i = phase_index(phase)
    if i + 1 >= len(PHASE_ORDER):
        raise TransitionError("the cycle is 'closed': nothing follows; allowed from here: nothing (terminal state)")
    return PHASE_ORDER[i + 1]


def _enter(cycle: Cycle, to: Phase, now: datetime, calibration_finalised: bool) -> Cycle:
    releasing = to in (Phase.RESULTS, Phase.APPEAL_WINDOW)  # closing without results releases nothing
    if releasing and not calibration_finalised and phase_index(cycle.phase) < phase_index(Phase.RESULTS):
        raise TransitionError(
            f"cycle {cycle.cycle_id} is '{cycle.phase.value}': cannot release results before calibration is "
            "finalised; finalise every calibration group first"
        )
    locked_at = cycle.locked_at
    if locked_at is None and phase_index(to) >= phase_index(cycle.lock_phase):
        locked_at = now
    return replace(cycle, phase=to, locked_at=locked_at)


def advance(cycle: Cycle, actor: str, now: datetime, reason: str = "", *,
            calibration_finalised: bool = False) -> tuple[Cycle, AuditRecord]:
    """Move to the next phase; before the current phase's deadline this closes it early and needs a reason."""
    require_aware(now)
    if cycle.phase is Phase.CLOSED:
        raise transition_error(f"cycle {cycle.cycle_id}", cycle.phase.value, "advance", ())
    to = next_phase(cycle.phase)
    due = cycle.deadline(cycle.phase)
    if due is not None and now < due:
        reason = require_reason(reason, f"close {cycle.phase.value} before its deadline {due.isoformat()}")
    new = _enter(cycle, to, now, calibration_finalised)
    return new, record(actor, "advance", cycle.phase.value, to.value, now, reason)


def admin_override(cycle: Cycle, to: Phase, actor: str, now: datetime, reason: str, *,
                   calibration_finalised: bool = False) -> tuple[Cycle, AuditRecord]:
    """Jump to any other phase (skip ahead or re-open). Participants stay frozen once locked."""
    to = Phase(to)
    text = require_reason(reason, f"admin override from {cycle.phase.value} to {to.value}")
    if to is cycle.phase:
        raise TransitionError(f"cycle {cycle.cycle_id} is already '{to.value}'; nothing to override")
    if cycle.phase is Phase.CLOSED:
        raise transition_error(f"cycle {cycle.cycle_id}", cycle.phase.value, "admin_override", ())
    new = _enter(cycle, to, require_aware(now), calibration_finalised)
    return new, record(actor, "admin_override", cycle.phase.value, to.value, now, text)


def set_deadline(cycle: Cycle, phase: Phase, at: datetime, actor: str, now: datetime,
                 reason: str) -> tuple[Cycle, AuditRecord]:
    """Move one phase deadline (e.g. extend self review), audited, keeping deadlines in order."""
    text = require_reason(reason, "move a deadline")
    old = cycle.deadline(phase)
    pairs = tuple((p, a) for p, a in cycle.deadlines if p is not Phase(phase)) + ((Phase(phase), at),)
    validate_deadlines(pairs)
    pairs = tuple(sorted(pairs, key=lambda x: phase_index(x[0])))
    new = replace(cycle, deadlines=pairs)
    before = old.isoformat() if old else "none"
    return new, record(actor, f"set_deadline:{Phase(phase).value}", before, at.isoformat(), now, text)


def require_phase(cycle: Cycle, phase: Phase, now: datetime) -> None:
    """Gate an action (submit a self review...) to its phase and deadline."""
    if cycle.phase is not Phase(phase):
        raise TransitionError(
            f"cycle {cycle.cycle_id} is '{cycle.phase.value}': this can only be done during '{Phase(phase).value}'"
        )
    due = cycle.deadline(phase)
    if due is not None and require_aware(now) >= due:
        raise ValidationError(
            f"the {Phase(phase).value} deadline of cycle {cycle.cycle_id} passed at {due.isoformat()}; "
            "ask HR to extend it"
        )


# Releasing is the act that closes calibration (grades can no longer move), so it is allowed in calibration itself
# once HR is satisfied, and later for results that were still blocked then; never earlier, never once closed.
RELEASE_PHASES: tuple[Phase, ...] = (Phase.CALIBRATION, Phase.RESULTS, Phase.APPEAL_WINDOW)


def require_release_phase(cycle: Cycle) -> None:
    """Gate releasing results: the cycle must be in calibration, results or its appeal window (TransitionError)."""
    if cycle.phase is Phase.CLOSED:
        raise TransitionError(
            f"cycle {cycle.cycle_id}: the cycle is closed, so no more results can be released; an admin can re-open "
            "it (override the phase to results, with a reason) to release them"
        )
    if cycle.phase not in RELEASE_PHASES:
        raise TransitionError(
            f"cycle {cycle.cycle_id} is '{cycle.phase.value}': results are released only once the cycle has reached "
            "calibration; advance the cycle to calibration (or have an admin override the phase, with a reason), "
            "check the grades there, then release"
        )


def is_past_deadline(cycle: Cycle, now: datetime) -> bool:
    """Whether the current phase's deadline has passed (the scheduler then advances it)."""
    due = cycle.deadline(cycle.phase)
    return due is not None and require_aware(now) >= due


def due_for_advance(cycles: Iterable[Cycle], now: datetime) -> tuple[Cycle, ...]:
    """Open cycles whose current phase deadline has passed."""
    return tuple(c for c in cycles if c.phase is not Phase.CLOSED and is_past_deadline(c, now))
