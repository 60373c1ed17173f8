"""Improvement plans: who to remind about what (org timezone), who still needs a plan, JSON round trip."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf import improvement as ip
from dingperf.perf.errors import ValidationError
from dingperf.perf.interviews import AgreedAction

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
SH = ZoneInfo("Asia/Shanghai")


def plan(plan_id="p1", employee="dan"):
    p = ip.ImprovementPlan(plan_id, employee, "mia", date(2026, 5, 1), date(2026, 7, 31), "tickets on time")
    p = ip.add_task(p, ip.PlanTask("t1", "Shadow a senior agent", employee, date(2026, 5, 15)))
    p = ip.add_task(p, ip.PlanTask("t2", "Weekly ticket review", "mia", date(2026, 6, 30)))
    return ip.start(p, "mia", NOW)[0]


def test_overdue_task_reminds_its_owner_only():
    due = ip.reminders([plan()], datetime(2026, 5, 20, tzinfo=UTC), SH)
    assert list(due) == ["dan"]
    assert [(r.plan_id, r.task_id) for r in due["dan"]] == [("p1", "t1")]


def test_task_is_overdue_from_the_next_day_in_the_org_timezone():
    # 16:30 UTC on the 15th is already 00:30 on the 16th in Shanghai
    assert ip.reminders([plan()], datetime(2026, 5, 15, 15, 30, tzinfo=UTC), SH) == {}
    assert "dan" in ip.reminders([plan()], datetime(2026, 5, 15, 16, 30, tzinfo=UTC), SH)


def test_plan_past_its_end_reminds_the_manager_to_close_it():
    p, _ = ip.update_task(plan(), "t1", ip.PlanTaskStatus.DONE, "dan", NOW)
    p, _ = ip.update_task(p, "t2", ip.PlanTaskStatus.DONE, "mia", NOW)
    due = ip.reminders([p], datetime(2026, 8, 2, tzinfo=UTC), SH)
    assert [(u, r.task_id, r.due) for u, rs in due.items() for r in rs] == [("mia", None, date(2026, 7, 31))]


def test_one_owner_gets_all_their_late_items_earliest_first():
    due = ip.reminders([plan("p2", "eve"), plan("p1", "dan")], datetime(2026, 7, 5, tzinfo=UTC), SH)
    assert [(r.plan_id, r.task_id) for r in due["mia"]] == [("p1", "t2"), ("p2", "t2")]


def test_draft_and_closed_plans_send_no_reminders():
    draft = ip.ImprovementPlan("p1", "dan", "mia", date(2026, 5, 1), date(2026, 5, 31), "x")
    draft = ip.add_task(draft, ip.PlanTask("t1", "x", "dan", date(2026, 5, 2)))
    closed, _ = ip.close(plan(), ip.PlanOutcome.CANCELLED, "mia", NOW, "moved role")
    assert ip.reminders([draft, closed], datetime(2026, 9, 1, tzinfo=UTC), SH) == {}


def test_needing_plan_lists_wanted_grades_without_a_plan():
    grades = {"ann": "A", "bob": "C", "cat": "D", "dan": "C", "eve": None}
    assert ip.needing_plan(grades, {"dan"}, ("C", "D")) == ("bob", "cat")


def test_plan_round_trips_through_json_data():
    p, _ = ip.close(plan(), ip.PlanOutcome.NOT_MET, "mia", NOW, "no change after 3 months")
    assert ip.plan_from_dict(ip.plan_to_dict(p)) == p


def test_employee_cannot_manage_their_own_plan():
    with pytest.raises(ValidationError, match="own plan"):
        ip.ImprovementPlan("p1", "dan", "dan", date(2026, 5, 1), date(2026, 7, 31), "x")


def test_task_without_owner_is_refused():
    p = ip.ImprovementPlan("p1", "dan", "mia", date(2026, 5, 1), date(2026, 7, 31), "x")
    with pytest.raises(ValidationError, match="owner"):
        ip.add_task(p, ip.PlanTask("t1", "x", "", date(2026, 5, 2)))


def test_the_manager_and_hr_may_change_a_plan():
    ip.require_may_change(plan(), "mia", ())
    ip.require_may_change(plan(), "hr", ("hr",))


def test_a_task_owner_may_move_only_their_own_task():
    ip.require_may_change(plan(), "dan", (), task_id="t1")
    with pytest.raises(ValidationError, match="only the owner of task t2 \\(mia\\), its manager \\(mia\\) or HR"):
        ip.require_may_change(plan(), "dan", (), task_id="t2")


def test_anyone_else_is_refused_with_who_may():
    with pytest.raises(ValidationError, match="only its manager \\(mia\\) or HR"):
        ip.require_may_change(plan(), "eve", ("hr",))


def test_actions_agreed_in_an_interview_become_plan_tasks():
    actions = [AgreedAction("SQL course", "dan", date(2026, 6, 30)), AgreedAction("weekly 1:1", "mia", date(2026, 7, 1))]
    tasks = ip.tasks_from_actions(actions)
    assert [(t.task_id, t.title, t.owner, t.due, t.status) for t in tasks] == [
        ("a1", "SQL course", "dan", date(2026, 6, 30), ip.PlanTaskStatus.TODO),
        ("a2", "weekly 1:1", "mia", date(2026, 7, 1), ip.PlanTaskStatus.TODO)]
