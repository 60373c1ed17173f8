"""HTTP-mode intake over real HTTP: the sandbox's pusher and hand-made encrypted POSTs against
POST /dingtalk/callback, with the inbox on a real store."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from dingperf.dingtalk.crypto import CallbackCrypto
from dingperf.events.event import Event
from dingperf.events.group_commit import GroupCommitter, WriteMany
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.router import Router
from dingperf.events.worker import InboxWorker
from dingperf.store.repositories.inbox import list_inbox_events
from dingperf.web.callback import CallbackSettings, callback_blueprint
from tests.conftest import poll_until
from tests.sandbox_settings import settings_for


class IntakeServer:
    """A Flask app serving the callback blueprint, on loopback port 0 in a thread."""

    def __init__(self, settings: CallbackSettings | None, write_many: WriteMany | None,
                 app: Flask | None = None) -> None:
        if app is None:
            app = Flask("intake-under-test")
            self.committer = GroupCommitter(write_many)
            app.register_blueprint(callback_blueprint(settings, self.committer.submit))
        self.http = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/dingtalk/callback"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def start_intake(sandbox, store) -> Iterator[Callable[..., IntakeServer]]:
    servers: list[IntakeServer] = []
    app = sandbox.state.app

    def start(write_many: WriteMany | None = None, **overrides) -> IntakeServer:
        settings = CallbackSettings(token=app.callback_token, aes_key=app.callback_aes_key, app_key=app.app_key,
                                    corp_id=app.corp_id, **overrides)
        server = IntakeServer(settings, write_many or SqlInbox(store).put_many)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def stored(store) -> dict:
    with store.session() as s:
        return {row.event_id: row for row in list_inbox_events(session=s)}


def app_crypto(sandbox, owner_key: str | None = None) -> CallbackCrypto:
    app = sandbox.state.app
    return CallbackCrypto(app.callback_token, app.callback_aes_key, owner_key or app.app_key)


def encrypted_post(url: str, crypto: CallbackCrypto, payload: dict, *, ts: str | None = None,
                   signature: str | None = None, encrypt: str | None = None) -> requests.Response:
    ts = ts or str(int(time.time() * 1000))
    enc = encrypt if encrypt is not None else crypto.encrypt(json.dumps(payload))
    sig = signature or crypto.sign(ts, "nonce123", enc)
    return requests.post(url, params={"msg_signature": sig, "timestamp": ts, "nonce": "nonce123"},
                         json={"encrypt": enc}, timeout=5)


def current_form(sandbox, event_id: str = "evt-0001") -> dict:
    return {"EventType": "user_add_org", "EventTime": int(time.time() * 1000), "CorpId": sandbox.state.app.corp_id,
            "BizId": "u1", "eventId": event_id, "userId": ["u1"], "timeStamp": "1700000000000"}


def is_sealed_success(crypto: CallbackCrypto, resp: requests.Response) -> bool:
    body = resp.json()
    crypto.verify(body["msg_signature"], body["timeStamp"], body["nonce"], body["encrypt"])
    return resp.status_code == 200 and crypto.decrypt(body["encrypt"]) == "success"


def configure_push(sandbox, url: str, **extra) -> dict:
    resp = requests.post(f"{sandbox.base_url}/_sandbox/push-config", json={"mode": "http", "url": url, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def push_raw(sandbox, event_type: str = "user_add_org", data: dict | None = None) -> str:
    body = {"event_type": event_type, "data": data or {"timeStamp": "1700000000000", "userId": ["u1"]}}
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["event_ids"][0]


def test_sandbox_check_url_probe_is_answered_with_sealed_success(sandbox, start_intake):
    config = configure_push(sandbox, start_intake().url)
    assert config["check_url"]["ok"] is True


def test_check_url_is_never_stored(sandbox, store, start_intake):
    resp = encrypted_post(start_intake().url, app_crypto(sandbox), {"EventType": "check_url"})
    assert is_sealed_success(app_crypto(sandbox), resp) and stored(store) == {}


def test_event_pushed_by_the_sandbox_lands_in_the_inbox(sandbox, store, start_intake):
    configure_push(sandbox, start_intake().url)
    event_id = push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["manager4220"]})
    row = poll_until(lambda: stored(store).get(event_id))
    assert (row.source, row.event_type, row.payload["data"]["userId"]) == ("http", "user_add_org", ["manager4220"])


def test_legacy_form_push_lands_in_the_inbox_with_stream_spelling(sandbox, store, start_intake):
    configure_push(sandbox, start_intake().url, legacy_payload=True)
    push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["u7"]})
    rows = poll_until(lambda: list(stored(store).values()))
    assert rows[0].event_type == "user_add_org" and rows[0].payload["data"]["userId"] == ["u7"]


def test_same_event_delivered_three_times_is_processed_once(sandbox, store, start_intake):
    server, crypto = start_intake(), app_crypto(sandbox)
    for _ in range(3):
        assert is_sealed_success(crypto, encrypted_post(server.url, crypto, current_form(sandbox)))
    calls = []
    router = Router()
    router.register("user_add_org", lambda ev, ctx: calls.append(ev.event_id))
    worker = InboxWorker(SqlInbox(store), router)
    while worker.run_once().claimed:
        pass
    assert calls == ["evt-0001"]


@pytest.mark.parametrize("case", ["forged_signature", "replayed_timestamp", "wrong_owner_key", "truncated_base64"])
def test_bad_pushes_are_refused_with_no_detail_and_nothing_stored(sandbox, store, start_intake, caplog, case):
    server, crypto = start_intake(), app_crypto(sandbox)
    payload = current_form(sandbox)
    caplog.set_level(logging.INFO, logger="dingperf.web.callback")
    if case == "forged_signature":
        resp = encrypted_post(server.url, crypto, payload, signature="f" * 40)
    elif case == "replayed_timestamp":
        resp = encrypted_post(server.url, crypto, payload, ts=str(int((time.time() - 3600) * 1000)))
    elif case == "wrong_owner_key":
        resp = encrypted_post(server.url, app_crypto(sandbox, owner_key="dingsomeotherapp"), payload)
    else:
        resp = encrypted_post(server.url, crypto, payload, encrypt=crypto.encrypt(json.dumps(payload))[:-10])
    assert 400 <= resp.status_code < 500 and resp.content == b""
    assert stored(store) == {}
    assert any(r.levelno == logging.INFO and "callback refused" in r.getMessage() for r in caplog.records)


def test_ten_megabyte_body_is_refused_413_and_nothing_stored(sandbox, store, start_intake):
    server = start_intake()
    ts = str(int(time.time() * 1000))
    body = b'{"encrypt":"' + b"A" * (10 * 2**20) + b'"}'
    resp = requests.post(server.url, params={"msg_signature": "0" * 40, "timestamp": ts, "nonce": "n"},
                         data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413 and resp.content == b""
    assert stored(store) == {}


def test_store_failure_answers_503_so_dingtalk_retries(sandbox, store, start_intake):
    def broken(events: list[Event]) -> list[bool]:
        raise RuntimeError("disk full")

    resp = encrypted_post(start_intake(broken).url, app_crypto(sandbox), current_form(sandbox))
    assert resp.status_code == 503 and stored(store) == {}


def test_a_stuck_database_still_gets_an_answer_within_the_budget(sandbox, start_intake):
    release = threading.Event()

    def stuck(events: list[Event]) -> list[bool]:
        release.wait(10)
        return [True] * len(events)

    server = start_intake(stuck, store_budget_s=0.3)
    started = time.monotonic()
    resp = encrypted_post(server.url, app_crypto(sandbox), current_form(sandbox))
    elapsed = time.monotonic() - started
    release.set()
    assert resp.status_code == 503 and elapsed < 1.0


def test_sandbox_retry_after_a_failed_push_is_stored(sandbox, store, start_intake):
    inbox, failures = SqlInbox(store), [RuntimeError("locked")]

    def flaky(events: list[Event]) -> list[bool]:
        if failures:
            raise failures.pop()
        return inbox.put_many(events)

    configure_push(sandbox, start_intake(flaky).url)
    event_id = push_raw(sandbox)
    poll_until(lambda: requests.get(f"{sandbox.base_url}/_sandbox/pushes", params={"event_id": event_id}).json()["count"])

    def retried() -> bool:
        sandbox.state.clock.advance(10)
        return event_id in stored(store)

    poll_until(retried)


def test_the_web_app_factory_serves_the_callback_endpoint(sandbox, store, db_url):
    from dingperf.app import create_app
    settings = settings_for(sandbox, db_url, event_mode="http")
    server = IntakeServer(None, None, app=create_app(settings, store=store))
    try:
        configure_push(sandbox, server.url)
        event_id = push_raw(sandbox)
        poll_until(lambda: event_id in stored(store))
    finally:
        server.stop()


def test_pushes_that_failed_three_times_are_drained_from_the_failed_list_once(sandbox, store, start_intake):
    from dingperf.dingtalk.client import DingTalkClient
    from dingperf.dingtalk.config import ClientConfig
    from dingperf.events.failed_list import drain_failed_pushes

    def down(events: list[Event]) -> list[bool]:
        raise RuntimeError("database down")

    configure_push(sandbox, start_intake(down).url, failed_visible_after_s=0)
    data = {"processInstanceId": "pi-42", "processCode": "PROC-1", "type": "finish", "result": "agree"}
    push_raw(sandbox, "bpms_instance_change", data)

    def given_up() -> bool:
        sandbox.state.clock.advance(30)
        return requests.get(f"{sandbox.base_url}/_sandbox/push/failed").json()["visible"] >= 1

    poll_until(given_up)
    app = sandbox.state.app
    client = DingTalkClient(ClientConfig(corp_id=app.corp_id, app_key=app.app_key, app_secret=app.app_secret,
                                         agent_id=app.agent_id, robot_code=app.robot_code,
                                         api_base=sandbox.base_url, oapi_base=sandbox.base_url))
    inbox = SqlInbox(store)
    report = drain_failed_pushes(client.callbacks.failed_pushes(), inbox.put, app.corp_id)
    assert (report.fetched, report.stored) == (1, 1)
    (row,) = stored(store).values()
    assert (row.source, row.event_type, row.payload["data"]["processInstanceId"]) == (
        "failed_list", "bpms_instance_change", "pi-42")
    assert drain_failed_pushes(client.callbacks.failed_pushes(), inbox.put, app.corp_id).fetched == 0


def test_worker_killed_mid_batch_then_restarted_loses_and_duplicates_nothing(sandbox, store, start_intake):
    from datetime import UTC, datetime, timedelta

    from dingperf.events.worker import WorkerSettings

    configure_push(sandbox, start_intake().url)
    pushed = [push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": [f"u{n}"]}) for n in range(8)]
    poll_until(lambda: len(stored(store)) == 8)
    handled: list[str] = []
    router = Router()
    router.register("user_add_org", lambda ev, ctx: handled.append(ev.event_id))
    inbox = SqlInbox(store)
    crashed_batch = inbox.claim(limit=5, now=datetime.now(UTC), lease_s=60)  # claimed, then the process died
    assert len(crashed_batch) == 5
    later = datetime.now(UTC) + timedelta(seconds=61)  # after the dead worker's lease ran out
    restarted = InboxWorker(inbox, router, clock=lambda: later, settings=WorkerSettings(lease_s=60))
    while restarted.run_once().claimed:
        pass
    assert sorted(handled) == sorted(pushed)
    assert {row.status for row in stored(store).values()} == {"done"}


def test_callback_registered_through_the_api_is_sealed_with_the_corp_id_and_accepted(sandbox, store, start_intake):
    app, base = sandbox.state.app, sandbox.base_url
    token = requests.get(f"{base}/gettoken", params={"appkey": app.app_key, "appsecret": app.app_secret}).json()
    server = start_intake()
    resp = requests.post(f"{base}/call_back/register_call_back", params={"access_token": token["access_token"]},
                         json={"call_back_tag": ["user_add_org"], "token": app.callback_token,
                               "aes_key": app.callback_aes_key, "url": server.url}).json()
    assert resp["errcode"] == 0, resp  # its check_url probe (corpId owner key, `signature=`) was answered
    event_id = push_raw(sandbox)
    poll_until(lambda: event_id in stored(store))
