"""The phase gate of goal edits: a table of phase × action → allowed, and the refusal wording."""

import pytest

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import TransitionError
from dingperf.perf.goal_gate import GoalAction as A
from dingperf.perf.goal_gate import gate, is_allowed

_ALL = set(A)
_EXPECTED = {
    Phase.GOAL_SETTING: _ALL,
    Phase.CONFIRMATION: _ALL,
    Phase.IN_PROGRESS: {A.ADJUST, A.CHECK_IN, A.ACTION_PLAN, A.CLOSE},
    Phase.SELF_REVIEW: {A.CHECK_IN, A.ACTION_PLAN, A.CLOSE},
    Phase.MANAGER_REVIEW: {A.CHECK_IN, A.ACTION_PLAN, A.CLOSE},
    Phase.CALIBRATION: {A.CHECK_IN, A.ACTION_PLAN, A.CLOSE},
    Phase.RESULTS: set(),
    Phase.APPEAL_WINDOW: set(),
    Phase.CLOSED: set(),
}


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("action", list(A))
def test_each_phase_allows_exactly_its_goal_actions(phase: Phase, action: A) -> None:
    assert is_allowed(phase, action) is (action in _EXPECTED[phase])


def test_the_refusal_names_the_phase_where_it_is_allowed_and_what_to_do() -> None:
    with pytest.raises(TransitionError) as err:
        gate(Phase.SELF_REVIEW, A.EDIT, "goal g1", cycle_id="2026-11")
    assert str(err.value) == (
        "goal g1: cycle 2026-11 is in the self review phase; editing a goal is allowed only in goal setting or confirmation; "
        "ask HR to re-open goal setting or request an adjustment")


def test_editing_in_progress_points_to_an_adjustment_request() -> None:
    with pytest.raises(TransitionError, match="in progress phase; .*request an adjustment \\(a new target version"):
        gate(Phase.IN_PROGRESS, A.SEND, "goal g1", cycle_id="c")


def test_after_results_only_an_admin_override_gets_through() -> None:
    with pytest.raises(TransitionError, match="only an HR admin override with a reason"):
        gate(Phase.RESULTS, A.CHECK_IN, "goal g1", cycle_id="c")
    decision = gate(Phase.RESULTS, A.CHECK_IN, "goal g1", cycle_id="c", admin_override=" appeal accepted ")
    assert decision.is_override and decision.override_reason == "appeal accepted"


def test_a_blank_override_reason_is_no_override() -> None:
    with pytest.raises(TransitionError):
        gate(Phase.CLOSED, A.CLOSE, "goal g1", cycle_id="c", admin_override="   ")


def test_an_allowed_action_is_not_marked_as_an_override() -> None:
    assert not gate(Phase.GOAL_SETTING, A.CREATE, "goal g1", cycle_id="c", admin_override="x").is_override


def test_the_refusal_lists_every_phase_that_allows_the_action() -> None:
    with pytest.raises(TransitionError, match="adjusting a target is allowed only in goal setting, confirmation or in progress; "
                       "ask HR to re-open the in progress phase"):
        gate(Phase.CALIBRATION, A.ADJUST, "goal g1", cycle_id="c")
