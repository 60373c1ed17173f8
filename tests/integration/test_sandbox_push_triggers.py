"""POST /_sandbox/events: the sandbox changes its state first, then pushes the event (HTTP mode here)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from dingperf.sandbox.workflow import FormField, Process
from tests.conftest import poll_until
from tests.integration.test_sandbox_push import Receiver, _token

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def pushed(sandbox) -> Receiver:
    """HTTP mode to a live receiver; yields it so tests can read what was pushed (after check_url)."""
    app = sandbox.state.app
    recv = Receiver(app.callback_token, app.callback_aes_key, app.app_key)
    resp = requests.post(f"{sandbox.base_url}/_sandbox/push-config", json={"mode": "http", "url": recv.url})
    assert resp.status_code == 200, resp.text
    yield recv
    recv.stop()


def _trigger(sandbox, **body) -> dict:
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _event(receiver: Receiver, event_id: str) -> dict:
    return poll_until(lambda: next((p for p in receiver.received if p.get("eventId") == event_id), None))


def _oapi(sandbox, path: str, body: dict) -> dict:
    return requests.post(f"{sandbox.base_url}{path}", params={"access_token": _token(sandbox)}, json=body).json()


def _hire(sandbox, name: str = "张三") -> str:
    return sandbox.state.directory.add_user(name=name, dept_id_list=[1]).userid


def test_user_add_org_creates_a_user_that_user_get_finds(sandbox, pushed):
    out = _trigger(sandbox, type="user_add_org", user={"name": "李四", "dept_id_list": [1], "title": "摄影师"})
    payload = _event(pushed, out["event_ids"][0])
    [userid] = payload["userId"]
    detail = _oapi(sandbox, "/topapi/v2/user/get", {"userid": userid})
    assert detail["errcode"] == 0 and detail["result"]["name"] == "李四"


def test_user_leave_org_makes_user_get_fail(sandbox, pushed):
    userid = _hire(sandbox)
    out = _trigger(sandbox, type="user_leave_org", userid=userid)
    assert _event(pushed, out["event_ids"][0])["userId"] == [userid]
    assert _oapi(sandbox, "/topapi/v2/user/get", {"userid": userid})["errcode"] == 33012


def test_user_modify_org_carries_the_diff_of_org_level_fields(sandbox, pushed):
    userid = _hire(sandbox, "王五")
    out = _trigger(sandbox, type="user_modify_org", userid=userid, changes={"title": "店长", "name": "王小五"})
    diff = _event(pushed, out["event_ids"][0])["diffInfo"]
    assert diff == {"userid": userid, "prev": {"title": "", "name": "王五"}, "curr": {"title": "店长", "name": "王小五"}}


def test_org_dept_create_then_department_get_finds_it(sandbox, pushed):
    out = _trigger(sandbox, type="org_dept_create", dept={"name": "影楼运营部", "parent_id": 1})
    [dept_id] = _event(pushed, out["event_ids"][0])["deptId"]
    assert _oapi(sandbox, "/topapi/v2/department/get", {"dept_id": dept_id})["result"]["name"] == "影楼运营部"


def test_org_dept_remove_makes_department_get_fail(sandbox, pushed):
    dept_id = sandbox.state.directory.create_department(name="临时部", parent_id=1).dept_id
    out = _trigger(sandbox, type="org_dept_remove", dept_id=dept_id)
    assert _event(pushed, out["event_ids"][0])["deptId"] == [dept_id]
    assert _oapi(sandbox, "/topapi/v2/department/get", {"dept_id": dept_id})["errcode"] == 60003


def test_attendance_punch_is_what_attendance_list_then_reports(sandbox, pushed):
    userid = _hire(sandbox)
    # Move the sandbox to 09:05 on the next weekday (China time): a 5-minute-late punch.
    today = dt.datetime.fromtimestamp(sandbox.state.clock.now(), CST).date()
    day = next(today + dt.timedelta(days=n) for n in range(1, 8) if (today + dt.timedelta(days=n)).weekday() < 5)
    nine_oh_five = dt.datetime(day.year, day.month, day.day, 9, 5, tzinfo=CST).timestamp()
    sandbox.state.clock.advance(nine_oh_five - sandbox.state.clock.now())

    out = _trigger(sandbox, type="attendance_check_record", userid=userid)
    [record] = _event(pushed, out["event_ids"][0])["dataList"]
    assert record["userId"] == userid and "timeResult" not in record
    rows = _oapi(
        sandbox,
        "/attendance/list",
        {"workDateFrom": f"{day} 00:00:00", "workDateTo": f"{day} 23:59:59", "userIdList": [userid], "offset": 0, "limit": 50},
    )["recordresult"]
    [on_duty] = [r for r in rows if r["checkType"] == "OnDuty"]
    assert on_duty["userCheckTime"] == record["checkTime"] and on_duty["timeResult"] == "Late"


def test_bpms_instance_finish_sets_status_and_result(sandbox, pushed):
    originator, approver = _hire(sandbox, "赵六"), _hire(sandbox, "钱七")
    sandbox.state.workflow.add_process(Process("PROC-KPI", "绩效加分申请", (FormField("加分", "NumberField"),)))
    started = _trigger(
        sandbox, type="bpms_instance_change", change="start", process_code="PROC-KPI",
        originator_userid=originator, approver_userids=[approver], values={"加分": "3"},
    )
    pid = _event(pushed, started["event_ids"][0])["processInstanceId"]
    finished = _trigger(sandbox, type="bpms_instance_change", change="finish", process_instance_id=pid, result="agree")

    payload = _event(pushed, finished["event_ids"][0])
    assert (payload["type"], payload["result"]) == ("finish", "agree")
    detail = requests.get(
        f"{sandbox.base_url}/v1.0/workflow/processInstances",
        params={"processInstanceId": pid},
        headers={"x-acs-dingtalk-access-token": _token(sandbox)},
    ).json()["result"]
    assert (detail["status"], detail["result"]) == ("COMPLETED", "agree")


def test_bpms_task_finish_reports_the_approver_and_result(sandbox, pushed):
    originator, approver = _hire(sandbox, "孙八"), _hire(sandbox, "周九")
    sandbox.state.workflow.add_process(Process("PROC-LEAVE", "请假", (FormField("天数", "NumberField"),)))
    instance = sandbox.state.workflow.start_instance(
        process_code="PROC-LEAVE", originator_userid=originator, originator_dept_id=1,
        originator_dept_name="总部", values={"天数": "1"}, approver_userids=[approver],
    )
    out = _trigger(
        sandbox, type="bpms_task_change", change="finish", process_instance_id=instance.process_instance_id,
        result="refuse", remark="材料不全",
    )
    payload = _event(pushed, out["event_ids"][0])
    assert (payload["staffId"], payload["type"], payload["result"], payload["remark"]) == (approver, "finish", "refuse", "材料不全")
    assert instance.tasks[0].result == "REFUSE"


def test_unknown_trigger_type_is_400_with_a_hint(sandbox):
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events", json={"type": "user_teleport"})
    assert resp.status_code == 400
    assert "user_teleport" in resp.json()["error"] and "/_sandbox/events/raw" in resp.json()["error"]


def test_trigger_refused_by_the_directory_is_400(sandbox):
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events", json={"type": "user_leave_org", "userid": "nobody"})
    assert resp.status_code == 400 and "nobody" in resp.json()["error"]


def test_raw_event_of_an_unknown_type_is_pushed_as_is(sandbox, pushed):
    resp = requests.post(
        f"{sandbox.base_url}/_sandbox/events/raw", json={"event_type": "hrm_user_record_change", "data": {"staffId": "x1"}}
    ).json()
    payload = _event(pushed, resp["event_ids"][0])
    assert (payload["EventType"], payload["staffId"]) == ("hrm_user_record_change", "x1")
