"""The sandbox's HTTP event pusher: encrypted POSTs, DingTalk's retry schedule, failed list (§10, §12.4).

A push succeeds only if the receiver answers, within the deadline, HTTP 200 with an encrypted
`success` whose signature verifies. A failed push is retried 10 s later and again 30 s after that
(sandbox clock); after the last failure it joins the failed list, fetchable 3–5 minutes later.
"""

from __future__ import annotations

import heapq
import itertools
import json
import secrets
import string
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from dingperf.dingtalk.crypto import CallbackCrypto, CryptoError
from dingperf.sandbox.clock import Clock
from dingperf.sandbox.event_payloads import SandboxEvent, failed_item, http_current, http_legacy
from dingperf.sandbox.push_failed import FailedPushes

MODES = ("stream", "http", "both", "off")
MAX_ATTEMPT_LOG = 50_000
_ALNUM = string.ascii_letters + string.digits


class PushNotConfigured(Exception):
    """An HTTP push was asked for but no callback URL is configured."""


@dataclass(frozen=True)
class HttpTarget:
    """Where and how to push: URL, the app's token/aes_key, and the owner key that seals the body.

    Console-configured subscriptions use the AppKey as owner key; register_call_back uses the corpId
    (§10.3). Its probes were observed with `signature=` and a ms timestamp, hence `signature_param`.
    """

    url: str
    token: str
    aes_key: str
    owner_key: str
    tags: frozenset[str] | None = None  # register_call_back's call_back_tag; None = every event
    signature_param: str = "msg_signature"
    source: str = "console"

    def crypto(self) -> CallbackCrypto:
        return CallbackCrypto(self.token, self.aes_key, self.owner_key)

    def wants(self, event_type: str) -> bool:
        return self.tags is None or event_type in self.tags


@dataclass(frozen=True)
class PushConfig:
    """Delivery mode and HTTP push settings; DingTalk's documented numbers are the defaults."""

    mode: str = "stream"
    target: HttpTarget | None = None
    legacy_payload: bool = False
    reply_deadline_ms: int = 1500
    retry_schedule_s: tuple[float, ...] = (10.0, 30.0)
    failed_visible_after_s: float = 240.0  # DingTalk says 3–5 minutes

    def to_dict(self) -> dict[str, Any]:
        t = self.target
        return {
            "mode": self.mode,
            "url": t.url if t else None,
            "target_source": t.source if t else None,
            "call_back_tag": sorted(t.tags) if t and t.tags is not None else None,
            "legacy_payload": self.legacy_payload,
            "reply_deadline_ms": self.reply_deadline_ms,
            "retry_schedule_s": list(self.retry_schedule_s),
            "failed_visible_after_s": self.failed_visible_after_s,
        }


@dataclass(frozen=True)
class PushOutcome:
    """What one POST to the receiver came to; `reason` says why it failed."""

    ok: bool
    reason: str
    elapsed_ms: int
    status: int | None = None


@dataclass(order=True)
class _Retry:
    due: float
    seq: int
    event: SandboxEvent = field(compare=False)
    target: HttpTarget = field(compare=False)
    attempt: int = field(compare=False)


