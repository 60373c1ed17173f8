from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dingperf.perf import goals as g
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.goal_versions import time_weighted_achievement
from dingperf.perf.okr import KeyResult
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
D = Decimal


def kpi(**kw):
    return g.new_kpi_goal("g1", "emp", "Revenue", Q1, D(1000), created_by="mgr", **kw)


def confirmed():
    goal, _ = g.send_for_confirmation(kpi(), "mgr", NOW)
    goal, _ = g.confirm(goal, "emp", NOW)
    return goal


def test_send_then_confirm_reaches_confirmed_with_audit():
    goal, audit = g.send_for_confirmation(kpi(), "mgr", NOW)
    assert goal.status is g.GoalStatus.PENDING_CONFIRMATION
    goal, audit = g.confirm(goal, "emp", NOW)
    assert goal.status is g.GoalStatus.CONFIRMED
    assert audit.as_dict() == {"actor": "emp", "action": "confirm", "from": "pending_confirmation",
                               "to": "confirmed", "reason": "", "at": NOW.isoformat()}


def test_sender_cannot_confirm_own_proposal():
    goal, _ = g.send_for_confirmation(kpi(), "mgr", NOW)
    with pytest.raises(ValidationError, match="other party"):
        g.confirm(goal, "mgr", NOW)


def test_push_back_requires_reason_and_records_it():
    goal, _ = g.send_for_confirmation(kpi(), "mgr", NOW)
    with pytest.raises(ValidationError, match="reason"):
        g.push_back(goal, "emp", NOW, "  ")
    goal, audit = g.push_back(goal, "emp", NOW, "target too high for a new store")
    assert goal.status is g.GoalStatus.PUSHED_BACK
    assert goal.push_back_reason == audit.reason == "target too high for a new store"


def test_pushed_back_goal_can_be_revised_and_resent():
    goal, _ = g.send_for_confirmation(kpi(), "mgr", NOW)
    goal, _ = g.push_back(goal, "emp", NOW, "too high")
    goal, _ = g.revise(goal, "mgr", NOW, title="Revenue (new store)")
    assert goal.status is g.GoalStatus.DRAFT
    goal, _ = g.send_for_confirmation(goal, "mgr", NOW)
    assert goal.status is g.GoalStatus.PENDING_CONFIRMATION


def test_illegal_transition_names_state_action_and_allowed_moves():
    with pytest.raises(TransitionError) as err:
        g.confirm(kpi(), "emp", NOW)
    msg = str(err.value)
    assert "'draft'" in msg and "'confirm'" in msg and "send_for_confirmation" in msg


def test_naive_time_is_rejected():
    with pytest.raises(ValidationError, match="timezone-aware"):
        g.send_for_confirmation(kpi(), "mgr", datetime(2026, 1, 5))


def test_approved_adjustment_appends_a_version_effective_from_its_date():
    goal, audit = g.request_adjustment(confirmed(), "emp", NOW, D(800), date(2026, 3, 1), "market shrank")
    assert goal.status is g.GoalStatus.ADJUSTMENT_PENDING and audit.reason == "market shrank"
    goal, _ = g.approve_adjustment(goal, "mgr", NOW)
    assert [v.target for v in goal.versions] == [D(1000), D(800)]
    assert goal.versions[1].effective_from == date(2026, 3, 1)
    tw = time_weighted_achievement(goal.versions, goal.period, D(800))
    assert tw.achievement == D("0.8") * (D(59) / 90) + D(1) * (D(31) / 90)


def test_requester_cannot_approve_own_adjustment():
    goal, _ = g.request_adjustment(confirmed(), "emp", NOW, D(800), date(2026, 3, 1), "why")
    with pytest.raises(ValidationError, match="cannot approve"):
        g.approve_adjustment(goal, "emp", NOW)


def test_rejected_adjustment_keeps_the_target():
    goal, _ = g.request_adjustment(confirmed(), "emp", NOW, D(800), date(2026, 3, 1), "why")
    goal, _ = g.reject_adjustment(goal, "mgr", NOW, "market is fine")
    assert goal.status is g.GoalStatus.CONFIRMED and len(goal.versions) == 1 and goal.pending_adjustment is None


def test_adjustment_effective_outside_period_is_rejected():
    with pytest.raises(ValidationError, match="outside the period"):
        g.request_adjustment(confirmed(), "emp", NOW, D(800), date(2026, 5, 1), "why")


def test_okr_goal_needs_key_results_before_sending():
    okr = g.Goal("o1", "emp", "Delight users", g.GoalKind.OKR, Q1)
    with pytest.raises(ValidationError, match="key result"):
        g.send_for_confirmation(okr, "emp", NOW)
    okr = g.Goal("o1", "emp", "Delight users", g.GoalKind.OKR, Q1, key_results=(KeyResult("k", "NPS", D(50), D(85)),))
    assert g.send_for_confirmation(okr, "emp", NOW)[0].status is g.GoalStatus.PENDING_CONFIRMATION


