"""Stream mode (DINGTALK.md §9): the official dingtalk-stream SDK, supervised in its own thread.

The SDK's frames, handlers and routing are used as they are. Its `start()` loop is replaced because
0.24.3 reconnects with zero delay after a normal close, cannot be cancelled and has no watchdog (§9.4,
§11.2). Event acks carry `{"status": "SUCCESS"}` only after the sink stored the event; a sink failure
acks LATER with code 500 so DingTalk redelivers (§11.1).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import dingtalk_stream
import requests
import websockets
from dingtalk_stream import AckMessage, CallbackMessage, EventMessage

from dingperf.dingtalk.push import WireEvent

log = logging.getLogger(__name__)

CARD_CALLBACK_TOPIC = dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK
CARD_CALLBACK_EVENT_TYPE = "card_callback"
OPEN_PATH = "/v1.0/gateway/connections/open"

EventSink = Callable[[WireEvent], Awaitable[Any]]
"""Starts storing one event and returns at once (it is called on the event loop); awaiting the result
completes when the event is durable and raises if it could not be stored."""


class StreamFormatError(ValueError):
    """A Stream frame lacks the headers an event needs."""


class StreamOpenError(RuntimeError):
    """`connections/open` refused or failed; the message carries DingTalk's status and code."""


@dataclass(frozen=True)
class StreamSettings:
    """How to reach the gateway and how patient to be with it."""

    client_id: str
    client_secret: str
    api_base: str = "https://api.dingtalk.com"
    default_corp_id: str = ""
    silence_timeout_s: float = 180.0  # watchdog: no frame at all for this long -> reconnect
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    healthy_after_s: float = 30.0  # a connection that lived this long resets the backoff
    http_timeout_s: float = 10.0
    max_in_flight: int = 200


def event_from_message(message: EventMessage, default_corp_id: str = "") -> WireEvent:
    """Read an SDK EventMessage (headers eventType/eventId/eventCorpId/eventBornTime + data)."""
    h = message.headers
    if not h.event_type:
        raise StreamFormatError(f"EVENT frame {h.message_id} has no eventType header")
    if not h.event_id:
        raise StreamFormatError(f"EVENT frame {h.message_id} has no eventId header")
    corp_id = h.event_corp_id or default_corp_id
    if not corp_id:
        raise StreamFormatError(f"EVENT frame {h.message_id} has no eventCorpId and no default corp id")
    if not isinstance(message.data, dict):
        raise StreamFormatError(f"EVENT frame {h.message_id} data is not a JSON object")
    return WireEvent(event_type=h.event_type, event_id=str(h.event_id), corp_id=corp_id,
                     born_at_ms=h.event_born_time or h.time, payload=dict(message.data))


def parse_event_frame(frame: dict[str, Any], default_corp_id: str = "") -> WireEvent:
    """Read a raw EVENT frame (`data` is a JSON string) through the SDK's own parser."""
    return event_from_message(EventMessage.from_dict(frame), default_corp_id)


def card_callback_from_message(message: CallbackMessage, default_corp_id: str = "") -> WireEvent:
    """A card click (§7.6) as an event; keyed by messageId, which the gateway keeps on redelivery."""
    data = message.data if isinstance(message.data, dict) else {}
    corp_id = str(data.get("corpId") or default_corp_id)
    if not message.headers.message_id or not corp_id:
        raise StreamFormatError("card callback frame has no messageId or corpId")
    return WireEvent(event_type=CARD_CALLBACK_EVENT_TYPE, event_id="card-" + message.headers.message_id,
                     corp_id=corp_id, born_at_ms=message.headers.time, payload=dict(data))


def event_ack(message_id: str, stored: bool, note: str) -> AckMessage:
    """The ack DingTalk's protocol expects: SUCCESS once stored, else LATER with a non-200 code."""
    ack = AckMessage()
    ack.code = AckMessage.STATUS_OK if stored else AckMessage.STATUS_SYSTEM_EXCEPTION
    ack.message = note
    ack.headers.message_id = message_id
    ack.headers.content_type = "application/json"
    ack.data = {"status": "SUCCESS" if stored else "LATER", "message": note}
    return ack


