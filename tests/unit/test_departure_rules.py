"""Pure rules for departures and manager changes: successors, plan hand-over, appeals taken back."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dingperf.perf import appeals as ap
from dingperf.perf.departures import departure_reason, follows_manager_change, hand_over_plan, successor
from dingperf.perf.errors import TransitionError
from dingperf.perf.improvement import ImprovementPlan, PlanStatus, PlanTask, PlanTaskStatus

T = datetime(2026, 11, 23, 2, tzinfo=UTC)
WHY = departure_reason("mia", date(2026, 11, 23))


def plan(**kw: object) -> ImprovementPlan:
    tasks = (PlanTask("t1", "学习", "mia", date(2026, 12, 1)),
             PlanTask("t2", "复盘", "mia", date(2026, 12, 1), PlanTaskStatus.DONE),
             PlanTask("t3", "练习", "ann", date(2026, 12, 1)))
    values = {"plan_id": "p1", "employee": "ann", "manager": "mia", "starts_on": date(2026, 11, 1),
              "ends_on": date(2026, 12, 31), "objective": "改进", "tasks": tasks, "status": PlanStatus.ACTIVE, **kw}
    return ImprovementPlan(**values)  # type: ignore[arg-type]


def test_departure_reason_names_who_left_and_when() -> None:
    assert WHY == "mia left on 2026-11-23"


def test_successor_is_the_synced_manager_when_active() -> None:
    assert successor("ann", "mia", "boss", {"boss"}) == "boss"


def test_no_successor_while_the_address_book_still_names_the_departed_or_nobody() -> None:
    assert successor("ann", "mia", "mia", {"mia"}) is None
    assert successor("ann", "mia", None, {"boss"}) is None
    assert successor("ann", "mia", "gone2", {"boss"}) is None


def test_manager_changes_follow_before_manager_review_or_when_the_old_manager_left() -> None:
    assert follows_manager_change("self_review", old_manager_left=False)
    assert not follows_manager_change("manager_review", old_manager_left=False)
    assert follows_manager_change("manager_review", old_manager_left=True)
    assert not follows_manager_change("closed", old_manager_left=True)


def test_plan_hand_over_names_the_new_manager_and_moves_open_tasks() -> None:
    new, audit = hand_over_plan(plan(), "mia", "boss", T, WHY) or pytest.fail("expected a change")
    assert new.manager == "boss"
    assert [(t.task_id, t.owner) for t in new.tasks] == [("t1", "boss"), ("t2", "mia"), ("t3", "ann")]
    assert "mia left on 2026-11-23" in new.tasks[0].note
    assert audit.reason == "mia left on 2026-11-23; manager mia -> boss; tasks t1 -> boss"


def test_plan_without_a_successor_keeps_its_manager_and_tasks_for_hr() -> None:
    assert hand_over_plan(plan(), "mia", None, T, WHY) is None


def test_tasks_of_a_departed_owner_pass_to_the_plan_manager() -> None:
    new, audit = hand_over_plan(plan(manager="boss"), "mia", None, T, WHY) or pytest.fail("expected a change")
    assert (new.manager, new.tasks[0].owner) == ("boss", "boss")
    assert audit.reason.endswith("tasks t1 -> boss")


def test_handed_over_plan_is_not_handed_over_twice() -> None:
    new, _ = hand_over_plan(plan(), "mia", "boss", T, WHY) or pytest.fail("expected a change")
    assert hand_over_plan(new, "mia", "boss", T, WHY) is None


def test_closed_plan_is_left_alone() -> None:
    assert hand_over_plan(plan(status=PlanStatus.CLOSED), "mia", "boss", T, WHY) is None


def _in_review() -> ap.Appeal:
    window = ap.AppealWindow(T, T + timedelta(days=7))
    filed = ap.file_appeal("a1", "q1", "ann", ap.AppealTarget(ap.AppealSubject.TOTAL), "不公平", Decimal(70),
                           window, T)[0]
    return ap.assign(filed, "hr1", T + timedelta(days=3), "hrlead", T)[0]


def test_unassigning_returns_the_appeal_to_be_assigned_again() -> None:
    appeal, audit = ap.unassign(_in_review(), "system:departures", T, "hr1 left on 2026-11-23")
    assert (appeal.status, appeal.handler, appeal.deadline) == (ap.AppealStatus.FILED, "", None)
    assert (audit.action, audit.from_state, audit.to_state) == ("unassign", "in_review", "filed")


def test_only_an_appeal_in_review_can_be_unassigned() -> None:
    appeal, _ = ap.unassign(_in_review(), "system:departures", T, "hr1 left")
    with pytest.raises(TransitionError):
        ap.unassign(appeal, "system:departures", T, "hr1 left")
