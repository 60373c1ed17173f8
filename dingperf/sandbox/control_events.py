"""Control API for events: trigger them, push raw payloads, choose the delivery mode (§12.4).

POST /_sandbox/events        {type, ...}                 change state, then push the event(s)
POST /_sandbox/events/raw    {event_type, data, count?}  push an arbitrary payload as-is (count copies)
GET  /_sandbox/events/<id>                               how an event's delivery went (both transports)
GET|POST /_sandbox/push-config {mode, url, legacy_payload, reply_deadline_ms, ...}
GET  /_sandbox/pushes[?event_id=]                        every HTTP push attempt
GET  /_sandbox/push/failed                               failed-list counts (without draining it)
Bad input → HTTP 400 {"error": "..."}.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.control import ControlError, control_body
from dingperf.sandbox.event_payloads import SandboxEvent
from dingperf.sandbox.event_triggers import TriggerError, trigger
from dingperf.sandbox.pusher import MODES, HttpTarget, PushConfig

bp = Blueprint("sandbox_events", __name__, url_prefix="/_sandbox")

MAX_RAW_COUNT = 10_000  # lets a benchmark queue many frames with one control call


@bp.errorhandler(ControlError)
@bp.errorhandler(TriggerError)
def _bad_request(err: Exception) -> tuple[Response, int]:
    return jsonify({"error": str(err)}), 400


def deliver(state: Any, event: SandboxEvent) -> list[str]:
    """Push one event through the configured mode(s); returns the transports it went to."""
    mode = state.pusher.config.mode
    via = []
    if mode in ("stream", "both"):
        state.gateway.push_event(state.app.app_key, event)
        via.append("stream")
    if mode in ("http", "both") and state.pusher.push(event):
        via.append("http")
    return via


def _delivered(state: Any, events: list[SandboxEvent]) -> Response:
    out = [{"event_id": e.event_id, "event_type": e.event_type, "via": deliver(state, e)} for e in events]
    return jsonify({"event_ids": [e["event_id"] for e in out], "events": out, "mode": state.pusher.config.mode})


@bp.post("/events")
def trigger_event() -> Response:
    state = sandbox_state()
    return _delivered(state, trigger(state, control_body()))


@bp.post("/events/raw")
def raw_event() -> Response:
    state = sandbox_state()
    body = control_body()
    event_type, data = body.get("event_type"), body.get("data")
    if not isinstance(event_type, str) or not event_type:
        raise ControlError("event_type is required (any string; unknown types are pushed as they are)")
    if not isinstance(data, dict):
        raise ControlError("data must be the event's business object (a JSON object)")
    corp_id = body.get("corp_id", state.app.corp_id)
    if not isinstance(corp_id, str):
        raise ControlError("corp_id must be a string")
    count = body.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_RAW_COUNT:
        raise ControlError(f"count must be an integer from 1 to {MAX_RAW_COUNT} (events with the same data, unique ids)")
    events = [SandboxEvent.new(event_type, corp_id, state.clock.now_ms(), data) for _ in range(count)]
    return _delivered(state, events)


@bp.get("/events/<event_id>")
def event_status(event_id: str) -> Response:
    state = sandbox_state()
    try:
        stream = state.gateway.delivery(event_id)
    except KeyError:
        stream = None
    return jsonify({"event_id": event_id, "stream": stream, "http": state.pusher.attempts(event_id)})


@bp.get("/push-config")
def get_push_config() -> Response:
    return jsonify(sandbox_state().pusher.config.to_dict())


@bp.post("/push-config")
def set_push_config() -> Response:
    """Set mode/url/options; a new http URL is probed with check_url first, as the console does."""
    state = sandbox_state()
    pusher = state.pusher
    body = control_body()
    config = _apply(pusher.config, body)
    if config.mode in ("http", "both") and config.target is None:
        raise ControlError(f"mode {config.mode!r} needs a url to push to")
    check = None
    new_url = "url" in body and body["url"] is not None
    if new_url and config.target is not None:
        outcome = pusher.check_url(config.target)
        check = {"ok": outcome.ok, "reason": outcome.reason, "elapsed_ms": outcome.elapsed_ms}
        if not outcome.ok:
            # The console refuses to save a URL that fails check_url; so does the sandbox.
            return jsonify({"error": f"check_url failed: {outcome.reason}", "check_url": check, **pusher.config.to_dict()}), 400
    pusher.config = config
    return jsonify({**config.to_dict(), "check_url": check})


def _apply(config: PushConfig, body: dict[str, Any]) -> PushConfig:
    known = {"mode", "url", "legacy_payload", "reply_deadline_ms", "retry_schedule_s", "failed_visible_after_s"}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(f"unknown push-config key(s) {unknown}; known: {sorted(known)}")
    changes: dict[str, Any] = {}
    if "mode" in body:
        if body["mode"] not in MODES:
            raise ControlError(f"mode must be one of {list(MODES)}")
        changes["mode"] = body["mode"]
    if "url" in body:
        url = body["url"]
        if url is None:
            changes["target"] = None
        elif isinstance(url, str) and url.startswith(("http://", "https://")):
            app = sandbox_state().app
            # Console-configured subscriptions seal with the app's token/aes_key and the AppKey (§10.3).
            changes["target"] = HttpTarget(url, app.callback_token, app.callback_aes_key, app.app_key)
        else:
            raise ControlError("url must start with http:// or https:// (or be null to remove it)")
    if "legacy_payload" in body:
        if not isinstance(body["legacy_payload"], bool):
            raise ControlError("legacy_payload must be true or false")
        changes["legacy_payload"] = body["legacy_payload"]
    if "reply_deadline_ms" in body:
        changes["reply_deadline_ms"] = int(_number(body, "reply_deadline_ms"))
    if "failed_visible_after_s" in body:
        changes["failed_visible_after_s"] = _number(body, "failed_visible_after_s")
    if "retry_schedule_s" in body:
        sched = body["retry_schedule_s"]
        if not isinstance(sched, list) or not all(isinstance(v, (int, float)) and v >= 0 for v in sched):
            raise ControlError("retry_schedule_s must be a list of non-negative seconds")
        changes["retry_schedule_s"] = tuple(float(v) for v in sched)
    return replace(config, **changes)


def _number(body: dict[str, Any], key: str) -> float:
    value = body[key]
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ControlError(f"{key} must be a non-negative number")
    return float(value)


@bp.get("/pushes")
def list_pushes() -> Response:
    attempts = sandbox_state().pusher.attempts(request.args.get("event_id"))
    return jsonify({"pushes": attempts, "count": len(attempts)})


@bp.get("/push/failed")
def failed_counts() -> Response:
    pusher = sandbox_state().pusher
    return jsonify({**pusher.failed.pending(), "retries_pending": pusher.pending_retries()})
