"""The sandbox's own control API under /_sandbox/: clock, faults, recorded calls, limits, reset.

Control routes are never throttled, faulted or recorded. Bad input → HTTP 400 {"error": "..."}.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Blueprint, Response, jsonify, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.directory import UnknownUser
from dingperf.sandbox.tokens import AUTH_CODE_TTL_S

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


class ControlError(Exception):
    """A control-API call with bad input; answered 400 with the message."""


@bp.errorhandler(ControlError)
def _bad_request(err: ControlError) -> tuple[Response, int]:
    return jsonify({"error": str(err)}), 400


def control_body() -> dict[str, Any]:
    """The JSON object of a control call (an empty body counts as {})."""
    if not request.data:
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ControlError("send a JSON object with Content-Type: application/json")
    return body


def _clock_view() -> dict[str, Any]:
    state = sandbox_state()
    return {"now": state.clock.now(), "now_ms": state.clock.now_ms()}


@bp.get("/clock")
def get_clock() -> Response:
    return jsonify(_clock_view())


@bp.post("/clock")
def advance_clock() -> Response:
    advance = control_body().get("advance_s")
    if not isinstance(advance, (int, float)) or isinstance(advance, bool) or advance < 0:
        raise ControlError("advance_s must be a non-negative number of seconds")
    sandbox_state().clock.advance(float(advance))
    return jsonify(_clock_view())


@bp.post("/faults")
def arm_fault() -> Response:
    body = control_body()
    path, kind = body.get("path"), body.get("kind")
    times, seconds = body.get("times", 1), body.get("seconds", 3.5)
    if not isinstance(path, str) or not isinstance(kind, str):
        raise ControlError('path and kind are required strings, e.g. {"path": "/gettoken", "kind": "busy"}')
    if not isinstance(times, int) or not isinstance(seconds, (int, float)):
        raise ControlError("times must be an integer and seconds a number")
    try:
        sandbox_state().faults.arm(path, kind, times, float(seconds))
    except ValueError as exc:
        raise ControlError(str(exc)) from exc
    return jsonify({"armed": sandbox_state().faults.pending()})


@bp.get("/faults")
def list_faults() -> Response:
    return jsonify({"armed": sandbox_state().faults.pending()})


@bp.delete("/faults")
def clear_faults() -> Response:
    sandbox_state().faults.clear()
    return jsonify({"armed": {}})


@bp.get("/requests")
def list_requests() -> Response:
    records = sandbox_state().recorder.list(request.args.get("path"), request.args.get("method"))
    return jsonify({"requests": [r.to_dict() for r in records], "count": len(records)})


@bp.delete("/requests")
def clear_requests() -> Response:
    sandbox_state().recorder.clear()
    return jsonify({"requests": [], "count": 0})


@bp.get("/limits")
def get_limits() -> Response:
    state = sandbox_state()
    return jsonify({**dataclasses.asdict(state.limits), "quota_used": state.throttle.quota_used()})


@bp.post("/limits")
def set_limits() -> Response:
    state = sandbox_state()
    body = control_body()
    known = {f.name for f in dataclasses.fields(state.limits)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ControlError(f"unknown limit(s) {unknown}; settable: {sorted(known)}")
    for name, value in body.items():
        nullable = name == "qps_per_api_global"
        if not (
            (isinstance(value, int) and not isinstance(value, bool) and value > 0)
            or (nullable and value is None)
        ):
            raise ControlError(
                f"{name} must be a positive integer{' or null' if nullable else ''}, got {value!r}"
            )
    if "expired_token_errcode" in body and body["expired_token_errcode"] not in (40014, 42001):
        raise ControlError("expired_token_errcode must be 40014 or 42001")
    if "departed_user_errcode" in body and body["departed_user_errcode"] not in (33012, 60121):
        raise ControlError("departed_user_errcode must be 33012 or 60121")
    with state.lock:
        for name, value in body.items():
            setattr(state.limits, name, value)
    return get_limits()


@bp.post("/reset")
def reset() -> Response:
    """Forget throttle counters, bans, faults and recorded calls, then run reset_hooks; keep company and tokens."""
    state = sandbox_state()
    state.throttle.reset()
    state.faults.clear()
    state.recorder.clear()
    for hook in list(state.reset_hooks):
        hook()
    return jsonify({"reset": True})


@bp.post("/authcode")
def issue_authcode() -> Response:
    """Play a user opening the workbench: a 免登 code for them, single use, valid 5 minutes."""
    state = sandbox_state()
    userid = control_body().get("userid")
    if not isinstance(userid, str):
        raise ControlError('userid is required, e.g. {"userid": "<a userid from GET /_sandbox/company>"}')
    try:
        state.directory.user(userid)
    except UnknownUser as exc:
        raise ControlError(str(exc)) from exc
    return jsonify({"code": state.authcodes.issue(userid), "expires_in": AUTH_CODE_TTL_S})


@bp.get("/company")
def company_summary() -> Response:
    """Counts and samples of the generated org, for demos and tests to pick people from."""
    state = sandbox_state()
    directory = state.directory
    with state.lock:
        current = [u for u in directory.users.values() if not u.departed]
        departed = [u.userid for u in directory.users.values() if u.departed]
        sizes = sorted(((len(directory.member_ids(d)), d) for d in directory.departments), reverse=True)
        managers = [
            u.userid
            for u in current
            if any(
                d.manager_userids and u.userid in d.manager_userids
                for d in (directory.departments[x] for x in u.dept_id_list)
            )
        ]
        body = {
            "corp_id": state.app.corp_id,
            "employees": len(current),
            "departed": len(departed),
            "departments": len(directory.departments),
            "sample_userids": [u.userid for u in current[:10]],
            "sample_departed_userids": departed[:5],
            "sample_manager_userids": managers[:5],
            "sample_no_manager_userids": [u.userid for u in current if u.manager_userid is None][:5],
            "sample_dept_ids": sorted(directory.departments)[:10],
            "largest_dept_ids": [d for _n, d in sizes[:5]],
            "dept_ids_by_name": {
                d.name: d.dept_id for d in directory.departments.values() if d.parent_id in (None, 1)
            },
            "process_codes": sorted(state.workflow.processes),
            "process_instances": len(state.workflow.instances),
        }
    return jsonify(body)


@bp.post("/jsapi/verify")
def verify_jsapi_signature() -> Response:
    """Check a dd.config signature the way the DingTalk client does; 52013 when it does not match."""
    state = sandbox_state()
    body = control_body()
    url, nonce, stamp, signature = (body.get(k) for k in ("url", "nonceStr", "timeStamp", "signature"))
    if not all(isinstance(v, (str, int)) for v in (url, nonce, stamp, signature)):
        raise ControlError("url, nonceStr, timeStamp and signature are required")
    ticket = state.tokens.live_ticket(state.app.app_key)
    if ticket is None:
        return jsonify({"valid": False, "errcode": 52013, "errmsg": "jsapi ticket读取失败: no live ticket"})
    # Written independently of dingperf.dingtalk.crypto so a bug there cannot vouch for itself.
    parts = urlsplit(str(url))
    page = urlunsplit((parts.scheme, parts.netloc, parts.path, unquote(parts.query), ""))
    plain = f"jsapi_ticket={ticket.value}&noncestr={nonce}&timestamp={stamp}&url={page}"
    valid = hmac.compare_digest(hashlib.sha256(plain.encode()).hexdigest(), str(signature).lower())
    return jsonify(
        {"valid": valid, "errcode": 0 if valid else 52013, "errmsg": "ok" if valid else "签名校验失败"}
    )
