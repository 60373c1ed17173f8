"""Every payload fixture (tests/fixtures/dingtalk/<event_type>__<case>.json) through both transports.

The sandbox runs in mode "both": the official SDK must receive the fixture as the frame's `data`,
and the HTTP receiver must decrypt the current form with the same business keys at top level.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dingtalk_stream
import pytest
import requests

from dingperf.sandbox.server import SandboxServer
from tests.conftest import poll_until
from tests.integration.stream_sdk import OPEN_PATH, SdkClient
from tests.integration.test_sandbox_push import Receiver
from tests.integration.test_sandbox_stream import RecordingHandler

FIXTURES = sorted((Path(__file__).parents[1] / "fixtures" / "dingtalk").glob("*__*.json"))


class Both:
    def __init__(self, server: SandboxServer, handler: RecordingHandler, receiver: Receiver) -> None:
        self.server, self.handler, self.receiver = server, handler, receiver


@pytest.fixture(scope="module")
def both() -> Iterator[Both]:
    # One sandbox, SDK client and receiver for the whole module: each fixture costs one push.
    server = SandboxServer()
    base = server.start()
    app = server.state.app
    saved = dingtalk_stream.DingTalkStreamClient.OPEN_CONNECTION_API
    dingtalk_stream.DingTalkStreamClient.OPEN_CONNECTION_API = base + OPEN_PATH
    receiver = Receiver(app.callback_token, app.callback_aes_key, app.app_key)
    handler = RecordingHandler()
    client = SdkClient(app, handler)
    try:
        resp = requests.post(f"{base}/_sandbox/push-config", json={"mode": "both", "url": receiver.url})
        assert resp.status_code == 200, resp.text
        poll_until(server.state.gateway.connections)
        yield Both(server, handler, receiver)
    finally:
        client.stop()
        receiver.stop()
        server.stop()
        dingtalk_stream.DingTalkStreamClient.OPEN_CONNECTION_API = saved


def test_there_is_a_fixture_for_every_event_the_sandbox_triggers():
    from dingperf.sandbox.event_triggers import TRIGGERS

    assert set(TRIGGERS) <= {f.name.split("__")[0] for f in FIXTURES}


@pytest.mark.parametrize("path", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_fixture_arrives_unchanged_over_stream_and_http(both: Both, path: Path):
    event_type = path.name.split("__")[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    resp = requests.post(
        f"{both.server.base_url}/_sandbox/events/raw", json={"event_type": event_type, "data": data}
    ).json()
    event_id = resp["event_ids"][0]
    assert resp["events"][0]["via"] == ["stream", "http"]

    frame = poll_until(lambda: next((e for e in both.handler.seen if e.headers.event_id == event_id), None))
    assert frame.headers.event_type == event_type
    assert frame.data == data

    pushed = poll_until(lambda: next((p for p in both.receiver.received if p.get("eventId") == event_id), None))
    assert pushed["EventType"] == event_type
    assert {k: pushed[k] for k in data} == data
