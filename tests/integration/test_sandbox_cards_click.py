"""Clicking a card as a user: the §7.6 callback over HTTP to a live receiver, the reply applied to the
card, the 2 s deadline on the sandbox clock, and the Stream transport's no-connection failure."""

import json
import threading
from pathlib import Path

import pytest
from flask import Flask, jsonify, request
from sandbox_outbound_kit import OutboundKit
from werkzeug.serving import make_server

from dingperf.dingtalk.crypto import card_callback_signature

CARDS_DIR = Path(__file__).resolve().parents[2] / "cards"
GOAL = json.loads((CARDS_DIR / "goal_confirmation.json").read_text("utf-8"))
SECRET = "perf-card-secret"


class Receiver:
    """The app's card-callback endpoint: records each callback and answers with `reply`."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.reply: dict | None = None
        self.before_reply = lambda: None
        app = Flask("receiver")

        @app.post("/card-callback")
        def callback():
            self.calls.append({"headers": dict(request.headers), "body": request.get_json()})
            self.before_reply()
            return jsonify(self.reply) if self.reply is not None else ("", 200)

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/card-callback"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def kit(sandbox):
    return OutboundKit(sandbox)


def _delivered_card(kit, userid, out_track_id="goal-1", callback_type="HTTP"):
    body = {
        "cardTemplateId": GOAL["templateId"],
        "outTrackId": out_track_id,
        "callbackType": callback_type,
        "cardData": {"cardParamMap": dict(GOAL["sample"]["cardData"]["cardParamMap"])},
        "openSpaceId": f"dtv1.card//IM_ROBOT.{userid}",
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": kit.app.robot_code},
    }
    if callback_type == "HTTP":
        body["callbackRouteKey"] = "perf"
    resp = kit.api("POST", "/v1.0/card/instances/createAndDeliver", body)
    assert resp.status_code == 200, resp.text


def _register(kit, receiver):
    body = {"callbackRouteKey": "perf", "callbackUrl": receiver.url, "apiSecret": SECRET}
    assert kit.api("POST", "/v1.0/card/callbacks/register", body).status_code == 200


def _click(kit, userid, action="push_back", params=None, out_track_id="goal-1"):
    params = params if params is not None else {"goal_set_id": "gs-42", "reason": "回款率目标过高"}
    body = {"userId": userid, "actionIds": [action], "params": params}
    return kit.control("POST", f"/cards/{out_track_id}/click", body)


def test_click_posts_the_signed_callback_payload(kit, receiver):
    zhang = kit.hire("张伟")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    assert _click(kit, zhang).status_code == 200
    [call] = receiver.calls
    body = call["body"]
    assert body["type"] == "actionCallback" and body["outTrackId"] == "goal-1"
    assert body["userId"] == zhang and body["corpId"] == kit.app.corp_id
    assert (body["spaceType"], body["spaceId"]) == ("IM_ROBOT", zhang)
    content = json.loads(body["content"])
    assert content == {
        "cardPrivateData": {
            "actionIds": ["push_back"],
            "params": {"goal_set_id": "gs-42", "reason": "回款率目标过高"},
        }
    }
    ts = call["headers"]["X-Ddpaas-Signature-Timestamp"]
    assert call["headers"]["X-Ddpaas-Signature"] == card_callback_signature(SECRET, ts)


def test_reply_within_the_deadline_updates_the_card_for_the_clicker(kit, receiver):
    zhang = kit.hire("张伟")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    receiver.reply = GOAL["sample"]["reply"]
    outcome = _click(kit, zhang).json()
    assert outcome["outcome"] == "applied" and outcome["version"] == 2
    seen = outcome["card"]["cardParamMap"]
    assert seen["status_text"] == "已退回"  # public, merged by key
    assert seen["submitted"] == "true"  # private to the clicker
    assert seen["goal_count"] == "3"  # untouched key survives the merge
    assert outcome["card"]["history"][-1]["source"] == "callback"


def test_reply_after_two_seconds_leaves_the_card_unchanged(kit, receiver):
    zhang = kit.hire("张伟")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    receiver.reply = GOAL["sample"]["reply"]
    receiver.before_reply = lambda: kit.state.clock.advance(2.5)  # the app takes 2.5 s of sandbox time
    outcome = _click(kit, zhang).json()
    assert outcome["outcome"] == "late"
    assert outcome["version"] == 1
    assert outcome["card"]["cardParamMap"]["status_text"] == "待确认"
    assert kit.control("GET", "/cards/goal-1").json()["clicks"][0]["outcome"] == "late"


def test_empty_reply_changes_nothing(kit, receiver):
    zhang = kit.hire("张伟")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    outcome = _click(kit, zhang).json()
    assert (outcome["outcome"], outcome["version"]) == ("no_change", 1)


def test_reply_with_non_string_values_fails_and_leaves_the_card(kit, receiver):
    zhang = kit.hire("张伟")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    receiver.reply = {"cardData": {"cardParamMap": {"goal_count": 4}}}
    outcome = _click(kit, zhang).json()
    assert outcome["outcome"] == "failed" and outcome["version"] == 1


def test_unregistered_route_fails_the_click(kit):
    zhang = kit.hire("张伟")
    _delivered_card(kit, zhang)
    outcome = _click(kit, zhang).json()
    assert outcome["outcome"] == "failed"
    assert "routeKey" in outcome["detail"]


def test_stream_card_without_a_stream_connection_fails_clearly(kit):
    zhang = kit.hire("张伟")
    _delivered_card(kit, zhang, callback_type="STREAM")
    outcome = _click(kit, zhang).json()
    assert (outcome["transport"], outcome["outcome"]) == ("STREAM", "failed")
    assert "no Stream connection" in outcome["detail"]


def test_a_user_who_never_got_the_card_cannot_click_it(kit, receiver):
    zhang, li = kit.hire("张伟"), kit.hire("李娜")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    resp = _click(kit, li)
    assert resp.status_code == 400
    assert "never received" in resp.json()["error"]
    assert receiver.calls == []


def test_unknown_button_and_missing_required_param_are_refused(kit, receiver):
    zhang = kit.hire("张伟")
    _register(kit, receiver)
    _delivered_card(kit, zhang)
    assert "no button" in _click(kit, zhang, action="delete").json()["error"]
    assert "reason" in _click(kit, zhang, params={"goal_set_id": "gs-42"}).json()["error"]
    assert receiver.calls == []
