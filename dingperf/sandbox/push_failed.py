"""The failed-push list behind get_call_back_failed_result (DINGTALK.md §10.6)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from dingperf.sandbox.clock import Clock

MAX_PER_CALL = 200


@dataclass(frozen=True)
class FailedPush:
    """One push that failed its first try and both retries; fetchable from `visible_at` on."""

    item: dict[str, Any]
    visible_at: float


class FailedPushes:
    """Thread-safe queue; `drain` hands out visible items once and removes them (assumed, §10.6)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: list[FailedPush] = []

    def append(self, item: dict[str, Any], visible_after_s: float) -> None:
        with self._lock:
            self._items.append(FailedPush(item, self._clock.now() + visible_after_s))

    def drain(self, limit: int = MAX_PER_CALL) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` visible items, oldest first, and whether more visible ones remain."""
        now = self._clock.now()
        with self._lock:
            visible = [f for f in self._items if f.visible_at <= now]
            taken = visible[:limit]
            taken_ids = {id(f) for f in taken}
            self._items = [f for f in self._items if id(f) not in taken_ids]
            return [f.item for f in taken], len(visible) > limit

    def pending(self) -> dict[str, int]:
        """How many items wait, split into visible now and still hidden."""
        now = self._clock.now()
        with self._lock:
            visible = sum(1 for f in self._items if f.visible_at <= now)
            return {"visible": visible, "hidden": len(self._items) - visible}

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
