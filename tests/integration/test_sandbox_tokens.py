"""Token issue, renewal, expiry and both auth-error dialects of the sandbox (DINGTALK.md §2, §12.1)."""

import requests


def _new_token(sandbox) -> dict:
    app = sandbox.state.app
    resp = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_new_token_endpoint_issues_token_valid_for_7200s(sandbox):
    body = _new_token(sandbox)
    assert body["expireIn"] == 7200
    assert len(body["accessToken"]) >= 16


def test_rerequest_while_valid_returns_same_token_and_extends_it(sandbox):
    first = _new_token(sandbox)["accessToken"]
    sandbox.state.clock.advance(7000)
    assert _new_token(sandbox)["accessToken"] == first
    sandbox.state.clock.advance(7000)  # 14,000 s after issue, but it was extended at 7,000 s
    resp = requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": first})
    assert resp.json()["errcode"] == 0


def test_token_expires_after_7200s_and_a_new_one_is_issued(sandbox):
    first = _new_token(sandbox)["accessToken"]
    sandbox.state.clock.advance(7201)
    resp = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets", headers={"x-acs-dingtalk-access-token": first}
    )
    assert resp.status_code == 400
    assert resp.json()["code"] == "InvalidAuthentication"
    assert _new_token(sandbox)["accessToken"] != first


def test_expired_token_on_old_family_is_40014_or_configured_42001(sandbox):
    token = _new_token(sandbox)["accessToken"]
    sandbox.state.clock.advance(7201)
    url = f"{sandbox.base_url}/get_jsapi_ticket"
    assert requests.get(url, params={"access_token": token}).json()["errcode"] == 40014
    requests.post(f"{sandbox.base_url}/_sandbox/limits", json={"expired_token_errcode": 42001})
    assert requests.get(url, params={"access_token": token}).json()["errcode"] == 42001


def test_same_token_works_on_both_families(sandbox):
    token = _new_token(sandbox)["accessToken"]
    old = requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": token})
    new = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets", headers={"x-acs-dingtalk-access-token": token}
    )
    assert old.json()["errcode"] == 0 and new.status_code == 200


def test_missing_token_is_41001_on_old_family_and_401_on_new(sandbox):
    old = requests.get(f"{sandbox.base_url}/get_jsapi_ticket")
    new = requests.post(f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets")
    assert old.status_code == 200 and old.json()["errcode"] == 41001
    assert new.status_code == 401 and "x-acs-request-id" in new.headers


def test_unknown_token_is_40014_on_old_family_and_invalid_authentication_on_new(sandbox):
    old = requests.get(f"{sandbox.base_url}/get_jsapi_ticket", params={"access_token": "nope"})
    new = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets", headers={"x-acs-dingtalk-access-token": "nope"}
    )
    assert old.json()["errcode"] == 40014
    assert (new.status_code, new.json()["code"]) == (400, "InvalidAuthentication")


def test_bad_secret_is_invalid_client_id_or_secret(sandbox):
    resp = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": sandbox.state.app.app_key, "appSecret": "x"},
    )
    assert (resp.status_code, resp.json()["code"]) == (400, "invalidClientIdOrSecret")


def test_form_encoded_token_request_is_rejected_with_400(sandbox):
    app = sandbox.state.app
    resp = requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        data={"appKey": app.app_key, "appSecret": app.app_secret},
    )
    assert resp.status_code == 400


def test_old_gettoken_issues_the_same_token_as_the_new_endpoint(sandbox):
    app = sandbox.state.app
    new = _new_token(sandbox)["accessToken"]
    old = requests.get(
        f"{sandbox.base_url}/gettoken", params={"appkey": app.app_key, "appsecret": app.app_secret}
    ).json()
    assert (old["errcode"], old["access_token"], old["expires_in"]) == (0, new, 7200)


def test_old_gettoken_with_bad_credentials_is_40089(sandbox):
    resp = requests.get(f"{sandbox.base_url}/gettoken", params={"appkey": "a", "appsecret": "b"})
    assert resp.status_code == 200 and resp.json()["errcode"] == 40089


def test_corp_token_endpoint_needs_client_credentials_grant(sandbox):
    app = sandbox.state.app
    url = f"{sandbox.base_url}/v1.0/oauth2/{app.corp_id}/token"
    ok = requests.post(
        url,
        json={"client_id": app.app_key, "client_secret": app.app_secret, "grant_type": "client_credentials"},
    )
    bad = requests.post(
        url, json={"client_id": app.app_key, "client_secret": app.app_secret, "grant_type": "password"}
    )
    assert ok.json()["expires_in"] == 7200
    assert bad.json()["code"] == "unsupported.grant.type"


def test_jsapi_ticket_is_renewed_while_valid_but_never_past_24h(sandbox):
    token = _new_token(sandbox)["accessToken"]
    headers = {"x-acs-dingtalk-access-token": token}
    url = f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets"
    first = requests.post(url, headers=headers).json()
    seen = {first["jsapiTicket"]}
    for _ in range(14):  # renew every 2 h minus a minute, keeping both token and ticket alive
        sandbox.state.clock.advance(7140)
        token = _new_token(sandbox)["accessToken"]
        body = requests.post(url, headers={"x-acs-dingtalk-access-token": token}).json()
        seen.add(body["jsapiTicket"])
    assert len(seen) == 2  # the first ticket hit its 24 h cap and was replaced


def test_post_on_a_get_only_endpoint_is_43001(sandbox):
    resp = requests.post(f"{sandbox.base_url}/gettoken", json={})
    assert (resp.status_code, resp.json()["errcode"]) == (200, 43001)
