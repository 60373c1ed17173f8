"""Attendance, approvals, messages, cards and login against a generated company in the live sandbox."""

from collections import Counter
from datetime import timedelta

import pytest

from dingperf.dingtalk.cards import OpenSpace
from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.crypto import jsapi_signature
from dingperf.dingtalk.errors import Permanent
from dingperf.dingtalk.messages import markdown_msg
from dingperf.dingtalk.parse import from_ms
from dingperf.sandbox.company import generate_company

WEEKLY_CHECKIN = "624eb05c-4220-585c-aeba-48714b77d858.schema"


@pytest.fixture
def company(sandbox):
    generate_company(150, 6, seed=5, into=sandbox.state)
    return sandbox


@pytest.fixture
def client(company) -> DingTalkClient:
    app = company.state.app
    return DingTalkClient(ClientConfig(corp_id=app.corp_id, app_key=app.app_key, app_secret=app.app_secret,
                                       agent_id=app.agent_id, robot_code=app.robot_code,
                                       api_base=company.base_url, oapi_base=company.base_url, timeout_s=5.0))


def active_userids(state) -> list[str]:
    with state.lock:
        return sorted(u.userid for u in state.directory.users.values() if not u.departed)


def test_attendance_over_many_users_and_days_is_chunked_and_complete(company, client):
    state = company.state
    userids = active_userids(state)[:60]
    last = from_ms(state.clock.now_ms()).date() - timedelta(days=1)
    first = last - timedelta(days=9)
    rows = list(client.attendance.list_results(userids, first, last))
    expected = state.attendance.results(userids, first, last)
    key = lambda r: (r.userid, r.work_date, r.check_type)
    assert Counter(key(r) for r in rows) == Counter(
        (e["userId"], from_ms(e["workDate"]).date(), e["checkType"]) for e in expected)
    assert {r.time_result for r in rows} >= {"Normal", "Late"}
    bodies = [r.json for r in state.recorder.list("/attendance/list")]
    assert all(len(b["userIdList"]) <= 50 for b in bodies)


def test_approval_ids_across_windows_match_and_details_parse(company, client):
    state = company.state
    now = from_ms(state.clock.now_ms())
    start = now - timedelta(days=300)
    with state.lock:
        codes = list(state.workflow.processes)
    for code in codes:
        ids = list(client.workflow.iter_instance_ids(code, start, now))
        assert ids == state.workflow.query_ids(code, int(start.timestamp() * 1000), state.clock.now_ms())
    instance_id = ids[0]
    detail = client.workflow.get_instance(instance_id)
    stored = state.workflow.instance(instance_id)
    assert detail.status == stored.status and detail.create_time.tzinfo is not None
    assert detail.form_values and detail.operation_records


def test_work_notification_reaches_every_recipient(company, client):
    state = company.state
    userids = active_userids(state)[:120]
    task_ids = client.messages.send_work_notification(userids, markdown_msg("提醒", "请在周五前提交周报 #1"))
    assert len(task_ids) == 2
    assert client.messages.get_send_progress(task_ids[0]).is_done
    received = {d.userid for d in state.outbound.mailbox.all() if d.kind == "work_notification"}
    assert received == set(userids)
    # two sends and one progress read are metered, the token is not; the sandbox counts the same
    assert client.quota.used() == 3 == state.throttle.quota_used()


def test_card_values_arrive_as_strings_and_update_merges(company, client):
    state = company.state
    userid = active_userids(state)[0]
    results = client.cards.create_and_deliver(
        WEEKLY_CHECKIN, "checkin-g1-w47", {"title": "每周进展", "target_value": 120, "last_confidence": 7.5},
        [OpenSpace.robot(userid)], private_data={userid: {"submitted": False}})
    assert results and results[0].success
    client.cards.update("checkin-g1-w47", {"last_confidence": 8})
    card = state.outbound.cards.get("checkin-g1-w47")
    assert card.card_data == {"title": "每周进展", "target_value": "120", "last_confidence": "8"}
    assert card.private_data[userid] == {"submitted": "false"}


def test_auth_code_logs_the_user_in_once(company, client):
    userid = active_userids(company.state)[3]
    code = company.state.authcodes.issue(userid)
    assert client.auth.user_from_auth_code(code).userid == userid
    with pytest.raises(Permanent, match="40078"):
        client.auth.user_from_auth_code(code)


def test_jsapi_config_uses_the_apps_ticket(company, client):
    config = client.auth.jsapi_config("https://perf.example.com/app?corpId=x#/home", "n0nce", 1700000000000)
    ticket = company.state.tokens.jsapi_ticket(company.state.app.app_key).value
    assert config["signature"] == jsapi_signature(ticket, "n0nce", "1700000000000",
                                                  "https://perf.example.com/app?corpId=x")
