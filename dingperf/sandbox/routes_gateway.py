"""`POST /v1.0/gateway/connections/open`: credentials in, websocket endpoint + ticket out (§9.1)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.stream_tickets import Subscription
from dingperf.sandbox.wire import NewApiError, json_body, new_ok

bp = Blueprint("sandbox_gateway", __name__)

SUBSCRIPTION_TYPES = ("EVENT", "CALLBACK")


@bp.post("/v1.0/gateway/connections/open")
def open_connection() -> Response:
    state = sandbox_state()
    body = json_body()
    client_id, client_secret = body.get("clientId"), body.get("clientSecret")
    if not isinstance(client_id, str) or not isinstance(client_secret, str):
        raise NewApiError(400, "invalidParameter", "clientId and clientSecret are required strings")
    app = state.app
    # Compare both in constant time and together, so timing does not say which one was wrong.
    id_ok = hmac.compare_digest(client_id.encode(), app.app_key.encode())
    secret_ok = hmac.compare_digest(client_secret.encode(), app.app_secret.encode())
    if not (id_ok and secret_ok):
        raise NewApiError(401, "authFailed", "鉴权失败")
    subscriptions = _subscriptions(body.get("subscriptions"))
    ticket = state.gateway.tickets.issue(
        app.app_key, subscriptions, ua=str(body.get("ua") or ""), local_ip=str(body.get("localIp") or "")
    )
    return new_ok({"endpoint": state.gateway.endpoint, "ticket": ticket.value})


def _subscriptions(raw: Any) -> tuple[Subscription, ...]:
    if not isinstance(raw, list) or not raw:
        raise NewApiError(400, "invalidParameter", "subscriptions must be a non-empty list of {type, topic}")
    subs = []
    for item in raw:
        if not isinstance(item, dict):
            raise NewApiError(400, "invalidParameter", "each subscription must be an object {type, topic}")
        kind, topic = item.get("type"), item.get("topic")
        if kind not in SUBSCRIPTION_TYPES:
            raise NewApiError(400, "invalidParameter", f"subscription type must be EVENT or CALLBACK, got {kind!r}")
        if not isinstance(topic, str) or not topic:
            raise NewApiError(400, "invalidParameter", "subscription topic must be a non-empty string")
        if kind == "EVENT" and topic != "*":
            # Which events arrive is chosen in the developer console; the wire only knows "*" (§9.1).
            raise NewApiError(400, "invalidParameter", f"EVENT subscriptions take topic \"*\", got {topic!r}")
        subs.append(Subscription(kind, topic))
    return tuple(subs)
