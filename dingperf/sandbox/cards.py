"""Interactive card instances (DINGTALK.md §7.1, §7.4): create, update with replace-or-merge
semantics, and a version history so a test can see every state a card went through.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.card_templates import CardTemplate
from dingperf.sandbox.wire import NewApiError

CALLBACK_TYPES = ("STREAM", "HTTP")
_SPACE_MODELS = (
    "imGroupOpenSpaceModel",
    "imRobotOpenSpaceModel",
    "imSingleOpenSpaceModel",
    "topOpenSpaceModel",
)


def _bad(code: str, message: str) -> NewApiError:
    return NewApiError(400, code, message)


@dataclass(frozen=True)
class CardVersion:
    version: int
    at_ms: int
    source: str  # create | update | callback
    card_data: dict[str, str]
    private_data: dict[str, dict[str, str]]

    def to_json(self, userid: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "at_ms": self.at_ms, "source": self.source}
        out["cardParamMap"] = dict(self.card_data)
        if userid is None:
            out["privateData"] = copy.deepcopy(self.private_data)
        else:
            out["privateParamMap"] = dict(self.private_data.get(userid, {}))
        return out


@dataclass
class CardInstance:
    out_track_id: str
    template: CardTemplate
    callback_type: str | None
    callback_route_key: str | None
    user_id_type: int
    card_data: dict[str, str]
    private_data: dict[str, dict[str, str]]
    space_models: dict[str, Any]
    created_ms: int
    versions: list[CardVersion] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    clicks: list[dict[str, Any]] = field(default_factory=list)  # what each "click as user" produced

    @property
    def version(self) -> int:
        return self.versions[-1].version

    def snapshot(self, source: str, at_ms: int) -> None:
        self.versions.append(
            CardVersion(
                len(self.versions) + 1, at_ms, source, dict(self.card_data), copy.deepcopy(self.private_data)
            )
        )

    def view_for(self, userid: str) -> dict[str, Any]:
        """What `userid` sees: public data overlaid with their private data, plus history."""
        return {
            "outTrackId": self.out_track_id,
            "cardTemplateId": self.template.template_id,
            "templateName": self.template.name,
            "version": self.version,
            "cardParamMap": {**self.card_data, **self.private_data.get(userid, {})},
            "history": [v.to_json(userid) for v in self.versions],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "outTrackId": self.out_track_id,
            "cardTemplateId": self.template.template_id,
            "templateName": self.template.name,
            "callbackType": self.callback_type,
            "callbackRouteKey": self.callback_route_key,
            "userIdType": self.user_id_type,
            "version": self.version,
            "cardData": {"cardParamMap": dict(self.card_data)},
            "privateData": {u: {"cardParamMap": dict(m)} for u, m in self.private_data.items()},
            "deliveries": list(self.deliveries),
            "clicks": list(self.clicks),
            "history": [v.to_json() for v in self.versions],
            "created_ms": self.created_ms,
        }


def _private_maps(template: CardTemplate, private: Any) -> dict[str, dict[str, str]]:
    if private in (None, {}):
        return {}
    if not isinstance(private, dict):
        raise _bad("param.invalid", "privateData must be an object {userId: {cardParamMap: {...}}}")
    out = {}
    for userid, entry in private.items():
        if not isinstance(entry, dict) or "cardParamMap" not in entry:
            raise _bad("param.invalid", f'privateData[{userid!r}] must be {{"cardParamMap": {{...}}}}')
        out[userid] = template.check_param_map(entry["cardParamMap"], f"privateData[{userid!r}]")
    return out


@dataclass
class CardStore:
    _cards: dict[str, CardInstance] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def create(self, body: dict[str, Any], template: CardTemplate, now_ms: int) -> CardInstance:
        """POST /v1.0/card/instances semantics; raises NewApiError with DingTalk's param.* codes."""
        out_track_id = body.get("outTrackId")
        if not out_track_id or not isinstance(out_track_id, str):
            raise _bad("param.outTrackIdEmpty", "outTrackId is required; choose a new unique id per card")
        callback_type = body.get("callbackType")
        if callback_type is not None and callback_type not in CALLBACK_TYPES:
            raise _bad(
                "param.invalid",
                f'callbackType must be "STREAM" or "HTTP" (upper case), not {callback_type!r}',
            )
        route_key = body.get("callbackRouteKey")
        if callback_type == "HTTP" and not route_key:
            raise _bad(
                "param.invalid",
                "callbackType HTTP needs callbackRouteKey (register it at /v1.0/card/callbacks/register)",
            )
        card_data = body.get("cardData")
        if not isinstance(card_data, dict) or "cardParamMap" not in card_data:
            raise _bad("param.cardPublicDataEmpty", 'cardData {"cardParamMap": {...}} is required')
        public = template.check_param_map(card_data["cardParamMap"], "cardData")
        private = _private_maps(template, body.get("privateData"))
        spaces = {}
        for name in _SPACE_MODELS:
            model = body.get(name)
            if model is None:
                continue
            if not isinstance(model, dict) or (name != "topOpenSpaceModel" and "supportForward" not in model):
                raise _bad("param.openSpaceModelInvalid", f"{name} must be an object with supportForward")
            spaces[name] = model
        user_id_type = body.get("userIdType", 1)
        if user_id_type not in (1, 2):
            raise _bad("param.invalid", "userIdType must be 1 (userid) or 2 (unionid)")
        card = CardInstance(
            out_track_id=out_track_id,
            template=template,
            callback_type=callback_type,
            callback_route_key=route_key,
            user_id_type=user_id_type,
            card_data=public,
            private_data=private,
            space_models=spaces,
            created_ms=now_ms,
        )
        with self._lock:
            if out_track_id in self._cards:
                raise _bad(
                    "param.cardAlreadyExist",
                    f"a card with outTrackId {out_track_id!r} exists; use a new outTrackId",
                )
            card.snapshot("create", now_ms)
            self._cards[out_track_id] = card
        return card

    def get(self, out_track_id: Any) -> CardInstance:
        if not out_track_id:
            raise _bad("param.outTrackIdEmpty", "outTrackId is required")
        with self._lock:
            card = self._cards.get(out_track_id)
        if card is None:
            raise _bad("param.cardNotExist", f"no card with outTrackId {out_track_id!r}; create it first")
        return card

    def all(self) -> list[CardInstance]:
        with self._lock:
            return list(self._cards.values())

    def update(self, body: dict[str, Any], now_ms: int, source: str = "update") -> CardInstance:
        """PUT /v1.0/card/instances: replace whole maps by default, merge by key when asked."""
        card = self.get(body.get("outTrackId"))
        card_data = body.get("cardData")
        private = body.get("privateData")
        if not card_data and not private:
            raise _bad("param.cardDataAndPrivateDataBothEmpty", "give cardData or privateData to update")
        public = None
        if card_data:
            if not isinstance(card_data, dict) or "cardParamMap" not in card_data:
                raise _bad("param.invalid", 'cardData must be {"cardParamMap": {...}}')
            public = card.template.check_param_map(card_data["cardParamMap"], "cardData")
        maps = _private_maps(card.template, private)
        options = body.get("cardUpdateOptions") or {}
        self.apply(card, public, maps, options, now_ms, source)
        return card

    def apply(
        self,
        card: CardInstance,
        public: dict[str, str] | None,
        private: dict[str, dict[str, str]],
        options: dict[str, Any],
        now_ms: int,
        source: str,
    ) -> None:
        """Apply validated maps; `updateCardDataByKey`/`updatePrivateDataByKey` true = merge."""
        with self._lock:
            if public is not None:
                card.card_data = (
                    {**card.card_data, **public} if options.get("updateCardDataByKey") else dict(public)
                )
            for userid, m in private.items():
                if options.get("updatePrivateDataByKey"):
                    card.private_data[userid] = {**card.private_data.get(userid, {}), **m}
                else:
                    card.private_data[userid] = dict(m)
            card.snapshot(source, now_ms)
