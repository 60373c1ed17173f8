"""Interactive cards (互动卡片): create, deliver, update, callback registration (DINGTALK.md §7)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dingperf.dingtalk.parse import as_bool, as_opt_str, as_str
from dingperf.dingtalk.transport import Transport

SPACE_TYPES = ("IM_GROUP", "IM_SINGLE", "IM_ROBOT", "ONE_BOX")


@dataclass(frozen=True)
class OpenSpace:
    """Where a card is shown: a space type and its id (userid for IM_ROBOT, openConversationId otherwise)."""

    space_type: str
    space_id: str

    def __post_init__(self) -> None:
        if self.space_type not in SPACE_TYPES:
            raise ValueError(f"unknown card space type {self.space_type!r}; use one of {SPACE_TYPES}")
        if not self.space_id:
            raise ValueError(f"{self.space_type} space needs an id")

    @classmethod
    def robot(cls, userid: str) -> OpenSpace:
        """The 1:1 chat between the app's robot and `userid`."""
        return cls("IM_ROBOT", userid)

    @classmethod
    def group(cls, open_conversation_id: str) -> OpenSpace:
        return cls("IM_GROUP", open_conversation_id)


def open_space_id(spaces: Sequence[OpenSpace]) -> str:
    """DingTalk's openSpaceId string, e.g. `dtv1.card//IM_ROBOT.manager4220;IM_GROUP.cid==`."""
    if not spaces:
        raise ValueError("a card needs at least one open space")
    return "dtv1.card//" + ";".join(f"{s.space_type}.{s.space_id}" for s in spaces)


def card_value(value: Any) -> str:
    """One card parameter as the string DingTalk requires: "1", "1.23", "true", JSON for objects."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"card values must be finite numbers, got {value}")
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=card_value)
    raise TypeError(f"cannot put a {type(value).__name__} into a card; convert it to str, number, bool, dict or list")


def card_param_map(values: Mapping[str, Any]) -> dict[str, str]:
    """`cardParamMap` with every value stringified."""
    return {str(k): card_value(v) for k, v in values.items()}


@dataclass(frozen=True)
class DeliverResult:
    """Outcome per open space; `carrier_id` is DingTalk's processQueryKey for chat spaces."""

    space_type: str
    space_id: str
    success: bool
    carrier_id: str | None
    error_msg: str | None


@dataclass(frozen=True)
class CallbackRegistration:
    callback_url: str
    api_secret: str | None