class HttpPusher:
    """Pushes events to the configured URL; thread-safe; retries run on a sandbox-clock thread."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.config = PushConfig()
        self.failed = FailedPushes(clock)
        self._lock = threading.Lock()
        self._attempts: list[dict[str, Any]] = []
        self._retries: list[_Retry] = []
        self._seq = itertools.count()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # ---- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the retry thread and the worker pool (pending retries are dropped); a later push restarts them."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            self._retries.clear()
            self._pool, self._thread = None, None
            self._stopping.clear()

    def _ensure_running(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sandbox-push")
                self._thread = threading.Thread(target=self._run_retries, name="sandbox-push-retry", daemon=True)
                self._thread.start()
            return self._pool

    # ---- pushing --------------------------------------------------------------------------------

    def push(self, event: SandboxEvent) -> bool:
        """Start delivering an event over HTTP; False if the registered tags exclude its type."""
        target = self.config.target
        if target is None:
            raise PushNotConfigured("no HTTP callback URL: POST /_sandbox/push-config {mode, url} first")
        if not target.wants(event.event_type):
            return False
        self._ensure_running().submit(self._attempt, event, target, 0)
        return True

    def _attempt(self, event: SandboxEvent, target: HttpTarget, attempt: int) -> None:
        cfg = self.config
        payload = http_legacy(event) if cfg.legacy_payload else http_current(event)
        outcome = self.post(target, json.dumps(payload, ensure_ascii=False))
        # Schedule before logging: a test that sees the log entry and then advances the clock
        # must find the retry already due relative to the failure, not to the advanced time.
        if not outcome.ok:
            if attempt < len(cfg.retry_schedule_s):
                self._schedule(event, target, attempt + 1, self._clock.now() + cfg.retry_schedule_s[attempt])
            else:
                self.failed.append(failed_item(event), cfg.failed_visible_after_s)
        self._log(event, target, attempt, outcome)

    def post(self, target: HttpTarget, plaintext: str) -> PushOutcome:
        """POST one encrypted body and judge the reply; never raises for receiver faults."""
        crypto = target.crypto()
        encrypted = crypto.encrypt(plaintext)
        # Signed with wall time, not sandbox time: receivers compare it with their own clock.
        timestamp = str(int(time.time() * 1000))
        nonce = "".join(secrets.choice(_ALNUM) for _ in range(8))
        params = {target.signature_param: crypto.sign(timestamp, nonce, encrypted), "timestamp": timestamp, "nonce": nonce}
        deadline_s = self.config.reply_deadline_ms / 1000
        started = time.monotonic()
        try:
            resp = requests.post(target.url, params=params, json={"encrypt": encrypted}, timeout=(deadline_s, deadline_s))
        except requests.Timeout:
            return PushOutcome(False, f"no reply within {self.config.reply_deadline_ms} ms", _ms_since(started))
        except requests.RequestException as exc:
            return PushOutcome(False, f"url unreachable: {type(exc).__name__}", _ms_since(started))
        elapsed = _ms_since(started)
        if elapsed > self.config.reply_deadline_ms:
            return PushOutcome(False, f"reply took {elapsed} ms > {self.config.reply_deadline_ms} ms", elapsed, resp.status_code)
        if resp.status_code != 200:
            return PushOutcome(False, f"HTTP {resp.status_code}", elapsed, resp.status_code)
        return _judge_reply(crypto, resp, elapsed)

    def check_url(self, target: HttpTarget) -> PushOutcome:
        """Send the `check_url` probe synchronously, as DingTalk does when a URL is saved (§10.5)."""
        return self.post(target, json.dumps({"EventType": "check_url"}))

    # ---- retries on the sandbox clock -------------------------------------------------------------

    def _schedule(self, event: SandboxEvent, target: HttpTarget, attempt: int, due: float) -> None:
        with self._lock:
            heapq.heappush(self._retries, _Retry(due, next(self._seq), event, target, attempt))
        self._wake.set()

    def _run_retries(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            with self._lock:
                due = self._retries[0].due if self._retries else None
            if due is None:
                self._wake.wait()
                continue
            # wait_until returns early (False) when _wake is set by a newly scheduled retry.
            if not self._clock.wait_until(due, self._wake):
                continue
            now = self._clock.now()
            with self._lock:
                ready = []
                while self._retries and self._retries[0].due <= now:
                    ready.append(heapq.heappop(self._retries))
            pool = self._pool
            for r in ready:
                if pool is None or self._stopping.is_set():
                    return
                try:
                    pool.submit(self._attempt, r.event, r.target, r.attempt)
                except RuntimeError:
                    return  # the pool was shut down by stop() meanwhile

    def pending_retries(self) -> int:
        with self._lock:
            return len(self._retries)

    # ---- records ------------------------------------------------------------------------------------

    def _log(self, event: SandboxEvent, target: HttpTarget, attempt: int, outcome: PushOutcome) -> None:
        entry = {
            "event_id": event.event_id,
            "event_type": event.event_type,
            "attempt": attempt,
            "at_ms": self._clock.now_ms(),
            "url": target.url,
            "ok": outcome.ok,
            "reason": outcome.reason,
            "elapsed_ms": outcome.elapsed_ms,
            "status": outcome.status,
        }
        with self._lock:
            self._attempts.append(entry)
            del self._attempts[:-MAX_ATTEMPT_LOG]

    def attempts(self, event_id: str | None = None) -> list[dict[str, Any]]:
        """Every push attempt (oldest first), optionally for one event."""
        with self._lock:
            return [dict(a) for a in self._attempts if event_id is None or a["event_id"] == event_id]

    def clear(self) -> None:
        """Forget attempts, pending retries and the failed list (sandbox reset)."""
        with self._lock:
            self._attempts.clear()
            self._retries.clear()
        self.failed.clear()


def _judge_reply(crypto: CallbackCrypto, resp: requests.Response, elapsed: int) -> PushOutcome:
    try:
        body = resp.json()
    except ValueError:
        return PushOutcome(False, "reply is not JSON", elapsed, resp.status_code)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("msg_signature", "timeStamp", "nonce", "encrypt")):
        return PushOutcome(False, "reply lacks msg_signature/timeStamp/nonce/encrypt", elapsed, resp.status_code)
    try:
        crypto.verify(body["msg_signature"], body["timeStamp"], body["nonce"], body["encrypt"])
        text = crypto.decrypt(body["encrypt"])
    except CryptoError as exc:
        return PushOutcome(False, f"reply rejected: {exc.reason}", elapsed, resp.status_code)
    if text != "success":
        return PushOutcome(False, f"返回文本非success: decrypted reply is {text[:50]!r}", elapsed, resp.status_code)
    return PushOutcome(True, "success", elapsed, resp.status_code)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
