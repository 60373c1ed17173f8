"""One normaliser for both response dialects (DINGTALK.md §1): oapi errcode-in-200 and api HTTP status + code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dingperf.dingtalk.errors import (
    AuthExpired,
    CredentialsInvalid,
    DingTalkError,
    NotFound,
    Permanent,
    PermissionDenied,
    QuotaExhausted,
    RateLimited,
    Transient,
)

OAPI = "oapi"
API = "api"

_OLD_AUTH = {40014, 42001, 41001}
_OLD_NOT_FOUND = {60003, 33012, 60121, 400101}
_OLD_PERMISSION = {60011, 60020, 50002, 50004, 43007}
# 90001/90003-90017 are bans of a server, corp or ISV; they last minutes, so they surface after one check.
_OLD_BANS = {90001, *range(90003, 90018)}

_NEW_THROTTLE = {
    "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi": ("app_api_qps", 1.0),
    "Forbidden.AccessDenied.QpsLimitForApi": ("api_global", 1.0),
    "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi": ("app_api_qpm", 60.0),
}
_NEW_PERMISSION = {
    "Forbidden.AccessDenied.AccessTokenPermissionDenied",
    "Forbidden.AccessDenied.IpNotInWhiteList",
}
_NEW_NOT_FOUND = {"processInstanceNotExist", "param.cardNotExist", "NotFound", "staffId.notExisted"}
_NEW_BUSY = {"system.busy", "systemBusy"}


def family_of(path: str) -> str:
    """`api` for api.dingtalk.com paths (/v1.0/...), `oapi` for everything else."""
    return API if path.startswith("/v1.0/") else OAPI


def error_from_response(
    path: str, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> DingTalkError | None:
    """The typed error a response means, or None when it is a success."""
    headers = headers or {}
    if isinstance(body, Mapping) and body.get("status") == 1111:
        return _ip_ban(path, status, body)
    if isinstance(body, str) and "punish" in body:
        return _ip_ban(path, status, {})  # the ban can also come as an HTML page
    if family_of(path) == OAPI:
        return _old_error(path, status, body)
    return _new_error(path, status, body, headers)


def _ip_ban(path: str, status: int, body: Mapping[str, Any]) -> RateLimited:
    minutes = _as_float(body.get("wait"), 5.0)
    return RateLimited(
        "this server's IP is banned for calling DingTalk too often (over 10,000 calls / 20 s)",
        retry_after=minutes * 60, scope="ip_ban", family=family_of(path), path=path,
        code=1111, http_status=status,
    )


def _old_error(path: str, status: int, body: Any) -> DingTalkError | None:
    kw = {"family": OAPI, "path": path, "http_status": status}
    if not isinstance(body, Mapping):
        return _by_status(path, status, f"non-JSON response (HTTP {status})", None, None, kw)
    request_id = body.get("request_id") or body.get("requestId")
    errcode = body.get("errcode", 0 if status == 200 else status)
    code = _as_int(errcode)
    message = str(body.get("errmsg") or body.get("message") or "")
    if status != 200 and code in (0, status):
        return _by_status(path, status, message or f"HTTP {status}", code, request_id, kw)
    if code == 0:
        return None
    return _old_code(code, message, body, request_id, kw)


def _old_code(code: int | None, message: str, body: Mapping[str, Any], request_id: Any, kw: dict) -> DingTalkError:
    kw = {**kw, "code": code if code is not None else body.get("errcode"), "request_id": request_id}
    if code == 90018:
        return RateLimited(message or "too many calls per second to this API", retry_after=1.0, scope="app_api_qps", **kw)
    if code == 90002:
        return RateLimited(message or "this API is throttled for all apps", retry_after=1.0, scope="api_global", **kw)
    if code == 90020:
        return QuotaExhausted(message or "monthly API quota exhausted", **kw)
    if code == 410100:
        # Custom group robots: over 20 messages a minute blocks the robot for 10 minutes.
        return RateLimited(message or "group robot sending too fast", retry_after=600.0, scope="robot_webhook", **kw)
    if code in _OLD_BANS:
        return RateLimited(message or "calls are banned for a while", retry_after=300.0, scope="ban", **kw)
    if code in _OLD_AUTH:
        return AuthExpired(message or "access token invalid or expired", **kw)
    if code in (-1, 15):
        return Transient(message or "DingTalk is busy", maybe_processed=code == 15, **kw)
    if code == 88:
        return _errcode_88(message, body, kw)
    if code in _OLD_NOT_FOUND:
        return NotFound(message, **kw)
    if code in _OLD_PERMISSION:
        return PermissionDenied(message, **kw)
    if code == 40089:
        return CredentialsInvalid(message, **kw)
    return Permanent(message or "request refused", **kw)


def _errcode_88(message: str, body: Mapping[str, Any], kw: dict) -> DingTalkError:
    """errcode 88 (鉴权异常) wraps the real reason in sub_code; an empty sub_code is a server timeout."""
    sub = str(body.get("sub_code") or "").strip()
    detail = str(body.get("sub_msg") or message)
    if not sub:
        return Transient(detail or "DingTalk timed out (errcode 88, empty sub_code)", maybe_processed=True, **kw)
    sub_int = _as_int(sub)
    if sub_int is not None and sub_int != 88:
        inner = _old_code(sub_int, detail, {}, kw.get("request_id"), {k: v for k, v in kw.items() if k != "code"})
        inner.code = f"88/{sub}"
        return inner
    if "token" in sub.lower():
        return AuthExpired(detail, **{**kw, "code": f"88/{sub}"})
    return Permanent(detail, **{**kw, "code": f"88/{sub}"})


def _new_error(path: str, status: int, body: Any, headers: Mapping[str, str]) -> DingTalkError | None:
    if 200 <= status < 300:
        return None
    kw = {"family": API, "path": path, "http_status": status}
    request_id = headers.get("x-acs-request-id")
    code: str | None = None
    message = ""
    if isinstance(body, Mapping):
        code = body.get("code")
        message = str(body.get("message") or "")
        request_id = body.get("requestid") or body.get("requestId") or request_id
    if not code:
        return _by_status(path, status, message or f"HTTP {status}", None, request_id, kw)
    kw.update(code=code, request_id=request_id)
    if code in _NEW_THROTTLE:
        scope, wait = _NEW_THROTTLE[code]
        return RateLimited(message or code, retry_after=wait, scope=scope, **kw)
    if code == "Forbidden.AccessDenied.ApiCountLimitForOrg":
        return QuotaExhausted(message or "monthly API quota exhausted", **kw)
    if code in _NEW_PERMISSION:
        return PermissionDenied(message or code, **kw)
    if code.startswith("Forbidden.AccessDenied."):
        # Other AccessDenied codes are throttles DingTalk has not documented (issue 2, item 4).
        return RateLimited(message or code, retry_after=1.0, scope="other", **kw)
    if code == "InvalidAuthentication" or status == 401:
        return AuthExpired(message or code, **kw)
    if code == "invalidClientIdOrSecret":
        return CredentialsInvalid(message or code, **kw)
    if code in _NEW_BUSY or status == 429:
        return RateLimited(message or code, retry_after=1.0, scope="busy", **kw)
    if code in _NEW_NOT_FOUND or status == 404:
        return NotFound(message or code, **kw)
    if status >= 500:
        return Transient(message or code, maybe_processed=True, **kw)
    return Permanent(message or code, **kw)


def _by_status(path: str, status: int, message: str, code: Any, request_id: Any, kw: dict) -> DingTalkError:
    """Errors known only by HTTP status (no DingTalk code in the body)."""
    kw = {**kw, "code": code, "request_id": request_id}
    if status == 401:
        return AuthExpired(message, **kw)
    if status == 403:
        # New-family throttling has been seen in the wild as a bare 403 (DINGTALK.md §2.5).
        return RateLimited(message, retry_after=1.0, scope="other", **kw)
    if status == 429:
        return RateLimited(message, retry_after=1.0, scope="busy", **kw)
    if status == 404:
        return NotFound(f"no such DingTalk API: {path} ({message})", **kw)
    if status >= 500:
        return Transient(message, maybe_processed=True, **kw)
    return Permanent(message, **kw)


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
