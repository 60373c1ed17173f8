"""Interactive-card endpoints (DINGTALK.md §7.1–§7.5): create, deliver, createAndDeliver, update,
and HTTP callback registration.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.card_delivery import check_deliver_models, deliver, parse_open_space_id
from dingperf.sandbox.cards import CardInstance
from dingperf.sandbox.roster import roster_of
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import NewApiError, json_body, new_ok

bp = Blueprint("sandbox_cards", __name__)


def _check_private_users(state: Any, body: dict[str, Any]) -> None:
    private = body.get("privateData")
    if not isinstance(private, dict):
        return
    roster = roster_of(state)
    unknown = [u for u in private if not roster.is_active_user(u)]
    if unknown:
        raise NewApiError(
            400, "param.userIdNotExist", f"privateData names users who are not in the org: {unknown}"
        )


def _create(state: Any, body: dict[str, Any]) -> CardInstance:
    out = state.outbound
    _check_private_users(state, body)
    template = out.templates.get(body.get("cardTemplateId"))
    return out.cards.create(body, template, state.clock.now_ms())


def _deliver(
    state: Any, body: dict[str, Any], app_robot_code: str, card: CardInstance | None = None
) -> list[dict[str, Any]]:
    out = state.outbound
    spaces = parse_open_space_id(body.get("openSpaceId"))
    check_deliver_models(body, spaces, app_robot_code)
    card = card or out.cards.get(body.get("outTrackId"))
    return deliver(
        card,
        body,
        spaces,
        groups=out.groups,
        mailbox=out.mailbox,
        roster=roster_of(state),
        now_ms=state.clock.now_ms(),
    )


@bp.post("/v1.0/card/instances")
def create_card() -> Response:
    authenticated_app()
    state = sandbox_state()
    card = _create(state, json_body())
    return new_ok({"success": True, "result": card.out_track_id})


@bp.post("/v1.0/card/instances/deliver")
def deliver_card() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    body = json_body()
    if not body.get("outTrackId"):
        raise NewApiError(400, "param.outTrackIdEmpty", "outTrackId is required")
    return new_ok({"success": True, "result": _deliver(state, body, app.robot_code)})


@bp.post("/v1.0/card/instances/createAndDeliver")
def create_and_deliver_card() -> Response:
    app = authenticated_app()
    state = sandbox_state()
    body = json_body()
    # Check the delivery part before creating, so a bad openSpaceId leaves no half-made card.
    check_deliver_models(body, parse_open_space_id(body.get("openSpaceId")), app.robot_code)
    card = _create(state, body)
    results = _deliver(state, body, app.robot_code, card)
    return new_ok({"success": True, "result": {"outTrackId": card.out_track_id, "deliverResults": results}})


@bp.put("/v1.0/card/instances")
def update_card() -> Response:
    authenticated_app()
    state = sandbox_state()
    body = json_body()
    _check_private_users(state, body)
    state.outbound.cards.update(body, state.clock.now_ms())
    return new_ok({"success": True, "result": True})


@bp.post("/v1.0/card/callbacks/register")
def register_callback() -> Response:
    authenticated_app()
    route = sandbox_state().outbound.callback_routes.register(json_body())
    return new_ok(
        {"success": True, "result": {"callbackUrl": route.url, "apiSecret": route.api_secret or ""}}
    )
