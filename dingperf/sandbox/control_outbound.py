"""Control API for the outbound side, under /_sandbox/: what each person received, groups, custom
robots, card templates, cards, "click as a user", and the outbound switches.

Bad input → HTTP 400 {"error": "..."}; an unknown object → 404 {"error": "..."}.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.bot_sessions import DEFAULT_TTL_S
from dingperf.sandbox.card_clicks import ClickRefused, click
from dingperf.sandbox.card_templates import template_from_json
from dingperf.sandbox.control import ControlError, control_body
from dingperf.sandbox.groups import UnknownGroup
from dingperf.sandbox.mailbox import CARD, KINDS
from dingperf.sandbox.wire import NewApiError, OldApiError

bp = Blueprint("sandbox_control_outbound", __name__, url_prefix="/_sandbox")


class NotFound(Exception):
    """A control call named something the sandbox does not have."""


@bp.errorhandler(ControlError)
def _bad_request(err: ControlError) -> tuple[Response, int]:
    return jsonify({"error": str(err)}), 400


@bp.errorhandler(NotFound)
def _not_found(err: NotFound) -> tuple[Response, int]:
    return jsonify({"error": str(err)}), 404


def _delivery_json(item: Any) -> dict[str, Any]:
    out = item.to_json()
    if item.kind == CARD:
        out["card"] = sandbox_state().outbound.cards.get(item.ref["outTrackId"]).view_for(item.userid)
    return out


@bp.get("/messages")
def list_messages() -> Response:
    """Everything received, oldest first; `?userid=` for one person, `?kind=` for one kind."""
    kind = request.args.get("kind")
    if kind is not None and kind not in KINDS:
        raise ControlError(f"kind must be one of {', '.join(KINDS)}")
    items = sandbox_state().outbound.mailbox.all(kind=kind, userid=request.args.get("userid"))
    return jsonify({"messages": [_delivery_json(d) for d in items]})


@bp.post("/messages/read")
def mark_read() -> Response:
    """Play `userid` opening a work notification: {userid, task_id} (shows in getsendresult)."""
    body = control_body()
    userid, task_id = body.get("userid"), body.get("task_id")
    if not isinstance(userid, str) or not isinstance(task_id, int):
        raise ControlError('send {"userid": "...", "task_id": <int>}')
    state = sandbox_state()
    count = state.outbound.mailbox.mark_read(userid, state.clock.now_ms(), task_id=task_id)
    if count == 0:
        raise NotFound(f"{userid} has no unread message from task {task_id}")
    return jsonify({"read": count})


@bp.post("/groups")
def create_group() -> Response:
    body = control_body()
    state = sandbox_state()
    try:
        group = state.outbound.groups.create(
            body.get("title"), body.get("member_userids", []), state.clock.now_ms()
        )
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return jsonify(group.to_json())


@bp.get("/groups")
def list_groups() -> Response:
    return jsonify({"groups": [g.to_json() for g in sandbox_state().outbound.groups.all()]})


@bp.get("/groups/<cid>/messages")
def group_messages(cid: str) -> Response:
    try:
        messages = sandbox_state().outbound.groups.messages(cid)
    except UnknownGroup as exc:
        raise NotFound(str(exc)) from exc
    return jsonify({"openConversationId": cid, "messages": [m.to_json() for m in messages]})


@bp.post("/robots")
def create_robot() -> Response:
    """Add a custom robot: {security: sign|keywords|ip (or a list), secret?, keywords?, ips?,
    openConversationId? (else a new group titled `title` is made)}."""
    body = control_body()
    state = sandbox_state()
    out = state.outbound
    cid = body.get("openConversationId")
    if cid is None:
        cid = out.groups.create(
            body.get("title") or "机器人群", body.get("member_userids", []), state.clock.now_ms()
        ).open_conversation_id
    elif not out.groups.exists(cid):
        raise NotFound(f"no sandbox group {cid!r}")
    try:
        robot = out.robots.create(
            open_conversation_id=cid,
            security=body.get("security"),
            secret=body.get("secret"),
            keywords=body.get("keywords"),
            ips=body.get("ips"),
        )
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    webhook = f"{request.host_url.rstrip('/')}/robot/send?access_token={robot.access_token}"
    return jsonify({**robot.to_json(), "webhook": webhook})


@bp.get("/robots")
def list_robots() -> Response:
    return jsonify({"robots": [r.to_json() for r in sandbox_state().outbound.robots.all()]})


@bp.get("/robots/<token>/messages")
def robot_messages(token: str) -> Response:
    try:
        robot = sandbox_state().outbound.robots.get(token)
    except OldApiError as exc:
        raise NotFound(exc.errmsg) from exc
    return jsonify({"messages": list(robot.messages)})


@bp.post("/bot/sessions")
def open_bot_session() -> Response:
    """A sessionWebhook for a fake bot callback: {userid} (1:1) or {openConversationId}, ttl_s?"""
    body = control_body()
    state = sandbox_state()
    out = state.outbound
    userid, cid = body.get("userid"), body.get("openConversationId")
    if cid is not None and not out.groups.exists(cid):
        raise NotFound(f"no sandbox group {cid!r}")
    ttl_s = body.get("ttl_s", DEFAULT_TTL_S)
    if not isinstance(ttl_s, int) or ttl_s <= 0:
        raise ControlError("ttl_s must be a positive whole number of seconds")
    try:
        session = out.sessions.open(
            now_ms=state.clock.now_ms(), userid=userid, open_conversation_id=cid, ttl_s=ttl_s
        )
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return jsonify(
        {
            "sessionWebhook": session.webhook(request.host_url),
            "sessionWebhookExpiredTime": session.expires_ms,
            "conversationType": session.conversation_type,
        }
    )


@bp.get("/outbound/settings")
def get_settings() -> Response:
    return jsonify(_settings())


@bp.post("/outbound/settings")
def set_settings() -> Response:
    """Switches: ding_premium (false = standard edition, DING refused), card_callback_deadline_s,
    oto_per_user_per_minute (robot 1:1 flow control), work_notice_recipients_per_minute (the app's
    work-notification QPM; beyond it recipients are dropped with 143104)."""
    body = control_body()
    out = sandbox_state().outbound
    if "ding_premium" in body:
        if not isinstance(body["ding_premium"], bool):
            raise ControlError("ding_premium must be true or false")
        out.dings.premium = body["ding_premium"]
    if "card_callback_deadline_s" in body:
        out.card_callback_deadline_s = _positive(body, "card_callback_deadline_s")
    if "oto_per_user_per_minute" in body:
        out.messenger.oto_per_user_per_minute = int(_positive(body, "oto_per_user_per_minute"))
    if "work_notice_recipients_per_minute" in body:
        out.notifier.recipients_per_minute = int(_positive(body, "work_notice_recipients_per_minute"))
    return jsonify(_settings())


def _positive(body: dict[str, Any], name: str) -> float:
    value = body[name]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise ControlError(f"{name} must be a positive number")
    return float(value)


def _settings() -> dict[str, Any]:
    out = sandbox_state().outbound
    return {
        "ding_premium": out.dings.premium,
        "card_callback_deadline_s": out.card_callback_deadline_s,
        "oto_per_user_per_minute": out.messenger.oto_per_user_per_minute,
        "work_notice_recipients_per_minute": out.notifier.recipients_per_minute,
    }


@bp.get("/card-templates")
def list_templates() -> Response:
    return jsonify({"templates": [t.to_json() for t in sandbox_state().outbound.templates.all()]})


@bp.post("/card-templates")
def register_template() -> Response:
    """Publish a template: {templateId, name?, variableList?, actions?} (the cards/ file format)."""
    try:
        template = template_from_json(control_body(), "control")
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return jsonify(sandbox_state().outbound.templates.add(template).to_json())


@bp.get("/cards")
def list_cards() -> Response:
    return jsonify({"cards": [c.to_json() for c in sandbox_state().outbound.cards.all()]})


@bp.get("/cards/<out_track_id>")
def get_card(out_track_id: str) -> Response:
    return jsonify(_card(out_track_id).to_json())


@bp.post("/cards/<out_track_id>/click")
def click_card(out_track_id: str) -> Response:
    """Play a user pressing a button: {userId, actionIds, params?, spaceId?} → what happened."""
    body = control_body()
    userid = body.get("userId")
    if not isinstance(userid, str) or not userid:
        raise ControlError("userId is required")
    _card(out_track_id)
    try:
        outcome = click(
            sandbox_state(),
            out_track_id,
            userid,
            body.get("actionIds"),
            body.get("params", {}),
            body.get("spaceId"),
        )
    except ClickRefused as exc:
        raise ControlError(str(exc)) from exc
    return jsonify({**outcome.to_json(), "card": _card(out_track_id).view_for(userid)})


def _card(out_track_id: str) -> Any:
    try:
        return sandbox_state().outbound.cards.get(out_track_id)
    except NewApiError as exc:
        raise NotFound(exc.message) from exc
