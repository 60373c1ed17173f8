"""Goals (KPI, OKR objective, MBO; BSC perspective as a grouping) and their lifecycle.

draft → pending_confirmation → confirmed | pushed_back (reason) → adjustment_pending → confirmed
(with a new target version) → closed. Every move returns ``(new_goal, AuditRecord)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.audit import AuditRecord, record, require_reason, transition_error
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import Direction, TargetVersion, validate_versions
from dingperf.perf.okr import KeyResult, validate_key_results
from dingperf.perf.periods import Period


class GoalKind(StrEnum):
    KPI = "kpi"
    OKR = "okr"
    MBO = "mbo"


class BscPerspective(StrEnum):
    FINANCIAL = "financial"
    CUSTOMER = "customer"
    INTERNAL_PROCESS = "internal_process"
    LEARNING_GROWTH = "learning_growth"


class GoalLevel(StrEnum):
    COMPANY = "company"
    DEPARTMENT = "department"
    TEAM = "team"
    PERSON = "person"


class GoalStatus(StrEnum):
    DRAFT = "draft"
    PENDING_CONFIRMATION = "pending_confirmation"
    CONFIRMED = "confirmed"
    PUSHED_BACK = "pushed_back"
    ADJUSTMENT_PENDING = "adjustment_pending"
    CLOSED = "closed"


@dataclass(frozen=True)
class AdjustmentRequest:
    """A proposed new target version awaiting approval."""

    proposed: TargetVersion
    requested_by: str
    requested_at: datetime
    reason: str


@dataclass(frozen=True)
class Goal:
    """One goal of one owner in one period. KPI needs target versions; OKR needs key results; MBO needs a
    completion criterion (``criteria``), may have a numeric target and a ``due`` day inside the period."""

    goal_id: str
    owner: str
    title: str
    kind: GoalKind
    period: Period
    weight: Decimal = Decimal(100)
    level: GoalLevel = GoalLevel.PERSON
    perspective: BscPerspective | None = None
    parent_id: str | None = None
    alignment_weight: Decimal = Decimal(1)
    unit: str = ""
    description: str = ""
    versions: tuple[TargetVersion, ...] = ()
    key_results: tuple[KeyResult, ...] = ()
    status: GoalStatus = GoalStatus.DRAFT
    sent_by: str = ""
    push_back_reason: str = ""
    pending_adjustment: AdjustmentRequest | None = None
    cycle_id: str = ""
    criteria: str = ""
    due: date | None = None
    cancelled: bool = False  # closed before it was ever confirmed: it no longer counts on the sheet

    def __post_init__(self) -> None:
        if not self.goal_id or not self.owner or not self.title.strip():
            raise ValidationError("a goal needs an id, an owner userid and a title")
        if self.weight < 0:
            raise ValidationError(f"goal {self.goal_id}: weight must not be negative, got {self.weight}")
        if self.alignment_weight <= 0:
            raise ValidationError(f"goal {self.goal_id}: alignment weight must be positive")
        if self.parent_id == self.goal_id:
            raise ValidationError(f"goal {self.goal_id} cannot align to itself")
        if self.due is not None and not (self.period.start <= self.due <= self.period.last_day):
            raise ValidationError(f"goal {self.goal_id}: due day {self.due} lies outside the period "
                                  f"{self.period.start}..{self.period.last_day}; pick a day inside it")

    @property
    def current_target(self) -> TargetVersion | None:
        return self.versions[-1] if self.versions else None


def new_kpi_goal(
    goal_id: str,
    owner: str,
    title: str,
    period: Period,
    target: Decimal,
    *,
    baseline: Decimal | None = None,
    direction: Direction = Direction.HIGHER,
    created_by: str = "",
    **fields: object,
) -> Goal:
    """A draft KPI goal whose first target version is in force from the period's first day."""
    first = TargetVersion(1, Decimal(target), period.start, baseline, direction, "initial target", created_by)
    return Goal(goal_id, owner, title, GoalKind.KPI, period, versions=(first,), **fields)  # type: ignore[arg-type]


