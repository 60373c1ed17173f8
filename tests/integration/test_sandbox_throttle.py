"""Per-app×API QPS, global QPS and per-IP ban of the sandbox over real HTTP (DINGTALK.md §2.5)."""

import requests


def _token(sandbox) -> str:
    app = sandbox.state.app
    body = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    ).json()
    return body["accessToken"]


def test_burst_of_25_old_family_calls_gets_five_90018(sandbox):
    token = _token(sandbox)
    with requests.Session() as http:
        codes = [
            http.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token}).json()["errcode"]
            for _ in range(25)
        ]
    assert codes == [0] * 20 + [90018] * 5


def test_burst_of_25_new_family_calls_gets_five_403_qps_limit(sandbox):
    headers = {"x-acs-dingtalk-access-token": _token(sandbox)}
    with requests.Session() as http:
        answers = [
            http.post(f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets", headers=headers) for _ in range(25)
        ]
    refused = [(r.status_code, r.json()["code"]) for r in answers[20:]]
    assert all(r.status_code == 200 for r in answers[:20])
    assert refused == [(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")] * 5


def test_steady_20_calls_per_second_is_never_throttled(sandbox):
    token = _token(sandbox)
    with requests.Session() as http:
        for _ in range(3):
            codes = {
                http.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token}).json()[
                    "errcode"
                ]
                for _ in range(20)
            }
            assert codes == {0}
            sandbox.state.clock.advance(1.0)


def test_qps_limit_is_per_api(sandbox):
    token = _token(sandbox)
    with requests.Session() as http:
        for _ in range(20):
            http.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token})
        other = http.post(
            f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets", headers={"x-acs-dingtalk-access-token": token}
        )
    assert other.status_code == 200


def test_qps_limit_is_settable_through_the_control_api(sandbox):
    requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"qps_per_app_api": 3})
    token = _token(sandbox)
    codes = [
        requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token}).json()["errcode"]
        for _ in range(4)
    ]
    assert codes == [0, 0, 0, 90018]


def test_global_per_api_limit_answers_90002(sandbox):
    requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"qps_per_api_global": 2})
    token = _token(sandbox)
    codes = [
        requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token}).json()["errcode"]
        for _ in range(3)
    ]
    assert codes == [0, 0, 90002]


def test_ip_over_its_20s_budget_is_banned_for_five_minutes(sandbox):
    requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"ip_calls_per_20s": 5, "qps_per_app_api": 100})
    token = _token(sandbox)  # call 1
    url = f"{sandbox.base_url}/get_jsapi_ticket"
    for _ in range(4):
        assert requests.get(url, params={"access_token": token}).json()["errcode"] == 0
    banned = requests.get(url, params={"access_token": token}).json()
    assert (banned["status"], banned["source"], banned["punish"]) == (1111, "x5", "deny")
    sandbox.state.clock.advance(299)
    assert requests.get(url, params={"access_token": token}).json().get("status") == 1111
    sandbox.state.clock.advance(2)
    assert requests.get(url, params={"access_token": token}).json()["errcode"] == 0


def test_control_routes_are_never_throttled(sandbox):
    requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"qps_per_app_api": 1, "ip_calls_per_20s": 1})
    statuses = {requests.get(f"{sandbox.base_url}/_sandbox/clock").status_code for _ in range(5)}
    assert statuses == {200}
