"""DingTalk's call limits on the sandbox clock (DINGTALK.md §2.5, §12.1).

Four checks, in the order DingTalk's gateway applies them: per client IP (10,000 calls / 20 s,
then a 5-minute ban), the per-org monthly quota over metered APIs, the per-API global QPS, and the
per-app × per-API QPS (sliding 1 s windows). Rejected calls consume nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, Response, g, jsonify, request

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.tokens import presented_token
from dingperf.sandbox.wire import (
    NewApiError,
    OldApiError,
    is_new_family,
    new_error_response,
    old_error_response,
)

if TYPE_CHECKING:  # state.py imports this module
    from dingperf.sandbox.state import Limits

_CST = dt.timezone(dt.timedelta(hours=8))

# Token, 免登, JSAPI-ticket and address-book APIs do not count against the monthly quota (§2.3).
_EXEMPT_PREFIXES = (
    "/gettoken",
    "/v1.0/oauth2/",
    "/get_jsapi_ticket",
    "/topapi/v2/user/getuserinfo",
    "/topapi/v2/department/",
    "/topapi/v2/user/",
    "/topapi/user/",
    "/topapi/department/",
    "/user/",
    "/department/",
)


def is_quota_exempt(path: str) -> bool:
    """True for endpoints DingTalk does not meter against the monthly per-org quota."""
    return path.startswith(_EXEMPT_PREFIXES)


@dataclass(frozen=True)
class Verdict:
    """Why a call was refused: `kind` is one of ip_ban, quota, qps_global, qps_app."""

    kind: str
    detail: str


# A call stops counting against the 1 s QPS window slightly early, so a client that paces itself
# at exactly N calls per second is not punished for 20 ms of network jitter between its calls.
_WINDOW_S = 1.0
_JITTER_GRACE_S = 0.02


class _Window:
    """Sliding 1 s window: at most `rate` admitted calls in any window (DingTalk's QPS semantics).

    A client making exactly `rate` calls per second is never refused; `rate` + 5 calls within
    one second get 5 refusals.
    """

    __slots__ = ("stamps",)

    def __init__(self) -> None:
        self.stamps: deque[float] = deque()

    def allows(self, rate: int, now: float) -> bool:
        horizon = now - (_WINDOW_S - _JITTER_GRACE_S)
        stamps = self.stamps
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return len(stamps) < rate


class Throttle:
    """Counters behind every throttling decision; thresholds come from `Limits` at each call."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._app_windows: dict[tuple[str, str], _Window] = {}
        self._api_windows: dict[str, _Window] = {}
        self._ip_window: dict[str, tuple[float, int]] = {}
        self._ip_banned_until: dict[str, float] = {}
        self._monthly: dict[str, int] = {}

    def month_key(self) -> str:
        """The current calendar month in China time, which is when DingTalk resets the quota."""
        return dt.datetime.fromtimestamp(self._clock.now(), _CST).strftime("%Y-%m")

    def quota_used(self) -> int:
        """Metered calls so far this month."""
        with self._lock:
            return self._monthly.get(self.month_key(), 0)

    def admit(self, *, limits: Limits, ip: str, app_key: str, path: str) -> Verdict | None:
        """Record one call and return None, or return why DingTalk would refuse it."""
        now = self._clock.now()
        with self._lock:
            banned_until = self._ip_banned_until.get(ip, 0.0)
            if now < banned_until:
                return Verdict("ip_ban", f"IP {ip} banned for {int(banned_until - now)} more seconds")
            start, count = self._ip_window.get(ip, (now, 0))
            if now - start >= 20.0:
                start, count = now, 0
            if count >= limits.ip_calls_per_20s:
                self._ip_banned_until[ip] = now + limits.ip_ban_seconds
                self._ip_window.pop(ip, None)
                return Verdict("ip_ban", f"IP {ip} made more than {limits.ip_calls_per_20s} calls in 20 s")
            self._ip_window[ip] = (start, count + 1)

            metered = not is_quota_exempt(path)
            month = self.month_key()
            if metered and self._monthly.get(month, 0) >= limits.monthly_quota:
                return Verdict("quota", f"monthly quota of {limits.monthly_quota} calls used up for {month}")

            global_window = self._api_windows.setdefault(path, _Window())
            if limits.qps_per_api_global is not None and not global_window.allows(
                limits.qps_per_api_global, now
            ):
                return Verdict(
                    "qps_global", f"{path} exceeded {limits.qps_per_api_global} QPS across all apps"
                )
            app_window = self._app_windows.setdefault((app_key, path), _Window())
            if not app_window.allows(limits.qps_per_app_api, now):
                return Verdict("qps_app", f"app {app_key} exceeded {limits.qps_per_app_api} QPS on {path}")

            if limits.qps_per_api_global is not None:
                global_window.stamps.append(now)
            app_window.stamps.append(now)
            if metered:
                self._monthly[month] = self._monthly.get(month, 0) + 1
            return None

    def reset(self) -> None:
        """Forget every counter and ban (the control API's reset)."""
        with self._lock:
            self._app_windows.clear()
            self._api_windows.clear()
            self._ip_window.clear()
            self._ip_banned_until.clear()
            self._monthly.clear()


def verdict_response(verdict: Verdict, path: str) -> Response:
    """How DingTalk answers a refused call, in the dialect of `path`'s family."""
    if verdict.kind == "ip_ban":
        # The egress-IP ban comes from Alibaba's edge, not the API: same body for both families.
        body = {"status": 1111, "wait": 5, "source": "x5", "punish": "deny", "uuid": uuid.uuid4().hex}
        resp = jsonify(body)
        resp.status_code = 403
        return resp
    old, new = {
        "quota": ((90020, "企业应用调用次数超过本月限额"), "Forbidden.AccessDenied.ApiCountLimitForOrg"),
        "qps_global": (
            (90002, "该接口调用频率超过全局限制，请稍后重试"),
            "Forbidden.AccessDenied.QpsLimitForApi",
        ),
        "qps_app": (
            (90018, "当前企业的应用调用该接口的并发量超过限制，请稍后重试"),
            "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
        ),
    }[verdict.kind]
    if is_new_family(path):
        return new_error_response(NewApiError(403, new, verdict.detail))
    return old_error_response(OldApiError(old[0], f"{old[1]}: {verdict.detail}"))


def install_throttle(app: Flask) -> None:
    """Apply the limits to every routed DingTalk call, whichever blueprint serves it."""

    @app.before_request
    def _throttle() -> Response | None:
        if request.path.startswith("/_sandbox/") or request.url_rule is None:
            return None
        state = app.extensions["sandbox"]
        token = presented_token()
        grant = state.tokens.lookup(token) if token else None
        verdict = state.throttle.admit(
            limits=state.limits,
            ip=request.remote_addr or "?",
            app_key=grant.app_key if grant else "-",
            path=request.path,
        )
        if verdict is None:
            return None
        g.sandbox_throttled = verdict.kind
        return verdict_response(verdict, request.path)
