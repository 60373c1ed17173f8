"""Improvement plans in the store: created for C/D results, tasks with owners and dates tracked to a closing
outcome, every step a revision with one audit entry, refusals write nothing, and one overdue reminder per
person per org-local day through the outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.improvement import PlanOutcome, PlanStatus, PlanTask, PlanTaskStatus
from dingperf.perf.interviews import AgreedAction
from dingperf.scheduler import SchedulerRole
from dingperf.services.collect import collect_inputs
from dingperf.services.cycles import Participant, add_participants
from dingperf.services.documents import StaleRevision
from dingperf.services.improvement_plans import (
    add_plan_task,
    close_plan,
    create_plan,
    extend_plan,
    get_plan,
    list_plans,
    overdue_plans,
    plan_history,
    plans_needed,
    remind_overdue_plans,
    start_plan,
    update_plan_task,
)
from dingperf.services.interviews import record_interview
from dingperf.services.results import calibrate_result, release_results
from dingperf.services.scoring_service import score_cycle
from dingperf.settings import sandbox_settings
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit
from dingperf.store.repositories.outbox import list_outbox_messages
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE
from tests.integration.release_kit import to_calibration

T1 = PlanTask("t1", "每日 9:00 前打卡 Arrive by 9:00", "u-late", date(2026, 12, 15))
T2 = PlanTask("t2", "每周一对一 Weekly 1:1", "mgr", date(2026, 12, 31))
MID_DEC = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)  # t1 overdue, t2 not


def _plan(store: Store, plan_id: str = "pip-1", employee: str = "u-late", **kw: object) -> None:
    args: dict[str, object] = {"manager": "mgr", "objective": "no late arrivals for a month",
                               "starts_on": date(2026, 12, 2), "ends_on": date(2027, 1, 31), "actor": "mgr",
                               "tasks": [T1, T2], "plan_id": plan_id, "now": NOW, **kw}
    create_plan(store, CORP, employee=employee, **args)  # type: ignore[arg-type]


def _active(store: Store, plan_id: str = "pip-1", employee: str = "u-late") -> None:
    _plan(store, plan_id, employee, tasks=[replace(T1, owner=employee), T2])
    start_plan(store, CORP, plan_id, actor="mgr", expected_revision=1, now=NOW)


def _trail(store: Store, plan_id: str = "pip-1") -> list[str]:
    with store.session() as s:
        return [e.action for e in list_audit(session=s, corp_id=CORP, subject=f"improvement_plan:{plan_id}")]


@pytest.fixture
def released(collect_cycle: Store) -> Store:
    """Two reps under `mgr`, scored B; u-late calibrated to C; results released."""
    add_participants(collect_cycle, CORP, CYCLE, [Participant("u-late", "mgr"), Participant("u-ok", "mgr")], now=NOW)
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    to_calibration(collect_cycle, CORP, CYCLE, now=NOW)
    calibrate_result(collect_cycle, CORP, CYCLE, "u-late", grade="C", reason="late four times", by="hr", now=NOW)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    return collect_cycle


def test_a_plan_is_created_as_a_draft_with_its_tasks(store: Store) -> None:
    _plan(store)
    stored = get_plan(store, CORP, "pip-1")
    assert (stored.plan.status, stored.revision, stored.progress) == (PlanStatus.DRAFT, 1, Decimal(0))
    assert [t.task_id for t in stored.plan.tasks] == ["t1", "t2"]
    assert _trail(store) == ["improvement_plan.create"]


def test_a_task_due_outside_the_plan_is_refused_and_nothing_is_written(store: Store) -> None:
    late = PlanTask("t3", "x", "u-late", date(2027, 3, 1))
    with pytest.raises(ValidationError, match="outside the plan"):
        _plan(store, tasks=[T1, late])
    assert list_plans(store, CORP) == []


def test_an_employee_has_one_open_plan_at_a_time(store: Store) -> None:
    _plan(store)
    with pytest.raises(ValidationError, match="already has an open improvement plan \\(pip-1\\)"):
        _plan(store, "pip-2")


def test_a_closed_plan_does_not_block_a_new_one(store: Store) -> None:
    _plan(store)
    close_plan(store, CORP, "pip-1", PlanOutcome.CANCELLED, actor="mgr", reason="wrong objective", now=NOW)
    _plan(store, "pip-2")
    assert [p.plan.plan_id for p in list_plans(store, CORP, employee="u-late", status="draft")] == ["pip-2"]


def test_actions_agreed_in_the_interview_become_the_plans_first_tasks(released: Store) -> None:
    record_interview(released, CORP, CYCLE, "u-late", interviewer="mgr", template_id="low-performer",
                     held_on=date(2026, 12, 3), record_id="iv-1", now=NOW, answers={
                         "expectation": "on time", "facts": "late 4 times", "causes": "意愿 motivation",
                         "employee_view": "commute", "improvement_goal": "0 late days", "plan_needed": "是 yes",
                         "commitment": 4, "consequences_explained": "是 yes"},
                     agreed_actions=[AgreedAction("take the earlier bus", "u-late", date(2026, 12, 10))])
    _plan(released, cycle_id=CYCLE, interview_id="iv-1", tasks=[T2])
    stored = get_plan(released, CORP, "pip-1")
    assert [(t.task_id, t.title) for t in stored.plan.tasks] == [("a1", "take the earlier bus"), ("t2", T2.title)]
    start_plan(released, CORP, "pip-1", actor="mgr", now=NOW)
    assert get_plan(released, CORP, "pip-1").interview_id == "iv-1"  # kept on later revisions


def test_another_employees_interview_cannot_seed_a_plan(released: Store) -> None:
    record_interview(released, CORP, CYCLE, "u-ok", interviewer="mgr", template_id="mid-cycle-check-in",
                     held_on=date(2026, 12, 3), record_id="iv-ok", now=NOW, answers={
                         "progress": "fine", "confidence": 4, "adjust_goals": "否 no", "manager_feedback": "ok"})
    with pytest.raises(ValidationError, match="was with u-ok"):
        _plan(released, interview_id="iv-ok")


def test_hr_may_draft_a_plan_for_the_manager(store: Store) -> None:
    _plan(store, actor="hr", hr_userids=("hr",))
    assert get_plan(store, CORP, "pip-1").saved_by == "hr"


def test_someone_other_than_the_manager_or_hr_cannot_draft_a_plan(store: Store) -> None:
    with pytest.raises(ValidationError, match="only its manager \\(mgr\\) or HR"):
        _plan(store, actor="u-ok")
    assert list_plans(store, CORP) == []


def test_the_employee_moves_their_own_task_but_not_the_managers(store: Store) -> None:
    _active(store)
    update_plan_task(store, CORP, "pip-1", "t1", "done", actor="u-late", now=NOW)
    with pytest.raises(ValidationError, match="only the owner of task t2 \\(mgr\\)"):
        update_plan_task(store, CORP, "pip-1", "t2", "done", actor="u-late", now=NOW)
    with pytest.raises(ValidationError, match="cannot change"):
        extend_plan(store, CORP, "pip-1", date(2027, 2, 28), actor="u-late", reason="more time", now=NOW)
    assert get_plan(store, CORP, "pip-1").revision == 3


def test_a_plan_runs_to_a_completed_outcome_with_every_step_audited(store: Store) -> None:
    _active(store)
    add_plan_task(store, CORP, "pip-1", PlanTask("t3", "Read the handbook", "u-late", date(2026, 12, 10)),
                  actor="mgr", expected_revision=2, now=NOW)
    update_plan_task(store, CORP, "pip-1", "t1", "done", actor="u-late", now=NOW)
    half = update_plan_task(store, CORP, "pip-1", "t3", PlanTaskStatus.DROPPED, actor="mgr",
                            note="covered in onboarding", now=NOW)
    assert half.progress == Decimal("0.5")
    update_plan_task(store, CORP, "pip-1", "t2", PlanTaskStatus.DONE, actor="mgr", now=NOW)
    closed = close_plan(store, CORP, "pip-1", "completed", actor="mgr", reason="on time all month", now=NOW)
    assert (closed.plan.status, closed.plan.outcome, closed.progress) == (PlanStatus.CLOSED, PlanOutcome.COMPLETED,
                                                                           Decimal(1))
    assert _trail(store) == ["improvement_plan.create", "improvement_plan.start", "improvement_plan.add_task",
                             "improvement_plan.update_task", "improvement_plan.update_task",
                             "improvement_plan.update_task", "improvement_plan.close"]
    assert [h.plan.status for h in plan_history(store, CORP, "pip-1")][-2:] == [PlanStatus.ACTIVE, PlanStatus.CLOSED]


def test_completing_with_open_tasks_is_refused_and_nothing_is_written(store: Store) -> None:
    _active(store)
    with pytest.raises(ValidationError, match="still has open tasks"):
        close_plan(store, CORP, "pip-1", "completed", actor="mgr", reason="good enough", now=NOW)
    assert get_plan(store, CORP, "pip-1").revision == 2


def test_a_closed_plan_takes_no_more_changes(store: Store) -> None:
    _active(store)
    close_plan(store, CORP, "pip-1", PlanOutcome.NOT_MET, actor="mgr", reason="still late weekly", now=NOW)
    with pytest.raises(TransitionError, match="closed"):
        update_plan_task(store, CORP, "pip-1", "t1", "done", actor="u-late", now=NOW)


def test_extending_needs_a_reason_and_keeps_it_in_the_audit(store: Store) -> None:
    _active(store)
    with pytest.raises(ValidationError, match="reason"):
        extend_plan(store, CORP, "pip-1", date(2027, 2, 28), actor="mgr", reason=" ", now=NOW)
    extend_plan(store, CORP, "pip-1", date(2027, 2, 28), actor="mgr", reason="sick leave in January", now=NOW)
    assert get_plan(store, CORP, "pip-1").plan.ends_on == date(2027, 2, 28)
    with store.session() as s:
        last = list_audit(session=s, corp_id=CORP, subject="improvement_plan:pip-1")[-1]
    assert (last.action, last.reason) == ("improvement_plan.extend", "sick leave in January")


def test_an_edit_over_someone_elses_change_is_refused(store: Store) -> None:
    _active(store)
    update_plan_task(store, CORP, "pip-1", "t1", "in_progress", actor="u-late", expected_revision=2, now=NOW)
    with pytest.raises(StaleRevision, match="reload"):
        update_plan_task(store, CORP, "pip-1", "t2", "done", actor="mgr", expected_revision=2, now=NOW)


def test_plans_needed_lists_released_c_and_d_results_without_a_plan(released: Store) -> None:
    needed = plans_needed(released, CORP, CYCLE)
    assert [(c.userid, c.grade, c.manager_userid) for c in needed] == [("u-late", "C", "mgr")]
    _plan(released, cycle_id=CYCLE)
    assert plans_needed(released, CORP, CYCLE) == []
    assert [c.userid for c in plans_needed(released, CORP, CYCLE, grades=("B",))] == ["u-ok"]


def test_plans_needed_waits_for_release(collect_cycle: Store) -> None:
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    assert plans_needed(collect_cycle, CORP, CYCLE, grades=("B",)) == []


def test_overdue_plans_are_found_in_the_org_timezone(store: Store) -> None:
    _active(store)
    # 16:30 UTC on Dec 15 is still Dec 15 in UTC but already 00:30 on Dec 16 in Shanghai
    at = datetime(2026, 12, 15, 16, 30, tzinfo=UTC)
    assert overdue_plans(store, CORP, now=at, zone="UTC") == []
    assert [p.plan.plan_id for p in overdue_plans(store, CORP, now=at, zone="Asia/Shanghai")] == ["pip-1"]


def test_one_reminder_per_late_owner_per_day(store: Store) -> None:
    _active(store)
    _active(store, "pip-2", "u-ok")
    assert remind_overdue_plans(store, CORP, now=MID_DEC) == 2  # u-late (t1 of pip-1), u-ok (t1 of pip-2)
    assert remind_overdue_plans(store, CORP, now=MID_DEC.replace(hour=9)) == 0  # same Shanghai day
    with store.session() as s:
        rows = list_outbox_messages(session=s, corp_id=CORP)
    assert sorted(r.idempotency_key for r in rows) == ["pip-overdue:u-late:2026-12-20", "pip-overdue:u-ok:2026-12-20"]
    text = next(r for r in rows if r.payload["userids"] == ["u-late"]).payload["msg"]["markdown"]["text"]
    assert "pip-1" in text and "已逾期 5 天" in text
    assert remind_overdue_plans(store, CORP, now=datetime(2026, 12, 21, 2, 0, tzinfo=UTC)) == 2


def test_the_manager_is_reminded_once_a_plan_passes_its_end(store: Store) -> None:
    _active(store)
    for task in ("t1", "t2"):
        update_plan_task(store, CORP, "pip-1", task, "done", actor="mgr", now=NOW)
    assert remind_overdue_plans(store, CORP, now=datetime(2027, 2, 2, 2, 0, tzinfo=UTC)) == 1
    with store.session() as s:
        (row,) = list_outbox_messages(session=s, corp_id=CORP)
    assert row.payload["userids"] == ["mgr"] and "请评估结果并结束计划" in row.payload["msg"]["markdown"]["text"]


def test_reminders_link_to_the_workbench_when_a_public_url_is_known(store: Store) -> None:
    _active(store)
    remind_overdue_plans(store, CORP, now=MID_DEC, public_url="https://perf.example.com")
    with store.session() as s:
        (row,) = list_outbox_messages(session=s, corp_id=CORP)
    assert "improvement-plans" in row.payload["msg"]["action_card"]["single_url"]


def test_the_scheduler_job_queues_plan_reminders_for_the_configured_corp(store: Store) -> None:
    _plan(store, starts_on=date(2020, 1, 1), ends_on=date(2099, 1, 1),  # the job runs at the real "now"
          tasks=[PlanTask("t1", "long past", "u-late", date(2020, 1, 10)), replace(T2, due=date(2098, 12, 31))])
    start_plan(store, CORP, "pip-1", actor="mgr", now=NOW)
    settings = sandbox_settings(base_url="http://127.0.0.1:9", corp_id=CORP, app_key="k", app_secret="s",
                                agent_id=1, robot_code="r", callback_token="token123", callback_aes_key="a" * 43,
                                database_url=store.engine.url.render_as_string(hide_password=False))
    SchedulerRole(settings, store, client=object()).plan_reminders()
    with store.session() as s:
        assert [r.payload["userids"] for r in list_outbox_messages(session=s, corp_id=CORP)] == [["u-late"]]
