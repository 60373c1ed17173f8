"""Goal edits follow the cycle's phase; refusals name the phase and what to do and write nothing; an HR admin
override with a reason gets through and is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import TransitionError
from dingperf.perf.goals import GoalStatus
from dingperf.perf.library import load_template
from dingperf.perf.periods import Period
from dingperf.services.cycles import create_cycle
from dingperf.services.goal_documents import goal_history
from dingperf.services.goals import (
    check_in_goal,
    close_goal,
    confirm_goal,
    create_goal,
    request_goal_adjustment,
    revise_goal,
    send_goal,
)
from dingperf.services.phases import override_phase
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit
from dingperf.store.tables.perf_cycles import PerfCycle

CORP, CYCLE = "dingcorp-goal-gate", "2026-11"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
D = Decimal


@pytest.fixture
def cycle(store: Store) -> Store:
    """A November 2026 monthly cycle in goal setting, with a confirmed goal g1 and a draft d1."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    for goal_id in ("g1", "d1"):
        create_goal(store, CORP, CYCLE, goal_id=goal_id, owner="u-rep", title="Revenue", target=D(100), weight=D(50),
                    actor="mgr", now=NOW)
    send_goal(store, CORP, "g1", actor="mgr", now=NOW)
    confirm_goal(store, CORP, "g1", actor="u-rep", now=NOW)
    return store


def _move_to(store: Store, phase: Phase) -> None:
    if phase in (Phase.RESULTS, Phase.APPEAL_WINDOW):
        # Releasing results needs finalised calibration (another service's concern); set the phase directly.
        with store.session() as s:
            row = s.get(PerfCycle, (CORP, CYCLE))
            assert row is not None
            row.phase = phase.value
            s.add(row)
        return
    override_phase(store, CORP, CYCLE, phase, actor="hr", reason="test setup", now=NOW)


def _revisions(store: Store, goal_id: str) -> int:
    return len(goal_history(store, CORP, goal_id))


def test_sending_a_goal_during_in_progress_is_refused_with_what_to_do(cycle: Store) -> None:
    _move_to(cycle, Phase.IN_PROGRESS)
    with pytest.raises(TransitionError) as err:
        send_goal(cycle, CORP, "d1", actor="mgr", now=NOW)
    assert str(err.value) == (
        "goal d1: cycle 2026-11 is in the in progress phase; sending a goal for confirmation is allowed only in goal setting "
        "or confirmation; request an adjustment (a new target version with an effective date) or ask HR to re-open "
        "goal setting")
    assert _revisions(cycle, "d1") == 1


def test_creating_a_goal_during_in_progress_is_refused_and_nothing_is_written(cycle: Store) -> None:
    _move_to(cycle, Phase.IN_PROGRESS)
    with pytest.raises(TransitionError, match="creating a goal is allowed only in goal setting or confirmation"):
        create_goal(cycle, CORP, CYCLE, goal_id="late", owner="u-rep", title="Revenue", target=D(1), weight=D(1),
                    actor="mgr", now=NOW)
    assert goal_history(cycle, CORP, "late") == []


def test_an_adjustment_request_is_allowed_during_in_progress(cycle: Store) -> None:
    _move_to(cycle, Phase.IN_PROGRESS)
    stored = request_goal_adjustment(cycle, CORP, "g1", actor="u-rep", new_target=D(80),
                                     effective_from=date(2026, 11, 16), reason="largest client left", now=NOW)
    assert stored.goal.status is GoalStatus.ADJUSTMENT_PENDING


def test_revising_during_self_review_says_ask_hr_or_request_an_adjustment(cycle: Store) -> None:
    _move_to(cycle, Phase.SELF_REVIEW)
    with pytest.raises(TransitionError, match="cycle 2026-11 is in the self review phase; editing a goal is allowed only in "
                       "goal setting or confirmation; ask HR to re-open goal setting or request an adjustment"):
        revise_goal(cycle, CORP, "d1", actor="mgr", target=D(90), now=NOW)
    assert _revisions(cycle, "d1") == 1


def test_an_adjustment_during_self_review_is_refused(cycle: Store) -> None:
    _move_to(cycle, Phase.SELF_REVIEW)
    with pytest.raises(TransitionError, match="adjusting a target is allowed only in goal setting, confirmation or "
                       "in progress"):
        request_goal_adjustment(cycle, CORP, "g1", actor="u-rep", new_target=D(80),
                                effective_from=date(2026, 11, 16), reason="late", now=NOW)


def test_check_ins_and_closing_go_on_during_calibration(cycle: Store) -> None:
    _move_to(cycle, Phase.CALIBRATION)
    check_in_goal(cycle, CORP, "g1", author="u-rep", value=D(95), now=NOW)
    assert close_goal(cycle, CORP, "g1", actor="mgr", now=NOW).goal.status is GoalStatus.CLOSED


def test_after_results_a_check_in_is_refused(cycle: Store) -> None:
    _move_to(cycle, Phase.RESULTS)
    with pytest.raises(TransitionError, match="is in the results phase; a check-in is allowed only in goal setting, .* or "
                       "calibration; results are out.*only an HR admin override with a reason can change it"):
        check_in_goal(cycle, CORP, "g1", author="u-rep", value=D(95), now=NOW)
    assert _revisions(cycle, "g1") == 3


def test_an_admin_override_after_results_is_written_and_audited_with_its_reason(cycle: Store) -> None:
    _move_to(cycle, Phase.APPEAL_WINDOW)
    stored = close_goal(cycle, CORP, "g1", actor="hr", admin_override="appeal A-7 accepted: goal ends early",
                        now=NOW)
    assert stored.goal.status is GoalStatus.CLOSED
    with cycle.session() as s:
        entry = list_audit(session=s, corp_id=CORP, subject="goal:g1")[-1]
    assert (entry.action, entry.actor, entry.reason) == (
        "goal.close", "hr", "admin override in appeal_window: appeal A-7 accepted: goal ends early")
    assert entry.after == {"status": "closed", "revision": 4, "admin_override": "appeal_window"}


def test_re_opening_goal_setting_lets_goals_be_edited_again(cycle: Store) -> None:
    _move_to(cycle, Phase.SELF_REVIEW)
    _move_to(cycle, Phase.GOAL_SETTING)
    assert revise_goal(cycle, CORP, "d1", actor="mgr", target=D(90), now=NOW).revision == 2


def test_a_goal_without_a_cycle_is_not_gated(cycle: Store) -> None:
    _move_to(cycle, Phase.CLOSED)
    create_goal(cycle, CORP, None, goal_id="free", owner="u-rep", title="Learn Go", target=D(1), weight=D(100),
                period=Period(date(2026, 11, 1), date(2027, 1, 1)), actor="u-rep", now=NOW)
    assert send_goal(cycle, CORP, "free", actor="u-rep", now=NOW).goal.status is GoalStatus.PENDING_CONFIRMATION
