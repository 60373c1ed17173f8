"""Typed methods: chunking to DingTalk's limits, paging, lenient parsing into frozen values."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import responses

from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.crypto import jsapi_signature
from dingperf.dingtalk.messages import text_msg
from dingperf.dingtalk.ratelimit import RateLimiter

API = "https://api.example.test"
OAPI = "https://oapi.example.test"
CONFIG = ClientConfig(corp_id="dingcorp", app_key="k", app_secret="s", agent_id=42, robot_code="k",
                      api_base=API, oapi_base=OAPI)


@pytest.fixture
def client():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, f"{API}/v1.0/oauth2/accessToken", json={"accessToken": "t", "expireIn": 7200})
        c = DingTalkClient(CONFIG, limiter=RateLimiter(1000))
        c.rsps = rsps
        yield c


def ok(**fields):
    return {"errcode": 0, "errmsg": "ok", **fields}


def bodies(rsps, path):
    return [json.loads(c.request.body) for c in rsps.calls if path in c.request.url]


def test_user_pages_follow_string_cursor_and_has_more(client):
    client.rsps.add(responses.POST, f"{OAPI}/topapi/v2/user/list", json=ok(result={
        "has_more": "true", "next_cursor": "2", "list": [{"userid": "a", "name": "甲", "active": "true"},
                                                        {"userid": "b", "name": "乙"}]}))
    client.rsps.add(responses.POST, f"{OAPI}/topapi/v2/user/list", json=ok(result={
        "has_more": False, "list": [{"userid": "c", "name": "丙", "dept_id_list": ["5", 6]}]}))
    users = list(client.contacts.iter_users(5, size=2))
    assert [u.userid for u in users] == ["a", "b", "c"]
    assert users[0].active is True and users[2].dept_ids == (5, 6)
    assert [b["cursor"] for b in bodies(client.rsps, "/user/list")] == [0, 2]


def test_user_detail_without_manager_or_hire_date_reads_as_none(client):
    client.rsps.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=ok(result={"userid": "u1", "name": "甲"}))
    user = client.contacts.get_user("u1")
    assert user.manager_userid is None and user.hired_date is None


def test_user_detail_hired_date_is_timezone_aware(client):
    client.rsps.add(responses.POST, f"{OAPI}/topapi/v2/user/get", json=ok(result={
        "userid": "u1", "name": "甲", "manager_userid": "m1", "hired_date": 1_600_000_000_000,
        "leader_in_dept": [{"dept_id": 3, "leader": "true"}, {"dept_id": 4, "leader": False}]}))
    user = client.contacts.get_user("u1")
    assert user.manager_userid == "m1" and user.leader_in_dept_ids == (3,)
    assert user.hired_date == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    assert user.hired_date.tzinfo is not None


def test_department_detail_carries_leader_userids(client):
    client.rsps.add(responses.POST, f"{OAPI}/topapi/v2/department/get", json=ok(result={
        "dept_id": 7, "name": "影楼运营部", "parent_id": 1, "dept_manager_userid_list": ["m1", "m2"]}))
    dept = client.contacts.get_department(7)
    assert dept.leader_userids == ("m1", "m2") and dept.parent_id == 1


def test_attendance_is_chunked_to_50_users_and_7_days_with_offset_paging(client):
    client.rsps.add(responses.POST, f"{OAPI}/attendance/list", json=ok(hasMore=True, recordresult=[
        {"userId": "u0", "timeResult": "Late", "checkType": "OnDuty", "workDate": 1_763_827_200_000}]))
    client.rsps.add(responses.POST, f"{OAPI}/attendance/list", json=ok(hasMore=False, recordresult=[]))
    users = [f"u{i}" for i in range(60)]
    rows = list(client.attendance.list_results(users, date(2026, 11, 1), date(2026, 11, 10)))
    sent = bodies(client.rsps, "/attendance/list")
    # the first call returns a page with hasMore, so it is followed by one offset page
    assert sent[0]["offset"] == 0 and sent[1]["offset"] == 50
    windows = {(b["workDateFrom"], b["workDateTo"]) for b in sent}
    assert windows == {("2026-11-01 00:00:00", "2026-11-07 00:00:00"), ("2026-11-08 00:00:00", "2026-11-10 00:00:00")}
    assert all(len(b["userIdList"]) <= 50 for b in sent) and len(sent) == 5
    assert rows[0].time_result == "Late"


def test_approval_ids_split_windows_of_120_days_and_follow_next_token(client):
    client.rsps.add(responses.POST, f"{API}/v1.0/workflow/processes/instanceIds/query",
                    json={"success": True, "result": {"list": ["p1", "p2"], "nextToken": "20"}})
    client.rsps.add(responses.POST, f"{API}/v1.0/workflow/processes/instanceIds/query",
                    json={"success": True, "result": {"list": ["p3"]}})
    client.rsps.add(responses.POST, f"{API}/v1.0/workflow/processes/instanceIds/query",
                    json={"success": True, "result": {"list": ["p3", "p4"]}})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = list(client.workflow.iter_instance_ids("PROC-1", start, start + timedelta(days=200)))
    sent = bodies(client.rsps, "instanceIds/query")
    assert ids == ["p1", "p2", "p3", "p4"]
    assert sent[1]["nextToken"] == "20" and all(b["maxResults"] == 20 for b in sent)
    assert all(b["endTime"] - b["startTime"] <= 120 * 86_400_000 for b in sent)


def test_approval_instance_parses_times_form_and_tasks(client):
    client.rsps.add(responses.GET, f"{API}/v1.0/workflow/processInstances", json={"success": True, "result": {
        "title": "KPI", "status": "COMPLETED", "result": "agree", "createTime": "2022-08-31T11:52Z",
        "formComponentValues": [{"id": "f1", "name": "销售额", "value": "120000", "bizAlias": "sales"}],
        "tasks": [{"taskId": 9, "userId": "m1", "status": "COMPLETED", "result": "AGREE"}],
        "operationRecords": [{"userId": "u1", "date": "2022-08-31T11:52Z", "type": "START_PROCESS_INSTANCE"}]}})
    inst = client.workflow.get_instance("pi-1")
    assert inst.is_approved and inst.form_value("sales") == "120000" and inst.form_value("销售额") == "120000"
    assert inst.create_time == datetime(2022, 8, 31, 11, 52, tzinfo=UTC)
    assert inst.tasks[0].task_id == "9" and inst.operation_records[0].type == "START_PROCESS_INSTANCE"


def test_work_notification_is_chunked_to_100_userids(client):
    client.rsps.add(responses.POST, f"{OAPI}/topapi/message/corpconversation/asyncsend_v2", json=ok(task_id=1))
    client.rsps.add(responses.POST, f"{OAPI}/topapi/message/corpconversation/asyncsend_v2", json=ok(task_id=2))
    task_ids = client.messages.send_work_notification([f"u{i}" for i in range(150)], text_msg("hi"))
    sent = bodies(client.rsps, "asyncsend_v2")
    assert task_ids == [1, 2]
    assert [len(b["userid_list"].split(",")) for b in sent] == [100, 50] and sent[0]["agent_id"] == 42


def test_jsapi_config_signs_with_the_cached_ticket(client):
    client.rsps.add(responses.POST, f"{API}/v1.0/oauth2/jsapiTickets", json={"jsapiTicket": "tk", "expireIn": 7200})
    url = "https://host/app?corpId=dingcorp"
    first = client.auth.jsapi_config(url, "nonce", 1700000000000, ["biz.contact.choose"])
    client.auth.jsapi_config(url, "nonce2", 1700000000001)
    assert first["signature"] == jsapi_signature("tk", "nonce", "1700000000000", url)
    assert first["corpId"] == "dingcorp" and first["agentId"] == "42"
    assert len([c for c in client.rsps.calls if "jsapiTickets" in c.request.url]) == 1


def test_failed_pushes_are_drained_while_has_more(client):
    client.rsps.add(responses.GET, f"{OAPI}/call_back/get_call_back_failed_result", json=ok(has_more=True, failed_list=[
        {"call_back_tag": "user_add_org", "event_time": 1606126433000, "user_add_org": {"userid": ["z"]}}]))
    client.rsps.add(responses.GET, f"{OAPI}/call_back/get_call_back_failed_result", json=ok(has_more=False, failed_list=[
        {"call_back_tag": "bpms_instance_change", "event_time": 1606126434000,
         "bpms_instance_change": {"bpmsCallBackData": {}}}]))
    pushes = list(client.callbacks.failed_pushes())
    assert [p.call_back_tag for p in pushes] == ["user_add_org", "bpms_instance_change"]
    assert pushes[0].data == {"userid": ["z"]} and pushes[0].event_time.tzinfo is not None


def test_auth_code_exchange_returns_the_user(client):
    client.rsps.add(responses.POST, f"{OAPI}/topapi/v2/user/getuserinfo", json=ok(result={
        "userid": "u1", "name": "甲", "sys": "true", "sys_level": "1"}))
    user = client.auth.user_from_auth_code("code1")
    assert user.userid == "u1" and user.is_admin and user.sys_level == 1


def test_group_message_sends_msg_param_as_json_string(client):
    client.rsps.add(responses.POST, f"{API}/v1.0/robot/groupMessages/send", json={"processQueryKey": "pqk"})
    assert client.robot.send_group_message("cid==", "sampleMarkdown", {"title": "t", "text": "x"}) == "pqk"
    body = bodies(client.rsps, "groupMessages/send")[0]
    assert json.loads(body["msgParam"]) == {"title": "t", "text": "x"} and body["robotCode"] == "k"
