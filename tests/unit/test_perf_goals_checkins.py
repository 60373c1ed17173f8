from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf.action_plans import (
    Priority,
    TaskStatus,
    add_task,
    cancel_task,
    complete_task,
    is_overdue,
    overdue_tasks,
    update_task,
)
from dingperf.perf.checkins import (
    check_in,
    confidence_drops,
    give_feedback,
    goal_progress,
    latest_confidences,
    latest_values,
)
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.goals import Goal, GoalKind, GoalStatus, new_kpi_goal, new_mbo_goal
from dingperf.perf.okr import KeyResult
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
SH = ZoneInfo("Asia/Shanghai")
D = Decimal
OKR = Goal("o", "emp", "Delight", GoalKind.OKR, Q1, key_results=(KeyResult("k1", "NPS", D(50), D(85)),),
           status=GoalStatus.CONFIRMED)


def test_okr_check_in_records_value_and_confidence():
    c = check_in(OKR, "emp", T0, value=D(60), confidence=7, comment="steady", key_result_id="k1")
    assert (c.value, c.confidence, c.key_result_id) == (D(60), 7, "k1")


def test_confidence_outside_0_to_10_is_rejected():
    with pytest.raises(ValidationError, match="0–10"):
        check_in(OKR, "emp", T0, confidence=11, key_result_id="k1")


def test_okr_check_in_must_name_a_key_result():
    with pytest.raises(ValidationError, match="one key result"):
        check_in(OKR, "emp", T0, value=D(1))


def test_check_in_on_a_draft_goal_is_refused():
    draft = new_kpi_goal("g", "emp", "Rev", Q1, D(10))
    with pytest.raises(ValidationError, match="once it is confirmed"):
        check_in(draft, "emp", T0, value=D(1))


def test_latest_value_wins_by_time_not_order_given():
    a = check_in(OKR, "emp", T0 + timedelta(days=7), value=D(70), key_result_id="k1")
    b = check_in(OKR, "emp", T0, value=D(60), key_result_id="k1")
    assert latest_values([a, b]) == {"k1": D(70)}


def test_confidence_drop_of_three_points_is_flagged():
    a = check_in(OKR, "emp", T0, confidence=8, key_result_id="k1")
    b = check_in(OKR, "emp", T0 + timedelta(days=7), confidence=6, key_result_id="k1")
    c = check_in(OKR, "emp", T0 + timedelta(days=14), confidence=3, key_result_id="k1")
    drops = confidence_drops([a, b, c])
    assert [(d.before.confidence, d.after.confidence) for d in drops] == [(6, 3)]


def test_feedback_any_time_but_not_to_oneself():
    f = give_feedback("ann", "bob", T0, "great demo")
    assert f.receiver == "bob"
    with pytest.raises(ValidationError, match="someone else"):
        give_feedback("ann", "ann", T0, "me")


def test_task_due_yesterday_in_org_timezone_is_overdue():
    task = add_task(OKR, "t1", "Call 10 users", "emp", Priority.HIGH, date(2026, 1, 5))
    # 2026-01-05 16:30 UTC is already 2026-01-06 in Shanghai
    assert is_overdue(task, datetime(2026, 1, 5, 16, 30, tzinfo=UTC), SH)
    assert not is_overdue(task, datetime(2026, 1, 5, 15, 30, tzinfo=UTC), SH)


def test_overdue_tasks_sorted_by_priority_then_due_and_done_tasks_excluded():
    low = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 1))
    high = add_task(OKR, "b", "b", "emp", Priority.HIGH, date(2026, 1, 3))
    done, _ = complete_task(add_task(OKR, "c", "c", "emp", Priority.HIGH, date(2026, 1, 1)), "emp", T0)
    assert [t.task_id for t in overdue_tasks([low, high, done], T0 + timedelta(days=5), SH)] == ["b", "a"]


