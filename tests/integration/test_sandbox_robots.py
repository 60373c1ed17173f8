"""Robots over real HTTP: custom group-robot webhook (§6.3), enterprise-robot messages (§6.4), DING (§6.2)."""

import json

import pytest
from sandbox_outbound_kit import OutboundKit

from dingperf.dingtalk.crypto import robot_sign


@pytest.fixture
def kit(sandbox):
    return OutboundKit(sandbox)


def _robot(kit, **settings):
    resp = kit.control("POST", "/robots", settings)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _webhook(kit, robot, body, *, ts=None, secret=None):
    params = {"access_token": robot["access_token"]}
    if secret is not None:
        ts = kit.state.clock.now_ms() if ts is None else ts
        params.update(timestamp=str(ts), sign=robot_sign(secret, ts))
    resp = kit.http.post(f"{kit.base}/robot/send", params=params, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _text(content):
    return {"msgtype": "text", "text": {"content": content}}


# ---- custom group robot ----------------------------------------------------------------------


def test_signed_message_is_posted_to_the_group_and_its_members(kit):
    zhang = kit.hire("张伟")
    robot = _robot(kit, security="sign", title="销售群", member_userids=[zhang])
    assert robot["secret"].startswith("SEC")
    assert robot["webhook"].endswith(f"/robot/send?access_token={robot['access_token']}")
    assert _webhook(kit, robot, _text("本周绩效排行"), secret=robot["secret"])["errcode"] == 0
    group = kit.control("GET", f"/groups/{robot['openConversationId']}/messages").json()
    assert [m["content"] for m in group["messages"]] == [_text("本周绩效排行")]
    assert [m["content"] for m in kit.inbox(zhang, "group_message")] == [_text("本周绩效排行")]
    assert len(kit.control("GET", f"/robots/{robot['access_token']}/messages").json()["messages"]) == 1


def test_wrong_sign_is_310000_sign_not_match(kit):
    robot = _robot(kit, security="sign")
    body = _webhook(kit, robot, _text("x"), secret="SECsomebodyelse")
    assert (body["errcode"], body["errmsg"]) == (310000, "sign not match")


def test_timestamp_more_than_an_hour_off_is_310000_invalid_timestamp(kit):
    robot = _robot(kit, security="sign")
    stale = kit.state.clock.now_ms() - 3_600_001
    body = _webhook(kit, robot, _text("x"), ts=stale, secret=robot["secret"])
    assert (body["errcode"], body["errmsg"]) == (310000, "invalid timestamp")


def test_signature_ages_with_the_sandbox_clock(kit):
    robot = _robot(kit, security="sign")
    ts = kit.state.clock.now_ms()
    kit.state.clock.advance(3601)
    body = _webhook(kit, robot, _text("x"), ts=ts, secret=robot["secret"])
    assert body["errmsg"] == "invalid timestamp"


def test_message_without_a_keyword_is_310000_keywords_not_in_content(kit):
    robot = _robot(kit, security="keywords", keywords=["绩效"])
    body = _webhook(kit, robot, _text("hello"))
    assert (body["errcode"], body["errmsg"]) == (310000, "keywords not in content")
    markdown = {"msgtype": "markdown", "markdown": {"title": "绩效周报", "text": "..."}}
    assert _webhook(kit, robot, markdown)["errcode"] == 0


def test_ip_outside_the_allow_list_is_310000_with_the_ip(kit):
    robot = _robot(kit, security="ip", ips=["10.0.0.0/8"])
    body = _webhook(kit, robot, _text("x"))
    assert (body["errcode"], body["errmsg"]) == (310000, "ip 127.0.0.1 not in whitelist")
    allowed = _robot(kit, security="ip", ips=["127.0.0.1"])
    assert _webhook(kit, allowed, _text("x"))["errcode"] == 0


def test_unknown_robot_token_is_400101(kit):
    body = _webhook(kit, {"access_token": "nope"}, _text("x"))
    assert body["errcode"] == 400101


def test_unsupported_msgtype_is_400105(kit):
    robot = _robot(kit, security="keywords", keywords=["x"])
    body = _webhook(kit, robot, {"msgtype": "image", "image": {"content": "x"}})
    assert body["errcode"] == 400105


def test_21st_message_in_a_minute_is_410100_and_blocks_for_10_minutes(kit):
    robot = _robot(kit, security="keywords", keywords=["提醒"])
    for i in range(20):
        assert _webhook(kit, robot, _text(f"提醒 {i}"))["errcode"] == 0
        kit.state.clock.advance(1)  # one a second: well inside the minute, clear of any per-second limit
    assert _webhook(kit, robot, _text("提醒 20"))["errcode"] == 410100
    kit.state.clock.advance(120)  # the minute window has passed, but the block has not
    assert _webhook(kit, robot, _text("提醒 21"))["errcode"] == 410100
    kit.state.clock.advance(481)
    assert _webhook(kit, robot, _text("提醒 22"))["errcode"] == 0


def test_repeated_msg_uuid_is_accepted_but_posted_once(kit):
    robot = _robot(kit, security="keywords", keywords=["周报"])
    body = {**_text("周报"), "msgUuid": "weekly-2026-W47"}
    assert _webhook(kit, robot, body)["errcode"] == 0
    assert _webhook(kit, robot, body)["errcode"] == 0
    messages = kit.control("GET", f"/groups/{robot['openConversationId']}/messages").json()["messages"]
    assert len(messages) == 1


def test_robot_needs_a_security_mode(kit):
    resp = kit.control("POST", "/robots", {"security": "none"})
    assert resp.status_code == 400
    assert "security" in resp.json()["error"]


# ---- enterprise robot --------------------------------------------------------------------------


def _group(kit, members):
    resp = kit.control("POST", "/groups", {"title": "绩效项目组", "member_userids": members})
    assert resp.status_code == 200, resp.text
    return resp.json()["openConversationId"]


def test_group_message_reaches_every_member(kit):
    zhang, li = kit.hire("张伟"), kit.hire("李娜")
    cid = _group(kit, [zhang, li])
    body = {
        "robotCode": kit.app.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleMarkdown",
        "msgParam": json.dumps({"title": "周报", "text": "## 完成率 92%"}),
    }
    resp = kit.api("POST", "/v1.0/robot/groupMessages/send", body)
    assert resp.status_code == 200, resp.text
    key = resp.json()["processQueryKey"]
    for userid in (zhang, li):
        [item] = kit.inbox(userid)
        assert item["content"] == {
            "msgKey": "sampleMarkdown",
            "msgParam": {"title": "周报", "text": "## 完成率 92%"},
        }
        assert item["ref"]["processQueryKey"] == key


def test_msg_param_must_be_a_json_string(kit):
    cid = _group(kit, [])
    body = {
        "robotCode": kit.app.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": {"content": "x"},
    }
    resp = kit.api("POST", "/v1.0/robot/groupMessages/send", body)
    assert (resp.status_code, resp.json()["code"]) == (400, "invalidParameter.msgParam.invalid")


def test_msg_param_missing_a_key_of_its_msg_key_is_refused(kit):
    cid = _group(kit, [])
    body = {"robotCode": kit.app.robot_code, "openConversationId": cid, "msgKey": "sampleLink"}
    body["msgParam"] = json.dumps({"title": "t", "text": "x"})
    resp = kit.api("POST", "/v1.0/robot/groupMessages/send", body)
    assert resp.json()["code"] == "invalidParameter.msgParam.invalid"
    assert "picUrl" in resp.json()["message"]


def test_msg_param_over_15000_bytes_is_refused(kit):
    cid = _group(kit, [])
    body = {"robotCode": kit.app.robot_code, "openConversationId": cid, "msgKey": "sampleText"}
    body["msgParam"] = json.dumps({"content": "x" * 15_000})
    assert (
        kit.api("POST", "/v1.0/robot/groupMessages/send", body).json()["code"]
        == "invalidParameter.msgParam.invalid"
    )


def test_unknown_msg_key_robot_code_and_group_are_refused(kit):
    cid = _group(kit, [])
    good = {"robotCode": kit.app.robot_code, "openConversationId": cid, "msgKey": "sampleText"}
    good["msgParam"] = json.dumps({"content": "x"})
    cases = [
        ({"msgKey": "sampleFancy"}, "invalidParameter.msgKey.invalid"),
        ({"robotCode": "dingother"}, "invalidParameter.robotCode.notExist"),
        ({"openConversationId": "cidnope=="}, "invalid.openConversationId"),
    ]
    for change, code in cases:
        resp = kit.api("POST", "/v1.0/robot/groupMessages/send", {**good, **change})
        assert (resp.status_code, resp.json()["code"]) == (400, code)


def test_oto_batch_send_lists_invalid_and_flow_controlled_users(kit):
    zhang, li = kit.hire("张伟"), kit.hire("李娜")
    assert kit.control("POST", "/outbound/settings", {"oto_per_user_per_minute": 1}).status_code == 200
    body = {
        "robotCode": kit.app.robot_code,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "请自评"}),
    }
    first = kit.api("POST", "/v1.0/robot/oToMessages/batchSend", {**body, "userIds": [zhang, "ghost"]}).json()
    assert first["invalidStaffIdList"] == ["ghost"] and first["flowControlledStaffIdList"] == []
    second = kit.api("POST", "/v1.0/robot/oToMessages/batchSend", {**body, "userIds": [zhang, li]}).json()
    assert second["flowControlledStaffIdList"] == [zhang]
    assert len(kit.inbox(zhang, "robot_oto")) == 1 and len(kit.inbox(li, "robot_oto")) == 1


