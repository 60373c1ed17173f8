"""Legacy oapi callback management: register/get/update/delete and the failed-push list (§10.1, §10.6).

Error codes are the ones DingTalk answers in the wild: 71006 already registered, 71007 not
registered, 71009 the check_url reply was not an encrypted `success`, 71010 bad parameters,
71012 the URL could not be reached.
"""

from __future__ import annotations

import re
from dataclasses import replace

from flask import Blueprint, Response

from dingperf.dingtalk.crypto import is_valid_aes_key
from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.push_failed import MAX_PER_CALL
from dingperf.sandbox.pusher import HttpTarget
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import OldApiError, json_body, old_ok

bp = Blueprint("sandbox_callback", __name__)

_TOKEN = re.compile(r"\A[A-Za-z0-9]{3,32}\Z")
_BAD_PARAMS = "POST的JSON数据不包含所需要的参数字段或包含的参数格式非法"


@bp.get("/call_back/get_call_back_failed_result")
def get_failed_result() -> Response:
    authenticated_app()
    items, has_more = sandbox_state().pusher.failed.drain(MAX_PER_CALL)
    return old_ok(has_more=has_more, failed_list=items)


@bp.post("/call_back/register_call_back")
def register_call_back() -> Response:
    authenticated_app()
    if _registered() is not None:
        raise OldApiError(71006, "回调地址已经存在")
    _install(_target_from_body())
    return old_ok()


@bp.post("/call_back/update_call_back")
def update_call_back() -> Response:
    authenticated_app()
    if _registered() is None:
        raise OldApiError(71007, "回调地址已不存在")
    _install(_target_from_body())
    return old_ok()


@bp.get("/call_back/get_call_back")
def get_call_back() -> Response:
    authenticated_app()
    target = _registered()
    if target is None:
        raise OldApiError(71007, "回调地址已不存在")
    return old_ok(call_back_tag=sorted(target.tags or ()), token=target.token, aes_key=target.aes_key, url=target.url)


@bp.get("/call_back/delete_call_back")
def delete_call_back() -> Response:
    authenticated_app()
    pusher = sandbox_state().pusher
    if _registered() is None:
        raise OldApiError(71007, "回调地址已不存在")
    mode = {"http": "off", "both": "stream"}.get(pusher.config.mode, pusher.config.mode)
    pusher.config = replace(pusher.config, target=None, mode=mode)
    return old_ok()


def _registered() -> HttpTarget | None:
    target = sandbox_state().pusher.config.target
    return target if target is not None and target.source == "register_call_back" else None


def _target_from_body() -> HttpTarget:
    body = json_body()
    tags, token, aes_key, url = body.get("call_back_tag"), body.get("token"), body.get("aes_key"), body.get("url")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t for t in tags):
        raise OldApiError(71010, f"{_BAD_PARAMS}: call_back_tag must be a non-empty list of event types")
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise OldApiError(71010, f"{_BAD_PARAMS}: token must be 3–32 letters or digits")
    if not isinstance(aes_key, str) or not is_valid_aes_key(aes_key):
        raise OldApiError(71010, f"{_BAD_PARAMS}: aes_key must be 43 characters of [A-Za-z0-9]")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise OldApiError(71010, f"{_BAD_PARAMS}: url must start with http:// or https://")
    # API-registered callbacks are sealed with the corpId as owner key, not the AppKey (§10.3).
    return HttpTarget(
        url=url,
        token=token,
        aes_key=aes_key,
        owner_key=sandbox_state().app.corp_id,
        tags=frozenset(tags),
        signature_param="signature",
        source="register_call_back",
    )


def _install(target: HttpTarget) -> None:
    pusher = sandbox_state().pusher
    outcome = pusher.check_url(target)
    if not outcome.ok:
        if outcome.status is None:
            raise OldApiError(71012, f"url地址访问异常,错误原因为:{outcome.reason} HttpRequest: POST {target.url}")
        raise OldApiError(71009, f"返回文本非success: {outcome.reason}")
    # Registering a callback turns HTTP delivery on next to whatever was already on.
    mode = {"off": "http", "stream": "both"}.get(pusher.config.mode, pusher.config.mode)
    pusher.config = replace(pusher.config, target=target, mode=mode)
