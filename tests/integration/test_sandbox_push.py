"""The sandbox's HTTP event pusher against a real local receiver: crypto, check_url, retries, failed list."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from dingperf.dingtalk.crypto import CallbackCrypto, CryptoError
from tests.conftest import poll_until


class Receiver:
    """A minimal DingTalk callback endpoint: verify, decrypt, record, reply with a sealed `success`.

    `behaviour` makes it misbehave: "http500", "not_success" (sealed "fail"), or "hold" (answer only
    once `release` is set, to miss the pusher's deadline).
    """

    def __init__(self, token: str, aes_key: str, owner_key: str) -> None:
        self.crypto = CallbackCrypto(token, aes_key, owner_key)
        self.received: list[dict] = []
        self.queries: list[dict] = []
        self.errors: list[str] = []
        self.behaviour = "ok"
        self.release = threading.Event()
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/dingtalk/callback"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _wsgi(self, environ, start_response):
        req = Request(environ)
        args = req.args
        try:
            sig = args.get("msg_signature") or args.get("signature") or ""
            payload = self.crypto.open_json(sig, args["timestamp"], args["nonce"], json.loads(req.get_data())["encrypt"])
        except (CryptoError, KeyError, ValueError) as exc:
            self.errors.append(repr(exc))
            return Response("bad request", status=400)(environ, start_response)
        self.queries.append(dict(args))
        self.received.append(payload)
        if self.behaviour == "http500":
            return Response("boom", status=500)(environ, start_response)
        if self.behaviour == "hold":
            self.release.wait(10)
        reply = self.crypto.seal("fail" if self.behaviour == "not_success" else "success")
        return Response(json.dumps(reply), content_type="application/json")(environ, start_response)

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver(sandbox) -> Iterator[Receiver]:
    app = sandbox.state.app
    recv = Receiver(app.callback_token, app.callback_aes_key, app.app_key)
    yield recv
    recv.stop()


def _configure(sandbox, **body) -> requests.Response:
    return requests.post(f"{sandbox.base_url}/_sandbox/push-config", json=body)


def _push_raw(sandbox, event_type: str = "user_add_org", data: dict | None = None) -> str:
    body = {"event_type": event_type, "data": data or {"timeStamp": "1700000000000", "userId": ["u1"]}}
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events/raw", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["event_ids"][0]


def _pushes(sandbox, event_id: str) -> list[dict]:
    return requests.get(f"{sandbox.base_url}/_sandbox/pushes", params={"event_id": event_id}).json()["pushes"]


def _token(sandbox) -> str:
    app = sandbox.state.app
    resp = requests.get(f"{sandbox.base_url}/gettoken", params={"appkey": app.app_key, "appsecret": app.app_secret})
    return resp.json()["access_token"]


def _failed_result(sandbox, token: str) -> dict:
    url = f"{sandbox.base_url}/call_back/get_call_back_failed_result"
    return requests.get(url, params={"access_token": token}).json()


def test_push_config_probes_the_url_with_check_url(sandbox, receiver):
    resp = _configure(sandbox, mode="http", url=receiver.url)
    assert resp.status_code == 200, resp.text
    assert resp.json()["check_url"]["ok"] is True
    assert receiver.received == [{"EventType": "check_url"}]


def test_push_config_refuses_a_url_that_fails_check_url(sandbox, receiver):
    receiver.behaviour = "http500"
    resp = _configure(sandbox, mode="http", url=receiver.url)
    assert resp.status_code == 400
    assert "HTTP 500" in resp.json()["error"]
    assert requests.get(f"{sandbox.base_url}/_sandbox/push-config").json()["mode"] == "stream"


def test_http_push_arrives_decrypted_in_the_current_form(sandbox, receiver):
    _configure(sandbox, mode="http", url=receiver.url)
    event_id = _push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["manager4220"]})
    poll_until(lambda: len(receiver.received) == 2)
    payload = receiver.received[1]
    assert payload["EventType"] == "user_add_org"
    assert payload["eventId"] == event_id
    assert payload["CorpId"] == sandbox.state.app.corp_id
    assert isinstance(payload["EventTime"], int)
    assert payload["userId"] == ["manager4220"]
    assert set(receiver.queries[1]) == {"msg_signature", "timestamp", "nonce"}
    poll_until(lambda: _pushes(sandbox, event_id))
    assert _pushes(sandbox, event_id)[0]["ok"] is True


def test_legacy_payload_uses_the_archived_pascal_case_form(sandbox, receiver):
    _configure(sandbox, mode="http", url=receiver.url, legacy_payload=True)
    _push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["u9"]})
    poll_until(lambda: len(receiver.received) == 2)
    assert receiver.received[1] == {
        "EventType": "user_add_org",
        "TimeStamp": "1700000000000",
        "UserId": ["u9"],
        "CorpId": sandbox.state.app.corp_id,
    }


def test_reply_that_is_not_an_encrypted_success_counts_as_failure(sandbox, receiver):
    _configure(sandbox, mode="http", url=receiver.url)
    receiver.behaviour = "not_success"
    event_id = _push_raw(sandbox)
    attempt = poll_until(lambda: _pushes(sandbox, event_id))[0]
    assert attempt["ok"] is False and "success" in attempt["reason"]


def test_reply_after_the_deadline_counts_as_failure(sandbox, receiver):
    _configure(sandbox, mode="http", url=receiver.url, reply_deadline_ms=200)
    receiver.behaviour = "hold"
    event_id = _push_raw(sandbox)
    attempt = poll_until(lambda: _pushes(sandbox, event_id))[0]
    receiver.release.set()
    assert attempt["ok"] is False and "200 ms" in attempt["reason"]


def test_failed_push_is_retried_10s_then_30s_later_on_the_sandbox_clock(sandbox, receiver):
    _configure(sandbox, mode="http", url=receiver.url)
    receiver.behaviour = "http500"
    event_id = _push_raw(sandbox)
    poll_until(lambda: len(_pushes(sandbox, event_id)) == 1)

    sandbox.state.clock.advance(10)
    poll_until(lambda: len(_pushes(sandbox, event_id)) == 2)
    sandbox.state.clock.advance(30)
    poll_until(lambda: len(_pushes(sandbox, event_id)) == 3)

    first, second, third = _pushes(sandbox, event_id)
    assert second["at_ms"] - first["at_ms"] >= 10_000
    assert third["at_ms"] - second["at_ms"] >= 30_000
    assert [p["ok"] for p in (first, second, third)] == [False, False, False]
    assert [r["eventId"] for r in receiver.received[1:]] == [event_id] * 3


def test_failed_push_is_listed_after_the_delay_and_drained_once(sandbox, receiver):
    _configure(sandbox, mode="http", url=receiver.url)
    receiver.behaviour = "http500"
    event_id = _push_raw(sandbox, data={"timeStamp": "1700000000000", "userId": ["u7"]})
    poll_until(lambda: len(_pushes(sandbox, event_id)) == 1)
    sandbox.state.clock.advance(10)
    poll_until(lambda: len(_pushes(sandbox, event_id)) == 2)
    sandbox.state.clock.advance(30)
    poll_until(lambda: len(_pushes(sandbox, event_id)) == 3)
    token = _token(sandbox)
    assert _failed_result(sandbox, token)["failed_list"] == []  # not visible for 3–5 minutes

    sandbox.state.clock.advance(240)
    first = _failed_result(sandbox, _token(sandbox))
    assert first["errcode"] == 0 and first["has_more"] is False
    [item] = first["failed_list"]
    assert item["call_back_tag"] == "user_add_org"
    assert item["user_add_org"] == {"userid": ["u7"], "corpid": sandbox.state.app.corp_id}
    assert _failed_result(sandbox, _token(sandbox))["failed_list"] == []


def test_failed_result_needs_an_access_token(sandbox):
    resp = requests.get(f"{sandbox.base_url}/call_back/get_call_back_failed_result").json()
    assert resp["errcode"] == 41001


def test_register_call_back_probes_with_the_corp_id_as_owner_key(sandbox):
    app = sandbox.state.app
    recv = Receiver("mytoken", app.callback_aes_key, app.corp_id)
    try:
        body = {"call_back_tag": ["user_add_org"], "token": "mytoken", "aes_key": app.callback_aes_key, "url": recv.url}
        resp = requests.post(
            f"{sandbox.base_url}/call_back/register_call_back", params={"access_token": _token(sandbox)}, json=body
        ).json()
        assert resp["errcode"] == 0, resp
        assert recv.received == [{"EventType": "check_url"}]
        assert "signature" in recv.queries[0]
    finally:
        recv.stop()


def test_register_call_back_twice_is_71006(sandbox):
    app = sandbox.state.app
    recv = Receiver("mytoken", app.callback_aes_key, app.corp_id)
    try:
        body = {"call_back_tag": ["user_add_org"], "token": "mytoken", "aes_key": app.callback_aes_key, "url": recv.url}
        url = f"{sandbox.base_url}/call_back/register_call_back"
        requests.post(url, params={"access_token": _token(sandbox)}, json=body)
        again = requests.post(url, params={"access_token": _token(sandbox)}, json=body).json()
        assert again["errcode"] == 71006
    finally:
        recv.stop()


def test_register_call_back_to_an_unreachable_url_is_71012(sandbox, receiver):
    app = sandbox.state.app
    dead_url = receiver.url
    receiver.stop()
    body = {"call_back_tag": ["user_add_org"], "token": "mytoken", "aes_key": app.callback_aes_key, "url": dead_url}
    resp = requests.post(
        f"{sandbox.base_url}/call_back/register_call_back", params={"access_token": _token(sandbox)}, json=body
    ).json()
    assert resp["errcode"] == 71012


def _register(sandbox, recv: Receiver, tags: list[str]) -> dict:
    app = sandbox.state.app
    body = {"call_back_tag": tags, "token": "mytoken", "aes_key": app.callback_aes_key, "url": recv.url}
    url = f"{sandbox.base_url}/call_back/register_call_back"
    return requests.post(url, params={"access_token": _token(sandbox)}, json=body).json()


def test_registered_call_back_tags_filter_what_is_pushed(sandbox):
    app = sandbox.state.app
    recv = Receiver("mytoken", app.callback_aes_key, app.corp_id)
    try:
        assert _register(sandbox, recv, ["user_add_org"])["errcode"] == 0
        skipped = requests.post(
            f"{sandbox.base_url}/_sandbox/events/raw", json={"event_type": "org_dept_create", "data": {"deptId": [5]}}
        ).json()["events"][0]
        assert "http" not in skipped["via"]
        event_id = _push_raw(sandbox)
        poll_until(lambda: any(p.get("eventId") == event_id for p in recv.received))
    finally:
        recv.stop()


def test_get_call_back_returns_the_registration_and_delete_removes_it(sandbox):
    app = sandbox.state.app
    recv = Receiver("mytoken", app.callback_aes_key, app.corp_id)
    try:
        _register(sandbox, recv, ["user_add_org", "user_leave_org"])
        token = _token(sandbox)
        got = requests.get(f"{sandbox.base_url}/call_back/get_call_back", params={"access_token": token}).json()
        assert (got["url"], got["call_back_tag"]) == (recv.url, ["user_add_org", "user_leave_org"])
        requests.get(f"{sandbox.base_url}/call_back/delete_call_back", params={"access_token": token})
        gone = requests.get(f"{sandbox.base_url}/call_back/get_call_back", params={"access_token": token}).json()
        assert gone["errcode"] == 71007
    finally:
        recv.stop()
