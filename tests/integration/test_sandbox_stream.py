"""The sandbox Stream gateway against the official dingtalk-stream SDK (0.24.3) over real websockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator

import dingtalk_stream
import pytest
import requests
from dingtalk_stream import AckMessage

from dingperf.sandbox.gateway import CallbackTimeout, StreamNotConnected
from tests.conftest import poll_until
from tests.integration.stream_sdk import OPEN_PATH, SdkClient

CARD_TOPIC = dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK


class RecordingHandler(dingtalk_stream.EventHandler):
    """Acks 200 like SDK apps do; fails (raises → the SDK sends no ack) the first `fail_first` frames."""

    def __init__(self, fail_first: int = 0, later_first: int = 0) -> None:
        super().__init__()
        self.seen: list[dingtalk_stream.EventMessage] = []
        self._fail_first = fail_first
        self._later_first = later_first

    async def process(self, event: dingtalk_stream.EventMessage) -> tuple[int, str]:
        self.seen.append(event)
        if len(self.seen) <= self._fail_first:
            raise RuntimeError("handler crashed")
        return AckMessage.STATUS_OK, "OK"

    async def raw_process(self, event: dingtalk_stream.EventMessage) -> AckMessage:
        # The protocol ack of DINGTALK.md §11.1, answering LATER for the first `later_first` frames.
        code, message = await self.process(event)
        ack = AckMessage()
        ack.code = code
        ack.message = message
        ack.headers.message_id = event.headers.message_id
        ack.headers.content_type = "application/json"
        ack.data = {"status": "LATER" if len(self.seen) <= self._later_first else "SUCCESS", "message": message}
        return ack


class CardHandler(dingtalk_stream.CallbackHandler):
    async def process(self, message: dingtalk_stream.CallbackMessage) -> tuple[int, dict]:
        return AckMessage.STATUS_OK, {"cardData": {"cardParamMap": {"clicked": message.data["outTrackId"]}}}


class SilentCardHandler(dingtalk_stream.CallbackHandler):
    """Never answers: waits on an event nobody sets (the SDK client's shutdown cancels it)."""

    async def process(self, message: dingtalk_stream.CallbackMessage) -> tuple[int, dict]:
        await asyncio.Event().wait()
        return AckMessage.STATUS_OK, {}


@pytest.fixture
def start_sdk(sandbox, monkeypatch) -> Iterator[Callable[..., SdkClient]]:
    # OPEN_CONNECTION_API is a class attribute fixed at import time from DINGTALK_OPENAPI_ENDPOINT.
    monkeypatch.setattr(dingtalk_stream.DingTalkStreamClient, "OPEN_CONNECTION_API", sandbox.base_url + OPEN_PATH)
    clients: list[SdkClient] = []

    def start(handler=None, callbacks=None) -> SdkClient:
        client = SdkClient(sandbox.state.app, handler, callbacks)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.stop()


def _connections(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.base_url}/_sandbox/stream/connections").json()["connections"]


def _push_raw(sandbox, event_type: str = "user_add_org", data: dict | None = None) -> str:
    body = {"event_type": event_type, "data": data or {"timeStamp": "1700000000000", "userId": ["u1"]}}
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["event_ids"][0]


def _delivery(sandbox, event_id: str) -> dict:
    return requests.get(f"{sandbox.base_url}/_sandbox/events/{event_id}").json()["stream"]


def test_connections_open_rejects_wrong_secret_with_authfailed(sandbox):
    app = sandbox.state.app
    body = {"clientId": app.app_key, "clientSecret": "wrong", "subscriptions": [{"type": "EVENT", "topic": "*"}]}
    resp = requests.post(sandbox.base_url + OPEN_PATH, json=body)
    assert resp.status_code == 401
    assert resp.json()["code"] == "authFailed"


def test_connections_open_returns_loopback_ws_endpoint_and_ticket(sandbox):
    app = sandbox.state.app
    body = {"clientId": app.app_key, "clientSecret": app.app_secret, "subscriptions": [{"type": "EVENT", "topic": "*"}]}
    resp = requests.post(sandbox.base_url + OPEN_PATH, json=body).json()
    assert resp["endpoint"].startswith("ws://127.0.0.1:") and resp["endpoint"].endswith("/connect")
    assert resp["ticket"]


def test_sdk_receives_event_frame_and_its_ack_is_recorded(sandbox, start_sdk):
    handler = RecordingHandler()
    start_sdk(handler)
    poll_until(lambda: _connections(sandbox))
    event_id = _push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["manager4220"]})

    poll_until(lambda: handler.seen)
    got = handler.seen[0]
    assert got.headers.event_id == event_id
    assert got.headers.event_type == "user_add_org"
    assert got.headers.event_corp_id == sandbox.state.app.corp_id
    assert got.data == {"timeStamp": "1700000000000", "userId": ["manager4220"]}
    poll_until(lambda: _delivery(sandbox, event_id)["status"] == "acked")
    acks = requests.get(
        f"{sandbox.base_url}/_sandbox/stream/frames", params={"direction": "in", "message_id": got.headers.message_id}
    ).json()["frames"]
    assert acks[0]["frame"]["code"] == 200


