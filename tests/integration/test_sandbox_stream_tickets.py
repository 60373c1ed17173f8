"""Stream tickets: single use, 90 s on the sandbox clock, required to open the websocket (§9.1)."""

from __future__ import annotations

import json
import threading

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.conftest import poll_until

OPEN_PATH = "/v1.0/gateway/connections/open"


def _open(sandbox, subscriptions: list[dict] | None = None) -> dict:
    app = sandbox.state.app
    body = {
        "clientId": app.app_key,
        "clientSecret": app.app_secret,
        "subscriptions": subscriptions or [{"type": "EVENT", "topic": "*"}],
    }
    resp = requests.post(sandbox.base_url + OPEN_PATH, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _status_of_refusal(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        connect(url, open_timeout=5).close()
    return refused.value.response.status_code


def test_a_ticket_opens_one_connection_only(sandbox):
    opened = _open(sandbox)
    url = f"{opened['endpoint']}?ticket={opened['ticket']}"
    with connect(url, open_timeout=5):
        poll_until(sandbox.state.gateway.connections)
        assert _status_of_refusal(url) == 401


def test_a_ticket_expires_after_90_seconds_of_sandbox_time(sandbox):
    opened = _open(sandbox)
    sandbox.state.clock.advance(91)
    assert _status_of_refusal(f"{opened['endpoint']}?ticket={opened['ticket']}") == 401


def test_connecting_without_a_ticket_is_refused(sandbox):
    assert _status_of_refusal(_open(sandbox)["endpoint"]) == 401


def test_event_subscription_topic_must_be_star(sandbox):
    app = sandbox.state.app
    body = {"clientId": app.app_key, "clientSecret": app.app_secret, "subscriptions": [{"type": "EVENT", "topic": "user_add_org"}]}
    resp = requests.post(sandbox.base_url + OPEN_PATH, json=body)
    assert resp.status_code == 400 and resp.json()["code"] == "invalidParameter"


def test_events_do_not_reach_a_callback_only_connection(sandbox):
    opened = _open(sandbox, [{"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"}])
    with connect(f"{opened['endpoint']}?ticket={opened['ticket']}", open_timeout=5):
        poll_until(sandbox.state.gateway.connections)
        body = {"event_type": "user_add_org", "data": {"timeStamp": "1", "userId": ["u1"]}}
        event_id = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body).json()["event_ids"][0]
        status = poll_until(lambda: requests.get(f"{sandbox.base_url}/_sandbox/events/{event_id}").json()["stream"]["attempts"])
        assert status[0]["outcome"] == "no_connection"


def test_raw_client_receives_ping_with_opaque_and_its_echo_counts(sandbox):
    opened = _open(sandbox)
    with connect(f"{opened['endpoint']}?ticket={opened['ticket']}", open_timeout=5) as ws:
        conn = poll_until(sandbox.state.gateway.connections)[0]["connection_id"]
        result: dict = {}
        pinger = threading.Thread(target=lambda: result.update(sandbox.state.gateway.ping()))
        pinger.start()
        frame = json.loads(ws.recv(timeout=5))
        assert (frame["type"], frame["headers"]["topic"]) == ("SYSTEM", "ping")
        ack = {"code": 200, "headers": {"messageId": frame["headers"]["messageId"], "contentType": "application/json"},
               "message": "OK", "data": frame["data"]}
        ws.send(json.dumps(ack))
        pinger.join(timeout=10)
        assert result == {conn: True}


def test_disconnect_closes_a_lingering_connection_once_sandbox_time_passes(sandbox):
    opened = _open(sandbox)
    with connect(f"{opened['endpoint']}?ticket={opened['ticket']}", open_timeout=5) as ws:
        poll_until(sandbox.state.gateway.connections)
        requests.post(f"{sandbox.base_url}/_sandbox/stream/disconnect", json={})
        frame = json.loads(ws.recv(timeout=5))
        assert (frame["headers"]["topic"], json.loads(frame["data"])) == ("disconnect", {"reason": "connection is expired"})
        assert sandbox.state.gateway.connections()  # still open: the gateway waits before closing
        sandbox.state.clock.advance(sandbox.state.gateway.settings.disconnect_close_after_s)
        poll_until(lambda: not sandbox.state.gateway.connections())


def test_raw_event_count_queues_that_many_distinct_events(sandbox):
    body = {"event_type": "user_add_org", "data": {"timeStamp": "1", "userId": ["u1"]}, "count": 25}
    ids = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body).json()["event_ids"]
    assert len(set(ids)) == 25


def test_frames_can_be_read_incrementally_with_since_seq(sandbox):
    opened = _open(sandbox)
    with connect(f"{opened['endpoint']}?ticket={opened['ticket']}", open_timeout=5) as ws:
        poll_until(sandbox.state.gateway.connections)
        frames_url = f"{sandbox.base_url}/_sandbox/stream/frames"
        for _ in range(2):
            body = {"event_type": "user_add_org", "data": {"timeStamp": "1", "userId": ["u1"]}}
            requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body)
            ws.recv(timeout=5)
        first = poll_until(lambda: requests.get(frames_url).json()["frames"])[0]
        later = requests.get(frames_url, params={"since_seq": first["seq"]}).json()["frames"]
        assert [f["seq"] for f in later] == [first["seq"] + 1]
