"""Pure rule: an employee who leaves has their open improvement plan closed with a neutral outcome."""

from datetime import UTC, date, datetime

from dingperf.perf.departures import close_for_departure, departure_reason
from dingperf.perf.improvement import (
    ImprovementPlan,
    PlanOutcome,
    PlanStatus,
    PlanTask,
    plan_from_dict,
    plan_to_dict,
)

T = datetime(2026, 11, 23, 2, tzinfo=UTC)
WHY = departure_reason("ann", date(2026, 11, 23))


def plan(**kw: object) -> ImprovementPlan:
    values = {"plan_id": "p1", "employee": "ann", "manager": "mia", "starts_on": date(2026, 11, 1),
              "ends_on": date(2026, 12, 31), "objective": "改进",
              "tasks": (PlanTask("t1", "学习", "ann", date(2026, 12, 1)),), "status": PlanStatus.ACTIVE, **kw}
    return ImprovementPlan(**values)  # type: ignore[arg-type]


def test_the_leavers_open_plan_closes_as_employee_left_with_open_tasks_kept() -> None:
    closed, audit = close_for_departure(plan(), "ann", T, WHY) or (None, None)
    assert closed is not None and audit is not None
    assert closed.status is PlanStatus.CLOSED and closed.outcome is PlanOutcome.EMPLOYEE_LEFT
    assert closed.closing_reason == "ann left on 2026-11-23"
    assert closed.tasks == plan().tasks


def test_a_draft_plan_of_the_leaver_closes_too() -> None:
    closed = close_for_departure(plan(status=PlanStatus.DRAFT), "ann", T, WHY)
    assert closed is not None and closed[0].outcome is PlanOutcome.EMPLOYEE_LEFT


def test_a_closed_plan_is_left_as_it_is() -> None:
    done = plan(status=PlanStatus.CLOSED, outcome=PlanOutcome.NOT_MET, closing_reason="未达成")
    assert close_for_departure(done, "ann", T, WHY) is None


def test_a_plan_the_leaver_only_manages_is_not_closed() -> None:
    assert close_for_departure(plan(employee="bob"), "ann", T, WHY) is None


def test_employee_left_round_trips_through_the_stored_form() -> None:
    closed = close_for_departure(plan(), "ann", T, WHY)
    assert closed is not None and plan_from_dict(plan_to_dict(closed[0])).outcome is PlanOutcome.EMPLOYEE_LEFT
