"""The /_sandbox/ control API: clock, recorder, limits, reset."""

import requests


def test_clock_advances_through_the_control_api(sandbox):
    before = requests.get(f"{sandbox.base_url}/_sandbox/clock").json()["now"]
    after = requests.post(f"{sandbox.base_url}/_sandbox/clock", json={"advance_s": 7201}).json()["now"]
    assert after - before >= 7201


def test_clock_refuses_to_go_backwards(sandbox):
    assert requests.post(f"{sandbox.base_url}/_sandbox/clock", json={"advance_s": -5}).status_code == 400


def test_recorder_keeps_every_dingtalk_call_with_its_answer(sandbox):
    requests.get(f"{sandbox.base_url}/gettoken", params={"appkey": "x", "appsecret": "y"})
    requests.post(f"{sandbox.base_url}/topapi/nothing/here", json={"a": 1})
    records = requests.get(f"{sandbox.base_url}/_sandbox/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"], r["errcode"]) for r in records] == [
        ("GET", "/gettoken", 200, 40089),
        ("POST", "/topapi/nothing/here", 404, 404),
    ]
    assert records[0]["query"] == {"appkey": "x", "appsecret": "y"}
    assert records[1]["json"] == {"a": 1}


def test_recorder_filters_by_path_and_clears(sandbox):
    requests.get(f"{sandbox.base_url}/gettoken")
    requests.get(f"{sandbox.base_url}/get_jsapi_ticket")
    only = requests.get(f"{sandbox.base_url}/_sandbox/requests", params={"path": "/gettoken"}).json()
    assert only["count"] == 1
    requests.delete(f"{sandbox.base_url}/_sandbox/requests")
    assert requests.get(f"{sandbox.base_url}/_sandbox/requests").json()["count"] == 0


def test_recorder_skips_control_calls(sandbox):
    requests.get(f"{sandbox.base_url}/_sandbox/clock")
    assert requests.get(f"{sandbox.base_url}/_sandbox/requests").json()["count"] == 0


def test_unknown_limit_name_is_refused(sandbox):
    resp = requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"qps": 5})
    assert resp.status_code == 400 and "qps_per_app_api" in resp.json()["error"]


def test_reset_lifts_an_ip_ban(sandbox):
    requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"ip_calls_per_20s": 1})
    requests.get(f"{sandbox.base_url}/gettoken")
    assert requests.get(f"{sandbox.base_url}/gettoken").json().get("status") == 1111
    requests.post(f"{sandbox.base_url}/_sandbox/reset")
    assert requests.get(f"{sandbox.base_url}/gettoken").json()["errcode"] == 40089
