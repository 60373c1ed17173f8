"""Deadline reminders of a cycle phase: when each one is due, who still owes what, and whom to escalate to.

A reminder policy is a list of offsets before a phase deadline (default 7 days, 3 days, 1 day and 0). A positive
offset is a nudge to the people who still owe work; offset 0 is the deadline itself: whoever still owes work
is told it passed, and their own manager is told who missed it (for a manager who owes ratings of reports, that
is the reports' manager's manager). Leaving 0 out of a cycle's policy turns escalation off.

Only the latest reminder whose time has come is due (a scheduler that was down sends one catch-up, not three),
and never one whose time came before the phase was entered: people were told the deadline by the phase notice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from dingperf.perf.audit import require_aware
from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError

MAX_OFFSET = timedelta(days=60)
MAX_OFFSETS = 8


class Task(StrEnum):
    SET_GOALS = "set_goals"  # own goals missing, in draft or pushed back: write and send them
    CONFIRM_GOALS = "confirm_goals"  # a goal sent by the other party waits for confirmation
    SELF_REVIEW = "self_review"
    RATE_REPORT = "rate_report"  # the manager's rating of a report
    RATE_360 = "rate_360"  # an approved peer/subordinate/cross-department nomination not yet rated
    CALIBRATE = "calibrate"
    HANDLE_APPEAL = "handle_appeal"  # assign a filed appeal (HR) or decide one in review (its handler)


# Calibration and appeals have their own escalation (the phase clock tells HR a refused close; an appeal in review
# escalates past its own handling deadline), so only the people's own work is escalated at a phase deadline.
ESCALATED: frozenset[Task] = frozenset({Task.SET_GOALS, Task.CONFIRM_GOALS, Task.SELF_REVIEW, Task.RATE_REPORT,
                                        Task.RATE_360})


@dataclass(frozen=True)
class ReminderPolicy:
    """Offsets before a phase deadline at which reminders go out, largest first; 0 = escalate at the deadline."""

    offsets: tuple[timedelta, ...] = (timedelta(days=7), timedelta(days=3), timedelta(days=1), timedelta(0))

    def __post_init__(self) -> None:
        if len(self.offsets) > MAX_OFFSETS:
            raise ValidationError(f"a reminder policy has at most {MAX_OFFSETS} offsets, got {len(self.offsets)}")
        if len(set(self.offsets)) != len(self.offsets):
            raise ValidationError("reminder offsets must be distinct; remove the repeated one")
        for offset in self.offsets:
            if offset < timedelta(0) or offset > MAX_OFFSET:
                raise ValidationError(f"reminder offset {offset} must lie between 0 (at the deadline) and "
                                      f"{MAX_OFFSET.days} days before it")
        object.__setattr__(self, "offsets", tuple(sorted(self.offsets, reverse=True)))

    @property
    def escalates(self) -> bool:
        """Whether the deadline itself (offset 0) tells the late people and their managers."""
        return timedelta(0) in self.offsets

    def to_hours(self) -> list[int]:
        """JSON form: whole hours before the deadline, largest first."""
        return [int(o.total_seconds() // 3600) for o in self.offsets]


def reminder_policy(hours_before: Iterable[object]) -> ReminderPolicy:
    """A policy from whole hours before the deadline (e.g. [168, 72, 24, 0]), as stored in a document."""
    offsets = []
    for h in hours_before:
        if isinstance(h, bool) or not isinstance(h, int):
            raise ValidationError(f"reminder offsets are whole hours before the deadline, got {h!r}")
        offsets.append(timedelta(hours=h))
    return ReminderPolicy(tuple(offsets))


DEFAULT_POLICY = ReminderPolicy()


def due_reminder(policy: ReminderPolicy, deadline: datetime, entered_at: datetime,
                 now: datetime) -> timedelta | None:
    """The positive offset whose reminder is due at `now`: the latest fire time (deadline − offset) that has
    passed, while the deadline has not and the fire time is not before the phase was entered; None otherwise."""
    require_aware(now)
    if now >= deadline:
        return None
    passed = [o for o in policy.offsets if o > timedelta(0) and deadline - o <= now]
    if not passed:
        return None
    latest = min(passed)
    return latest if deadline - latest >= entered_at else None


def is_escalation_due(policy: ReminderPolicy, deadline: datetime, entered_at: datetime, now: datetime) -> bool:
    """Whether the deadline has passed and escalates: only for a phase entered before its deadline (a cycle
    created or re-opened with past deadlines gave nobody a chance to do the work)."""
    return policy.escalates and require_aware(now) >= deadline and entered_at < deadline


@dataclass(frozen=True, order=True)
class Debt:
    """One piece of work `userid` still owes in the current phase; `subject` is whom or what it is about."""

    userid: str
    task: Task
    subject: str


@dataclass(frozen=True)
class GoalState:
    """What the reminder rules read of a goal's newest revision."""

    goal_id: str
    owner: str
    status: str
    sent_by: str = ""
    cancelled: bool = False


