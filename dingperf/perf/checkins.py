"""Check-ins on goals (progress value, confidence 0–10, comment) and free feedback at any time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.audit import require_actor, require_aware
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import time_weighted_achievement
from dingperf.perf.goals import Goal, GoalKind, GoalStatus
from dingperf.perf.okr import objective_progress

_OPEN = (GoalStatus.CONFIRMED, GoalStatus.ADJUSTMENT_PENDING)


@dataclass(frozen=True)
class CheckIn:
    """A progress update; ``key_result_id`` is set for OKR check-ins."""

    goal_id: str
    author: str
    at: datetime
    value: Decimal | None
    confidence: int | None
    comment: str = ""
    key_result_id: str | None = None


class FeedbackKind(StrEnum):
    PRAISE = "praise"
    COACHING = "coaching"
    GENERAL = "general"


class FeedbackVisibility(StrEnum):
    RECEIVER = "receiver"  # giver, receiver and the receiver's manager chain
    MANAGER_ONLY = "manager_only"  # receiver's manager chain only
    PUBLIC = "public"


@dataclass(frozen=True)
class Feedback:
    """Free feedback from one person to another, optionally about a goal."""

    giver: str
    receiver: str
    at: datetime
    text: str
    kind: FeedbackKind = FeedbackKind.GENERAL
    visibility: FeedbackVisibility = FeedbackVisibility.RECEIVER
    goal_id: str | None = None


@dataclass(frozen=True)
class ConfidenceDrop:
    """Confidence fell by at least the threshold between two consecutive check-ins."""

    goal_id: str
    key_result_id: str | None
    before: CheckIn
    after: CheckIn
    drop: int


def check_in(
    goal: Goal,
    author: str,
    at: datetime,
    *,
    value: Decimal | None = None,
    confidence: int | None = None,
    comment: str = "",
    key_result_id: str | None = None,
) -> CheckIn:
    """Validate and build a check-in on a confirmed goal (OKR check-ins name a key result)."""
    require_aware(at, "at")
    require_actor(author)
    if goal.status not in _OPEN:
        raise ValidationError(
            f"goal {goal.goal_id} is '{goal.status.value}'; check-ins are accepted once it is confirmed and until it closes"
        )
    if value is None and confidence is None and not comment.strip():
        raise ValidationError("a check-in needs a value, a confidence or a comment")
    if confidence is not None and not (0 <= confidence <= 10):
        raise ValidationError(f"confidence is on a 0–10 scale, got {confidence}")
    if goal.kind is GoalKind.OKR:
        ids = {kr.kr_id for kr in goal.key_results}
        if key_result_id not in ids:
            raise ValidationError(f"OKR check-ins name one key result of {goal.goal_id}: one of {sorted(ids)}")
    elif key_result_id is not None:
        raise ValidationError(f"goal {goal.goal_id} is {goal.kind.value} and has no key results")
    if _is_percent_complete(goal) and value is not None and not (0 <= Decimal(value) <= 100):
        raise ValidationError(f"goal {goal.goal_id} has no numeric target, so its check-in value is percent complete "
                              f"(0–100), got {value}")
    return CheckIn(goal.goal_id, author, at, None if value is None else Decimal(value), confidence, comment.strip(), key_result_id)


def give_feedback(
    giver: str,
    receiver: str,
    at: datetime,
    text: str,
    *,
    kind: FeedbackKind = FeedbackKind.GENERAL,
    visibility: FeedbackVisibility = FeedbackVisibility.RECEIVER,
    goal_id: str | None = None,
) -> Feedback:
    """Feedback is allowed at any time, outside any cycle; it just cannot be empty or to oneself."""
    require_aware(at, "at")
    if require_actor(giver) == require_actor(receiver):
        raise ValidationError("feedback goes to someone else; use a check-in comment for notes on your own goals")
    if not text.strip():
        raise ValidationError("feedback text is empty; write what you observed")
    return Feedback(giver, receiver, at, text.strip(), kind, visibility, goal_id)


def latest_values(check_ins: Sequence[CheckIn]) -> dict[str | None, Decimal]:
    """The latest value per key result id (None for non-OKR goals), by check-in time."""
    out: dict[str | None, Decimal] = {}
    for c in sorted(check_ins, key=lambda c: c.at):
        if c.value is not None:
            out[c.key_result_id] = c.value
    return out


def latest_confidences(check_ins: Sequence[CheckIn]) -> dict[str | None, int]:
    """The latest confidence per key result id (None for non-OKR goals), by check-in time."""
    out: dict[str | None, int] = {}
    for c in sorted(check_ins, key=lambda c: c.at):
        if c.confidence is not None:
            out[c.key_result_id] = c.confidence
    return out


def _is_percent_complete(goal: Goal) -> bool:
    # An MBO goal without a numeric target is tracked by how much of its criterion is done.
    return goal.kind is GoalKind.MBO and not goal.versions


def goal_progress(goal: Goal, check_ins: Sequence[CheckIn]) -> Decimal:
    """Progress from the latest checked-in values: OKR Σ(wᵢ/Σw)·KR progress; KPI (and MBO with a target)
    time-weighted achievement; MBO without a target percent complete ÷ 100; 0 before any value."""
    values = latest_values(check_ins)
    if goal.kind is GoalKind.OKR:
        return objective_progress(goal.key_results, {k: v for k, v in values.items() if k is not None})
    if None not in values:
        return Decimal(0)
    if _is_percent_complete(goal):
        return values[None] / 100
    return time_weighted_achievement(goal.versions, goal.period, values[None]).achievement


def confidence_drops(check_ins: Sequence[CheckIn], threshold: int = 3) -> tuple[ConfidenceDrop, ...]:
    """Consecutive check-ins (per goal and key result) whose confidence fell by ≥ ``threshold``."""
    drops: list[ConfidenceDrop] = []
    last: dict[tuple[str, str | None], CheckIn] = {}
    for c in sorted(check_ins, key=lambda c: c.at):
        if c.confidence is None:
            continue
        key = (c.goal_id, c.key_result_id)
        prev = last.get(key)
        if prev is not None and prev.confidence is not None and prev.confidence - c.confidence >= threshold:
            drops.append(ConfidenceDrop(c.goal_id, c.key_result_id, prev, c, prev.confidence - c.confidence))
        last[key] = c
    return tuple(drops)


# --- feedback: length bound, retraction grace, visibility, evidence window ------------------------------------

FEEDBACK_MAX_CHARS = 2000  # long enough for a considered note; a work notice shows only the start of it
RETRACT_GRACE = timedelta(hours=24)


def require_feedback_length(feedback: Feedback, max_chars: int = FEEDBACK_MAX_CHARS) -> Feedback:
    """Refuse feedback longer than ``max_chars`` characters (it is read in chat and in review forms)."""
    if len(feedback.text) > max_chars:
        raise ValidationError(f"feedback is {len(feedback.text)} characters; keep it to {max_chars} "
                              "(split it into two, or summarise)")
    return feedback


def require_retractable(feedback: Feedback, actor: str, now: datetime, grace: timedelta = RETRACT_GRACE) -> None:
    """Only the giver may retract, and only within ``grace`` of giving it (later, the receiver may rely on it)."""
    require_aware(now, "now")
    if require_actor(actor) != feedback.giver:
        raise ValidationError(f"only the giver ({feedback.giver}) can retract this feedback; ask them, or HR")
    if now - feedback.at > grace:
        hours = grace.total_seconds() / 3600
        raise ValidationError(f"feedback can be retracted within {hours:g} hours of giving it; it was given at "
                              f"{feedback.at.isoformat()} — write a follow-up feedback instead")


def is_feedback_visible(feedback: Feedback, viewer: str, *, manager_chain: Collection[str],
                        is_hr: bool = False) -> bool:
    """Who may read a feedback: HR and the giver always; the receiver's manager chain (``manager_chain``)
    always; the receiver unless it is manager-only; anyone when public."""
    if is_hr or viewer == feedback.giver or viewer in manager_chain:
        return True
    if feedback.visibility is FeedbackVisibility.PUBLIC:
        return True
    return feedback.visibility is FeedbackVisibility.RECEIVER and viewer == feedback.receiver


def given_between(feedback: Feedback, start: date, end: date, tz: tzinfo) -> bool:
    """True when the feedback was given on a local date (in ``tz``) within ``start``..``end`` inclusive."""
    return start <= feedback.at.astimezone(tz).date() <= end
