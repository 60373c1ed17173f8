"""`POST /dingtalk/callback`: HTTP-mode events. Verify, store in the inbox, answer the sealed `success`.

Nothing here talks to DingTalk: the request ends after one short inbox insert (DESIGN.md "ack first").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from dingperf.dingtalk import push
from dingperf.dingtalk.crypto import CallbackCrypto
from dingperf.events.event import Event, InvalidEvent
from dingperf.events.group_commit import GroupCommitter
from dingperf.events.inbox_store import SqlInbox
from dingperf.events.normalise import from_http_push
from dingperf.web.callback_gate import GateSettings, Rejected, check_size, open_push

log = logging.getLogger(__name__)

EventSubmit = Callable[[Event], "Future[bool]"]
"""Queue an event for the inbox without blocking (e.g. `GroupCommitter.submit`); the future resolves True if
new, False if a duplicate, and raises if it could not be stored."""


@dataclass(frozen=True)
class CallbackSettings:
    """The app's callback credentials (owner key = AppKey for console subscriptions) and limits."""

    token: str
    aes_key: str
    app_key: str
    corp_id: str
    gate: GateSettings = field(default_factory=GateSettings)
    store_budget_s: float = 1.0  # DingTalk gives up at 1.5 s; past this we answer 503 and it retries


def _empty(status: int) -> Response:
    return Response(status=status)


def callback_blueprint(settings: CallbackSettings, submit: EventSubmit, *,
                       now: Callable[[], float] = time.time) -> Blueprint:
    """A blueprint serving POST /dingtalk/callback that hands each accepted event to `submit` and waits, at
    most `store_budget_s`, for it to be durable before answering."""
    # Console subscriptions seal with the AppKey, register_call_back ones with the corpId (DINGTALK.md §10.3).
    owners = [o for o in dict.fromkeys((settings.app_key, settings.corp_id)) if o]
    if not owners:
        raise ValueError("HTTP callbacks need dingtalk.app_key (the owner key DingTalk seals pushes with)")
    cryptos = [CallbackCrypto(settings.token, settings.aes_key, owner) for owner in owners]
    bp = Blueprint("dingtalk_callback", __name__)

    def sealed_success(crypto: CallbackCrypto) -> Response:
        return jsonify(crypto.seal_success())

    @bp.post("/dingtalk/callback")
    def dingtalk_callback() -> Response:
        try:
            check_size(request.content_length, settings.gate.max_body_bytes)
            raw = request.stream.read(settings.gate.max_body_bytes + 1)
            opened = open_push(request.args, raw, cryptos, now_s=now(), settings=settings.gate)
        except Rejected as exc:
            log.info("callback refused from %s: %s", request.remote_addr, exc.reason)
            return _empty(exc.status)
        decrypted = opened.payload
        if push.is_check_url(decrypted):
            log.info("callback: answered check_url")
            return sealed_success(opened.crypto)
        try:
            event = from_http_push(decrypted, settings.corp_id)
        except (push.PushFormatError, InvalidEvent) as exc:
            log.warning("callback: authentic push we cannot read (%s); refusing so it stays in DingTalk's "
                        "failed list: %s", exc, sorted(decrypted))
            return _empty(400)
        if event.corp_id != settings.corp_id:
            log.info("callback refused: event for corp %s, this installation is %s", event.corp_id, settings.corp_id)
            return _empty(403)
        try:
            fresh = submit(event).result(timeout=settings.store_budget_s)
        except FutureTimeout:
            # The insert may still land; DingTalk's retry will then be a duplicate, which is fine.
            log.warning("callback: inbox slower than %.1fs for %s; answering 503 so DingTalk retries",
                        settings.store_budget_s, event.event_id)
            return _empty(503)
        except Exception as exc:  # noqa: BLE001 - never ack what we did not store
            log.error("callback: could not store %s (%s): %s", event.event_id, event.event_type, exc)
            return _empty(503)
        log.debug("callback: %s %s %s", event.event_type, event.event_id, "stored" if fresh else "duplicate")
        return sealed_success(opened.crypto)

    return bp


def callback_settings(dingtalk: Any, gate: GateSettings | None = None) -> CallbackSettings:
    """CallbackSettings from the `[dingtalk]` settings section (callback_token, callback_aes_key, app_key, corp_id)."""
    return CallbackSettings(token=dingtalk.callback_token, aes_key=dingtalk.callback_aes_key,
                            app_key=dingtalk.app_key, corp_id=dingtalk.corp_id, gate=gate or GateSettings())


def init_callback(app: Flask, settings: Any, store: Any) -> None:
    """Register POST /dingtalk/callback on `app`, storing into the inbox of `store` (a dingperf Store)."""
    committer = GroupCommitter(SqlInbox(store).put_many, name="callback-inbox-writer")
    app.register_blueprint(callback_blueprint(callback_settings(settings.dingtalk), committer.submit))
