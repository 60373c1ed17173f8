"""The Stream adapter (official SDK, supervised) against the sandbox gateway over real websockets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import requests

from dingperf.dingtalk.stream import CARD_CALLBACK_TOPIC, StreamSettings
from dingperf.events.event import Event
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.leader import LeaderLockHeld
from dingperf.events.stream_runner import StreamRunner
from dingperf.store.repositories.inbox import list_inbox_events
from tests.conftest import poll_until


def settings_for(sandbox, **overrides) -> StreamSettings:
    app = sandbox.state.app
    base = {"client_id": app.app_key, "client_secret": app.app_secret, "api_base": sandbox.base_url,
                "default_corp_id": app.corp_id, "backoff_base_s": 0.05, "backoff_max_s": 0.5}
    return StreamSettings(**{**base, **overrides})


@pytest.fixture
def start_runner(sandbox, store, db_url) -> Iterator[Callable[..., StreamRunner]]:
    runners: list[StreamRunner] = []

    def start(write_many: Callable[[list[Event]], list[bool]] | None = None, **overrides) -> StreamRunner:
        runner = StreamRunner(settings_for(sandbox, **overrides), write_many or SqlInbox(store).put_many, db_url)
        runner.start()
        runners.append(runner)
        return runner

    yield start
    for runner in runners:
        runner.stop()


def push_raw(sandbox, event_type="user_add_org", data=None) -> str:
    body = {"event_type": event_type, "data": data or {"timeStamp": "1700000000000", "userId": ["u1"]}}
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["event_ids"][0]


def stored(store) -> dict[str, object]:
    with store.session() as s:
        return {row.event_id: row for row in list_inbox_events(session=s)}


def delivery(sandbox, event_id: str) -> dict:
    return requests.get(f"{sandbox.base_url}/_sandbox/events/{event_id}").json()["stream"]


def live_connections(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.base_url}/_sandbox/stream/connections").json()["connections"]


def test_event_frame_lands_in_the_inbox_and_is_acked_success(sandbox, store, start_runner):
    runner = start_runner()
    assert runner.connection.wait_connected(10)
    event_id = push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["manager4220"]})
    poll_until(lambda: delivery(sandbox, event_id)["status"] == "acked")
    row = stored(store)[event_id]
    assert (row.event_type, row.source, row.corp_id) == ("user_add_org", "stream", sandbox.state.app.corp_id)
    assert row.payload["data"] == {"timeStamp": "1700000000000", "userId": ["manager4220"]}
    message_id = delivery(sandbox, event_id)["attempts"][-1]["message_id"]
    acks = requests.get(f"{sandbox.base_url}/_sandbox/stream/frames",
                        params={"direction": "in", "message_id": message_id}).json()["frames"]
    assert [json.loads(f["frame"]["data"])["status"] for f in acks] == ["SUCCESS"]


def test_gateway_subscriptions_cover_all_events_and_card_callbacks(sandbox, start_runner):
    start_runner().connection.wait_connected(10)
    subs = live_connections(sandbox)[0]["subscriptions"]
    assert {"type": "EVENT", "topic": "*"} in subs and {"type": "CALLBACK", "topic": CARD_CALLBACK_TOPIC} in subs


def test_store_failure_acks_later_and_the_redelivery_is_stored(sandbox, store, start_runner):
    inbox, failures = SqlInbox(store), [RuntimeError("database is locked")]

    def flaky_store(events: list[Event]) -> list[bool]:
        if failures:
            raise failures.pop()
        return inbox.put_many(events)

    start_runner(flaky_store).connection.wait_connected(10)
    event_id = push_raw(sandbox)
    poll_until(lambda: delivery(sandbox, event_id)["attempts"][0]["outcome"] != "pending"
               if delivery(sandbox, event_id)["attempts"] else False)
    assert event_id not in stored(store)

    def redelivered() -> bool:
        sandbox.state.clock.advance(10)
        return delivery(sandbox, event_id)["status"] == "acked"

    poll_until(redelivered)
    assert event_id in stored(store)
    outcomes = [a["outcome"] for a in delivery(sandbox, event_id)["attempts"]]
    assert outcomes[0] in ("code_500", "later") and outcomes[-1] == "acked"


def test_duplicate_frames_are_stored_once(sandbox, store, start_runner):
    requests.post(f"{sandbox.base_url}/_sandbox/stream/config", json={"duplicate_anyway": True})
    start_runner().connection.wait_connected(10)
    event_id = push_raw(sandbox)
    poll_until(lambda: len(requests.get(f"{sandbox.base_url}/_sandbox/stream/frames",
                                        params={"direction": "out", "event_id": event_id}).json()["frames"]) >= 2)
    poll_until(lambda: len(requests.get(f"{sandbox.base_url}/_sandbox/stream/frames",
                                        params={"direction": "in"}).json()["frames"]) >= 2)
    assert list(stored(store)) == [event_id]


def test_delivery_resumes_after_a_gateway_disconnect(sandbox, store, start_runner):
    runner = start_runner()
    assert runner.connection.wait_connected(10)
    requests.post(f"{sandbox.base_url}/_sandbox/stream/disconnect", json={})
    poll_until(lambda: runner.connection.connections_opened >= 2 and
               any(not c["draining"] for c in live_connections(sandbox)))
    event_id = push_raw(sandbox)
    poll_until(lambda: event_id in stored(store))


def test_silent_connection_is_replaced_by_the_watchdog(sandbox, start_runner):
    runner = start_runner(silence_timeout_s=0.3)  # the gateway pings every 30 s, so this one goes silent
    poll_until(lambda: runner.connection.connections_opened >= 2)


def test_card_callback_is_stored_as_an_event(sandbox, store, start_runner):
    start_runner().connection.wait_connected(10)
    app = sandbox.state.app
    data = {"type": "actionCallback", "outTrackId": "goal-7-confirm", "corpId": app.corp_id, "userId": "u1",
            "content": json.dumps({"cardPrivateData": {"actionIds": ["confirm"], "params": {}}})}
    answer = sandbox.state.gateway.send_callback(app.app_key, CARD_CALLBACK_TOPIC, data, timeout_s=5)
    assert answer == {"response": {}}
    rows = [r for r in stored(store).values() if r.event_type == "card_callback"]
    assert len(rows) == 1 and rows[0].payload["data"]["outTrackId"] == "goal-7-confirm"


def test_only_one_stream_connection_per_installation(sandbox, store, db_url, start_runner):
    start_runner()
    second = StreamRunner(settings_for(sandbox), SqlInbox(store).put_many, db_url)
    with pytest.raises(LeaderLockHeld, match="stream"):
        second.start()


def test_stop_closes_the_connection_and_frees_the_leader_lock(sandbox, store, db_url):
    runner = StreamRunner(settings_for(sandbox), SqlInbox(store).put_many, db_url)
    runner.start()
    assert runner.connection.wait_connected(10)
    runner.stop()
    poll_until(lambda: not live_connections(sandbox))
    again = StreamRunner(settings_for(sandbox), SqlInbox(store).put_many, db_url)
    again.start()
    again.stop()