def test_cancelling_a_task_needs_a_reason_and_finished_tasks_stay_finished():
    task = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 1))
    with pytest.raises(ValidationError, match="reason"):
        cancel_task(task, "emp", T0, " ")
    done, _ = complete_task(task, "emp", T0)
    with pytest.raises(TransitionError, match="'done'"):
        complete_task(done, "emp", T0)


def test_an_in_progress_task_past_its_due_day_is_overdue():
    task = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 1))
    started, audit = update_task(task, "emp", T0, status=TaskStatus.IN_PROGRESS)
    assert (audit.from_state, audit.to_state) == ("open", "in_progress")
    assert is_overdue(started, T0, SH)


def test_postponing_a_task_needs_a_reason_but_bringing_it_forward_does_not():
    task = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 10))
    with pytest.raises(ValidationError, match="postpone task a from 2026-01-10 to 2026-01-20"):
        update_task(task, "emp", T0, due=date(2026, 1, 20))
    later, audit = update_task(task, "emp", T0, due=date(2026, 1, 20), reason="supplier late")
    assert (later.due, audit.reason) == (date(2026, 1, 20), "supplier late")
    assert update_task(task, "emp", T0, due=date(2026, 1, 8))[0].due == date(2026, 1, 8)


def test_an_update_that_changes_nothing_is_refused():
    task = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 10))
    with pytest.raises(ValidationError, match="nothing to change"):
        update_task(task, "emp", T0, priority=Priority.LOW)


def test_update_cannot_finish_a_task():
    task = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 10))
    with pytest.raises(ValidationError, match="complete or cancel it instead"):
        update_task(task, "emp", T0, status=TaskStatus.DONE)


def test_a_cancelled_task_keeps_its_reason_and_is_never_overdue():
    task = add_task(OKR, "a", "a", "emp", Priority.LOW, date(2026, 1, 1))
    cancelled, audit = cancel_task(task, "emp", T0, "customer withdrew")
    assert (cancelled.status, cancelled.note, audit.action) == (TaskStatus.CANCELLED, "customer withdrew", "cancel")
    assert not is_overdue(cancelled, T0 + timedelta(days=30), SH)


def test_an_unknown_priority_is_refused_with_the_choices():
    with pytest.raises(ValidationError, match="one of \\['high', 'medium', 'low'\\]"):
        add_task(OKR, "a", "a", "emp", "urgent", date(2026, 1, 1))  # type: ignore[arg-type]


def test_an_mbo_goal_without_a_target_takes_percent_complete_check_ins():
    mbo = replace(new_mbo_goal("m", "emp", "Launch store", Q1, "store open with 3 staff"), status=GoalStatus.CONFIRMED)
    with pytest.raises(ValidationError, match="percent complete \\(0–100\\), got 120"):
        check_in(mbo, "emp", T0, value=D(120))
    assert goal_progress(mbo, [check_in(mbo, "emp", T0, value=D(40))]) == D("0.4")


def test_okr_goal_progress_weighs_the_latest_value_of_each_key_result():
    okr = replace(OKR, key_results=(KeyResult("k1", "NPS", D(50), D(85)), KeyResult("k2", "calls", D(0), D(10), weight=D(3))))
    ins = [check_in(okr, "emp", T0, value=D(60), key_result_id="k2"),
           check_in(okr, "emp", T0 + timedelta(days=1), value=D(5), key_result_id="k2")]
    assert goal_progress(okr, ins) == D("0.375")  # (1×0 + 3×0.5) / 4


def test_a_kpi_goal_without_a_value_has_no_progress_yet():
    kpi = replace(new_kpi_goal("k", "emp", "Revenue", Q1, D(100)), status=GoalStatus.CONFIRMED)
    assert goal_progress(kpi, []) == 0


def test_the_latest_confidence_per_key_result_wins_by_time():
    ins = [check_in(OKR, "emp", T0 + timedelta(days=1), confidence=4, key_result_id="k1"),
           check_in(OKR, "emp", T0, confidence=8, key_result_id="k1")]
    assert latest_confidences(ins) == {"k1": 4}
