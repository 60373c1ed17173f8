from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf import improvement as ip
from dingperf.perf.errors import TransitionError, ValidationError

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
SH = ZoneInfo("Asia/Shanghai")


def plan():
    p = ip.ImprovementPlan("p1", "dan", "mia", date(2026, 5, 1), date(2026, 7, 31), "close 90% of tickets on time")
    p = ip.add_task(p, ip.PlanTask("t1", "Shadow a senior agent", "dan", date(2026, 5, 15)))
    p = ip.add_task(p, ip.PlanTask("t2", "Weekly ticket review", "mia", date(2026, 6, 30)))
    return ip.start(p, "mia", NOW)[0]


def test_plan_cannot_start_without_tasks():
    empty = ip.ImprovementPlan("p1", "dan", "mia", date(2026, 5, 1), date(2026, 7, 31), "x")
    with pytest.raises(ValidationError, match="no tasks"):
        ip.start(empty, "mia", NOW)


def test_task_due_outside_the_plan_is_rejected():
    with pytest.raises(ValidationError, match="outside the plan"):
        ip.add_task(plan(), ip.PlanTask("t3", "x", "dan", date(2026, 8, 15)))


def test_progress_counts_done_over_tasks_not_dropped():
    p, _ = ip.update_task(plan(), "t1", ip.PlanTaskStatus.DONE, "dan", NOW)
    assert ip.progress(p) == Decimal("0.5")
    p, _ = ip.update_task(p, "t2", ip.PlanTaskStatus.DROPPED, "mia", NOW, "mia moved teams")
    assert ip.progress(p) == 1


def test_overdue_tasks_and_plans_given_now():
    later = datetime(2026, 5, 16, 9, tzinfo=UTC)
    assert [t.task_id for t in ip.overdue_tasks(plan(), later, SH)] == ["t1"]
    assert ip.is_overdue(plan(), later, SH)
    assert not ip.is_overdue(plan(), NOW, SH)


def test_completed_outcome_needs_every_task_finished():
    with pytest.raises(ValidationError, match="open tasks"):
        ip.close(plan(), ip.PlanOutcome.COMPLETED, "mia", NOW, "done")
    p, audit = ip.close(plan(), ip.PlanOutcome.NOT_MET, "mia", NOW, "no improvement after 3 months")
    assert p.outcome is ip.PlanOutcome.NOT_MET and audit.action == "close:not_met"


def test_closed_plan_accepts_no_more_changes():
    p, _ = ip.close(plan(), ip.PlanOutcome.CANCELLED, "mia", NOW, "transferred")
    with pytest.raises(TransitionError, match="'closed'"):
        ip.update_task(p, "t1", ip.PlanTaskStatus.DONE, "dan", NOW)


def test_extension_needs_a_reason_and_a_later_date():
    with pytest.raises(ValidationError, match="reason"):
        ip.extend(plan(), date(2026, 8, 31), "mia", NOW, "")
    p, _ = ip.extend(plan(), date(2026, 8, 31), "mia", NOW, "sick leave")
    assert p.ends_on == date(2026, 8, 31)
