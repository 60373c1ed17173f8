"""An employee who leaves with an open improvement plan: it closes as 'employee_left', manager and HR told, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from dingperf.perf.improvement import PlanOutcome, PlanStatus, PlanTask
from dingperf.services.departures import handle_departure
from dingperf.services.improvement_plans import close_plan, create_plan, get_plan
from dingperf.services.sync_contacts import sync_contacts
from dingperf.store.engine import Store
from dingperf.store.repositories import deactivate_employee, list_outbox_messages
from dingperf.store.repositories.audit import list_audit
from tests.integration import nomination_kit as kit
from tests.integration.sync_kit import Intake

CORP, NOW, HR = kit.CORP, kit.NOW, kit.HR
LATER = NOW + timedelta(days=1)


def _org_with_plan(store: Store) -> Store:
    kit.org_and_cycles(store)
    create_plan(store, CORP, employee="ann", manager="mia", objective="按时交付", starts_on=date(2026, 10, 1),
                ends_on=date(2026, 12, 31), actor="mia", plan_id="pip-1", now=NOW,
                tasks=[PlanTask("t1", "自学", "ann", date(2026, 11, 1))])
    return store


def _leave(store: Store, userid: str) -> None:
    with store.session() as s:
        deactivate_employee(session=s, corp_id=CORP, userid=userid, departed_at=NOW)


def _notices(store: Store) -> dict[str, list[str]]:
    with store.session() as s:
        return {m.idempotency_key: m.payload["userids"]
                for m in list_outbox_messages(session=s, corp_id=CORP, limit=1000)
                if m.idempotency_key.startswith("departure:plan-closed:")}


def test_the_leavers_open_plan_closes_as_employee_left_with_the_reason(store: Store) -> None:
    _org_with_plan(store)
    _leave(store, "ann")
    report = handle_departure(store, CORP, "ann", now=LATER, hr_userids=HR)
    plan = get_plan(store, CORP, "pip-1").plan
    assert report.closed_plans == ("pip-1",)
    assert (plan.status, plan.outcome) == (PlanStatus.CLOSED, PlanOutcome.EMPLOYEE_LEFT)
    assert plan.closing_reason == f"ann left on {NOW.date().isoformat()}"


def test_the_plans_manager_and_hr_are_told(store: Store) -> None:
    _org_with_plan(store)
    _leave(store, "ann")
    handle_departure(store, CORP, "ann", now=LATER, hr_userids=HR)
    assert [sorted(to) for to in _notices(store).values()] == [sorted(["mia", *HR])]


def test_a_second_run_closes_nothing_and_tells_nobody_again(store: Store) -> None:
    _org_with_plan(store)
    _leave(store, "ann")
    handle_departure(store, CORP, "ann", now=LATER, hr_userids=HR)
    with store.session() as s:
        audited = len(list_audit(session=s, corp_id=CORP, limit=10_000))
    queued = _notices(store)
    again = handle_departure(store, CORP, "ann", now=LATER + timedelta(hours=1), hr_userids=HR)
    assert (again.closed_plans, again.notices) == ((), 0)
    assert get_plan(store, CORP, "pip-1").revision == 2
    with store.session() as s:
        assert len(list_audit(session=s, corp_id=CORP, limit=10_000)) == audited
    assert _notices(store) == queued


def test_a_plan_already_closed_keeps_its_outcome(store: Store) -> None:
    _org_with_plan(store)
    close_plan(store, CORP, "pip-1", PlanOutcome.NOT_MET, actor="mia", reason="未达成", now=NOW)
    _leave(store, "ann")
    assert handle_departure(store, CORP, "ann", now=LATER, hr_userids=HR).closed_plans == ()
    assert get_plan(store, CORP, "pip-1").plan.outcome is PlanOutcome.NOT_MET


@pytest.fixture
def intake(sandbox, store) -> Iterator[Intake]:  # type: ignore[no-untyped-def]
    running = Intake(sandbox, store)
    yield running
    running.stop()


def test_user_leave_org_closes_the_leavers_plan(intake: Intake) -> None:
    d = intake.sandbox.state.directory
    d.add_user(name="赵总", dept_id_list=[1], userid="boss", leader_in_dept=[1])
    d.add_user(name="李娜", dept_id_list=[1], userid="lina", manager_userid="boss")
    corp = intake.sandbox.state.app.corp_id
    sync_contacts(store=intake.store, client=intake.client, corp_id=corp, now=NOW)
    create_plan(intake.store, corp, employee="lina", manager="boss", objective="按时交付", starts_on=date(2026, 10, 1),
                ends_on=date(2026, 12, 31), actor="boss", plan_id="pip-9", now=NOW)
    intake.trigger(type="user_leave_org", userid="lina")
    intake.work()
    assert get_plan(intake.store, corp, "pip-9").plan.outcome is PlanOutcome.EMPLOYEE_LEFT
