"""DingTalk's two response dialects as the sandbox speaks them (DINGTALK.md §1, §12.1)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, jsonify, request


def request_id() -> str:
    return uuid.uuid4().hex[:24]


class OldApiError(Exception):
    """An oapi error: HTTP 200 with errcode != 0."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra


class NewApiError(Exception):
    """An api.dingtalk.com error: HTTP status with a string code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message


def is_new_family(path: str) -> bool:
    return path.startswith("/v1.0/")


def old_ok(**fields: Any) -> Response:
    body = {"errcode": 0, "errmsg": "ok", "request_id": request_id(), **fields}
    return _with_headers(jsonify(body))


def new_ok(body: Any, status: int = 200) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    return _with_headers(resp)


def old_error_response(err: OldApiError) -> Response:
    body = {"errcode": err.errcode, "errmsg": err.errmsg, "request_id": request_id(), **err.extra}
    return _with_headers(jsonify(body))


def new_error_response(err: NewApiError) -> Response:
    rid = request_id()
    resp = jsonify({"code": err.code, "message": err.message, "requestid": rid})
    resp.status_code = err.status
    resp.headers["x-acs-request-id"] = rid
    return _with_headers(resp)


def error_for_path(path: str, *, old: tuple[int, str], new: tuple[int, str, str]) -> Exception:
    """Pick the dialect for the current path: old (errcode, errmsg) or new (status, code, message)."""
    if is_new_family(path):
        return NewApiError(*new)
    return OldApiError(*old)


def json_body() -> dict[str, Any]:
    """The request's JSON object; oapi answers 40035/43004 and the new family 400 on anything else."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    if is_new_family(request.path):
        raise NewApiError(400, "MissingBody", "body is mandatory and must be a JSON object")
    if request.data and not request.is_json:
        raise OldApiError(43004, "需要POST Content-Type为application/json")
    raise OldApiError(40035, "不合法的参数: 请求体必须是JSON对象")


def _with_headers(resp: Response) -> Response:
    resp.headers["Server"] = "DingTalk/1.0.0"
    return resp