class _SinkEventHandler(dingtalk_stream.EventHandler):
    def __init__(self, sink: EventSink, corp_id: str) -> None:
        super().__init__()
        self._sink, self._corp_id = sink, corp_id

    async def raw_process(self, event_message: EventMessage) -> AckMessage:
        message_id = event_message.headers.message_id
        try:
            wire = event_from_message(event_message, self._corp_id)
        except StreamFormatError as exc:
            # Redelivering a frame without an identity can never succeed; say so loudly and drop it.
            log.warning("stream: dropping malformed event frame: %s", exc)
            return event_ack(message_id, True, f"malformed: {exc}")
        try:
            await self._sink(wire)
        except Exception as exc:  # noqa: BLE001 - any store failure must become a redelivery
            log.error("stream: could not store event %s (%s): %s; acking LATER", wire.event_id, wire.event_type, exc)
            return event_ack(message_id, False, "store failed, redeliver")
        return event_ack(message_id, True, "OK")


class _SinkCardHandler(dingtalk_stream.CallbackHandler):
    def __init__(self, sink: EventSink, corp_id: str) -> None:
        super().__init__()
        self._sink, self._corp_id = sink, corp_id

    async def process(self, message: CallbackMessage) -> tuple[int, Any]:
        try:
            wire = card_callback_from_message(message, self._corp_id)
            await self._sink(wire)
        except Exception as exc:  # noqa: BLE001
            log.error("stream: could not store card callback %s: %s", message.headers.message_id, exc)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, {}
        # Card updates are sent later through the outbox (PUT /v1.0/card/instances), not in the ack.
        return AckMessage.STATUS_OK, {}


