"""免登 authCodes and JSAPI tickets of the sandbox (DINGTALK.md §8)."""

import requests


def _token(sandbox) -> str:
    app = sandbox.state.app
    return requests.post(
        f"{sandbox.base_url}/v1.0/oauth2/accessToken",
        json={"appKey": app.app_key, "appSecret": app.app_secret},
    ).json()["accessToken"]


def _code_for(sandbox, userid: str) -> str:
    resp = requests.post(f"{sandbox.base_url}/_sandbox/authcode", json={"userid": userid})
    assert resp.status_code == 200, resp.text
    return resp.json()["code"]


def _userinfo(sandbox, code: str) -> dict:
    return requests.post(
        f"{sandbox.base_url}/topapi/v2/user/getuserinfo",
        params={"access_token": _token(sandbox)},
        json={"code": code},
    ).json()


def test_auth_code_resolves_to_its_user(company_sandbox):
    user = next(u for u in company_sandbox.state.directory.users.values() if not u.departed)
    body = _userinfo(company_sandbox, _code_for(company_sandbox, user.userid))
    assert (body["errcode"], body["result"]["userid"], body["result"]["unionid"]) == (
        0,
        user.userid,
        user.unionid,
    )


def test_auth_code_is_single_use(company_sandbox):
    code = _code_for(company_sandbox, company_sandbox.state.directory.active_userids()[0])
    assert _userinfo(company_sandbox, code)["errcode"] == 0
    assert _userinfo(company_sandbox, code)["errcode"] == 40078


def test_auth_code_expires_after_five_minutes(company_sandbox):
    code = _code_for(company_sandbox, company_sandbox.state.directory.active_userids()[0])
    company_sandbox.state.clock.advance(301)
    assert _userinfo(company_sandbox, code)["errcode"] == 40078


def test_auth_code_for_an_unknown_user_is_refused_by_the_control_api(company_sandbox):
    assert (
        requests.post(f"{company_sandbox.base_url}/_sandbox/authcode", json={"userid": "ghost"}).status_code
        == 400
    )


def test_getuserinfo_is_exempt_from_the_monthly_quota(company_sandbox):
    requests.post(f"{company_sandbox.base_url}/_sandbox/limits", json={"monthly_quota": 1})
    code = _code_for(company_sandbox, company_sandbox.state.directory.active_userids()[0])
    assert _userinfo(company_sandbox, code)["errcode"] == 0
    assert requests.get(f"{company_sandbox.base_url}/_sandbox/limits").json()["quota_used"] == 0


def _live_ticket(sandbox) -> str:
    headers = {"x-acs-dingtalk-access-token": _token(sandbox)}
    return requests.post(f"{sandbox.base_url}/v1.0/oauth2/jsapiTickets", headers=headers).json()[
        "jsapiTicket"
    ]


def test_jsapi_signature_over_the_live_ticket_verifies(sandbox):
    import hashlib

    ticket = _live_ticket(sandbox)
    plain = (
        f"jsapi_ticket={ticket}&noncestr=abc&timestamp=1700000000000&url=https://h.example/app?corpId=ding1"
    )
    body = {
        "url": "https://h.example/app?corpId=ding1#/home",
        "nonceStr": "abc",
        "timeStamp": "1700000000000",
        "signature": hashlib.sha256(plain.encode()).hexdigest(),
    }
    assert requests.post(f"{sandbox.base_url}/_sandbox/jsapi/verify", json=body).json()["valid"] is True


def test_jsapi_signature_over_another_url_is_52013(sandbox):
    import hashlib

    ticket = _live_ticket(sandbox)
    plain = f"jsapi_ticket={ticket}&noncestr=abc&timestamp=1&url=https://h.example/other"
    body = {
        "url": "https://h.example/app",
        "nonceStr": "abc",
        "timeStamp": "1",
        "signature": hashlib.sha256(plain.encode()).hexdigest(),
    }
    assert requests.post(f"{sandbox.base_url}/_sandbox/jsapi/verify", json=body).json()["errcode"] == 52013
