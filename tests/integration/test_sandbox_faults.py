"""Fault injection: the next N calls to a path fail the way DingTalk fails, in the right dialect."""

import pytest
import requests


def _token(sandbox) -> str:
    app = sandbox.state.app
    body = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    ).json()
    return body["accessToken"]


def _arm(sandbox, path: str, kind: str, times: int = 1, **extra) -> None:
    resp = requests.post(
        f"{sandbox.base_url}/_sandbox/faults", json={"path": path, "kind": kind, "times": times, **extra}
    )
    assert resp.status_code == 200, resp.text


def _old(sandbox, token: str) -> requests.Response:
    return requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token}, timeout=5)


def _new(sandbox, token: str) -> requests.Response:
    return requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets",
        headers={"x-acs-dingtalk-access-token": token},
        timeout=5,
    )


@pytest.mark.parametrize(
    ("kind", "errcode"),
    [("throttle", 90018), ("busy", -1), ("timeout", 15), ("timeout88", 88), ("token_expired", 40014)],
)
def test_old_family_fault_answers_its_errcode_then_recovers(sandbox, kind, errcode):
    token = _token(sandbox)
    _arm(sandbox, "/get_jsapi_ticket", kind, times=2)
    answers = [_old(sandbox, token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["errcode"] for a in answers] == [errcode, errcode, 0]


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("throttle", 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
        ("busy", 429, "system.busy"),
        ("timeout", 504, "service.timeout"),
        ("5xx", 503, "ServiceUnavailable"),
        ("token_expired", 400, "InvalidAuthentication"),
    ],
)
def test_new_family_fault_answers_its_status_and_code(sandbox, kind, status, code):
    token = _token(sandbox)
    _arm(sandbox, "/v1.0/oauth2/jsapiTickets", kind)
    faulted, healthy = _new(sandbox, token), _new(sandbox, token)
    assert (faulted.status_code, faulted.json()["code"]) == (status, code)
    assert healthy.status_code == 200


def test_old_family_timeout_carries_its_sub_code(sandbox):
    token = _token(sandbox)
    _arm(sandbox, "/get_jsapi_ticket", "timeout")
    assert _old(sandbox, token).json()["sub_code"] == "isp.top-remote-connection-timeout"


def test_old_family_5xx_is_an_http_502_page(sandbox):
    token = _token(sandbox)
    _arm(sandbox, "/get_jsapi_ticket", "5xx")
    assert _old(sandbox, token).status_code == 502


def test_slow_fault_delays_the_answer_past_the_client_timeout(sandbox):
    token = _token(sandbox)
    _arm(sandbox, "/get_jsapi_ticket", "slow", seconds=0.5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token}, timeout=0.1)


def test_reset_fault_drops_the_connection(sandbox):
    token = _token(sandbox)
    _arm(sandbox, "/get_jsapi_ticket", "reset")
    with pytest.raises(requests.ConnectionError):
        _old(sandbox, token)
    assert _old(sandbox, token).json()["errcode"] == 0


def test_unknown_fault_kind_is_refused_with_400(sandbox):
    resp = requests.post(f"{sandbox.base_url}/_sandbox/faults", json={"path": "/gettoken", "kind": "meteor"})
    assert resp.status_code == 400 and "meteor" in resp.json()["error"]
