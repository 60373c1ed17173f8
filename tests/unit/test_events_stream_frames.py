"""Stream wire details: acks, card callbacks as events, reconnect backoff."""

import json
import random

from dingtalk_stream import CallbackMessage

from dingperf.dingtalk.stream import (
    CARD_CALLBACK_EVENT_TYPE,
    backoff_delay,
    card_callback_from_message,
    event_ack,
)


def test_stored_event_is_acked_200_with_status_success():
    ack = event_ack("m-1", True, "OK").to_dict()
    assert ack["code"] == 200 and ack["headers"]["messageId"] == "m-1"
    assert json.loads(ack["data"]) == {"status": "SUCCESS", "message": "OK"}


def test_unstored_event_is_acked_500_with_status_later():
    ack = event_ack("m-1", False, "store failed").to_dict()
    assert ack["code"] == 500 and json.loads(ack["data"])["status"] == "LATER"


def test_card_callback_becomes_an_event_keyed_by_message_id():
    frame = {"specVersion": "1.0", "type": "CALLBACK",
             "headers": {"topic": "/v1.0/card/instances/callback", "messageId": "msg-9", "time": "1700000000000"},
             "data": json.dumps({"outTrackId": "t1", "corpId": "dingc", "userId": "u1", "content": "{}"})}
    wire = card_callback_from_message(CallbackMessage.from_dict(frame))
    assert (wire.event_type, wire.event_id, wire.corp_id) == (CARD_CALLBACK_EVENT_TYPE, "card-msg-9", "dingc")


def test_reconnect_backoff_grows_and_is_capped():
    rng = random.Random(5)
    first = [backoff_delay(0, 1.0, 60.0, rng) for _ in range(50)]
    late = [backoff_delay(10, 1.0, 60.0, rng) for _ in range(50)]
    assert all(0.5 <= d <= 1.0 for d in first)
    assert all(0.5 <= d <= 60.0 for d in late) and max(late) > 10


def test_reconnect_backoff_is_never_zero():
    rng = random.Random(1)
    assert min(backoff_delay(0, 0.2, 60.0, rng) for _ in range(200)) >= 0.1
