"""Clicking a card as a user: build the §7.6 callback, send it over the card's transport
(HTTP with x-ddpaas signature headers, or a Stream CALLBACK frame), and apply the reply to the
card only if it came back within DingTalk's 2 s deadline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from dingperf.dingtalk.crypto import card_callback_signature
from dingperf.sandbox.card_callbacks import UnknownRoute
from dingperf.sandbox.cards import CardInstance
from dingperf.sandbox.gateway import CallbackTimeout, GatewayError, StreamNotConnected
from dingperf.sandbox.wire import NewApiError

CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"
APPLIED, NO_CHANGE, LATE, FAILED = "applied", "no_change", "late", "failed"


class ClickRefused(Exception):
    """The click itself is impossible (the user never got the card, no such button)."""


@dataclass(frozen=True)
class ClickOutcome:
    transport: str
    outcome: str
    elapsed_ms: int
    detail: str
    payload: dict[str, Any]
    response: Any = None
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "transport": self.transport,
            "outcome": self.outcome,
            "applied": self.outcome == APPLIED,
            "elapsed_ms": self.elapsed_ms,
            "detail": self.detail,
            "payload": self.payload,
            "response": self.response,
            "version": self.version,
        }


def callback_payload(
    card: CardInstance,
    corp_id: str,
    userid: str,
    action_ids: list[str],
    params: dict[str, Any],
    space: dict[str, Any],
) -> dict[str, Any]:
    """The card action callback body; `content` and `extension` are JSON strings."""
    content = {"cardPrivateData": {"actionIds": list(action_ids), "params": dict(params)}}
    return {
        "type": "actionCallback",
        "outTrackId": card.out_track_id,
        "corpId": corp_id,
        "userId": userid,
        "content": json.dumps(content, ensure_ascii=False),
        "extension": "{}",
        "spaceType": space["spaceType"],
        "spaceId": space["spaceId"],
        "userIdType": card.user_id_type,
    }


def space_of_click(card: CardInstance, userid: str, space_id: str | None) -> dict[str, Any]:
    """The delivered space the user clicks in (the named one, else where they first got it)."""
    for delivery in card.deliveries:
        if userid in delivery["receivers"] and (space_id is None or delivery["spaceId"] == space_id):
            return delivery
    where = f" in space {space_id}" if space_id else ""
    raise ClickRefused(
        f"user {userid} never received card {card.out_track_id}{where}; deliver it to them first"
    )


def check_actions(card: CardInstance, action_ids: Any, params: dict[str, Any]) -> list[str]:
    """The pressed buttons must exist on the template and get their required params."""
    if not isinstance(action_ids, list) or not action_ids or not all(isinstance(a, str) for a in action_ids):
        raise ClickRefused("actionIds must be a non-empty list of button ids")
    declared = card.template.actions
    for action_id in action_ids:
        if declared and action_id not in declared:
            raise ClickRefused(
                f"template {card.template.name} has no button {action_id!r}; it has {', '.join(declared)}"
            )
        required = [p["name"] for p in declared.get(action_id, {}).get("params", []) if p.get("required")]
        absent = [name for name in required if params.get(name) in (None, "")]
        if absent:
            raise ClickRefused(f"button {action_id!r} needs params {', '.join(absent)}")
    return action_ids


def click(
    state: Any, out_track_id: str, userid: str, action_ids: Any, params: Any, space_id: str | None = None
) -> ClickOutcome:
    """Play `userid` pressing a button on a card; returns what DingTalk would have done."""
    out = state.outbound
    card = out.cards.get(out_track_id)
    if not isinstance(params, dict):
        raise ClickRefused("params must be an object (the button's bound values)")
    actions = check_actions(card, action_ids, params)
    payload = callback_payload(
        card, state.app.corp_id, userid, actions, params, space_of_click(card, userid, space_id)
    )
    deadline_s = out.card_callback_deadline_s
    started = state.clock.now()
    if card.callback_type == "HTTP":
        transport, outcome = "HTTP", _send_http(state, card, payload, deadline_s)
    elif card.callback_type == "STREAM":
        transport, outcome = "STREAM", _send_stream(state, payload, deadline_s)
    else:
        transport, outcome = (
            "NONE",
            (FAILED, "the card was created without callbackType; clicks go nowhere", None),
        )
    elapsed_s = state.clock.now() - started
    kind, detail, response = outcome
    if kind == APPLIED and elapsed_s > deadline_s:
        kind, detail = (
            LATE,
            f"the reply took {elapsed_s:.2f} s, over the {deadline_s:g} s deadline; card unchanged",
        )
    if kind == APPLIED:
        kind, detail = _apply(state, card, userid, response)
    result = ClickOutcome(transport, kind, int(elapsed_s * 1000), detail, payload, response, card.version)
    card.clicks.append(
        {
            "at_ms": int(started * 1000),
            "userId": userid,
            "actionIds": actions,
            "outcome": kind,
            "detail": detail,
        }
    )
    return result


def _send_http(
    state: Any, card: CardInstance, payload: dict[str, Any], deadline_s: float
) -> tuple[str, str, Any]:
    try:
        route = state.outbound.callback_routes.get(card.callback_route_key)
    except UnknownRoute as exc:
        return FAILED, f"{exc}; register it with POST /v1.0/card/callbacks/register", None
    headers = {"Content-Type": "application/json"}
    if route.api_secret:
        ts = str(state.clock.now_ms())
        headers["x-ddpaas-signature-timestamp"] = ts
        headers["x-ddpaas-signature"] = card_callback_signature(route.api_secret, ts)
    try:
        resp = requests.post(
            route.url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers=headers,
            timeout=deadline_s,
        )
    except requests.Timeout:
        return LATE, f"no reply from {route.url} within {deadline_s:g} s; card unchanged", None
    except requests.RequestException as exc:
        return FAILED, f"could not reach {route.url}: {exc}", None
    if resp.status_code != 200:
        return FAILED, f"{route.url} answered HTTP {resp.status_code}; card unchanged", resp.text[:500]
    if not resp.content.strip():
        return APPLIED, "", None
    try:
        return APPLIED, "", resp.json()
    except ValueError:
        return FAILED, f"{route.url} answered with a body that is not JSON; card unchanged", resp.text[:500]


def _send_stream(state: Any, payload: dict[str, Any], deadline_s: float) -> tuple[str, str, Any]:
    try:
        data = state.gateway.send_callback(state.app.app_key, CARD_CALLBACK_TOPIC, payload, deadline_s)
    except CallbackTimeout as exc:
        return LATE, f"{exc}; card unchanged", None
    except StreamNotConnected as exc:
        return FAILED, f"no Stream connection: {exc}", None
    except GatewayError as exc:
        return FAILED, f"the Stream callback failed: {exc}; card unchanged", None
    # Stream acks wrap the card reply as {"response": {...}} (SDK-go card/handler.go).
    return APPLIED, "", data.get("response")


def _apply(state: Any, card: CardInstance, userid: str, response: Any) -> tuple[str, str]:
    if not response:
        return NO_CHANGE, "the callback answered without card changes"
    if not isinstance(response, dict):
        return FAILED, "the callback reply is not a JSON object; card unchanged"
    try:
        public = None
        if response.get("cardData"):
            public = card.template.check_param_map(response["cardData"].get("cardParamMap"), "cardData")
        private = {}
        if response.get("userPrivateData"):
            private[userid] = card.template.check_param_map(
                response["userPrivateData"].get("cardParamMap"), "userPrivateData"
            )
    except (NewApiError, AttributeError) as exc:
        return FAILED, f"the callback reply is not a valid card update ({exc}); card unchanged"
    if public is None and not private:
        return NO_CHANGE, "the callback answered without card changes"
    options = response.get("cardUpdateOptions") or {}
    state.outbound.cards.apply(card, public, private, options, state.clock.now_ms(), "callback")
    return APPLIED, f"card updated to version {card.version}"