_UNSENT = ("draft", "pushed_back")


def goal_debts(participants: Mapping[str, str | None], goals: Iterable[GoalState]) -> list[Debt]:
    """Goal setting and confirmation: a participant without a live goal must set one; a draft or pushed-back
    goal must be sent by its owner; a pending goal must be confirmed by the party that did not send it (the
    owner's manager when the owner sent it)."""
    debts: list[Debt] = []
    live: set[str] = set()
    for goal in goals:
        if goal.cancelled or goal.status == "closed" or goal.owner not in participants:
            continue
        live.add(goal.owner)
        if goal.status in _UNSENT:
            debts.append(Debt(goal.owner, Task.SET_GOALS, goal.goal_id))
        elif goal.status == "pending_confirmation":
            confirmer = participants[goal.owner] if goal.sent_by == goal.owner else goal.owner
            if confirmer:
                debts.append(Debt(confirmer, Task.CONFIRM_GOALS, goal.goal_id))
    debts += [Debt(u, Task.SET_GOALS, u) for u in participants if u not in live]
    return sorted(debts)


def self_review_debts(participants: Iterable[str], rated_self: Collection[str], *, self_weighted: bool) -> list[Debt]:
    """Self review: participants without a self rating, when the cycle weighs self ratings at all."""
    if not self_weighted:
        return []
    return sorted(Debt(u, Task.SELF_REVIEW, u) for u in participants if u not in rated_self)


def manager_review_debts(participants: Mapping[str, str | None], manager_rated: Collection[str],
                         nominations: Iterable[tuple[str, str]], rated: Collection[tuple[str, str]], *,
                         manager_weighted: bool) -> list[Debt]:
    """Manager review: managers with reports they have not rated (when managers are weighed), and approved
    360 raters `(reviewee, rater)` without a rating of that reviewee."""
    debts = [Debt(m, Task.RATE_REPORT, u) for u, m in participants.items()
             if manager_weighted and m and u not in manager_rated]
    debts += [Debt(rater, Task.RATE_360, reviewee) for reviewee, rater in nominations
              if (reviewee, rater) not in rated]
    return sorted(set(debts))


def calibration_debts(hr_userids: Iterable[str], *, finalised: bool) -> list[Debt]:
    """Calibration: HR owes the calibration until every result is scored."""
    return [] if finalised else sorted(Debt(u, Task.CALIBRATE, "calibration") for u in set(hr_userids) if u)


def appeal_debts(appeals: Iterable[tuple[str, str, str]], hr_userids: Iterable[str]) -> list[Debt]:
    """Appeal window: `(appeal_id, status, handler)` — a filed appeal waits for HR to assign it, one in review
    for its handler to decide."""
    hr = sorted({u for u in hr_userids if u})
    debts: list[Debt] = []
    for appeal_id, status, handler in appeals:
        if status == "filed":
            debts += [Debt(u, Task.HANDLE_APPEAL, appeal_id) for u in hr]
        elif status == "in_review" and handler:
            debts.append(Debt(handler, Task.HANDLE_APPEAL, appeal_id))
    return sorted(debts)


def owed_by(debts: Iterable[Debt]) -> dict[str, tuple[Debt, ...]]:
    """Debts grouped by the person who owes them, people in order."""
    grouped: dict[str, list[Debt]] = {}
    for debt in sorted(debts):
        grouped.setdefault(debt.userid, []).append(debt)
    return {u: tuple(d) for u, d in grouped.items()}


def escalations(debts: Iterable[Debt], manager_of: Mapping[str, str | None],
                fallback: Sequence[str] = ()) -> dict[str, tuple[str, ...]]:
    """Manager → the late people they are told about: each late person's own manager (`fallback`, e.g. HR,
    for someone without one); work that escalates elsewhere (calibration, appeals) is left out."""
    told: dict[str, set[str]] = {}
    for debt in debts:
        if debt.task not in ESCALATED:
            continue
        boss = manager_of.get(debt.userid)
        for target in ([boss] if boss and boss != debt.userid else list(fallback)):
            if target and target != debt.userid:
                told.setdefault(target, set()).add(debt.userid)
    return {m: tuple(sorted(people)) for m, people in sorted(told.items())}


# Which tasks a phase's reminders chase; phases not listed (in progress, results, closed) chase nobody.
PHASE_TASKS: Mapping[Phase, tuple[Task, ...]] = {
    Phase.GOAL_SETTING: (Task.SET_GOALS, Task.CONFIRM_GOALS),
    Phase.CONFIRMATION: (Task.SET_GOALS, Task.CONFIRM_GOALS),
    Phase.SELF_REVIEW: (Task.SELF_REVIEW,),
    Phase.MANAGER_REVIEW: (Task.RATE_REPORT, Task.RATE_360),
    Phase.CALIBRATION: (Task.CALIBRATE,),
    Phase.APPEAL_WINDOW: (Task.HANDLE_APPEAL,),
}
