"""Robot endpoints: DING send/recall, enterprise-robot group and 1:1 messages (new family), and the
custom group-robot webhook `POST /robot/send` (old family, robot token instead of the app token).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.bot_sessions import SESSION_PATH, reply_content
from dingperf.sandbox.mailbox import GROUP_MESSAGE, ROBOT_OTO
from dingperf.sandbox.roster import roster_of
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import json_body, new_ok, old_ok

bp = Blueprint("sandbox_robots", __name__)


@bp.post("/v1.0/robot/ding/send")
def ding_send() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    ding = state.outbound.dings.send(json_body(), app.robot_code, roster_of(state), state.clock.now_ms())
    return new_ok({"openDingId": ding.open_ding_id, "failedList": ding.failed})


@bp.post("/v1.0/robot/ding/recall")
def ding_recall() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    ding = state.outbound.dings.recall(json_body(), app.robot_code, state.clock.now_ms())
    return new_ok({"openDingId": ding.open_ding_id})


@bp.post("/v1.0/robot/groupMessages/send")
def group_messages_send() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    key = state.outbound.messenger.send_group(json_body(), app.robot_code, state.clock.now())
    return new_ok({"processQueryKey": key})


@bp.post("/v1.0/robot/oToMessages/batchSend")
def oto_batch_send() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    result = state.outbound.messenger.send_oto(
        json_body(), app.robot_code, roster_of(state), state.clock.now()
    )
    return new_ok(
        {
            "processQueryKey": result.process_query_key,
            "invalidStaffIdList": result.invalid_staff_ids,
            "flowControlledStaffIdList": result.flow_controlled_staff_ids,
        }
    )


@bp.post("/robot/send")
def custom_robot_send() -> Response:
    state = sandbox_state()
    out = state.outbound
    robot = out.robots.get(request.args.get("access_token"))
    body = json_body()
    now_s = state.clock.now()
    is_new = out.robots.accept(
        robot,
        body,
        timestamp=request.args.get("timestamp"),
        sign=request.args.get("sign"),
        remote_ip=request.remote_addr or "",
        now_s=now_s,
    )
    if is_new:
        now_ms = int(now_s * 1000)
        cid = robot.open_conversation_id
        sender = {"customRobot": robot.access_token[:8] + "…"}
        out.groups.post(cid, sender, body, now_ms)
        for userid in out.groups.get(cid).member_userids:
            out.mailbox.deliver(
                userid, GROUP_MESSAGE, body, {"openConversationId": cid, "robot": robot.access_token}, now_ms
            )
    return old_ok()


@bp.post(SESSION_PATH)
def session_reply() -> Response:
    """A reply through a bot callback's sessionWebhook: no app token, only the live session."""
    state = sandbox_state()
    out = state.outbound
    now_ms = state.clock.now_ms()
    session = out.sessions.get(request.args.get("session"), now_ms)
    content = reply_content(json_body())
    ref = {"session": session.session}
    if session.userid is not None:
        out.mailbox.deliver(session.userid, ROBOT_OTO, content, ref, now_ms)
    else:
        cid = session.open_conversation_id or ""
        out.groups.post(cid, {"session": session.session}, content, now_ms)
        for userid in out.groups.get(cid).member_userids:
            out.mailbox.deliver(userid, GROUP_MESSAGE, content, {**ref, "openConversationId": cid}, now_ms)
    return old_ok()
