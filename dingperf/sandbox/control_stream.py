"""Control API for the Stream gateway (§12.3).

POST /_sandbox/stream/disconnect {app_key?, reason?}   send `disconnect` frames now (never automatic)
POST /_sandbox/stream/ping                             SYSTEM ping every connection, report matching acks
GET  /_sandbox/stream/frames?direction&type&topic&event_id&message_id&since_seq
GET  /_sandbox/stream/connections
GET|POST /_sandbox/stream/config {ack_timeout_s, redelivery_schedule_s, redeliver_new_message_id, ...}
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.control import ControlError, control_body

bp = Blueprint("sandbox_stream", __name__, url_prefix="/_sandbox/stream")


@bp.errorhandler(ControlError)
def _bad_request(err: ControlError) -> tuple[Response, int]:
    return jsonify({"error": str(err)}), 400


@bp.post("/disconnect")
def disconnect() -> Response:
    body = control_body()
    app_key, reason = body.get("app_key"), body.get("reason", "connection is expired")
    if app_key is not None and not isinstance(app_key, str):
        raise ControlError("app_key must be a string")
    if not isinstance(reason, str):
        raise ControlError("reason must be a string")
    return jsonify({"disconnected": sandbox_state().gateway.disconnect(app_key, reason)})


@bp.post("/ping")
def ping() -> Response:
    return jsonify({"pings": sandbox_state().gateway.ping()})


@bp.get("/frames")
def frames() -> Response:
    args = request.args
    since = args.get("since_seq", "0")
    if not since.isdigit():
        raise ControlError("since_seq must be a non-negative integer (the last seq you have seen)")
    found = sandbox_state().gateway.frames.list(
        since_seq=int(since),
        direction=args.get("direction"),
        frame_type=args.get("type"),
        topic=args.get("topic"),
        event_id=args.get("event_id"),
        message_id=args.get("message_id"),
    )
    return jsonify({"frames": found, "count": len(found)})


@bp.get("/connections")
def connections() -> Response:
    return jsonify({"connections": sandbox_state().gateway.connections()})


@bp.get("/config")
def get_config() -> Response:
    return jsonify(sandbox_state().gateway.settings.to_dict())


@bp.post("/config")
def set_config() -> Response:
    try:
        settings = sandbox_state().gateway.configure(control_body())
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return jsonify(settings.to_dict())
