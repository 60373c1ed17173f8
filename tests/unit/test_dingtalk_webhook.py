"""Custom group robot webhook: 加签 matches DINGTALK.md §6.3, msgUuid kept across retries, 410100 surfaces."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from dingperf.dingtalk.errors import Permanent, RateLimited
from dingperf.dingtalk.webhook import GroupRobotWebhook

BASE = "https://oapi.example.test"
VECTOR_SIGN = "7LVwF0dAF3%2F%2BMRRulbpE4y72Ogzykc6bS2nG4I99T4s%3D"


def hook(**kw):
    sleeps = []
    return GroupRobotWebhook("robottoken", "SECtestsecret", BASE, clock=lambda: 1_700_000_000.0,
                             sleep=sleeps.append, **kw)


def test_signed_query_matches_the_documented_vector():
    assert hook().signed_query(1700000000000) == f"access_token=robottoken&timestamp=1700000000000&sign={VECTOR_SIGN}"


def test_webhook_url_is_accepted_in_place_of_the_token():
    h = GroupRobotWebhook(f"{BASE}/robot/send?access_token=abc")
    assert h.signed_query() == "access_token=abc"


def test_secret_must_look_like_a_signing_secret():
    with pytest.raises(ValueError):
        GroupRobotWebhook("t", "not-a-secret")


@responses.activate
def test_send_markdown_signs_the_request_and_returns_msg_uuid():
    responses.add(responses.POST, f"{BASE}/robot/send", json={"errcode": 0, "errmsg": "ok"})
    uuid = hook().send_markdown("周报", "**hi**", at_userids=["u1"])
    request = responses.calls[0].request
    query = parse_qs(urlsplit(request.url).query)
    assert query["timestamp"] == ["1700000000000"]
    assert query["sign"] == ["7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="]
    body = json.loads(request.body)
    assert body["msgtype"] == "markdown" and body["msgUuid"] == uuid and body["at"]["atUserIds"] == ["u1"]


@responses.activate
def test_retry_after_busy_reuses_the_same_msg_uuid():
    responses.add(responses.POST, f"{BASE}/robot/send", json={"errcode": -1, "errmsg": "系统繁忙"})
    responses.add(responses.POST, f"{BASE}/robot/send", json={"errcode": 0, "errmsg": "ok"})
    hook().send_text("hello", msg_uuid="fixed-1")
    uuids = [json.loads(c.request.body)["msgUuid"] for c in responses.calls]
    assert uuids == ["fixed-1", "fixed-1"]


@responses.activate
def test_sending_too_fast_surfaces_as_rate_limited_without_waiting_ten_minutes():
    responses.add(responses.POST, f"{BASE}/robot/send", json={"errcode": 410100, "errmsg": "send too fast"})
    with pytest.raises(RateLimited) as info:
        hook().send_text("hello")
    assert info.value.retry_after == 600 and len(responses.calls) == 1


@responses.activate
def test_bad_signature_is_permanent():
    responses.add(responses.POST, f"{BASE}/robot/send", json={"errcode": 310000, "errmsg": "sign not match"})
    with pytest.raises(Permanent, match="sign not match"):
        hook().send_text("hello")
