"""The sandbox Stream gateway: DingTalk's event and callback semantics over the websocket server (§9, §12.3).

Events go to one live `EVENT *` connection of the app (round-robin) and are re-pushed on the
sandbox clock until acked with code 200 (and not `status: LATER`); CALLBACK frames are
request/response (`send_callback`). stream_server.py holds the connections, frames and pings.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.event_payloads import SandboxEvent
from dingperf.sandbox.stream_records import Delivery
from dingperf.sandbox.stream_server import Connection, GatewayError, StreamServer, decode_data
from dingperf.sandbox.stream_settings import StreamSettings
from dingperf.sandbox.stream_tickets import Subscription, Ticket

__all__ = [
    "CallbackFailed",
    "CallbackTimeout",
    "GatewayError",
    "StreamGateway",
    "StreamNotConnected",
    "Subscription",
    "Ticket",
]

_NO_ACK = object()  # resolves an event's ack future when its ack deadline passes
MAX_DELIVERIES = 100_000


class StreamNotConnected(GatewayError):
    """No live Stream connection of the app subscribes to what is being sent."""


class CallbackTimeout(GatewayError):
    """A CALLBACK frame was sent but its ack did not arrive in time."""


class CallbackFailed(GatewayError):
    """The client acked a CALLBACK frame with a non-200 code or undecodable data."""


class StreamGateway(StreamServer):
    """The Stream gateway the sandbox exposes as `state.gateway`."""

    def __init__(self, clock: Clock, settings: StreamSettings | None = None) -> None:
        super().__init__(clock, settings)
        self._deliveries: dict[str, Delivery] = {}
        self._in_flight: asyncio.Semaphore | None = None  # made on the loop, sized by settings.max_in_flight

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start serving (see StreamServer.start); a restart gets fresh loop-bound primitives."""
        self._in_flight = None
        return super().start(host, port)

    # ---- EVENT delivery with redelivery ----------------------------------------------------------

    def push_event(self, app_key: str, event: SandboxEvent) -> None:
        """Queue an event for delivery to the app's `EVENT *` subscribers; returns at once."""
        if self._loop is None:
            raise GatewayError("the Stream gateway is not running; start the sandbox server first")
        with self._lock:
            self._deliveries[event.event_id] = Delivery(event.event_id, event.event_type)
            if len(self._deliveries) > 2 * MAX_DELIVERIES:
                self._prune_deliveries()
        self._loop.call_soon_threadsafe(self._spawn, self._deliver(app_key, event))

    def clear(self) -> None:
        """Forget recorded frames and finished deliveries (sandbox reset); live connections stay."""
        self.frames.clear()
        with self._lock:
            for event_id in [e for e, d in self._deliveries.items() if d.status != "pending"]:
                del self._deliveries[event_id]

    def configure(self, changes: dict[str, Any]) -> StreamSettings:
        """Apply setting changes (see StreamSettings); ValueError names a bad key or value."""
        self.settings = self.settings.updated(changes)
        if "max_in_flight" in changes:
            self._in_flight = None  # re-sized on the next event; frames in flight keep their old slots
        return self.settings

    def _prune_deliveries(self) -> None:
        # Keep memory bounded in long benchmarks: forget the oldest finished deliveries (insertion order).
        finished = [e for e, d in self._deliveries.items() if d.status != "pending"]
        for event_id in finished[: len(self._deliveries) - MAX_DELIVERIES]:
            del self._deliveries[event_id]

    def delivery(self, event_id: str) -> dict[str, Any]:
        """Delivery status of an event pushed over Stream: status, attempts with outcomes."""
        with self._lock:
            found = self._deliveries.get(event_id)
            if found is None:
                raise KeyError(f"no Stream delivery for event {event_id}; was it pushed in stream mode?")
            return found.to_dict()

    async def _deliver(self, app_key: str, event: SandboxEvent) -> None:
        s = self.settings
        first_message_id = f"{uuid.uuid4()}"
        failed_at = 0.0
        for attempt, delay in enumerate((0.0, *s.redelivery_schedule_s)):
            if attempt:
                await self._until(failed_at + delay)
            message_id = first_message_id if attempt == 0 or not s.redeliver_new_message_id else f"{uuid.uuid4()}"
            outcome, conn_id = await self._attempt(app_key, event, message_id)
            with self._lock:
                self._deliveries[event.event_id].record(attempt, message_id, conn_id, outcome, self._clock.now_ms())
            if outcome == "acked":
                if s.duplicate_anyway:
                    await self._attempt(app_key, event, f"{uuid.uuid4()}")
                return
            failed_at = self._clock.now()
        with self._lock:
            self._deliveries[event.event_id].status = "given_up"

    async def _attempt(self, app_key: str, event: SandboxEvent, message_id: str) -> tuple[str, str | None]:
        if self._in_flight is None:
            self._in_flight = asyncio.Semaphore(max(1, self.settings.max_in_flight))
        # A burst of thousands of events must not start thousands of ack clocks at once: the
        # tail would time out while the client is still working through the head.
        async with self._in_flight:
            return await self._attempt_now(app_key, event, message_id)

    async def _attempt_now(self, app_key: str, event: SandboxEvent, message_id: str) -> tuple[str, str | None]:
        conn = self._pick(app_key, Connection.wants_events)
        if conn is None:
            return "no_connection", None
        frame = self._frame(
            "EVENT",
            "*",
            dict(event.data),
            eventType=event.event_type,
            eventId=event.event_id,
            eventCorpId=event.corp_id,
            eventBornTime=str(event.born_ms),
            eventUnifiedAppId=str(uuid.uuid5(uuid.NAMESPACE_URL, app_key)),
            connectionId=conn.id,
        )
        frame["headers"]["messageId"] = message_id
        fut = await self._send(conn, frame)
        if fut is None:
            return "connection_closed", conn.id
        self._wake_at(self._clock.now() + self.settings.ack_timeout_s, fut, _NO_ACK)
        ack = await fut
        if ack is _NO_ACK:
            conn.pending.pop(message_id, None)
            return "no_ack", conn.id
        if ack is None:
            return "connection_closed", conn.id
        if ack.get("code") != 200:
            return f"code_{ack.get('code')}", conn.id
        decoded = decode_data(ack.get("data"))
        status = decoded.get("status") if isinstance(decoded, dict) else None
        if status == "LATER":
            return "later", conn.id
        if self.settings.require_status_success and status != "SUCCESS":
            return "no_success_status", conn.id
        return "acked", conn.id

    # ---- CALLBACK frames -------------------------------------------------------------------------

    def send_callback(self, app_key: str, topic: str, data: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """Send a CALLBACK frame and return the ack's decoded `data` (e.g. {"response": {...}})."""
        return self._call(self._callback(app_key, topic, data, timeout_s), timeout=timeout_s + 10)

    async def _callback(self, app_key: str, topic: str, data: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        conn = self._pick(app_key, lambda c: c.wants_callback(topic))
        if conn is None:
            raise StreamNotConnected(
                f"no live Stream connection of app {app_key} subscribes to CALLBACK {topic}; "
                "start a Stream client that registers a handler for that topic"
            )
        frame = self._frame("CALLBACK", topic, data)
        fut = await self._send(conn, frame)
        if fut is None:
            raise StreamNotConnected(f"the Stream connection {conn.id} closed before the CALLBACK frame was sent")
        try:
            ack = await asyncio.wait_for(fut, timeout_s)
        except TimeoutError:
            conn.pending.pop(frame["headers"]["messageId"], None)
            raise CallbackTimeout(f"no ack for CALLBACK {topic} within {timeout_s}s (connection {conn.id})") from None
        if ack is None:
            raise CallbackTimeout(f"connection {conn.id} closed before acking CALLBACK {topic}")
        if ack.get("code") != 200:
            raise CallbackFailed(f"client acked CALLBACK {topic} with code {ack.get('code')}: {ack.get('message')!r}")
        decoded = decode_data(ack.get("data"))
        if not isinstance(decoded, dict):
            raise CallbackFailed(f"ack data for CALLBACK {topic} is not a JSON object: {ack.get('data')!r:.200}")
        return decoded
