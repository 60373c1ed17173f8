"""Custom group robot (自定义机器人) webhook with 加签 signing and msgUuid idempotency (DINGTALK.md §6.3)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import requests

from dingperf.dingtalk.crypto import robot_sign
from dingperf.dingtalk.errors import DingTalkError, Transient
from dingperf.dingtalk.normalize import error_from_response
from dingperf.dingtalk.ratelimit import RateLimiter
from dingperf.dingtalk.retry import RetryPolicy

SEND_PATH = "/robot/send"
MESSAGES_PER_MINUTE = 20


class GroupRobotWebhook:
    """Posts to one group through its robot's webhook; paced to 20 messages/minute so it is never blocked."""

    def __init__(
        self,
        access_token_or_url: str,
        secret: str | None = None,
        base: str = "https://oapi.dingtalk.com",
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        timeout_s: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        if access_token_or_url.startswith(("http://", "https://")):
            parts = urlsplit(access_token_or_url)
            tokens = parse_qs(parts.query).get("access_token")
            if not tokens:
                raise ValueError("the webhook URL has no access_token query parameter")
            self._token = tokens[0]
            base = f"{parts.scheme}://{parts.netloc}"
        else:
            self._token = access_token_or_url
        if secret is not None and not secret.startswith("SEC"):
            raise ValueError("a group robot signing secret starts with 'SEC'; copy it from the robot's security settings")
        self._secret = secret
        self._url = base.rstrip("/") + SEND_PATH
        self._session = session or requests.Session()
        self._clock = clock
        self._sleep = sleep
        self._timeout_s = timeout_s
        self._retry = retry or RetryPolicy(max_attempts=3)
        self._pace = RateLimiter(MESSAGES_PER_MINUTE, window_s=60.0, margin_s=0.5, sleep=sleep)

    def signed_query(self, timestamp_ms: int | None = None) -> str:
        """The query string: access_token, plus timestamp and URL-encoded sign when a secret is set."""
        query = f"access_token={quote_plus(self._token)}"
        if self._secret:
            ts = int(self._clock() * 1000) if timestamp_ms is None else timestamp_ms
            query += f"&timestamp={ts}&sign={quote_plus(robot_sign(self._secret, ts))}"
        return query

    def send_text(self, content: str, *, at_userids: Sequence[str] = (), at_mobiles: Sequence[str] = (),
                  at_all: bool = False, msg_uuid: str | None = None) -> str:
        """Post a text message; returns the msgUuid used (pass it again to make a resend a no-op)."""
        return self.send({"msgtype": "text", "text": {"content": content}},
                         at_userids=at_userids, at_mobiles=at_mobiles, at_all=at_all, msg_uuid=msg_uuid)

    def send_markdown(self, title: str, text: str, *, at_userids: Sequence[str] = (),
                      at_mobiles: Sequence[str] = (), at_all: bool = False, msg_uuid: str | None = None) -> str:
        return self.send({"msgtype": "markdown", "markdown": {"title": title, "text": text}},
                         at_userids=at_userids, at_mobiles=at_mobiles, at_all=at_all, msg_uuid=msg_uuid)

    def send_action_card(self, title: str, text: str, *, single_title: str | None = None,
                         single_url: str | None = None, buttons: Sequence[tuple[str, str]] = (),
                         vertical: bool = True, msg_uuid: str | None = None) -> str:
        """An actionCard: one whole-card link, or buttons [(title, url)]."""
        card: dict[str, Any] = {"title": title, "text": text}
        if buttons:
            card["btns"] = [{"title": t, "actionURL": u} for t, u in buttons]
            card["btnOrientation"] = "0" if vertical else "1"
        elif single_title and single_url:
            card.update(singleTitle=single_title, singleURL=single_url)
        else:
            raise ValueError("an action card needs single_title and single_url, or at least one button")
        return self.send({"msgtype": "actionCard", "actionCard": card}, msg_uuid=msg_uuid)

    def send(self, message: Mapping[str, Any], *, at_userids: Sequence[str] = (), at_mobiles: Sequence[str] = (),
             at_all: bool = False, msg_uuid: str | None = None) -> str:
        """Post any webhook message body; retries keep the same msgUuid so DingTalk drops duplicates."""
        body = dict(message)
        if at_userids or at_mobiles or at_all:
            body["at"] = {"atUserIds": list(at_userids), "atMobiles": list(at_mobiles), "isAtAll": at_all}
        body["msgUuid"] = msg_uuid or uuid.uuid4().hex
        attempt = 0
        while True:
            attempt += 1
            try:
                self._post(body)
                return body["msgUuid"]
            except DingTalkError as exc:
                if not self._retry.should_retry(exc, attempt):
                    raise
                self._sleep(self._retry.delay(exc, attempt))

    def _post(self, body: dict[str, Any]) -> None:
        url = f"{self._url}?{self.signed_query()}"  # signed per attempt: the timestamp must be fresh
        with self._pace.call(self._token):
            try:
                resp = self._session.post(url, json=body, timeout=self._timeout_s)
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise Transient(
                    f"cannot reach the group robot webhook: {exc}", family="oapi", path=SEND_PATH
                ) from exc
        try:
            parsed: Any = resp.json()
        except ValueError:
            parsed = resp.text
        error = error_from_response(SEND_PATH, resp.status_code, parsed, resp.headers)
        if error is not None:
            raise error
