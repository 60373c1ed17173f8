"""Appeals (申诉): filed inside the appeal window, naming what is contested (indicator, rater or total);
assigned to a handler with a deadline; accepted (new score, reason, quota check) or rejected (reason);
re-opened at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.audit import AuditRecord, record, require_aware, require_reason, transition_error
from dingperf.perf.errors import TransitionError, ValidationError

MAX_REOPENS = 1


class AppealSubject(StrEnum):
    INDICATOR = "indicator"
    RATER = "rater"
    TOTAL = "total"


@dataclass(frozen=True)
class AppealTarget:
    """What is contested: an indicator id, a rater (type or userid), or the total."""

    subject: AppealSubject
    ref: str = ""

    def __post_init__(self) -> None:
        if self.subject is not AppealSubject.TOTAL and not self.ref.strip():
            raise ValidationError(f"an appeal against a{'n' if self.subject is AppealSubject.INDICATOR else ''} "
                                  f"{self.subject.value} must name which one")


class AppealStatus(StrEnum):
    FILED = "filed"
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


_ALLOWED = {
    AppealStatus.FILED: ("assign",),
    AppealStatus.IN_REVIEW: ("accept", "reject", "assign", "unassign"),
    AppealStatus.ACCEPTED: ("reopen",),
    AppealStatus.REJECTED: ("reopen",),
}


@dataclass(frozen=True)
class AppealWindow:
    opens_at: datetime
    closes_at: datetime

    def __post_init__(self) -> None:
        if require_aware(self.closes_at, "closes_at") <= require_aware(self.opens_at, "opens_at"):
            raise ValidationError("the appeal window must close after it opens")

    def require_open(self, now: datetime) -> None:
        if not (self.opens_at <= require_aware(now) < self.closes_at):
            raise ValidationError(
                f"the appeal window is {self.opens_at.isoformat()} – {self.closes_at.isoformat()}; "
                f"it is not open at {now.isoformat()}"
            )


@dataclass(frozen=True)
class QuotaImpact:
    """What accepting an appeal does to the calibrated distribution."""

    grade_before: str
    grade_after: str
    count_after: int
    quota: int | None
    breaks_quota: bool

    @property
    def message(self) -> str:
        if self.grade_before == self.grade_after:
            return f"grade stays {self.grade_after}; the distribution is unchanged"
        if self.quota is None:
            return f"{self.grade_before} → {self.grade_after}; grade {self.grade_after} has no quota"
        if self.breaks_quota:
            return (f"{self.grade_before} → {self.grade_after} breaks the quota: {self.grade_after} would hold "
                    f"{self.count_after} of {self.quota} seats; a swap or a recorded exception is needed")
        return f"{self.grade_before} → {self.grade_after} fits: {self.count_after} of {self.quota} seats"


def quota_impact(grades: Mapping[str, str], quotas: Mapping[str, int], userid: str, new_grade: str) -> QuotaImpact:
    """Check a grade change against the calibrated quotas of the person's calibration group."""
    if userid not in grades:
        raise ValidationError(f"{userid} is not in this calibration group")
    before = grades[userid]
    count = sum(1 for u, g in grades.items() if g == new_grade and u != userid) + 1
    quota = quotas.get(new_grade)
    breaks = before != new_grade and quota is not None and count > quota
    return QuotaImpact(before, new_grade, count, quota, breaks)


@dataclass(frozen=True)
class Appeal:
    appeal_id: str
    cycle_id: str
    userid: str
    target: AppealTarget
    statement: str
    score_before: Decimal
    filed_at: datetime
    status: AppealStatus = AppealStatus.FILED
    handler: str = ""
    deadline: datetime | None = None
    new_score: Decimal | None = None
    decision_reason: str = ""
    quota_impact: QuotaImpact | None = None
    decided_at: datetime | None = None
    reopen_count: int = 0


def _guard(appeal: Appeal, action: str) -> None:
    if action not in _ALLOWED[appeal.status]:
        raise transition_error(f"appeal {appeal.appeal_id}", appeal.status.value, action, _ALLOWED[appeal.status])


def file_appeal(appeal_id: str, cycle_id: str, userid: str, target: AppealTarget, statement: str,
                score_before: Decimal, window: AppealWindow, now: datetime) -> tuple[Appeal, AuditRecord]:
    """File an appeal inside the window; the statement says what is wrong."""
    window.require_open(now)
    text = require_reason(statement, "file an appeal")
    appeal = Appeal(appeal_id, cycle_id, userid, target, text, Decimal(score_before), now)
    return appeal, record(userid, "file", "none", AppealStatus.FILED.value, now, text)


