"""Action plans in the store: tasks under a goal, each change one audited revision, overdue listing, phase gate."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dingperf.perf.action_plans import Priority, TaskStatus
from dingperf.perf.cycles import Phase
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.library import load_template
from dingperf.services.action_plans import (
    action_plan,
    add_action_task,
    cancel_action_task,
    complete_action_task,
    overdue_action_tasks,
    update_action_task,
)
from dingperf.services.cycles import create_cycle
from dingperf.services.documents import StaleRevision, document_history
from dingperf.services.goals import close_goal, confirm_goal, create_goal, send_goal
from dingperf.services.phases import override_phase
from dingperf.services.templates import publish_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit

CORP, CYCLE, TZ = "dingcorp-action-plans", "2026-11", "Asia/Shanghai"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
D = Decimal


@pytest.fixture
def goal(store: Store) -> Store:
    """A confirmed goal g1 of u-rep in a November 2026 cycle in goal setting."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    create_goal(store, CORP, CYCLE, goal_id="g1", owner="u-rep", title="Revenue", target=D(100), weight=D(100),
                actor="mgr", now=NOW)
    send_goal(store, CORP, "g1", actor="mgr", now=NOW)
    confirm_goal(store, CORP, "g1", actor="u-rep", now=NOW)
    return store


def _add(store: Store, task_id: str, due: date, priority: Priority = Priority.MEDIUM, owner: str = "u-rep") -> None:
    add_action_task(store, CORP, "g1", task_id=task_id, title=f"do {task_id}", owner=owner, priority=priority,
                    due=due, actor="u-rep", now=NOW)


def _trail(store: Store, task_id: str) -> list[tuple[str, str]]:
    with store.session() as s:
        return [(e.action, e.reason) for e in list_audit(session=s, corp_id=CORP, subject=f"action_plan:g1/{task_id}")]


def test_each_task_change_is_one_revision_and_one_audit_entry(goal: Store) -> None:
    _add(goal, "t1", date(2026, 11, 10), Priority.HIGH)
    update_action_task(goal, CORP, "g1", "t1", actor="u-rep", status=TaskStatus.IN_PROGRESS, now=NOW)
    update_action_task(goal, CORP, "g1", "t1", actor="mgr", due=date(2026, 11, 12), reason="client moved the demo",
                       now=NOW)
    done = complete_action_task(goal, CORP, "g1", "t1", actor="u-rep", note="demo signed", now=NOW + timedelta(days=9))
    assert [d.status for d in document_history(goal, CORP, "action_plan", "g1/t1")] == [
        "open", "in_progress", "in_progress", "done"]
    assert _trail(goal, "t1") == [("action_plan.add", "high, due 2026-11-10"), ("action_plan.update", ""),
                                  ("action_plan.update", "client moved the demo"),
                                  ("action_plan.complete", "demo signed")]
    assert (done.revision, done.task.status, done.task.note, done.task.due) == (
        4, TaskStatus.DONE, "demo signed", date(2026, 11, 12))


def test_the_plan_lists_unfinished_tasks_first_by_priority_and_due(goal: Store) -> None:
    _add(goal, "low", date(2026, 11, 5), Priority.LOW)
    _add(goal, "high-late", date(2026, 11, 20), Priority.HIGH)
    _add(goal, "high-soon", date(2026, 11, 8), Priority.HIGH)
    _add(goal, "finished", date(2026, 11, 3), Priority.HIGH)
    complete_action_task(goal, CORP, "g1", "finished", actor="u-rep", now=NOW)
    assert [st.task.task_id for st in action_plan(goal, CORP, "g1")] == ["high-soon", "high-late", "low", "finished"]


def test_overdue_tasks_are_listed_by_owner_in_the_org_timezone(goal: Store) -> None:
    _add(goal, "late", date(2026, 11, 5), Priority.LOW)
    _add(goal, "later", date(2026, 11, 6), Priority.HIGH, owner="u-helper")
    _add(goal, "due-today", date(2026, 11, 7), Priority.HIGH)
    _add(goal, "cancelled", date(2026, 11, 1), Priority.HIGH)
    cancel_action_task(goal, CORP, "g1", "cancelled", actor="u-rep", reason="client withdrew", now=NOW)
    at = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)  # already 7 November in Shanghai
    assert [st.task.task_id for st in overdue_action_tasks(goal, CORP, now=at, timezone=TZ, cycle_id=CYCLE)] == [
        "later", "late"]
    assert [st.task.task_id for st in overdue_action_tasks(goal, CORP, now=at, timezone=TZ, owner="u-rep")] == ["late"]


def test_cancelling_without_a_reason_is_refused_and_nothing_is_written(goal: Store) -> None:
    _add(goal, "t1", date(2026, 11, 10))
    with pytest.raises(ValidationError, match="'cancel task t1' requires a reason"):
        cancel_action_task(goal, CORP, "g1", "t1", actor="u-rep", reason="", now=NOW)
    assert len(document_history(goal, CORP, "action_plan", "g1/t1")) == 1


def test_postponing_without_a_reason_is_refused(goal: Store) -> None:
    _add(goal, "t1", date(2026, 11, 10))
    with pytest.raises(ValidationError, match="postpone task t1 from 2026-11-10 to 2026-11-20"):
        update_action_task(goal, CORP, "g1", "t1", actor="u-rep", due=date(2026, 11, 20), now=NOW)


def test_a_task_id_already_used_under_the_goal_is_refused(goal: Store) -> None:
    _add(goal, "t1", date(2026, 11, 10))
    with pytest.raises(ValidationError, match="goal g1 already has a task 't1'"):
        _add(goal, "t1", date(2026, 11, 12))


def test_an_update_against_a_stale_revision_is_refused(goal: Store) -> None:
    _add(goal, "t1", date(2026, 11, 10))
    update_action_task(goal, CORP, "g1", "t1", actor="mgr", priority=Priority.HIGH, now=NOW)
    with pytest.raises(StaleRevision, match="reload it and apply your change again"):
        update_action_task(goal, CORP, "g1", "t1", actor="u-rep", title="new", expected_revision=1, now=NOW)


def test_a_task_on_a_closed_goal_is_refused(goal: Store) -> None:
    close_goal(goal, CORP, "g1", actor="mgr", now=NOW)
    with pytest.raises(ValidationError, match="goal g1 is closed; open a new goal for new work"):
        _add(goal, "t1", date(2026, 11, 10))


def test_an_unknown_task_is_not_found(goal: Store) -> None:
    with pytest.raises(NotFound, match="no action plan 'g1/nope'"):
        complete_action_task(goal, CORP, "g1", "nope", actor="u-rep", now=NOW)


def test_action_plans_go_on_during_review_but_not_after_results(goal: Store) -> None:
    override_phase(goal, CORP, CYCLE, Phase.MANAGER_REVIEW, actor="hr", reason="test setup", now=NOW)
    _add(goal, "t1", date(2026, 11, 10))
    override_phase(goal, CORP, CYCLE, Phase.CLOSED, actor="hr", reason="test setup", now=NOW)
    with pytest.raises(TransitionError, match="changing an action plan is allowed only in goal setting"):
        complete_action_task(goal, CORP, "g1", "t1", actor="u-rep", now=NOW)
    done = complete_action_task(goal, CORP, "g1", "t1", actor="hr", admin_override="finished before close, logged late",
                                now=NOW)
    assert done.task.status is TaskStatus.DONE
    assert _trail(goal, "t1")[-1] == ("action_plan.complete",
                                      "admin override in closed: finished before close, logged late")