def test_oto_batch_send_takes_at_most_20_users(kit):
    body = {"robotCode": kit.app.robot_code, "msgKey": "sampleText", "msgParam": json.dumps({"content": "x"})}
    resp = kit.api(
        "POST", "/v1.0/robot/oToMessages/batchSend", {**body, "userIds": [f"u{i}" for i in range(21)]}
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "too.many.people")


# ---- DING --------------------------------------------------------------------------------------


def _ding(kit, receivers, remind_type=1):
    body = {"robotCode": kit.app.robot_code, "remindType": remind_type, "receiverUserIdList": receivers}
    return kit.api("POST", "/v1.0/robot/ding/send", {**body, "content": "自评今天18:00截止"})


def test_ding_reaches_receivers_and_reports_unknown_ones(kit):
    zhang = kit.hire("张伟")
    resp = _ding(kit, [zhang, "ghost"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["failedList"] == {"staffId.notExisted": ["ghost"]}
    [item] = kit.inbox(zhang, "ding")
    assert item["ref"]["openDingId"] == resp.json()["openDingId"]


def test_ding_receiver_limits_are_200_in_app_and_20_by_phone(kit):
    assert _ding(kit, [f"u{i}" for i in range(201)]).json()["code"] == "ding.receivercount.limit"
    assert (
        _ding(kit, [f"u{i}" for i in range(21)], remind_type=3).json()["code"] == "ding.receivercount.limit"
    )
    assert _ding(kit, [f"u{i}" for i in range(20)], remind_type=3).status_code == 200


def test_standard_edition_org_cannot_ding(kit):
    kit.control("POST", "/outbound/settings", {"ding_premium": False})
    resp = _ding(kit, [kit.hire("张伟")])
    assert (resp.status_code, resp.json()["code"]) == (403, "ding.serverquota.insufficient")


def test_ding_recall_marks_it_recalled(kit):
    zhang = kit.hire("张伟")
    ding_id = _ding(kit, [zhang]).json()["openDingId"]
    resp = kit.api(
        "POST", "/v1.0/robot/ding/recall", {"robotCode": kit.app.robot_code, "openDingId": ding_id}
    )
    assert resp.status_code == 200
    assert kit.inbox(zhang, "ding")[0]["recalled"] is True


def test_ding_with_a_foreign_robot_code_is_invalid_chatbot_id(kit):
    resp = kit.api(
        "POST",
        "/v1.0/robot/ding/send",
        {"robotCode": "dingother", "remindType": 1, "receiverUserIdList": ["a"], "content": "x"},
    )
    assert resp.json()["code"] == "invalid.chatbotId"


# ---- bot conversation replies (sessionWebhook) ------------------------------------------------


def test_session_reply_lands_in_the_persons_robot_chat(kit):
    zhang = kit.hire("张伟")
    session = kit.control("POST", "/bot/sessions", {"userid": zhang}).json()
    assert session["conversationType"] == "1"
    resp = kit.http.post(
        session["sessionWebhook"], json={"msgtype": "markdown", "markdown": {"title": "进度", "text": "62%"}}
    )
    assert resp.json()["errcode"] == 0
    [item] = kit.inbox(zhang, "robot_oto")
    assert item["content"]["markdown"] == {"title": "进度", "text": "62%"}


def test_session_reply_to_a_group_reaches_its_members(kit):
    zhang = kit.hire("张伟")
    cid = _group(kit, [zhang])
    session = kit.control("POST", "/bot/sessions", {"openConversationId": cid}).json()
    kit.http.post(session["sessionWebhook"], json={"msgtype": "text", "text": {"content": "收到"}})
    assert [m["content"]["text"]["content"] for m in kit.inbox(zhang, "group_message")] == ["收到"]


def test_session_webhook_stops_working_when_it_expires(kit):
    session = kit.control("POST", "/bot/sessions", {"userid": kit.hire("张伟"), "ttl_s": 60}).json()
    kit.state.clock.advance(61)
    resp = kit.http.post(session["sessionWebhook"], json={"msgtype": "text", "text": {"content": "晚了"}})
    assert resp.json()["errcode"] == 400101
