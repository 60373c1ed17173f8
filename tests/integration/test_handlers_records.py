"""Attendance and approval handlers driven through the real intake (sandbox HTTP push → callback →
inbox → worker → callbacks/): each event re-reads DingTalk, so repeats and reordering converge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.events.worker import BatchReport
from dingperf.store.repositories import get_approval_instance, list_attendance_records
from tests.integration.sync_kit import Intake


@pytest.fixture
def intake(sandbox, store) -> Iterator[Intake]:
    running = Intake(sandbox, store)
    yield running
    running.stop()


@pytest.fixture
def people(sandbox) -> dict:
    d = sandbox.state.directory
    dept = d.create_department(name="销售一组", parent_id=1)
    d.add_user(name="王强", dept_id_list=[dept.dept_id], userid="head", leader_in_dept=[dept.dept_id])
    d.add_user(name="李娜", dept_id_list=[dept.dept_id], userid="lina")
    return {"dept": dept.dept_id}


def next_workday_at(sandbox, hour: int, minute: int) -> dt.datetime:
    """Move the sandbox clock to the next weekday at hour:minute China time (after its seeded history)."""
    now = dt.datetime.fromtimestamp(sandbox.state.clock.now(), CHINA_TZ)
    day = now.date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    target = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA_TZ)
    sandbox.state.clock.advance(target.timestamp() - sandbox.state.clock.now())
    return target


def test_check_record_event_rereads_that_days_results(intake, people, sandbox, store):
    morning = next_workday_at(sandbox, 10, 0)
    punch = morning.replace(hour=9, minute=20)
    intake.trigger(type="attendance_check_record", userid="lina", check_time_ms=int(punch.timestamp() * 1000))
    assert intake.work() == 1
    corp = sandbox.state.app.corp_id
    with store.session() as s:
        rows = list_attendance_records(session=s, corp_id=corp, date_from=punch.date(), date_to=punch.date())
    on_duty = [r for r in rows if r.userid == "lina" and r.check_type == "OnDuty"]
    assert len(on_duty) == 1 and on_duty[0].time_result == "Late"  # the verdict the event did not carry


def test_a_later_punch_updates_the_same_record(intake, people, sandbox, store):
    morning = next_workday_at(sandbox, 8, 30)
    intake.trigger(type="attendance_check_record", userid="lina",
                   check_time_ms=int(morning.replace(hour=8, minute=20).timestamp() * 1000))
    intake.trigger(type="attendance_check_record", userid="lina",
                   check_time_ms=int(morning.replace(hour=18, minute=30).timestamp() * 1000))
    sandbox.state.clock.advance(11 * 3600)
    assert intake.work() == 2
    corp = sandbox.state.app.corp_id
    with store.session() as s:
        rows = list_attendance_records(session=s, corp_id=corp, date_from=morning.date(), date_to=morning.date())
    assert sorted((r.check_type, r.time_result) for r in rows if r.userid == "lina") == [
        ("OffDuty", "Normal"), ("OnDuty", "Normal")]


def _start(intake: Intake, sandbox) -> str:
    code = "PROC-KPI-TEST"
    from dingperf.sandbox.workflow import FormField, Process

    sandbox.state.workflow.add_process(Process(code, "业绩上报", (FormField("销售额", "MoneyField", "sales"),)))
    intake.trigger(type="bpms_instance_change", change="start", process_code=code, originator_userid="lina",
                   approver_userids=["head"], values={"销售额": "120000"})
    return next(iter(sandbox.state.workflow.instances))


def test_bpms_instance_change_lands_the_instance_with_its_form(intake, people, sandbox, store):
    instance_id = _start(intake, sandbox)
    intake.work()
    corp = sandbox.state.app.corp_id
    with store.session() as s:
        row = get_approval_instance(session=s, corp_id=corp, process_instance_id=instance_id)
    assert (row.status, row.result, row.process_code, row.originator_userid) == (
        "RUNNING", "", "PROC-KPI-TEST", "lina")
    assert [(f["name"], f["value"], f["biz_alias"]) for f in row.form_values] == [("销售额", "120000", "sales")]


def test_task_and_instance_events_in_reverse_order_converge_to_finished(intake, people, sandbox, store):
    instance_id = _start(intake, sandbox)
    ids = intake.trigger(type="bpms_task_change", process_instance_id=instance_id, change="finish", result="agree")
    ids += intake.trigger(type="bpms_instance_change", change="finish", process_instance_id=instance_id,
                          result="agree")
    claimed = intake.worker.port.claim(limit=100, now=intake.worker.clock(), lease_s=60)
    report = BatchReport()
    order = {event_id: n for n, event_id in enumerate(ids)}
    for c in sorted(claimed, key=lambda c: order.get(c.event.event_id, -1), reverse=True):  # finish first, start last
        intake.worker.process(c, report)
    assert report.handled == 3
    corp = sandbox.state.app.corp_id
    with store.session() as s:
        row = get_approval_instance(session=s, corp_id=corp, process_instance_id=instance_id)
    assert (row.status, row.result) == ("COMPLETED", "agree") and row.finish_time is not None
