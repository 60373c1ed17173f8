"""Card delivery (DINGTALK.md §7.2): the openSpaceId grammar, the deliver model each space needs,
per-space results, and who receives the card in their chat.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from dingperf.sandbox.cards import CardInstance
from dingperf.sandbox.groups import GroupStore
from dingperf.sandbox.mailbox import CARD, Mailbox
from dingperf.sandbox.roster import Roster
from dingperf.sandbox.wire import NewApiError

PREFIX = "dtv1.card//"
# space type -> the deliver model it requires
DELIVER_MODELS = {
    "IM_GROUP": "imGroupOpenDeliverModel",
    "IM_ROBOT": "imRobotOpenDeliverModel",
    "IM_SINGLE": "imSingleOpenDeliverModel",
    "ONE_BOX": "topOpenDeliverModel",
}


@dataclass(frozen=True)
class Space:
    space_type: str
    space_id: str


def parse_open_space_id(value: Any) -> list[Space]:
    """`dtv1.card//IM_ROBOT.<userid>;IM_GROUP.<cid>` → spaces; raises param.openSpaceId* errors."""
    if not value:
        raise NewApiError(400, "param.openSpaceIdEmpty", "openSpaceId is required")
    if not isinstance(value, str) or not value.startswith(PREFIX):
        raise NewApiError(
            400, "param.openSpaceIdInvalid", f"openSpaceId must start with {PREFIX!r}: {value!r}"
        )
    spaces = []
    for part in value[len(PREFIX) :].split(";"):
        space_type, dot, space_id = part.partition(".")
        # One official sample writes the type in lower case; the SDKs use upper case. Accept both.
        space_type = space_type.upper()
        if not dot or not space_id or space_type not in DELIVER_MODELS:
            raise NewApiError(
                400,
                "param.openSpaceIdInvalid",
                f"openSpaceId part {part!r} is not <SPACE_TYPE>.<id> with a type of {', '.join(DELIVER_MODELS)}",
            )
        spaces.append(Space(space_type, space_id))
    return spaces


def check_deliver_models(body: dict[str, Any], spaces: list[Space], app_robot_code: str) -> None:
    """Each space type needs its deliver model; group/robot models need this app's robotCode."""
    for space in spaces:
        name = DELIVER_MODELS[space.space_type]
        model = body.get(name)
        if model is None:
            raise NewApiError(400, "param.openDeliverModelEmpty", f"{space.space_type} delivery needs {name}")
        if not isinstance(model, dict):
            raise NewApiError(400, "param.openDeliverModelError", f"{name} must be an object")
        if space.space_type in ("IM_GROUP", "IM_ROBOT") and model.get("robotCode") != app_robot_code:
            raise NewApiError(
                400,
                "param.openDeliverModelError",
                f"{name}.robotCode must be this app's robotCode (its AppKey)",
            )


def deliver(
    card: CardInstance,
    body: dict[str, Any],
    spaces: list[Space],
    *,
    groups: GroupStore,
    mailbox: Mailbox,
    roster: Roster,
    now_ms: int,
) -> list[dict[str, Any]]:
    """Put the card into each space; returns DingTalk's per-space results."""
    results = []
    for space in spaces:
        model = body.get(DELIVER_MODELS[space.space_type]) or {}
        receivers, error = _receivers(space, model, groups, roster)
        result: dict[str, Any] = {
            "spaceType": space.space_type,
            "spaceId": space.space_id,
            "success": error is None,
        }
        if error is not None:
            result["errorMsg"] = error
            results.append(result)
            continue
        carrier_id = secrets.token_urlsafe(24)
        result["carrierId"] = carrier_id
        ref = {"outTrackId": card.out_track_id, "spaceType": space.space_type, "spaceId": space.space_id}
        shown = {"outTrackId": card.out_track_id, "cardTemplateId": card.template.template_id, **ref}
        if model.get("atUserIds"):
            shown["atUserIds"] = model["atUserIds"]  # who the group message @-mentions
        if space.space_type != "IM_ROBOT":
            groups.post(
                space.space_id, {"robotCode": model.get("robotCode"), "carrierId": carrier_id}, shown, now_ms
            )
        for userid in receivers:
            mailbox.deliver(userid, CARD, shown, {**ref, "carrierId": carrier_id}, now_ms)
        card.deliveries.append({**ref, "carrierId": carrier_id, "at_ms": now_ms, "receivers": receivers})
        results.append(result)
    return results


def _receivers(
    space: Space, model: dict[str, Any], groups: GroupStore, roster: Roster
) -> tuple[list[str], str | None]:
    if space.space_type == "IM_ROBOT":
        if not roster.is_active_user(space.space_id):
            return [], f"user {space.space_id} does not exist or has left"
        return [space.space_id], None
    if not groups.exists(space.space_id):
        return [], f"no group with openConversationId {space.space_id}"
    members = list(groups.get(space.space_id).member_userids)
    only = model.get("recipients") if space.space_type == "IM_GROUP" else model.get("userIds")
    if isinstance(only, list) and only:
        members = [u for u in members if u in only]
    return members, None
