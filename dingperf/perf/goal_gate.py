"""Phase gating of goal edits: which goal action a cycle's phase allows, and what to tell the user when not.

Goals are set and agreed in goal setting and confirmation; during the cycle targets change only through
adjustment requests (a new, time-weighted target version); check-ins and action plans go on until results.
From results on the goal record is the evidence behind a released score and an appeal, so only an HR admin
override with a reason (audited) may touch it. Goals without a cycle are not gated.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import TransitionError


class GoalAction(StrEnum):
    CREATE = "create"
    EDIT = "edit"  # revise a draft or pushed-back goal, align it under a parent
    SEND = "send"
    CONFIRM = "confirm"
    PUSH_BACK = "push_back"
    ADJUST = "adjust"  # request, approve or reject a target adjustment
    CHECK_IN = "check_in"
    ACTION_PLAN = "action_plan"
    CLOSE = "close"


_SETTING = frozenset(GoalAction)
_WORKING = frozenset({GoalAction.ADJUST, GoalAction.CHECK_IN, GoalAction.ACTION_PLAN, GoalAction.CLOSE})
_REVIEWING = frozenset({GoalAction.CHECK_IN, GoalAction.ACTION_PLAN, GoalAction.CLOSE})

# The one table to change when the policy changes; every phase must appear.
ALLOWED: dict[Phase, frozenset[GoalAction]] = {
    Phase.GOAL_SETTING: _SETTING,
    Phase.CONFIRMATION: _SETTING,
    Phase.IN_PROGRESS: _WORKING,
    Phase.SELF_REVIEW: _REVIEWING,
    Phase.MANAGER_REVIEW: _REVIEWING,
    Phase.CALIBRATION: _REVIEWING,
    Phase.RESULTS: frozenset(),
    Phase.APPEAL_WINDOW: frozenset(),
    Phase.CLOSED: frozenset(),
}

_WHAT = {
    GoalAction.CREATE: "creating a goal", GoalAction.EDIT: "editing a goal",
    GoalAction.SEND: "sending a goal for confirmation", GoalAction.CONFIRM: "confirming a goal",
    GoalAction.PUSH_BACK: "pushing a goal back", GoalAction.ADJUST: "adjusting a target",
    GoalAction.CHECK_IN: "a check-in", GoalAction.ACTION_PLAN: "changing an action plan",
    GoalAction.CLOSE: "closing a goal",
}


@dataclass(frozen=True)
class GateDecision:
    """An allowed goal action; ``override_reason`` is set when only an admin override let it through."""

    phase: Phase
    action: GoalAction
    override_reason: str = ""

    @property
    def is_override(self) -> bool:
        return bool(self.override_reason)


def is_allowed(phase: Phase, action: GoalAction) -> bool:
    """Whether ``action`` on a goal of a cycle in ``phase`` is allowed without an override."""
    return GoalAction(action) in ALLOWED[Phase(phase)]


def phases_allowing(action: GoalAction) -> tuple[Phase, ...]:
    """The phases, in cycle order, in which ``action`` is allowed."""
    return tuple(p for p in Phase if GoalAction(action) in ALLOWED[p])


def _spoken(phase: Phase) -> str:
    return phase.value.replace("_", " ")


def _hint(phase: Phase, action: GoalAction) -> str:
    if phase in (Phase.RESULTS, Phase.APPEAL_WINDOW, Phase.CLOSED):
        return "results are out, so the goal is the record they were based on; only an HR admin override with a reason can change it"
    if phase is Phase.IN_PROGRESS:
        return "request an adjustment (a new target version with an effective date) or ask HR to re-open goal setting"
    if action is GoalAction.ADJUST:
        return "ask HR to re-open the in progress phase to request an adjustment"
    return "ask HR to re-open goal setting or request an adjustment"


def gate(phase: Phase, action: GoalAction, subject: str, *, cycle_id: str, admin_override: str = "") -> GateDecision:
    """Allow ``action`` on ``subject`` (e.g. "goal g1") in ``phase``, or raise a TransitionError naming the phase,
    where the action is allowed and what to do; a non-blank ``admin_override`` reason lets anything through."""
    phase, action = Phase(phase), GoalAction(action)
    if action in ALLOWED[phase]:
        return GateDecision(phase, action)
    reason = (admin_override or "").strip()
    if reason:
        return GateDecision(phase, action, reason)
    names = [_spoken(p) for p in phases_allowing(action)]
    where = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    raise TransitionError(
        f"{subject}: cycle {cycle_id} is in the {_spoken(phase)} phase; {_WHAT[action]} is allowed only in {where}; "
        f"{_hint(phase, action)}"
    )
