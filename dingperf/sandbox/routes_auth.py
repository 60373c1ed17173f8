"""Token, JSAPI-ticket and 免登 endpoints of both families (DINGTALK.md §2.1, §2.2, §8)."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import NewApiError, OldApiError, json_body, new_ok, old_ok

bp = Blueprint("sandbox_auth", __name__)


def _matches(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


@bp.post("/v1.0/oauth2/accessToken")
def access_token() -> Response:
    state = sandbox_state()
    body = json_body()
    if not (
        _matches(body.get("appKey"), state.app.app_key)
        and _matches(body.get("appSecret"), state.app.app_secret)
    ):
        raise NewApiError(
            400, "invalidClientIdOrSecret", "无效的clientId或clientSecret: check appKey and appSecret"
        )
    grant = state.tokens.issue(state.app.app_key, state.limits.token_ttl_s)
    return new_ok({"accessToken": grant.value, "expireIn": state.limits.token_ttl_s})


@bp.post("/v1.0/oauth2/<corp_id>/token")
def corp_token(corp_id: str) -> Response:
    state = sandbox_state()
    body = json_body()
    if body.get("grant_type") != "client_credentials":
        raise NewApiError(400, "unsupported.grant.type", "grant_type must be client_credentials")
    if not (
        _matches(body.get("client_id"), state.app.app_key)
        and _matches(body.get("client_secret"), state.app.app_secret)
    ):
        raise NewApiError(400, "invalid.client", "无效的client_id或client_secret")
    if corp_id != state.app.corp_id:
        raise NewApiError(401, "unauthorized.client", f"the app is not installed in corp {corp_id}")
    grant = state.tokens.issue(state.app.app_key, state.limits.token_ttl_s)
    return new_ok({"access_token": grant.value, "expires_in": state.limits.token_ttl_s})


@bp.get("/gettoken")
def gettoken() -> Response:
    state = sandbox_state()
    if not (
        _matches(request.args.get("appkey"), state.app.app_key)
        and _matches(request.args.get("appsecret"), state.app.app_secret)
    ):
        raise OldApiError(40089, "不合法的corpId或corpSecret")
    grant = state.tokens.issue(state.app.app_key, state.limits.token_ttl_s)
    return old_ok(access_token=grant.value, expires_in=state.limits.token_ttl_s)


@bp.post("/v1.0/oauth2/jsapiTickets")
def jsapi_ticket_new() -> Response:
    state = sandbox_state()
    app = authenticated_app()
    grant = state.tokens.jsapi_ticket(app.app_key)
    return new_ok({"jsapiTicket": grant.value, "expireIn": int(grant.expires_at - state.clock.now())})


@bp.get("/get_jsapi_ticket")
def jsapi_ticket_old() -> Response:
    state = sandbox_state()
    app = authenticated_app()
    grant = state.tokens.jsapi_ticket(app.app_key)
    return old_ok(ticket=grant.value, expires_in=int(grant.expires_at - state.clock.now()))
