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
    send time and DingTalk's arrival time; each throttle DingTalk still answers widens that key's
    margin by `margin_step_s` (up to `max_margin_s`), and clean calls narrow it back over ~10 s.
    Consecutive calls are also spaced by `spacing` × window/qps: bursts bunch up on DingTalk's side.
    Keys (API paths) have independent budgets.
    """

    def __init__(
        self,
        qps: int,
        *,
        window_s: float = 1.0,
        margin_s: float = 0.03,
        margin_step_s: float = 0.03,
        max_margin_s: float = 0.2,
        spacing: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if qps < 1:
            raise ValueError(f"qps must be at least 1, got {qps}")
        self.qps = qps
        self._window_s = window_s
        self._margin_s = margin_s
        self._margin_step_s = margin_step_s
        self._max_margin_s = max(max_margin_s, margin_s)
        self._extra: dict[str, float] = {}
        self._spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: dict[str, deque[list[float]]] = {}
        self._hold_until: dict[str, float] = {}
        self._last_throttle: dict[str, float] = {}

    def acquire(self, key: str) -> float:
        """Block until a call to `key` may start; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            starts = self._starts.setdefault(key, deque())
            slot = max(now, self._hold_until.get(key, now))
            extra = self._extra.get(key, 0.0)
            if extra:
                self._extra[key] = max(0.0, extra - self._margin_step_s / (10 * self.qps))
            span = self._window_s + self._margin_s + extra
            if starts:
                # Keep reservations in order, spaced out: bursts make DingTalk's arrival times jittery.
                slot = max(slot, starts[-1][0] + self._spacing * span / self.qps)
            # The call `qps` places earlier: ours may start only a full window after it did.
            previous = starts[-self.qps] if len(starts) >= self.qps else None
            if previous is not None:
                slot = max(slot, previous[0] + span)
            mine = [slot]
            starts.append(mine)
            while len(starts) > self.qps:
                starts.popleft()
        waited = 0.0
        while True:
            if slot > now:
                self._sleep(slot - now)
                waited += slot - now
            with self._lock:
                now = self._clock()
                # A thread that overslept (GIL, GC) started later than reserved: respect its real start.
                required = previous[0] + span if previous is not None else now
                if required <= now + 1e-6:  # float noise in slot - now + now
                    mine[0] = max(mine[0], now)
                    return waited
                slot = required

    def throttled(self, key: str, retry_after: float) -> None:
        """DingTalk throttled `key` anyway: widen its margin; if it keeps happening, pause the key.

        An isolated throttle is usually a stall (GC, a busy network) that bunched our calls up on
        DingTalk's side: only the throttled call waits. A second one within two windows means
        DingTalk is stricter than our budget, so everyone calling `key` pauses for `retry_after`.
        """
        with self._lock:
            now = self._clock()
            widened = self._extra.get(key, 0.0) + self._margin_step_s
            self._extra[key] = min(self._max_margin_s - self._margin_s, widened)
            previous = self._last_throttle.get(key)
            self._last_throttle[key] = now
            if previous is not None and now - previous < 2 * self._window_s:
                self._hold_until[key] = max(self._hold_until.get(key, 0.0), now + retry_after)

    def hold(self, key: str, seconds: float) -> None:
        """Start no new call to `key` for `seconds`."""
        with self._lock:
            until = self._clock() + seconds
            self._hold_until[key] = max(self._hold_until.get(key, 0.0), until)
