"""Work notifications over real HTTP: per-recipient outcomes, daily rules, progress/result/recall (§6.1)."""

import pytest
from sandbox_outbound_kit import OutboundKit

SEND = "/topapi/message/corpconversation/asyncsend_v2"
RESULT = "/topapi/message/corpconversation/getsendresult"


@pytest.fixture
def kit(sandbox):
    return OutboundKit(sandbox)


def _send(kit, userids, content, **extra):
    body = {
        "agent_id": kit.app.agent_id,
        "userid_list": ",".join(userids),
        "msg": {"msgtype": "text", "text": {"content": content}},
        **extra,
    }
    return kit.oapi(SEND, body)


def _result(kit, task_id):
    body = kit.oapi(RESULT, {"agent_id": kit.app.agent_id, "task_id": task_id})
    assert body["errcode"] == 0, body
    return body["send_result"]


def test_send_returns_task_id_and_the_person_sees_the_message(kit):
    zhang = kit.hire("张伟")
    body = _send(kit, [zhang], "请确认Q4目标")
    assert body["errcode"] == 0 and isinstance(body["task_id"], int)
    [item] = kit.inbox(zhang)
    assert item["kind"] == "work_notification"
    assert item["content"] == {"msgtype": "text", "text": {"content": "请确认Q4目标"}}
    assert item["ref"]["task_id"] == body["task_id"]
    assert item["at_ms"] == pytest.approx(kit.state.clock.now_ms(), abs=5_000)


def test_identical_content_reaches_a_user_once_per_day_then_again_next_day(kit):
    zhang = kit.hire("张伟")
    _send(kit, [zhang], "自评截止提醒")
    second = _send(kit, [zhang], "自评截止提醒")
    assert second["errcode"] == 0  # DingTalk accepts the call; the user just doesn't get it
    result = _result(kit, second["task_id"])
    assert result["forbidden_list"] == [{"code": "143106", "count": 1, "userid": zhang}]
    assert result["forbidden_user_id_list"] == [zhang]
    assert len(kit.inbox(zhang)) == 1
    kit.advance(86_400)
    _send(kit, [zhang], "自评截止提醒")
    assert len(kit.inbox(zhang)) == 2


def test_a_user_gets_at_most_500_messages_a_day(kit):
    kit.state.limits.qps_per_app_api = 100_000  # this test is about the per-user cap, not the QPS limit
    zhang = kit.hire("张伟")
    for i in range(500):
        assert _send(kit, [zhang], f"提醒 #{i}")["errcode"] == 0
    over = _send(kit, [zhang], "提醒 #500")
    assert _result(kit, over["task_id"])["forbidden_list"] == [
        {"code": "143105", "count": 500, "userid": zhang}
    ]
    assert len(kit.inbox(zhang)) == 500


def test_unknown_and_departed_users_are_reported_invalid(kit):
    zhang, gone = kit.hire("张伟"), kit.hire("王芳")
    kit.state.directory.leave_user(gone)
    task = _send(kit, [zhang, gone, "nobody"], "hello")["task_id"]
    result = _result(kit, task)
    assert result["invalid_user_id_list"] == [gone, "nobody"]
    assert result["unread_user_id_list"] == [zhang]
    assert kit.inbox(gone) == []


def test_dept_id_list_reaches_sub_departments(kit):
    sales = kit.state.directory.create_department(name="销售部", parent_id=1).dept_id
    east = kit.state.directory.create_department(name="华东区", parent_id=sales).dept_id
    a, b, outsider = kit.hire("张伟", [sales]), kit.hire("李娜", [east]), kit.hire("王芳", [1])
    body = {
        "agent_id": kit.app.agent_id,
        "dept_id_list": f"{sales},999",
        "msg": {"msgtype": "markdown", "markdown": {"title": "周报", "text": "## 本周"}},
    }
    task = kit.oapi(SEND, body)["task_id"]
    result = _result(kit, task)
    assert sorted(result["unread_user_id_list"]) == sorted([a, b])
    assert result["invalid_dept_id_list"] == [999]
    assert kit.inbox(outsider) == []


def test_read_messages_show_in_the_result(kit):
    zhang, li = kit.hire("张伟"), kit.hire("李娜")
    task = _send(kit, [zhang, li], "hello")["task_id"]
    assert kit.control("POST", "/messages/read", {"userid": li, "task_id": task}).status_code == 200
    result = _result(kit, task)
    assert result["read_user_id_list"] == [li]
    assert result["unread_user_id_list"] == [zhang]


