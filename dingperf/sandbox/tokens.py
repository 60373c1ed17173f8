"""Access tokens and JSAPI tickets on the sandbox clock (DINGTALK.md §2.1–§2.3, §8, §12.1).

Both families accept the same token. Re-requesting a token while it is valid returns the same
token and extends it; after expiry a fresh one is issued. `authenticated_app()` is what every
sandbox endpoint calls first.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app, request

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.wire import NewApiError, OldApiError, is_new_family

if TYPE_CHECKING:  # state.py imports this module
    from dingperf.sandbox.state import AppCredentials

TOKEN_HEADER = "x-acs-dingtalk-access-token"
TICKET_TTL_S = 7_200
TICKET_MAX_LIFE_S = 86_400  # a ticket renews 2 h at a time but never lives past 24 h from creation


@dataclass(frozen=True)
class Grant:
    """One issued token or ticket: its value, its app and when it stops working (sandbox epoch s)."""

    value: str
    app_key: str
    expires_at: float
    created_at: float


class TokenStore:
    """Issued access tokens and JSAPI tickets, per app, with expiry read from the sandbox clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, Grant] = {}
        self._current_token: dict[str, str] = {}
        self._current_ticket: dict[str, Grant] = {}

    def issue(self, app_key: str, ttl_s: int) -> Grant:
        """The app's valid token with its life extended to `ttl_s` from now, or a new one."""
        now = self._clock.now()
        with self._lock:
            value = self._current_token.get(app_key)
            grant = self._tokens.get(value) if value else None
            if grant is None or grant.expires_at <= now:
                value = secrets.token_hex(16)
                created = now
            else:
                created = grant.created_at
            grant = Grant(value=value, app_key=app_key, expires_at=now + ttl_s, created_at=created)
            self._tokens[value] = grant
            self._current_token[app_key] = value
            return grant

    def lookup(self, value: str) -> Grant | None:
        """The grant for a token value whether or not it has expired; None if never issued."""
        with self._lock:
            return self._tokens.get(value)

    def is_valid(self, value: str) -> bool:
        grant = self.lookup(value)
        return grant is not None and grant.expires_at > self._clock.now()

    def expire_all(self) -> None:
        """Make every issued token expire now (the `token_expired` fault and tests use this)."""
        now = self._clock.now()
        with self._lock:
            for value, grant in list(self._tokens.items()):
                self._tokens[value] = Grant(
                    grant.value, grant.app_key, min(grant.expires_at, now), grant.created_at
                )

    def live_ticket(self, app_key: str) -> Grant | None:
        """The app's JSAPI ticket if one is live, without renewing it."""
        with self._lock:
            grant = self._current_ticket.get(app_key)
        return grant if grant is not None and grant.expires_at > self._clock.now() else None

    def jsapi_ticket(self, app_key: str) -> Grant:
        """Same ticket while valid, renewed by 2 h but capped at 24 h after creation; else a new one."""
        now = self._clock.now()
        with self._lock:
            grant = self._current_ticket.get(app_key)
            if grant is None or grant.expires_at <= now:
                grant = Grant(secrets.token_hex(24), app_key, now + TICKET_TTL_S, now)
            else:
                cap = grant.created_at + TICKET_MAX_LIFE_S
                grant = Grant(grant.value, app_key, min(now + TICKET_TTL_S, cap), grant.created_at)
            self._current_ticket[app_key] = grant
            return grant


def presented_token() -> str | None:
    """The token on the current request: `access_token` query (old) or the x-acs header (new)."""
    if is_new_family(request.path):
        return request.headers.get(TOKEN_HEADER) or None
    return request.args.get("access_token") or None


def authenticated_app() -> AppCredentials:
    """The AppCredentials the current request's token belongs to; raises the dialect's auth error."""
    state = current_app.extensions["sandbox"]
    new = is_new_family(request.path)
    value = presented_token()
    if value is None:
        if new:
            raise NewApiError(
                401, "Unauthorized", "缺少access_token: send it in the x-acs-dingtalk-access-token header"
            )
        raise OldApiError(41001, "缺少access_token参数")
    grant = state.tokens.lookup(value)
    if grant is None or grant.app_key != state.app.app_key:
        if new:
            raise NewApiError(400, "InvalidAuthentication", "不合法的access_token")
        raise OldApiError(40014, "不合法的access_token")
    if grant.expires_at <= state.clock.now():
        if new:
            raise NewApiError(
                400, "InvalidAuthentication", "不合法的access_token: the token has expired, fetch a new one"
            )
        code = state.limits.expired_token_errcode
        raise OldApiError(code, "access_token超时" if code == 42001 else "不合法的access_token")
    return state.app


AUTH_CODE_TTL_S = 300


class AuthCodes:
    """免登 temporary auth codes: issued per user by the control API, single use, 5 minutes (§8)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[str, float]] = {}

    def issue(self, userid: str) -> str:
        code = secrets.token_hex(16)
        with self._lock:
            self._codes[code] = (userid, self._clock.now() + AUTH_CODE_TTL_S)
        return code

    def redeem(self, code: str) -> str | None:
        """The userid the code was issued for, consuming it; None if unknown, used or expired."""
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[1] <= self._clock.now():
            return None
        return entry[0]
