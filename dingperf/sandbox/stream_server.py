"""The websocket half of the sandbox Stream gateway: admission, connections, frames, SYSTEM pings.

It runs its own asyncio loop in its own thread on its own loopback port. Connections are admitted
only with a ticket from `connections/open`. `send` pairs every frame with the future of its ack;
timers run on the sandbox clock so `clock.advance()` moves deadlines. gateway.py adds DingTalk's
event and callback semantics on top.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import secrets
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.stream_records import FrameLog
from dingperf.sandbox.stream_settings import StreamSettings
from dingperf.sandbox.stream_tickets import Ticket, TicketError, TicketStore

MAX_FRAMES = 100_000  # the frame log is bounded so a long benchmark cannot exhaust memory


class GatewayError(Exception):
    """Base of every error the gateway raises to its callers."""


@dataclass
class Connection:
    """One admitted websocket: its ticket (app, subscriptions) and the acks it still owes."""

    id: str
    ticket: Ticket
    ws: ServerConnection
    pending: dict[str, asyncio.Future] = field(default_factory=dict)
    draining: bool = False  # a disconnect frame was sent: no new pushes go here

    def wants_events(self) -> bool:
        return any(s.type == "EVENT" and s.topic == "*" for s in self.ticket.subscriptions)

    def wants_callback(self, topic: str) -> bool:
        return any(s.type == "CALLBACK" and s.topic == topic for s in self.ticket.subscriptions)


class StreamServer:
    """Websocket server on a private asyncio loop; its public methods are thread-safe."""

    def __init__(self, clock: Clock, settings: StreamSettings | None = None) -> None:
        self._clock = clock
        self.settings = settings or StreamSettings()
        self.tickets = TicketStore(clock)
        self.frames = FrameLog(clock, MAX_FRAMES)
        self._lock = threading.Lock()
        self._conns: dict[str, Connection] = {}
        self._admitted: dict[ServerConnection, Ticket] = {}
        self._rr: dict[str, int] = {}
        self._tasks: set[asyncio.Task] = set()
        # Sandbox-clock timers (deadline, seq, future, value): one ticker resolves them all.
        self._timers: list[tuple[float, int, asyncio.Future, Any]] = []
        self._timer_seq = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._port = 0
        self._host = "127.0.0.1"

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The URL `connections/open` hands out (the client appends `?ticket=`)."""
        if self._server is None:
            raise GatewayError("the Stream gateway is not running; start the sandbox server first")
        return f"ws://{self._host}:{self._port}/connect"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Start the loop thread and the websocket server; returns the bound port."""
        self._host = "127.0.0.1" if host in ("", "0.0.0.0") else host
        self._timers.clear()  # timers of a previous run belong to its closed loop
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="sandbox-stream", daemon=True)
        self._thread.start()
        self._port = self._call(self._open(host, port), timeout=10)
        return self._port

    def stop(self) -> None:
        """Close every connection and the server, then end the loop thread."""
        if self._loop is None:
            return
        try:
            self._call(self._shutdown(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
            self._loop = None
            self._server = None

    async def _open(self, host: str, port: int) -> int:
        # Library-level pings are off: the gateway does DingTalk's own SYSTEM ping instead.
        self._server = await serve(
            self._handle, host, port, process_request=self._admit, ping_interval=None, max_size=2**22, compression=None
        )
        self._spawn(self._tick())
        return self._server.sockets[0].getsockname()[1]

    async def _tick(self) -> None:
        # Polling sandbox time keeps clock.advance() effective, and one ticker for every ack
        # deadline and redelivery wait costs far less than a sleeping task per event.
        while True:
            await asyncio.sleep(0.05)
            now = self._clock.now()
            while self._timers and self._timers[0][0] <= now:
                _deadline, _seq, fut, value = heapq.heappop(self._timers)
                if not fut.done():
                    fut.set_result(value)

    def _wake_at(self, deadline: float, fut: asyncio.Future, value: Any) -> None:
        """Resolve `fut` with `value` once sandbox time reaches `deadline`, unless done before."""
        heapq.heappush(self._timers, (deadline, next(self._timer_seq), fut, value))

    async def _until(self, deadline: float) -> None:
        fut = asyncio.get_running_loop().create_future()
        self._wake_at(deadline, fut, None)
        await fut

    async def _shutdown(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        conns = list(self._conns.values())
        # A client that vanished without a close frame must not hold shutdown for close_timeout.
        if conns:
            await asyncio.wait([asyncio.ensure_future(c.ws.close(1001, "sandbox stopping")) for c in conns], timeout=2)
        for conn in conns:
            conn.ws.transport.abort()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _call(self, coro: Coroutine[Any, Any, Any], timeout: float) -> Any:
        if self._loop is None:
            coro.close()
            raise GatewayError("the Stream gateway is not running; start the sandbox server first")
        if threading.current_thread() is self._thread:
            coro.close()
            raise GatewayError("gateway methods block; call them from another thread than the gateway's")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- connections -------------------------------------------------------------------------

    def _admit(self, ws: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        if parts.path != "/connect":
            return ws.respond(404, f"no such path {parts.path}; connect to /connect?ticket=…\n")
        ticket_value = (parse_qs(parts.query).get("ticket") or [""])[0]
        try:
            self._admitted[ws] = self.tickets.redeem(ticket_value)
        except TicketError as exc:
            return ws.respond(401, f"{exc}\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        conn = Connection(id=uuid.uuid4().hex, ticket=self._admitted.pop(ws), ws=ws)
        with self._lock:
            self._conns[conn.id] = conn
        pinger = asyncio.get_running_loop().create_task(self._ping_loop(conn))
        try:
            async for raw in ws:
                self._on_ack(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            pinger.cancel()
            with self._lock:
                self._conns.pop(conn.id, None)
            for fut in conn.pending.values():
                if not fut.done():
                    fut.set_result(None)

    def _on_ack(self, conn: Connection, raw: str | bytes) -> None:
        try:
            ack = json.loads(raw)
            message_id = ack["headers"]["messageId"]
        except (ValueError, KeyError, TypeError):
            self.frames.add("in", conn.id, conn.ticket.app_key, {"malformed": str(raw)[:2000]})
            return
        self.frames.add("in", conn.id, conn.ticket.app_key, ack)
        fut = conn.pending.pop(message_id, None)
        if fut is not None and not fut.done():
            fut.set_result(ack)

    def connections(self) -> list[dict[str, Any]]:
        """Live connections: id, app, subscriptions, whether a disconnect was sent."""
        with self._lock:
            conns = list(self._conns.values())
        return [
            {
                "connection_id": c.id,
                "app_key": c.ticket.app_key,
                "subscriptions": [{"type": s.type, "topic": s.topic} for s in c.ticket.subscriptions],
                "draining": c.draining,
            }
            for c in conns
        ]

    def _pick(self, app_key: str, want: Callable[[Connection], bool]) -> Connection | None:
        with self._lock:
            live = [c for c in self._conns.values() if c.ticket.app_key == app_key and not c.draining and want(c)]
            if not live:
                return None
            n = self._rr.get(app_key, 0)
            self._rr[app_key] = n + 1
            return live[n % len(live)]

    async def _send(self, conn: Connection, frame: dict[str, Any]) -> asyncio.Future | None:
        """Send a frame expecting an ack; None if the socket is already closed."""
        fut = asyncio.get_running_loop().create_future()
        conn.pending[frame["headers"]["messageId"]] = fut
        self.frames.add("out", conn.id, conn.ticket.app_key, frame)
        try:
            await conn.ws.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed:
            conn.pending.pop(frame["headers"]["messageId"], None)
            return None
        return fut

    def _frame(self, kind: str, topic: str, data: Any, **headers: str) -> dict[str, Any]:
        return {
            "specVersion": "1.0",
            "type": kind,
            "headers": {
                "topic": topic,
                "messageId": f"{uuid.uuid4()}",
                "contentType": "application/json",
                "time": str(self._clock.now_ms()),
                **headers,
            },
            # DingTalk double-encodes: `data` is a JSON string inside the JSON frame.
            "data": json.dumps(data, ensure_ascii=False),
        }

    # ---- SYSTEM frames: ping and disconnect ----------------------------------------------------

    async def _ping_loop(self, conn: Connection) -> None:
        while True:
            await asyncio.sleep(self.settings.ping_interval_s)
            if not await self._ping(conn):
                await conn.ws.close(1011, "ping not acknowledged")
                return

    async def _ping(self, conn: Connection) -> bool:
        opaque = secrets.token_hex(16)
        frame = self._frame("SYSTEM", "ping", {"opaque": opaque})
        fut = await self._send(conn, frame)
        if fut is None:
            return False
        try:
            ack = await asyncio.wait_for(fut, self.settings.ping_timeout_s)
        except TimeoutError:
            conn.pending.pop(frame["headers"]["messageId"], None)
            return False
        return bool(ack) and ack.get("code") == 200 and decode_data(ack.get("data")) == {"opaque": opaque}

    def ping(self) -> dict[str, bool]:
        """Ping every live connection now; {connection_id: acked with the matching opaque}."""

        async def run() -> dict[str, bool]:
            with self._lock:
                conns = list(self._conns.values())
            results = await asyncio.gather(*(self._ping(c) for c in conns))
            return {c.id: ok for c, ok in zip(conns, results)}

        return self._call(run(), timeout=self.settings.ping_timeout_s + 5)

    def disconnect(self, app_key: str | None = None, reason: str = "connection is expired") -> list[str]:
        """Send a `disconnect` frame to each live connection (of one app); they close shortly after."""

        async def run() -> list[str]:
            with self._lock:
                conns = [c for c in self._conns.values() if app_key is None or c.ticket.app_key == app_key]
            for conn in conns:
                conn.draining = True
                await self._send(conn, self._frame("SYSTEM", "disconnect", {"reason": reason}))
                self._spawn(self._close_later(conn))
            return [c.id for c in conns]

        return self._call(run(), timeout=10)

    async def _close_later(self, conn: Connection) -> None:
        await self._until(self._clock.now() + self.settings.disconnect_close_after_s)
        await conn.ws.close(1000, "disconnect")


def decode_data(data: Any) -> Any:
    """Ack `data` is a JSON string by protocol; tolerate an already-decoded object."""
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return None
    return data