def backoff_delay(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Capped exponential backoff with full jitter: uniform(base/2, min(max, base*2^attempt))."""
    ceiling = min(max_s, base_s * (2 ** min(attempt, 30)))
    return rng.uniform(min(base_s / 2, ceiling), ceiling)


class _QuietPings(logging.Filter):
    """The SDK logs every gateway ping as an 'unknown message topic' warning; keep the log readable."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        return not (msg.startswith("unknown message topic") and "'ping'" in record.getMessage())


_sdk_log = logging.getLogger("dingperf.dingtalk.stream.sdk")
_sdk_log.addFilter(_QuietPings())


class _SupervisedClient(dingtalk_stream.DingTalkStreamClient):
    """The SDK client with its connection loop replaced by one that backs off, watches and stops."""

    def __init__(self, settings: StreamSettings) -> None:
        super().__init__(dingtalk_stream.Credential(settings.client_id, settings.client_secret),
                         logger=_sdk_log)
        self.settings = settings
        self.stopping = False
        self.saw_disconnect = False
        self.connected = threading.Event()
        self.connections = 0
        self.last_frame_at = 0.0
        self.went_silent = False

    def open_connection(self) -> dict[str, Any]:
        # Same body as the SDK, but against our api_base and with a timeout (the SDK has neither).
        subs = [{"type": "EVENT", "topic": "*"}] if self._is_event_required else []
        subs += [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map]
        body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret,
                "subscriptions": subs, "ua": f"dingtalk-sdk-python/v{dingtalk_stream.version.VERSION_STRING}-union",
                "localIp": ""}
        url = self.settings.api_base.rstrip("/") + OPEN_PATH
        try:
            resp = requests.post(url, json=body, timeout=self.settings.http_timeout_s,
                                 headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise StreamOpenError(f"connections/open unreachable at {url}: {exc}") from exc
        if resp.status_code != 200:
            raise StreamOpenError(f"connections/open answered {resp.status_code}: {resp.text[:200]} "
                                  "(check app_key/app_secret and that Stream mode is enabled)")
        conn = resp.json()
        if not conn.get("endpoint") or not conn.get("ticket"):
            raise StreamOpenError(f"connections/open returned no endpoint/ticket: {resp.text[:200]}")
        return conn

    async def run_one_connection(self, in_flight: asyncio.Semaphore, tasks: set[asyncio.Task]) -> str:
        """Open, receive until closed/silent/stopped; returns why it ended."""
        loop = asyncio.get_running_loop()
        conn = await loop.run_in_executor(None, self.open_connection)
        uri = f"{conn['endpoint']}?ticket={quote_plus(conn['ticket'])}"
        self.saw_disconnect = False
        async with websockets.connect(uri, open_timeout=self.settings.http_timeout_s, close_timeout=2,
                                      max_size=4 * 2**20) as ws:
            self.websocket = ws
            self.connections += 1
            self.connected.set()
            # One watchdog task per connection rather than a timeout around every recv (that costs a task
            # per frame): it closes the socket when nothing at all arrived for silence_timeout_s.
            self.last_frame_at, self.went_silent = loop.time(), False
            watchdog = asyncio.create_task(self._watch(ws))
            try:
                # A stop requested while connecting found no socket to close; honour it now.
                if self.stopping:
                    await ws.close()
                async for raw in ws:
                    self.last_frame_at = loop.time()
                    frame = json.loads(raw)
                    if frame.get("type") == "SYSTEM" and frame.get("headers", {}).get("topic") == "disconnect":
                        self.saw_disconnect = True
                    await in_flight.acquire()
                    task = asyncio.create_task(self.background_task(frame))
                    tasks.add(task)
                    task.add_done_callback(lambda t: (tasks.discard(t), in_flight.release()))
            except websockets.ConnectionClosed:
                pass
            finally:
                watchdog.cancel()
                self.connected.clear()
                if tasks:  # let stored-but-unacked frames send their acks before the socket goes
                    await asyncio.wait(set(tasks), timeout=2)
                self.websocket = None
        if self.stopping:
            return "stopped"
        if self.went_silent:
            return "silent"
        return "disconnect" if self.saw_disconnect else "closed"

    async def _watch(self, ws: Any) -> None:
        loop, limit = asyncio.get_running_loop(), self.settings.silence_timeout_s
        while True:
            quiet = loop.time() - self.last_frame_at
            if quiet >= limit:
                log.warning("stream: no frame for %.0fs; reconnecting", limit)
                self.went_silent = True
                await ws.close()
                return
            await asyncio.sleep(limit - quiet)


class StreamConnection:
    """One supervised Stream connection in its own thread and event loop; `start()`/`stop()`."""

    def __init__(self, settings: StreamSettings, on_event: EventSink, *, subscribe_cards: bool = True,
                 rng: random.Random | None = None) -> None:
        self.settings = settings
        self._rng = rng or random.Random()
        self._client = _SupervisedClient(settings)
        self._client.register_all_event_handler(_SinkEventHandler(on_event, settings.default_corp_id))
        if subscribe_cards:
            self._client.register_callback_handler(
                CARD_CALLBACK_TOPIC, _SinkCardHandler(on_event, settings.default_corp_id))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._closing: asyncio.Future[None] | None = None
        self.reconnects = 0

    @property
    def connections_opened(self) -> int:
        return self._client.connections

    def wait_connected(self, timeout: float) -> bool:
        """Block until a websocket is open (True) or the timeout passes (False)."""
        return self._client.connected.wait(timeout)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("this StreamConnection was already started; create a new one")
        ready = threading.Event()
        self._thread = threading.Thread(target=self._thread_main, args=(ready,), name="dingtalk-stream", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self, timeout: float = 10.0) -> None:
        """Close the connection, finish in-flight acks and join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._request_stop)
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"stream thread did not stop within {timeout}s")

    def _request_stop(self) -> None:
        self._client.stopping = True
        if self._wake is not None:
            self._wake.set()
        ws = self._client.websocket
        if ws is not None:
            self._closing = asyncio.ensure_future(ws.close())  # keep a reference: tasks are weakly held

    def _thread_main(self, ready: threading.Event) -> None:
        asyncio.run(self._supervise(ready))

    async def _supervise(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._client.pre_start()
        ready.set()
        in_flight, tasks = asyncio.Semaphore(self.settings.max_in_flight), set()
        attempt = 0
        while not self._client.stopping:
            began = self._loop.time()
            try:
                reason = await self._client.run_one_connection(in_flight, tasks)
            except Exception as exc:  # noqa: BLE001 - every failure is retried with backoff
                reason = "error"
                log.error("stream: connection failed: %s", exc)
            if self._client.stopping:
                break
            healthy = self._loop.time() - began >= self.settings.healthy_after_s
            attempt = 0 if (reason == "disconnect" or healthy) else attempt + 1
            delay = backoff_delay(attempt, self.settings.backoff_base_s, self.settings.backoff_max_s, self._rng)
            log.info("stream: connection ended (%s); reconnecting in %.2fs", reason, delay)
            self.reconnects += 1
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except TimeoutError:
                pass
