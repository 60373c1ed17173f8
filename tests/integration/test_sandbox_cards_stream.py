"""Clicking a STREAM card: the callback travels as a CALLBACK frame to the official dingtalk-stream SDK,
and its ack's {"response": …} updates the card (DINGTALK.md §7.6, §9.2)."""

from __future__ import annotations

import json
from pathlib import Path

import dingtalk_stream
import pytest
from dingtalk_stream import AckMessage
from sandbox_outbound_kit import OutboundKit

from tests.conftest import poll_until
from tests.integration.stream_sdk import SdkClient

GOAL = json.loads(
    (Path(__file__).resolve().parents[2] / "cards" / "goal_confirmation.json").read_text("utf-8")
)


class CardReplier(dingtalk_stream.CallbackHandler):
    """The app's card handler: records the callback, optionally spends sandbox time, replies."""

    def __init__(self, reply: dict, before_reply=lambda: None) -> None:
        super().__init__()
        self.reply, self.before_reply, self.seen = reply, before_reply, []

    async def process(self, message: dingtalk_stream.CallbackMessage) -> tuple[int, dict]:
        self.seen.append(message.data)
        self.before_reply()
        return AckMessage.STATUS_OK, self.reply


@pytest.fixture
def kit(sandbox):
    return OutboundKit(sandbox)


@pytest.fixture
def stream_app(sandbox, monkeypatch):
    monkeypatch.setattr(
        dingtalk_stream.DingTalkStreamClient,
        "OPEN_CONNECTION_API",
        sandbox.base_url + "/v1.0/gateway/connections/open",
    )
    apps = []

    def start(handler: CardReplier) -> SdkClient:
        # the shared runner cancels every SDK task before closing its loop (no leaked tasks for the GC)
        app = SdkClient(sandbox.state.app, None, {dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK: handler})
        apps.append(app)
        poll_until(sandbox.state.gateway.connections)
        return app

    yield start
    for app in apps:
        app.stop()


def _stream_card(kit, userid):
    body = {
        "cardTemplateId": GOAL["templateId"],
        "outTrackId": "goal-s",
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": dict(GOAL["sample"]["cardData"]["cardParamMap"])},
        "openSpaceId": f"dtv1.card//IM_ROBOT.{userid}",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": kit.app.robot_code},
    }
    assert kit.api("POST", "/v1.0/card/instances/createAndDeliver", body).status_code == 200


def _click(kit, userid):
    body = {"userId": userid, "actionIds": ["confirm"], "params": {"goal_set_id": "gs-42"}}
    resp = kit.control("POST", "/cards/goal-s/click", body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_stream_click_reaches_the_sdk_and_its_reply_updates_the_card(kit, stream_app):
    zhang = kit.hire("张伟")
    reply = {
        "cardData": {"cardParamMap": {"status_text": "已确认"}},
        "userPrivateData": {"cardParamMap": {"submitted": "true", "submitted_text": "已确认"}},
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
    }
    handler = CardReplier(reply)
    stream_app(handler)
    _stream_card(kit, zhang)
    outcome = _click(kit, zhang)
    assert (outcome["transport"], outcome["outcome"]) == ("STREAM", "applied")
    [seen] = handler.seen
    assert seen["outTrackId"] == "goal-s" and seen["userId"] == zhang
    assert json.loads(seen["content"])["cardPrivateData"]["actionIds"] == ["confirm"]
    view = outcome["card"]["cardParamMap"]
    assert (view["status_text"], view["submitted"], view["goal_count"]) == ("已确认", "true", "3")


def test_stream_reply_after_the_deadline_leaves_the_card_unchanged(kit, stream_app):
    zhang = kit.hire("张伟")
    reply = {
        "cardData": {"cardParamMap": {"status_text": "已确认"}},
        "cardUpdateOptions": {"updateCardDataByKey": True},
    }
    stream_app(CardReplier(reply, before_reply=lambda: kit.state.clock.advance(2.5)))
    _stream_card(kit, zhang)
    outcome = _click(kit, zhang)
    assert outcome["outcome"] == "late"
    assert outcome["card"]["cardParamMap"]["status_text"] == "待确认"
