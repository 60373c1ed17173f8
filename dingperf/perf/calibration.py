"""Calibration sessions (校准): the grades of one calibration group, moves with reasons (audited),
live feedback against quotas and guidelines, finalisation (soft warnings or hard enforcement), and
result release only after finalisation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.audit import AuditRecord, record, require_aware, require_reason, transition_error
from dingperf.perf.errors import ValidationError
from dingperf.perf.quotas import (
    Guideline,
    GuidelineCheck,
    Rounding,
    allocate_quotas,
    check_guidelines,
    quota_feedback,
)


class Enforcement(StrEnum):
    SOFT = "soft"  # finalising with violations is allowed; the warnings are recorded
    HARD = "hard"  # finalising with violations is refused


class SessionStatus(StrEnum):
    OPEN = "open"
    FINALISED = "finalised"


@dataclass(frozen=True)
class CalibrationMove:
    userid: str
    from_grade: str
    to_grade: str
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class DistributionFeedback:
    """What the screen shows live: per-grade add/remove against quotas, and guideline checks."""

    counts: dict[str, int]
    quota_deltas: dict[str, int]
    guideline_checks: tuple[GuidelineCheck, ...]

    @property
    def violations(self) -> tuple[str, ...]:
        out = []
        for grade, delta in self.quota_deltas.items():
            if delta > 0:
                out.append(f"{grade}: add {delta} (quota {self.counts.get(grade, 0) + delta}, now {self.counts.get(grade, 0)})")
            elif delta < 0:
                out.append(f"{grade}: remove {-delta} (quota {self.counts.get(grade, 0) + delta}, now {self.counts.get(grade, 0)})")
        out += [c.message for c in self.guideline_checks if not c.ok]
        return tuple(out)


@dataclass(frozen=True)
class CalibrationSession:
    session_id: str
    group_id: str
    grade_order: tuple[str, ...]
    original: tuple[tuple[str, str], ...]
    grades: tuple[tuple[str, str], ...]
    quotas: tuple[tuple[str, int], ...] = ()
    guidelines: tuple[Guideline, ...] = ()
    enforcement: Enforcement = Enforcement.SOFT
    rounding: Rounding = Rounding.NEAREST
    status: SessionStatus = SessionStatus.OPEN
    moves: tuple[CalibrationMove, ...] = ()
    warnings: tuple[str, ...] = ()

    def grade_of(self, userid: str) -> str:
        try:
            return dict(self.grades)[userid]
        except KeyError:
            raise ValidationError(f"{userid} is not in calibration group {self.group_id}") from None

    def counts(self) -> dict[str, int]:
        c = Counter(g for _, g in self.grades)
        return {g: c.get(g, 0) for g in self.grade_order}


def open_session(session_id: str, group_id: str, grades: Mapping[str, str], grade_order: Sequence[str], *,
                 shares: Mapping[str, Decimal | int | str] | None = None, guidelines: Sequence[Guideline] = (),
                 enforcement: Enforcement = Enforcement.SOFT,
                 rounding: Rounding = Rounding.NEAREST) -> CalibrationSession:
    """Start calibrating ``{userid: grade}`` (the grades from score bands); ``shares`` force a distribution."""
    order = tuple(grade_order)
    bad = sorted({g for g in grades.values() if g not in order})
    if bad:
        raise ValidationError(f"grades {bad} are not in the grade scale {list(order)}")
    for gl in guidelines:
        unknown = [g for g in gl.grades if g not in order]
        if unknown:
            raise ValidationError(f"guideline {gl.label} names unknown grades {unknown}")
    quotas: tuple[tuple[str, int], ...] = ()
    if shares is not None:
        if list(shares) != [g for g in order if g in shares]:
            raise ValidationError(f"declare shares in grade order {list(order)}")
        quotas = tuple(allocate_quotas(len(grades), shares).items())
    pairs = tuple(sorted(grades.items()))
    return CalibrationSession(session_id, group_id, order, pairs, pairs, quotas, tuple(guidelines),
                              Enforcement(enforcement), Rounding(rounding))


def feedback(session: CalibrationSession) -> DistributionFeedback:
    """Live add/remove hints for the current grades."""
    counts = session.counts()
    deltas = quota_feedback(counts, dict(session.quotas)) if session.quotas else {}
    return DistributionFeedback(counts, deltas, check_guidelines(counts, session.guidelines, session.rounding))


def move(session: CalibrationSession, userid: str, to_grade: str, actor: str, now: datetime,
         reason: str) -> tuple[CalibrationSession, AuditRecord]:
    """Change one person's grade; a reason is always required."""
    if session.status is not SessionStatus.OPEN:
        raise transition_error(f"calibration session {session.session_id}", session.status.value, "move",
                               ("reopen with a reason",))
    text = require_reason(reason, f"move {userid} to {to_grade}")
    if to_grade not in session.grade_order:
        raise ValidationError(f"grade {to_grade!r} is not in the scale {list(session.grade_order)}")
    before = session.grade_of(userid)
    if before == to_grade:
        raise ValidationError(f"{userid} already has grade {to_grade}")
    grades = tuple((u, to_grade if u == userid else g) for u, g in session.grades)
    mv = CalibrationMove(userid, before, to_grade, actor, text, require_aware(now))
    new = replace(session, grades=grades, moves=(*session.moves, mv))
    return new, record(actor, f"calibrate:{userid}", before, to_grade, now, text)


def finalise(session: CalibrationSession, actor: str, now: datetime,
             reason: str = "") -> tuple[CalibrationSession, AuditRecord]:
    """Close the session. Hard enforcement refuses violations; soft records them as warnings."""
    if session.status is not SessionStatus.OPEN:
        raise transition_error(f"calibration session {session.session_id}", session.status.value, "finalise",
                               ("reopen with a reason",))
    violations = feedback(session).violations
    if violations and session.enforcement is Enforcement.HARD:
        raise ValidationError("the distribution breaks the enforced quotas: " + "; ".join(violations))
    if violations:
        reason = require_reason(reason, "finalise with distribution warnings")
    new = replace(session, status=SessionStatus.FINALISED, warnings=violations)
    text = reason if not violations else f"{reason} [warnings: {'; '.join(violations)}]"
    return new, record(actor, "finalise", session.status.value, new.status.value, now, text)


def reopen(session: CalibrationSession, actor: str, now: datetime, reason: str) -> tuple[CalibrationSession, AuditRecord]:
    """Re-open a finalised session (e.g. an accepted appeal needs a swap); reason required."""
    if session.status is not SessionStatus.FINALISED:
        raise transition_error(f"calibration session {session.session_id}", session.status.value, "reopen",
                               ("move", "finalise"))
    text = require_reason(reason, "reopen calibration")
    new = replace(session, status=SessionStatus.OPEN, warnings=())
    return new, record(actor, "reopen", session.status.value, new.status.value, now, text)


def release_results(session: CalibrationSession) -> dict[str, str]:
    """Final grades ``{userid: grade}``; refused until the session is finalised."""
    if session.status is not SessionStatus.FINALISED:
        raise transition_error(f"calibration session {session.session_id}", session.status.value,
                               "release results", ("finalise",))
    return dict(session.grades)


def all_finalised(sessions: Sequence[CalibrationSession]) -> bool:
    """Whether every calibration group of a cycle is finalised (the cycle may then enter results)."""
    return bool(sessions) and all(s.status is SessionStatus.FINALISED for s in sessions)