def assign(appeal: Appeal, handler: str, deadline: datetime, actor: str, now: datetime) -> tuple[Appeal, AuditRecord]:
    """Give the appeal a handler (not the appellant) and a deadline in the future."""
    _guard(appeal, "assign")
    if handler == appeal.userid:
        raise ValidationError(f"{handler} filed appeal {appeal.appeal_id} and cannot handle it")
    if require_aware(deadline, "deadline") <= require_aware(now):
        raise ValidationError(f"the handling deadline {deadline.isoformat()} is not in the future")
    new = replace(appeal, status=AppealStatus.IN_REVIEW, handler=handler, deadline=deadline)
    return new, record(actor, "assign", appeal.status.value, new.status.value, now,
                       f"handler {handler}, due {deadline.isoformat()}")


def unassign(appeal: Appeal, actor: str, now: datetime, reason: str) -> tuple[Appeal, AuditRecord]:
    """Take an appeal in review back from its handler (who left, say): it waits to be assigned again."""
    _guard(appeal, "unassign")
    text = require_reason(reason, "unassign an appeal")
    new = replace(appeal, status=AppealStatus.FILED, handler="", deadline=None)
    return new, record(actor, "unassign", appeal.status.value, new.status.value, now, text)


def _require_handler(appeal: Appeal, actor: str) -> None:
    if actor != appeal.handler:
        raise ValidationError(f"only the handler {appeal.handler} decides appeal {appeal.appeal_id}, not {actor}")


def accept(appeal: Appeal, actor: str, now: datetime, new_score: Decimal, reason: str,
           impact: QuotaImpact) -> tuple[Appeal, AuditRecord]:
    """Accept with a new score and reason; the quota impact is recorded and reported, never hidden."""
    _guard(appeal, "accept")
    _require_handler(appeal, actor)
    text = require_reason(reason, "accept an appeal")
    new = replace(appeal, status=AppealStatus.ACCEPTED, new_score=Decimal(new_score), decision_reason=text,
                  quota_impact=impact, decided_at=require_aware(now))
    note = f"{text}; score {appeal.score_before} → {new_score}; {impact.message}"
    return new, record(actor, "accept", appeal.status.value, new.status.value, now, note)


def reject(appeal: Appeal, actor: str, now: datetime, reason: str) -> tuple[Appeal, AuditRecord]:
    """Reject with a reason the appellant will read."""
    _guard(appeal, "reject")
    _require_handler(appeal, actor)
    text = require_reason(reason, "reject an appeal")
    new = replace(appeal, status=AppealStatus.REJECTED, decision_reason=text, decided_at=require_aware(now))
    return new, record(actor, "reject", appeal.status.value, new.status.value, now, text)


def reopen(appeal: Appeal, actor: str, now: datetime, reason: str, window: AppealWindow) -> tuple[Appeal, AuditRecord]:
    """The appellant re-opens a decided appeal once, inside the window; it goes back to be assigned."""
    _guard(appeal, "reopen")
    if actor != appeal.userid:
        raise ValidationError(f"only {appeal.userid} can re-open their appeal")
    if appeal.reopen_count >= MAX_REOPENS:
        raise TransitionError(f"appeal {appeal.appeal_id} was already re-opened once; one re-open is allowed")
    window.require_open(now)
    text = require_reason(reason, "re-open an appeal")
    new = replace(appeal, status=AppealStatus.FILED, reopen_count=appeal.reopen_count + 1, handler="",
                  deadline=None, decided_at=None)
    return new, record(actor, "reopen", appeal.status.value, new.status.value, now, text)


def is_overdue(appeal: Appeal, now: datetime) -> bool:
    """In review past its handling deadline (escalate to the handler's manager)."""
    return (appeal.status is AppealStatus.IN_REVIEW and appeal.deadline is not None
            and require_aware(now) > appeal.deadline)


def overdue_appeals(appeals: Iterable[Appeal], now: datetime) -> tuple[Appeal, ...]:
    """Overdue appeals, longest overdue first."""
    late = [a for a in appeals if is_overdue(a, now)]
    return tuple(sorted(late, key=lambda a: (a.deadline, a.appeal_id)))
