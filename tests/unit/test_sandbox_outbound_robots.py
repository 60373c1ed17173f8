"""Custom group-robot checks: 加签 against DingTalk's vector, keywords, IP list, rate window (§6.3)."""

import pytest

from dingperf.sandbox.robots import RobotRegistry, text_of
from dingperf.sandbox.wire import OldApiError

# DINGTALK.md §6.3 vector: secret SECtestsecret, ts 1700000000000
VECTOR_SIGN = "7LVwF0dAF3/+MRRulbpE4y72Ogzykc6bS2nG4I99T4s="
NOW = 1_700_000_000.0


def _text(content):
    return {"msgtype": "text", "text": {"content": content}}


def _accept(registry, robot, body, now=NOW, **kw):
    kw.setdefault("timestamp", None)
    kw.setdefault("sign", None)
    kw.setdefault("remote_ip", "127.0.0.1")
    return registry.accept(robot, body, now_s=now, **kw)


def test_documented_sign_vector_is_accepted():
    registry = RobotRegistry()
    robot = registry.create(open_conversation_id="cid1==", security="sign", secret="SECtestsecret")
    assert _accept(registry, robot, _text("x"), timestamp="1700000000000", sign=VECTOR_SIGN) is True


def test_sign_is_checked_after_the_timestamp_window():
    registry = RobotRegistry()
    robot = registry.create(open_conversation_id="cid1==", security="sign", secret="SECtestsecret")
    with pytest.raises(OldApiError) as err:
        _accept(registry, robot, _text("x"), now=NOW + 3600.002, timestamp="1700000000000", sign=VECTOR_SIGN)
    assert err.value.errmsg == "invalid timestamp"


def test_keywords_are_searched_in_every_visible_text_field():
    assert "季度" in text_of(
        {"msgtype": "actionCard", "actionCard": {"title": "t", "text": "x", "btns": [{"title": "季度"}]}}
    )
    assert "排行" in text_of({"msgtype": "feedCard", "feedCard": {"links": [{"title": "排行"}]}})


def test_cidr_allow_list_admits_addresses_inside_it():
    registry = RobotRegistry()
    robot = registry.create(open_conversation_id="cid1==", security="ip", ips=["127.0.0.0/8"])
    assert _accept(registry, robot, _text("x"), remote_ip="127.9.9.9") is True


def test_combined_modes_all_apply():
    registry = RobotRegistry()
    robot = registry.create(
        open_conversation_id="c", security=["keywords", "ip"], keywords=["绩效"], ips=["10.0.0.1"]
    )
    with pytest.raises(OldApiError) as err:
        _accept(registry, robot, _text("绩效"))
    assert err.value.errmsg == "ip 127.0.0.1 not in whitelist"


def test_minute_window_slides_so_old_messages_stop_counting():
    registry = RobotRegistry()
    robot = registry.create(open_conversation_id="c", security="keywords", keywords=["x"])
    for i in range(20):
        _accept(registry, robot, _text("x"), now=NOW + i)
    assert _accept(registry, robot, _text("x"), now=NOW + 60.5) is True


@pytest.mark.parametrize(
    "settings",
    [
        {"security": []},
        {"security": "sign", "secret": "nosecprefix"},
        {"security": "keywords", "keywords": []},
        {"security": "keywords", "keywords": [str(i) for i in range(11)]},
        {"security": "ip", "ips": ["300.1.1.1"]},
    ],
)
def test_invalid_robot_settings_are_refused(settings):
    with pytest.raises(ValueError):
        RobotRegistry().create(open_conversation_id="c", **settings)
