"""Per-API call pacing so normal work never trips DingTalk's per-second throttle (DINGTALK.md §2.5)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """Lets at most `qps` calls per API start in any window of `window_s` (+ margin) seconds.

    DingTalk counts calls per app×API in 1-second windows. A token bucket with burst `qps` can
    put 2×qps calls around one window edge; this limiter instead keeps the start times of the
    last `qps` calls per key and schedules the next call no earlier than the oldest one plus the
    window. Callers reserve their slot under the lock and sleep outside it, so waiting threads are
    served in arrival order and each sleeps once. `margin_s` absorbs network jitter between our
    send time and DingTalk's arrival time. Keys (API paths) have independent budgets.
    """

    def __init__(
        self,
        qps: int,
        *,
        window_s: float = 1.0,
        margin_s: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if qps < 1:
            raise ValueError(f"qps must be at least 1, got {qps}")
        self.qps = qps
        self._span = window_s + margin_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: dict[str, deque[float]] = {}
        self._hold_until: dict[str, float] = {}

    def acquire(self, key: str) -> float:
        """Block until a call to `key` may start; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            starts = self._starts.setdefault(key, deque())
            slot = max(now, self._hold_until.get(key, now))
            if starts:
                slot = max(slot, starts[-1])  # keep reservations in order
            if len(starts) >= self.qps:
                slot = max(slot, starts[-self.qps] + self._span)
            starts.append(slot)
            while len(starts) > self.qps:
                starts.popleft()
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def hold(self, key: str, seconds: float) -> None:
        """Start no new call to `key` for `seconds` (DingTalk asks for a 1 s pause after 90018)."""
        with self._lock:
            until = self._clock() + seconds
            self._hold_until[key] = max(self._hold_until.get(key, 0.0), until)