def test_okr_goal_has_no_numeric_target_to_adjust():
    okr = g.Goal("o1", "emp", "x", g.GoalKind.OKR, Q1, key_results=(KeyResult("k", "NPS", D(50), D(85)),),
                 status=g.GoalStatus.CONFIRMED)
    with pytest.raises(ValidationError, match="no numeric target"):
        g.request_adjustment(okr, "emp", NOW, D(1), date(2026, 2, 1), "why")


def test_closing_unconfirmed_goal_needs_reason_but_confirmed_does_not():
    with pytest.raises(ValidationError, match="reason"):
        g.close(kpi(), "mgr", NOW)
    assert g.close(confirmed(), "mgr", NOW)[0].status is g.GoalStatus.CLOSED


def test_closed_goal_allows_nothing():
    goal, _ = g.close(confirmed(), "mgr", NOW)
    with pytest.raises(TransitionError, match="terminal"):
        g.request_adjustment(goal, "emp", NOW, D(1), date(2026, 2, 1), "why")


def test_mixed_kpi_and_okr_scorecard_must_total_100():
    a = kpi(weight=D(60))
    b = g.Goal("o1", "emp", "x", g.GoalKind.OKR, Q1, weight=D(40), key_results=(KeyResult("k", "k", D(0), D(1)),))
    g.validate_scorecard([a, b])
    with pytest.raises(ValidationError, match="total 90"):
        g.validate_scorecard([a, g.Goal("o2", "emp", "y", g.GoalKind.MBO, Q1, weight=D(30))])


def test_goals_group_by_bsc_perspective():
    a = kpi(perspective=g.BscPerspective.FINANCIAL)
    b = g.Goal("m", "emp", "Train two juniors", g.GoalKind.MBO, Q1, perspective=g.BscPerspective.LEARNING_GROWTH)
    groups = g.by_perspective([a, b])
    assert groups[g.BscPerspective.FINANCIAL] == (a,) and groups[g.BscPerspective.LEARNING_GROWTH] == (b,)


def test_an_mbo_goal_needs_a_completion_criterion():
    with pytest.raises(ValidationError, match="MBO goal m needs a completion criterion"):
        g.new_mbo_goal("m", "emp", "Open the Hangzhou store", Q1, "  ")


def test_an_mbo_goal_without_a_criterion_cannot_be_sent():
    bare = g.Goal("m", "emp", "Open the Hangzhou store", g.GoalKind.MBO, Q1)
    with pytest.raises(ValidationError, match="completion criterion before it is sent"):
        g.send_for_confirmation(bare, "mgr", NOW)


def test_an_mbo_goal_may_carry_a_numeric_target_that_can_be_adjusted():
    mbo = g.new_mbo_goal("m", "emp", "Hire", Q1, "5 hires signed", target=D(5), created_by="mgr")
    mbo, _ = g.confirm(g.send_for_confirmation(mbo, "mgr", NOW)[0], "emp", NOW)
    adjusted, _ = g.request_adjustment(mbo, "emp", NOW, D(4), date(2026, 3, 1), "budget cut")
    assert adjusted.pending_adjustment is not None and adjusted.criteria == "5 hires signed"


def test_a_due_day_outside_the_period_is_refused():
    with pytest.raises(ValidationError, match="due day 2026-04-01 lies outside the period 2026-01-01..2026-03-31"):
        g.new_mbo_goal("m", "emp", "Hire", Q1, "5 hires", due=date(2026, 4, 1))


def test_an_okr_goal_is_created_with_its_key_results():
    krs = (KeyResult("k1", "NPS", D(50), D(85)), KeyResult("k2", "Churn", D(5), D(3)))
    okr = g.new_okr_goal("o", "emp", "Delight", Q1, krs, weight=D(40))
    assert (okr.kind, okr.key_results, okr.weight, okr.status) == (g.GoalKind.OKR, krs, D(40), g.GoalStatus.DRAFT)


def test_an_okr_goal_with_duplicate_key_result_ids_is_refused():
    krs = (KeyResult("k1", "NPS", D(50), D(85)), KeyResult("k1", "Churn", D(5), D(3)))
    with pytest.raises(ValidationError, match="duplicate key result ids: \\['k1'\\]"):
        g.new_okr_goal("o", "emp", "Delight", Q1, krs)


def test_closing_an_unconfirmed_goal_marks_it_cancelled_and_a_confirmed_one_not():
    assert g.close(kpi(), "mgr", NOW, "replaced by g2")[0].cancelled
    assert not g.close(confirmed(), "mgr", NOW)[0].cancelled
