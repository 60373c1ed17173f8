"""Event handlers, one module per DingTalk event family (contacts.py, attendance.py, approvals.py, cards.py).

A handler is a top-level function named `on_<event_type>(event, context)` in any module of this package;
`build_router()` finds them all. `event` is a `dingperf.events.event.Event` (payload in DingTalk's Stream
`data` spelling); `context` is what the worker's composition root passes (see `HandlerContext`).
Handlers must be idempotent: the inbox guarantees at-least-once, never exactly-once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dingperf.events.router import Router


@dataclass(frozen=True)
class HandlerContext:
    """What handlers may use: settings, the store, and the DingTalk client to re-read current state."""

    settings: Any
    store: Any
    client: Any


def build_router() -> Router:
    """A router with every `on_<event_type>` handler of this package registered."""
    router = Router()
    router.register_package(__name__)
    return router