def test_unacked_event_is_redelivered_with_same_event_id_after_clock_advances(sandbox, start_sdk):
    handler = RecordingHandler(fail_first=1)
    start_sdk(handler)
    poll_until(lambda: _connections(sandbox))
    event_id = _push_raw(sandbox)
    poll_until(lambda: len(handler.seen) == 1)

    sandbox.state.clock.advance(sandbox.state.gateway.settings.ack_timeout_s)
    poll_until(lambda: _delivery(sandbox, event_id)["attempts"])
    assert _delivery(sandbox, event_id)["attempts"][0]["outcome"] == "no_ack"
    sandbox.state.clock.advance(10)

    poll_until(lambda: _delivery(sandbox, event_id)["status"] == "acked")
    first, second = handler.seen
    assert first.headers.event_id == second.headers.event_id == event_id
    assert first.headers.message_id != second.headers.message_id


def test_later_status_ack_is_redelivered(sandbox, start_sdk):
    handler = RecordingHandler(later_first=1)
    start_sdk(handler)
    poll_until(lambda: _connections(sandbox))
    event_id = _push_raw(sandbox)
    poll_until(lambda: _delivery(sandbox, event_id)["attempts"])
    assert _delivery(sandbox, event_id)["attempts"][0]["outcome"] == "later"

    sandbox.state.clock.advance(10)
    poll_until(lambda: _delivery(sandbox, event_id)["status"] == "acked")
    assert [e.headers.event_id for e in handler.seen] == [event_id, event_id]


def test_disconnect_makes_sdk_reconnect_and_delivery_resumes(sandbox, start_sdk):
    handler = RecordingHandler()
    start_sdk(handler)
    first = poll_until(lambda: _connections(sandbox))[0]["connection_id"]

    resp = requests.post(f"{sandbox.base_url}/_sandbox/stream/disconnect", json={"reason": "test"}).json()
    assert resp["disconnected"] == [first]
    second = poll_until(lambda: [c for c in _connections(sandbox) if c["connection_id"] != first and not c["draining"]])
    event_id = _push_raw(sandbox)

    poll_until(lambda: handler.seen)
    assert handler.seen[0].headers.event_id == event_id
    assert handler.seen[0].headers.connection_id == second[0]["connection_id"]


def test_ping_is_acked_with_matching_opaque(sandbox, start_sdk):
    start_sdk(RecordingHandler())
    conn = poll_until(lambda: _connections(sandbox))[0]["connection_id"]
    pings = requests.post(f"{sandbox.base_url}/_sandbox/stream/ping").json()["pings"]
    assert pings == {conn: True}


def test_send_callback_returns_the_ack_data(sandbox, start_sdk):
    start_sdk(None, {CARD_TOPIC: CardHandler()})
    poll_until(lambda: _connections(sandbox))
    data = sandbox.state.gateway.send_callback(
        sandbox.state.app.app_key, CARD_TOPIC, {"outTrackId": "card-1", "type": "actionCallback"}, 2.0
    )
    assert data == {"response": {"cardData": {"cardParamMap": {"clicked": "card-1"}}}}


