"""Card parameter values are strings as DingTalk requires; openSpaceId grammar; request shapes."""

import json
from decimal import Decimal

import pytest
import responses

from dingperf.dingtalk.cards import OpenSpace, card_param_map, card_value, open_space_id
from dingperf.dingtalk.client import DingTalkClient
from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.ratelimit import RateLimiter

API = "https://api.example.test"
CONFIG = ClientConfig(corp_id="c", app_key="appkey", app_secret="s", agent_id=1, robot_code="appkey",
                      api_base=API, oapi_base="https://oapi.example.test")


@pytest.mark.parametrize("value, wire", [
    ("已提交", "已提交"), (1, "1"), (1.23, "1.23"), (2.0, "2"), (True, "true"), (False, "false"),
    (None, ""), (Decimal("87.50"), "87.50"), ({"a": [1, "二"]}, '{"a":[1,"二"]}'), ([1, 2], "[1,2]"),
])
def test_card_values_are_stringified(value, wire):
    assert card_value(value) == wire


def test_card_param_map_has_only_string_values():
    mapped = card_param_map({"score": 92, "done": True, "items": [{"k": 1}]})
    assert all(isinstance(v, str) for v in mapped.values())
    assert json.loads(mapped["items"]) == [{"k": 1}]


def test_unsupported_card_value_type_is_refused():
    with pytest.raises(TypeError):
        card_value(object())


def test_non_finite_number_is_refused():
    with pytest.raises(ValueError):
        card_value(float("nan"))


def test_open_space_id_grammar():
    assert open_space_id([OpenSpace.robot("manager4220")]) == "dtv1.card//IM_ROBOT.manager4220"
    assert open_space_id([OpenSpace.group("cid1=="), OpenSpace.robot("u1")]) == "dtv1.card//IM_GROUP.cid1==;IM_ROBOT.u1"


def test_unknown_space_type_is_refused():
    with pytest.raises(ValueError):
        OpenSpace("IM_NOWHERE", "x")


@responses.activate
def test_create_and_deliver_sends_string_values_and_robot_deliver_model():
    responses.add(responses.POST, f"{API}/v1.0/oauth2/accessToken", json={"accessToken": "t", "expireIn": 7200})
    responses.add(responses.POST, f"{API}/v1.0/card/instances/createAndDeliver", json={"success": True, "result": {
        "outTrackId": "ot1", "deliverResults": [{"spaceType": "IM_ROBOT", "spaceId": "u1", "success": True,
                                                 "carrierId": "pqk"}]}})
    client = DingTalkClient(CONFIG, limiter=RateLimiter(100))
    results = client.cards.create_and_deliver("tpl.schema", "ot1", {"score": 90, "ok": True}, [OpenSpace.robot("u1")])
    assert results[0].success and results[0].carrier_id == "pqk"
    body = json.loads(responses.calls[-1].request.body)
    assert body["cardData"]["cardParamMap"] == {"score": "90", "ok": "true"}
    assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.u1"
    assert body["imRobotOpenDeliverModel"] == {"spaceType": "IM_ROBOT", "robotCode": "appkey"}
    assert body["imRobotOpenSpaceModel"] == {"supportForward": True}
    assert body["callbackType"] == "STREAM"


@responses.activate
def test_update_sends_update_options_and_private_data():
    responses.add(responses.POST, f"{API}/v1.0/oauth2/accessToken", json={"accessToken": "t", "expireIn": 7200})
    responses.add(responses.PUT, f"{API}/v1.0/card/instances", json={"success": True, "result": True})
    client = DingTalkClient(CONFIG, limiter=RateLimiter(100))
    client.cards.update("ot1", {"status": "done"}, private_data={"u1": {"mine": 3}}, update_card_data_by_key=False)
    body = json.loads(responses.calls[-1].request.body)
    assert body["cardUpdateOptions"] == {"updateCardDataByKey": False, "updatePrivateDataByKey": True}
    assert body["privateData"] == {"u1": {"cardParamMap": {"mine": "3"}}}
