"""Stream connection tickets: single use, 90 s on the sandbox clock (DINGTALK.md §9.1)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from dingperf.sandbox.clock import Clock

TICKET_TTL_S = 90


class TicketError(Exception):
    """A websocket presented a ticket that is unknown, already used or expired."""


@dataclass(frozen=True)
class Subscription:
    """One `subscriptions` entry of connections/open: type EVENT|CALLBACK and its topic."""

    type: str
    topic: str


@dataclass(frozen=True)
class Ticket:
    """What connections/open issued: the ticket value, its app and subscriptions, and expiry."""

    value: str
    app_key: str
    subscriptions: tuple[Subscription, ...]
    expires_at: float
    ua: str = ""
    local_ip: str = ""


class TicketStore:
    """Issued tickets; `redeem` consumes one, so a ticket opens at most one connection."""

    def __init__(self, clock: Clock, ttl_s: float = TICKET_TTL_S) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._open: dict[str, Ticket] = {}

    def issue(self, app_key: str, subscriptions: tuple[Subscription, ...], ua: str = "", local_ip: str = "") -> Ticket:
        now = self._clock.now()
        ticket = Ticket(str(uuid.uuid4()), app_key, subscriptions, now + self._ttl_s, ua, local_ip)
        with self._lock:
            # Drop expired tickets so reconnect storms cannot grow the table without bound.
            for value in [v for v, t in self._open.items() if t.expires_at <= now]:
                del self._open[value]
            self._open[ticket.value] = ticket
        return ticket

    def redeem(self, value: str) -> Ticket:
        """Consume a ticket; raises TicketError saying why it cannot be used."""
        if not value:
            raise TicketError("missing ticket: open the connection with ?ticket=<ticket from connections/open>")
        with self._lock:
            ticket = self._open.pop(value, None)
        if ticket is None:
            raise TicketError("unknown or already used ticket: call connections/open again for a new one")
        if ticket.expires_at <= self._clock.now():
            raise TicketError(f"ticket expired ({self._ttl_s:.0f} s lifetime): call connections/open again")
        return ticket