def test_result_is_gone_after_24_hours(kit):
    task = _send(kit, [kit.hire("张伟")], "hello")["task_id"]
    kit.advance(24 * 3600)
    body = kit.oapi(RESULT, {"agent_id": kit.app.agent_id, "task_id": task})
    assert body["errcode"] == 400002


def test_progress_reports_a_finished_task(kit):
    task = _send(kit, [kit.hire("张伟")], "hello")["task_id"]
    body = kit.oapi(
        "/topapi/message/corpconversation/getsendprogress", {"agent_id": kit.app.agent_id, "task_id": task}
    )
    assert body["progress"] == {"progress_in_percent": 100, "status": 2}


def test_recall_marks_the_message_recalled_in_the_mailbox(kit):
    zhang = kit.hire("张伟")
    task = _send(kit, [zhang], "发错了")["task_id"]
    body = kit.oapi(
        "/topapi/message/corpconversation/recall", {"agent_id": kit.app.agent_id, "msg_task_id": task}
    )
    assert body["errcode"] == 0
    [item] = kit.inbox(zhang)
    assert item["recalled"] is True


def test_wrong_agent_id_is_refused(kit):
    body = _send(kit, [kit.hire("张伟")], "hi", agent_id=kit.app.agent_id + 1)
    assert body["errcode"] == 40056


def test_more_than_100_userids_is_a_parameter_error(kit):
    body = _send(kit, [f"u{i}" for i in range(101)], "hi")
    assert body["errcode"] == 400002
    assert "at most 100" in body["errmsg"]


def test_more_than_20_departments_is_a_parameter_error(kit):
    body = {"agent_id": kit.app.agent_id, "dept_id_list": ",".join(str(i) for i in range(1, 22))}
    body["msg"] = {"msgtype": "text", "text": {"content": "hi"}}
    assert kit.oapi(SEND, body)["errcode"] == 400002


def test_userid_list_must_be_a_comma_string(kit):
    body = {
        "agent_id": kit.app.agent_id,
        "userid_list": ["a"],
        "msg": {"msgtype": "text", "text": {"content": "x"}},
    }
    assert kit.oapi(SEND, body)["errcode"] == 400002


def test_msg_over_2048_bytes_is_refused(kit):
    body = _send(kit, [kit.hire("张伟")], "绩" * 700)  # 3 bytes each in UTF-8
    assert body["errcode"] == 400002
    assert "2048" in body["errmsg"]


def test_missing_msg_field_is_40035(kit):
    body = {
        "agent_id": kit.app.agent_id,
        "userid_list": kit.hire("张伟"),
        "msg": {"msgtype": "link", "link": {"title": "t"}},
    }
    resp = kit.oapi(SEND, body)
    assert resp["errcode"] == 40035
    assert "msg.link.messageUrl" in resp["errmsg"]


def test_action_card_needs_single_link_or_buttons(kit):
    card = {"msgtype": "action_card", "action_card": {"title": "t", "markdown": "m"}}
    body = {"agent_id": kit.app.agent_id, "userid_list": kit.hire("张伟"), "msg": card}
    assert kit.oapi(SEND, body)["errcode"] == 40035
    card["action_card"]["btn_json_list"] = [{"title": "确认", "action_url": "https://x"}]
    assert kit.oapi(SEND, body)["errcode"] == 0


def test_no_recipients_is_40035(kit):
    body = {"agent_id": kit.app.agent_id, "msg": {"msgtype": "text", "text": {"content": "x"}}}
    assert kit.oapi(SEND, body)["errcode"] == 40035


def test_to_all_user_reaches_every_current_employee(kit):
    everyone = [kit.hire("张伟"), kit.hire("李娜")]
    body = {
        "agent_id": kit.app.agent_id,
        "to_all_user": True,
        "msg": {"msgtype": "text", "text": {"content": "全员"}},
    }
    task = kit.oapi(SEND, body)["task_id"]
    assert sorted(_result(kit, task)["unread_user_id_list"]) == sorted(everyone)


def test_reset_forgets_what_was_sent_but_keeps_groups_and_switches(kit):
    zhang = kit.hire("张伟")
    _send(kit, [zhang], "hello")
    cid = kit.control("POST", "/groups", {"title": "g", "member_userids": [zhang]}).json()[
        "openConversationId"
    ]
    kit.control("POST", "/outbound/settings", {"ding_premium": False})
    assert kit.control("POST", "/reset").status_code == 200
    assert kit.inbox(zhang) == []
    assert kit.control("GET", f"/groups/{cid}/messages").status_code == 200
    assert kit.control("GET", "/outbound/settings").json()["ding_premium"] is False
    _send(kit, [zhang], "hello")  # the per-day duplicate memory went with the reset
    assert len(kit.inbox(zhang)) == 1