def test_send_callback_without_a_subscribed_connection_raises(sandbox, start_sdk):
    start_sdk(RecordingHandler())  # events only, no CALLBACK subscription
    poll_until(lambda: _connections(sandbox))
    with pytest.raises(StreamNotConnected):
        sandbox.state.gateway.send_callback(sandbox.state.app.app_key, CARD_TOPIC, {"outTrackId": "x"}, 1.0)


def test_events_alternate_between_two_live_connections(sandbox, start_sdk):
    one, two = RecordingHandler(), RecordingHandler()
    start_sdk(one)
    start_sdk(two)
    poll_until(lambda: len(_connections(sandbox)) == 2)
    for _ in range(4):
        _push_raw(sandbox)
    poll_until(lambda: len(one.seen) + len(two.seen) == 4)
    assert len(one.seen) == len(two.seen) == 2


def test_duplicate_anyway_delivers_an_acked_event_twice(sandbox, start_sdk):
    requests.post(f"{sandbox.base_url}/_sandbox/stream/config", json={"duplicate_anyway": True})
    handler = RecordingHandler()
    start_sdk(handler)
    poll_until(lambda: _connections(sandbox))
    event_id = _push_raw(sandbox)
    poll_until(lambda: len(handler.seen) == 2)
    assert {e.headers.event_id for e in handler.seen} == {event_id}


def test_event_frame_headers_and_data_are_strings_as_on_the_wire(sandbox, start_sdk):
    start_sdk(RecordingHandler())
    poll_until(lambda: _connections(sandbox))
    event_id = _push_raw(sandbox)
    frame = poll_until(
        lambda: requests.get(f"{sandbox.base_url}/_sandbox/stream/frames", params={"event_id": event_id}).json()["frames"]
    )[0]["frame"]
    assert frame["type"] == "EVENT" and frame["specVersion"] == "1.0"
    headers = frame["headers"]
    for key in ("topic", "messageId", "contentType", "time", "eventType", "eventId", "eventCorpId", "eventBornTime"):
        assert isinstance(headers[key], str), key
    assert headers["time"].isdigit() and headers["eventBornTime"].isdigit()
    assert json.loads(frame["data"]) == {"timeStamp": "1700000000000", "userId": ["u1"]}


def test_events_beyond_max_in_flight_wait_for_an_ack_slot(sandbox, start_sdk):
    requests.post(f"{sandbox.base_url}/_sandbox/stream/config", json={"max_in_flight": 1})
    handler = RecordingHandler(fail_first=1)
    start_sdk(handler)
    poll_until(lambda: _connections(sandbox))
    first, second = _push_raw(sandbox), _push_raw(sandbox)
    poll_until(lambda: len(handler.seen) == 1)
    assert not requests.get(f"{sandbox.base_url}/_sandbox/stream/frames", params={"event_id": second}).json()["frames"]

    sandbox.state.clock.advance(sandbox.state.gateway.settings.ack_timeout_s)  # the first one's slot frees
    poll_until(lambda: _delivery(sandbox, second)["status"] == "acked")
    assert _delivery(sandbox, first)["attempts"][0]["outcome"] == "no_ack"


def test_redelivery_can_keep_the_same_message_id(sandbox, start_sdk):
    requests.post(f"{sandbox.base_url}/_sandbox/stream/config", json={"redeliver_new_message_id": False})
    handler = RecordingHandler(later_first=1)
    start_sdk(handler)
    poll_until(lambda: _connections(sandbox))
    event_id = _push_raw(sandbox)
    poll_until(lambda: _delivery(sandbox, event_id)["attempts"])
    sandbox.state.clock.advance(10)
    poll_until(lambda: _delivery(sandbox, event_id)["status"] == "acked")
    first, second = handler.seen
    assert first.headers.message_id == second.headers.message_id


def test_send_callback_without_an_ack_in_time_raises_callback_timeout(sandbox, start_sdk):
    start_sdk(None, {CARD_TOPIC: SilentCardHandler()})
    poll_until(lambda: _connections(sandbox))
    with pytest.raises(CallbackTimeout):
        sandbox.state.gateway.send_callback(sandbox.state.app.app_key, CARD_TOPIC, {"outTrackId": "slow"}, 0.3)