def new_okr_goal(goal_id: str, owner: str, title: str, period: Period, key_results: Sequence[KeyResult],
                 **fields: object) -> Goal:
    """A draft OKR objective with its key results (at least one, unique ids)."""
    validate_key_results(key_results)
    return Goal(goal_id, owner, title, GoalKind.OKR, period, key_results=tuple(key_results), **fields)  # type: ignore[arg-type]


def new_mbo_goal(goal_id: str, owner: str, title: str, period: Period, criteria: str, *,
                 target: Decimal | None = None, baseline: Decimal | None = None,
                 direction: Direction = Direction.HIGHER, created_by: str = "", **fields: object) -> Goal:
    """A draft MBO goal: a completion criterion (what done looks like), optionally a numeric target."""
    if not criteria.strip():
        raise ValidationError(f"MBO goal {goal_id} needs a completion criterion: write what done looks like")
    versions: tuple[TargetVersion, ...] = ()
    if target is not None:
        versions = (TargetVersion(1, Decimal(target), period.start, baseline, direction, "initial target", created_by),)
    return Goal(goal_id, owner, title, GoalKind.MBO, period, versions=versions, criteria=criteria.strip(),
                **fields)  # type: ignore[arg-type]


def _check_complete(goal: Goal) -> None:
    if goal.kind is GoalKind.KPI:
        validate_versions(goal.versions, goal.period)
    elif goal.kind is GoalKind.OKR:
        validate_key_results(goal.key_results)
    else:
        if not goal.criteria.strip():
            raise ValidationError(f"MBO goal {goal.goal_id} needs a completion criterion before it is sent")
        if goal.versions:
            validate_versions(goal.versions, goal.period)


_ALLOWED: dict[GoalStatus, tuple[str, ...]] = {
    GoalStatus.DRAFT: ("revise", "send_for_confirmation", "close"),
    GoalStatus.PUSHED_BACK: ("revise", "send_for_confirmation", "close"),
    GoalStatus.PENDING_CONFIRMATION: ("confirm", "push_back"),
    GoalStatus.CONFIRMED: ("request_adjustment", "close"),
    GoalStatus.ADJUSTMENT_PENDING: ("approve_adjustment", "reject_adjustment"),
    GoalStatus.CLOSED: (),
}


def _guard(goal: Goal, action: str) -> None:
    if action not in _ALLOWED[goal.status]:
        raise transition_error(f"goal {goal.goal_id}", goal.status.value, action, _ALLOWED[goal.status])


def _moved(goal: Goal, action: str, actor: str, now: datetime, reason: str, **changes: object) -> tuple[Goal, AuditRecord]:
    new = replace(goal, **changes)  # type: ignore[arg-type]
    return new, record(actor, action, goal.status.value, new.status.value, now, reason)


def revise(goal: Goal, actor: str, now: datetime, **changes: object) -> tuple[Goal, AuditRecord]:
    """Edit a draft or pushed-back goal (title, weight, versions, key results...); it becomes a draft."""
    _guard(goal, "revise")
    forbidden = {"goal_id", "owner", "status", "sent_by", "pending_adjustment", "cancelled"} & set(changes)
    if forbidden:
        raise ValidationError(f"revise cannot change {sorted(forbidden)}")
    return _moved(goal, "revise", actor, now, "", status=GoalStatus.DRAFT, **changes)


def send_for_confirmation(goal: Goal, actor: str, now: datetime) -> tuple[Goal, AuditRecord]:
    """Send a complete draft to the other party (employee or manager) for confirmation."""
    _guard(goal, "send_for_confirmation")
    _check_complete(goal)
    return _moved(goal, "send_for_confirmation", actor, now, "", status=GoalStatus.PENDING_CONFIRMATION, sent_by=actor)


def confirm(goal: Goal, actor: str, now: datetime) -> tuple[Goal, AuditRecord]:
    """The other party accepts the goal; nobody confirms their own proposal."""
    _guard(goal, "confirm")
    if actor == goal.sent_by:
        raise ValidationError(f"{actor} sent goal {goal.goal_id} and cannot also confirm it; the other party must")
    return _moved(goal, "confirm", actor, now, "", status=GoalStatus.CONFIRMED, push_back_reason="")


