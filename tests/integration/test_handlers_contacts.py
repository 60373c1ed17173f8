"""Address-book handlers driven through the real intake: the sandbox changes its org, pushes the event over
HTTP to POST /dingtalk/callback, the worker runs callbacks/contacts.py, and the store follows DingTalk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dingperf.events.worker import BatchReport
from dingperf.services.write_counter import count_writes
from tests.integration.sync_kit import Intake, org_rows


@pytest.fixture
def intake(sandbox, store) -> Iterator[Intake]:
    running = Intake(sandbox, store)
    yield running
    running.stop()


@pytest.fixture
def org(sandbox) -> dict:
    """A small org: 研发中心 (head 王强) with 李娜 reporting to 王强."""
    d = sandbox.state.directory
    dept = d.create_department(name="研发中心", parent_id=1)
    head = d.add_user(name="王强", dept_id_list=[dept.dept_id], userid="wangqiang", leader_in_dept=[dept.dept_id])
    d.add_user(name="赵总", dept_id_list=[1], userid="boss", leader_in_dept=[1])
    return {"dept": dept.dept_id, "head": head.userid}


def employees(intake: Intake) -> dict:
    return org_rows(intake.store, intake.sandbox.state.app.corp_id)[0]


def departments(intake: Intake) -> dict:
    return org_rows(intake.store, intake.sandbox.state.app.corp_id)[1]


def test_user_add_org_lands_the_new_employee_with_manager_from_user_detail(intake, org):
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina",
                                              "manager_userid": "boss", "title": "工程师"})
    assert intake.work() == 1
    row = employees(intake)["lina"]
    assert (row["name"], row["title"], row["manager_userid"], row["active"]) == ("李娜", "工程师", "boss", True)


def test_new_employee_without_a_manager_reports_to_the_department_head(intake, org):
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    intake.work()
    assert employees(intake)["lina"]["manager_userid"] == org["head"]
    assert departments(intake)[org["dept"]]["leader_userids"] == [org["head"]]  # fetched for the fallback


def test_a_department_head_without_a_manager_reports_to_the_head_above(intake, org):
    intake.trigger(type="user_add_org", user={"name": "王强二", "dept_id_list": [org["dept"]], "userid": "w2",
                                              "leader_in_dept": [org["dept"]]})
    intake.work()
    assert employees(intake)["w2"]["manager_userid"] == org["head"]  # the other head of the same department
    intake.trigger(type="user_add_org", user={"name": "赵二", "dept_id_list": [1], "userid": "boss2",
                                              "leader_in_dept": [1]})
    intake.work()
    assert employees(intake)["boss2"]["manager_userid"] == "boss"


def test_user_modify_org_updates_manager_and_title(intake, org):
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    intake.work()
    intake.trigger(type="user_modify_org", userid="lina", changes={"manager_userid": "boss", "title": "架构师"})
    intake.work()
    row = employees(intake)["lina"]
    assert (row["manager_userid"], row["title"]) == ("boss", "架构师")


def test_user_leave_org_deactivates_the_employee_and_keeps_history(intake, org):
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    intake.work()
    intake.trigger(type="user_leave_org", userid="lina")
    intake.work()
    row = employees(intake)["lina"]
    assert row["active"] is False and row["departed_at"] is not None
    assert row["name"] == "李娜" and row["dept_ids"] == [org["dept"]]


def test_departed_user_is_detected_with_60121_too(intake, org, sandbox):
    sandbox.state.limits.departed_user_errcode = 60121
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    intake.work()
    intake.trigger(type="user_leave_org", userid="lina")
    intake.work()
    assert employees(intake)["lina"]["active"] is False


def test_org_dept_create_and_modify_land_the_department(intake, org):
    intake.trigger(type="org_dept_create", dept={"name": "测试组", "parent_id": org["dept"]})
    intake.work()
    created = [d for d in departments(intake).values() if d["name"] == "测试组"]
    assert len(created) == 1 and created[0]["parent_id"] == org["dept"]
    intake.trigger(type="org_dept_modify", dept_id=created[0]["dept_id"], changes={"name": "质量组"})
    intake.work()
    assert departments(intake)[created[0]["dept_id"]]["name"] == "质量组"


def test_org_dept_remove_marks_the_department_removed(intake, org):
    intake.trigger(type="org_dept_create", dept={"name": "临时组", "parent_id": 1})
    intake.work()
    dept_id = next(d["dept_id"] for d in departments(intake).values() if d["name"] == "临时组")
    intake.trigger(type="org_dept_remove", dept_id=dept_id)
    intake.work()
    row = departments(intake)[dept_id]
    assert row["active"] is False and row["removed_at"] is not None


def test_new_department_head_becomes_fallback_manager_of_its_members(intake, org):
    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    intake.work()
    intake.trigger(type="user_add_org", user={"name": "新头", "dept_id_list": [1], "userid": "newhead"})
    intake.work()
    intake.trigger(type="org_dept_modify", dept_id=org["dept"], changes={"manager_userids": ["newhead"]})
    intake.work()
    assert employees(intake)["lina"]["manager_userid"] == "newhead"


def test_events_in_reverse_order_converge_to_dingtalks_current_state(intake, org, store):
    ids = intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    ids += intake.trigger(type="user_modify_org", userid="lina", changes={"title": "工程师"})
    ids += intake.trigger(type="user_modify_org", userid="lina", changes={"title": "架构师", "manager_userid": "boss"})
    claimed = intake.worker.port.claim(limit=100, now=intake.worker.clock(), lease_s=60)
    report = BatchReport()
    for c in sorted(claimed, key=lambda c: ids.index(c.event.event_id), reverse=True):  # newest first
        intake.worker.process(c, report)
    assert report.handled == 3
    assert set(intake.statuses().values()) == {"done"}
    row = employees(intake)["lina"]
    assert (row["title"], row["manager_userid"], row["active"]) == ("架构师", "boss", True)


def test_the_same_event_three_times_writes_once(intake, org, sandbox):
    import requests

    intake.trigger(type="user_add_org", user={"name": "李娜", "dept_id_list": [org["dept"]], "userid": "lina"})
    intake.work()
    sandbox.state.directory.modify_user("lina", title="组长")
    body = {"event_type": "user_modify_org", "data": {"userId": ["lina"], "timeStamp": "1"}, "count": 3}
    ids = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body, timeout=10).json()["event_ids"]
    from tests.conftest import poll_until

    poll_until(lambda: set(ids) <= intake.stored_ids())
    with count_writes(intake.store.engine, ("employees", "departments")) as writes:
        assert intake.work() == 3
    assert writes.total == 1 and employees(intake)["lina"]["title"] == "组长"