class CardsApi:
    """Card instances of the app; `robot_code` (= AppKey for internal apps) sends into chats."""

    def __init__(self, transport: Transport, robot_code: str) -> None:
        self._t = transport
        self._robot_code = robot_code

    def create(
        self,
        template_id: str,
        out_track_id: str,
        card_data: Mapping[str, Any],
        *,
        spaces: Sequence[OpenSpace] = (),
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        callback_type: str = "STREAM",
        callback_route_key: str | None = None,
    ) -> str:
        """Create a card instance (not yet shown); returns its outTrackId."""
        body = self._create_body(template_id, out_track_id, card_data, spaces, private_data,
                                 callback_type, callback_route_key)
        data = self._t.call("POST", "/v1.0/card/instances", body=body, idempotent=False)
        return as_str(data.get("result"), out_track_id)

    def deliver(
        self,
        out_track_id: str,
        spaces: Sequence[OpenSpace],
        *,
        at_userids: Mapping[str, str] | None = None,
        recipients: Sequence[str] | None = None,
    ) -> list[DeliverResult]:
        """Show an existing card in `spaces`; one result per space."""
        body = {"outTrackId": out_track_id, **self._deliver_fields(spaces, at_userids, recipients)}
        data = self._t.call("POST", "/v1.0/card/instances/deliver", body=body, idempotent=False)
        return [_deliver_result(r) for r in data.get("result") or []]

    def create_and_deliver(
        self,
        template_id: str,
        out_track_id: str,
        card_data: Mapping[str, Any],
        spaces: Sequence[OpenSpace],
        *,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        callback_type: str = "STREAM",
        callback_route_key: str | None = None,
        at_userids: Mapping[str, str] | None = None,
        recipients: Sequence[str] | None = None,
    ) -> list[DeliverResult]:
        """Create and show a card in one call (the outbox uses its idempotency key as `out_track_id`)."""
        body = self._create_body(template_id, out_track_id, card_data, spaces, private_data,
                                 callback_type, callback_route_key)
        body.update(self._deliver_fields(spaces, at_userids, recipients))
        data = self._t.call("POST", "/v1.0/card/instances/createAndDeliver", body=body, idempotent=False)
        result = data.get("result") or {}
        return [_deliver_result(r) for r in result.get("deliverResults") or []]

    def update(
        self,
        out_track_id: str,
        card_data: Mapping[str, Any] | None = None,
        *,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
        update_card_data_by_key: bool = True,
        update_private_data_by_key: bool = True,
    ) -> None:
        """Change a card's data; by key (merge) by default — pass False to replace the whole map."""
        if card_data is None and not private_data:
            raise ValueError("update needs card_data or private_data")
        body: dict[str, Any] = {
            "outTrackId": out_track_id,
            "cardUpdateOptions": {"updateCardDataByKey": update_card_data_by_key,
                                  "updatePrivateDataByKey": update_private_data_by_key},
        }
        if card_data is not None:
            body["cardData"] = {"cardParamMap": card_param_map(card_data)}
        if private_data:
            body["privateData"] = _private(private_data)
        self._t.call("PUT", "/v1.0/card/instances", body=body)

    def register_callback(
        self, route_key: str, callback_url: str, *, api_secret: str | None = None, force_update: bool = False
    ) -> CallbackRegistration:
        """Point HTTP card callbacks of `route_key` at `callback_url` (force_update replaces an existing one)."""
        body: dict[str, Any] = {"callbackRouteKey": route_key, "callbackUrl": callback_url, "forceUpdate": force_update}
        if api_secret:
            body["apiSecret"] = api_secret
        data = self._t.call("POST", "/v1.0/card/callbacks/register", body=body)
        result = data.get("result") or {}
        return CallbackRegistration(callback_url=as_str(result.get("callbackUrl"), callback_url),
                                    api_secret=as_opt_str(result.get("apiSecret")))

    def _create_body(
        self, template_id: str, out_track_id: str, card_data: Mapping[str, Any], spaces: Sequence[OpenSpace],
        private_data: Mapping[str, Mapping[str, Any]] | None, callback_type: str, callback_route_key: str | None,
    ) -> dict[str, Any]:
        callback_type = callback_type.upper()
        if callback_type not in ("STREAM", "HTTP"):
            raise ValueError(f"callback_type must be STREAM or HTTP, got {callback_type!r}")
        if callback_type == "HTTP" and not callback_route_key:
            raise ValueError("HTTP card callbacks need a callback_route_key registered with register_callback")
        body: dict[str, Any] = {
            "cardTemplateId": template_id, "outTrackId": out_track_id, "callbackType": callback_type,
            "cardData": {"cardParamMap": card_param_map(card_data)}, "userIdType": 1,
        }
        if callback_route_key:
            body["callbackRouteKey"] = callback_route_key
        if private_data:
            body["privateData"] = _private(private_data)
        for space_type in {s.space_type for s in spaces}:
            body[_SPACE_MODEL[space_type]] = {"supportForward": True} if space_type != "ONE_BOX" else {
                "spaceType": "ONE_BOX"}
        return body

    def _deliver_fields(
        self, spaces: Sequence[OpenSpace], at_userids: Mapping[str, str] | None, recipients: Sequence[str] | None
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"openSpaceId": open_space_id(spaces), "userIdType": 1}
        for space_type in {s.space_type for s in spaces}:
            if space_type == "IM_GROUP":
                model: dict[str, Any] = {"robotCode": self._robot_code}
                if at_userids:
                    model["atUserIds"] = dict(at_userids)
                if recipients:
                    model["recipients"] = list(recipients)
                fields["imGroupOpenDeliverModel"] = model
            elif space_type == "IM_ROBOT":
                fields["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self._robot_code}
            elif space_type == "IM_SINGLE":
                fields["imSingleOpenDeliverModel"] = {"atUserIds": dict(at_userids or {})}
            else:
                fields["topOpenDeliverModel"] = {"platforms": ["ios", "mac", "android", "win"]}
        return fields


_SPACE_MODEL = {
    "IM_GROUP": "imGroupOpenSpaceModel",
    "IM_SINGLE": "imSingleOpenSpaceModel",
    "IM_ROBOT": "imRobotOpenSpaceModel",
    "ONE_BOX": "topOpenSpaceModel",
}


def _private(private_data: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {userid: {"cardParamMap": card_param_map(values)} for userid, values in private_data.items()}


def _deliver_result(raw: dict[str, Any]) -> DeliverResult:
    return DeliverResult(space_type=as_str(raw.get("spaceType")), space_id=as_str(raw.get("spaceId")),
                         success=as_bool(raw.get("success")), carrier_id=as_opt_str(raw.get("carrierId")),
                         error_msg=as_opt_str(raw.get("errorMsg")))