def push_back(goal: Goal, actor: str, now: datetime, reason: str) -> tuple[Goal, AuditRecord]:
    """Refuse the proposed goal with a reason; the sender revises and sends again."""
    _guard(goal, "push_back")
    text = require_reason(reason, "push_back")
    return _moved(goal, "push_back", actor, now, text, status=GoalStatus.PUSHED_BACK, push_back_reason=text)


def request_adjustment(
    goal: Goal,
    actor: str,
    now: datetime,
    new_target: Decimal,
    effective_from: date,
    reason: str,
    baseline: Decimal | None = None,
) -> tuple[Goal, AuditRecord]:
    """Propose a new target version from ``effective_from``; earlier days keep the old target."""
    _guard(goal, "request_adjustment")
    text = require_reason(reason, "request_adjustment")
    if not goal.versions:
        raise ValidationError(
            f"goal {goal.goal_id} ({goal.kind.value}) has no numeric target to adjust; revise its key results "
            "in the next cycle or close it with a reason"
        )
    last = goal.versions[-1]
    proposed = TargetVersion(
        last.version + 1,
        Decimal(new_target),
        effective_from,
        last.baseline if baseline is None else Decimal(baseline),
        last.direction,
        text,
        actor,
    )
    validate_versions((*goal.versions, proposed), goal.period)
    pending = AdjustmentRequest(proposed, actor, now, text)
    return _moved(goal, "request_adjustment", actor, now, text, status=GoalStatus.ADJUSTMENT_PENDING, pending_adjustment=pending)


def approve_adjustment(goal: Goal, actor: str, now: datetime, reason: str = "") -> tuple[Goal, AuditRecord]:
    """Approve the pending adjustment: its version is appended; the requester cannot approve it."""
    _guard(goal, "approve_adjustment")
    pending = goal.pending_adjustment
    assert pending is not None  # guaranteed by the ADJUSTMENT_PENDING state
    if actor == pending.requested_by:
        raise ValidationError(f"{actor} requested this adjustment and cannot approve it; the other party must")
    return _moved(
        goal, "approve_adjustment", actor, now, reason or pending.reason,
        status=GoalStatus.CONFIRMED, versions=(*goal.versions, pending.proposed), pending_adjustment=None,
    )


def reject_adjustment(goal: Goal, actor: str, now: datetime, reason: str) -> tuple[Goal, AuditRecord]:
    """Reject the pending adjustment with a reason; the current target stays."""
    _guard(goal, "reject_adjustment")
    text = require_reason(reason, "reject_adjustment")
    return _moved(goal, "reject_adjustment", actor, now, text, status=GoalStatus.CONFIRMED, pending_adjustment=None)


def close(goal: Goal, actor: str, now: datetime, reason: str = "") -> tuple[Goal, AuditRecord]:
    """Close a confirmed goal; closing an unconfirmed one cancels it and needs a reason."""
    _guard(goal, "close")
    confirmed = goal.status is GoalStatus.CONFIRMED
    text = reason if confirmed else require_reason(reason, "close an unconfirmed goal")
    return _moved(goal, "close", actor, now, text, status=GoalStatus.CLOSED, cancelled=not confirmed)


def by_perspective(goals: Iterable[Goal]) -> dict[BscPerspective | None, tuple[Goal, ...]]:
    """Group goals by BSC perspective (None = no perspective), in input order."""
    groups: dict[BscPerspective | None, list[Goal]] = defaultdict(list)
    for g in goals:
        groups[g.perspective].append(g)
    return {k: tuple(v) for k, v in groups.items()}


def validate_scorecard(goals: Sequence[Goal]) -> None:
    """One person's goals in one cycle (KPI and OKR may mix): same owner, weights total 100."""
    if not goals:
        raise ValidationError("a scorecard needs at least one goal")
    owners = {g.owner for g in goals}
    if len(owners) != 1:
        raise ValidationError(f"a scorecard belongs to one person; found owners {sorted(owners)}")
    total = sum((g.weight for g in goals), Decimal(0))
    if total != 100:
        raise ValidationError(f"goal weights of {owners.pop()} total {total}, they must total 100")
