"""One HTTP caller for both API families: auth, pacing, retry, error normalisation, quota, timeouts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from dingperf.dingtalk.config import ClientConfig
from dingperf.dingtalk.errors import (
    AuthExpired,
    CredentialsInvalid,
    DingTalkError,
    QuotaExhausted,
    RateLimited,
    Transient,
)
from dingperf.dingtalk.normalize import API, OAPI, error_from_response, family_of
from dingperf.dingtalk.quota import QuotaCounter
from dingperf.dingtalk.ratelimit import RateLimiter
from dingperf.dingtalk.retry import RetryPolicy
from dingperf.dingtalk.stats import StatsRecorder
from dingperf.dingtalk.token import ExpiringCache, Issued

TOKEN_PATH = "/v1.0/oauth2/accessToken"


def new_session(pool_size: int = 32) -> requests.Session:
    """A Session whose connection pool fits a small thread pool of callers."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Transport:
    """Sends one logical DingTalk call, retrying under the policy until it succeeds or must surface."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: requests.Session | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        quota: QuotaCounter | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.session = session or new_session()
        self.limiter = limiter or RateLimiter(config.qps_per_api, sleep=sleep)
        self.retry = retry or RetryPolicy(max_attempts=config.max_attempts)
        self.quota = quota or QuotaCounter(config.monthly_quota, clock=clock)
        self.stats = StatsRecorder()
        self._sleep = sleep
        self.tokens = ExpiringCache(self._fetch_token, clock=clock)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """Make an authenticated call; returns the JSON body, raises a DingTalkError subclass."""
        return self._with_retry(method, path, body, params, idempotent=idempotent, auth=True)

    def _fetch_token(self) -> Issued:
        body = {"appKey": self.config.app_key, "appSecret": self.config.app_secret}
        data = self._with_retry("POST", TOKEN_PATH, body, None, idempotent=True, auth=False)
        self.stats.token_fetched()
        token = data.get("accessToken")
        if not token:
            raise CredentialsInvalid(
                "token response has no accessToken", family=API, path=TOKEN_PATH, code=None
            )
        return Issued(str(token), float(data.get("expireIn") or 7200))

    def _with_retry(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None,
        *,
        idempotent: bool,
        auth: bool,
    ) -> dict[str, Any]:
        attempt = 0
        auth_retried = False
        while True:
            attempt += 1
            token = self.tokens.get() if auth else None
            try:
                return self._send_once(method, path, body, params, token)
            except AuthExpired:
                # One token refresh per call: a second rejection means the app itself is refused.
                if token is None or auth_retried:
                    self.stats.surfaced()
                    raise
                auth_retried = True
                self.tokens.invalidate(token)
                self.stats.retry()
            except DingTalkError as exc:
                if isinstance(exc, QuotaExhausted):
                    self.quota.mark_exhausted()
                if not self.retry.should_retry(exc, attempt, idempotent=idempotent):
                    self.stats.surfaced()
                    raise
                wait = self.retry.delay(exc, attempt)
                if isinstance(exc, RateLimited):
                    self.limiter.throttled(path, wait)
                self._sleep(wait)
                self.stats.retry()

    def _send_once(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        params: Mapping[str, Any] | None,
        token: str | None,
    ) -> dict[str, Any]:
        family = family_of(path)
        query = dict(params or {})
        headers = {"Accept": "application/json"}
        if token is not None:
            if family == OAPI:
                query["access_token"] = token
            else:
                headers["x-acs-dingtalk-access-token"] = token
        url = self.config.base_for(path) + path
        with self.limiter.call(path):
            self.stats.call(path)
            try:
                resp = self.session.request(
                    method, url, params=query or None, json=body if body is not None else None,
                    headers=headers, timeout=self.config.timeout_s,
                )
            except requests.ConnectionError as exc:
                # A refused connection never reached DingTalk; a reset one may have been acted on.
                sent = not isinstance(exc, requests.exceptions.ConnectTimeout) and "refused" not in str(exc).lower()
                raise Transient(
                    f"cannot reach DingTalk: {exc}", maybe_processed=sent, family=family, path=path
                ) from exc
            except requests.Timeout as exc:
                raise Transient(
                    f"no answer within {self.config.timeout_s}s", maybe_processed=True, family=family, path=path
                ) from exc
        parsed = _parse_body(resp)
        error = error_from_response(path, resp.status_code, parsed, resp.headers)
        if isinstance(error, RateLimited):
            self.stats.throttled(path)
        elif not isinstance(error, QuotaExhausted):
            self.quota.record(path)
        if error is not None:
            raise error
        if not isinstance(parsed, dict):
            raise Transient(
                f"unexpected non-object JSON body: {str(parsed)[:200]}", family=family, path=path,
                http_status=resp.status_code,
            )
        return parsed


def _parse_body(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        return resp.text
