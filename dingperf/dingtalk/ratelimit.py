"""Per-API call pacing so normal work never trips DingTalk's per-second throttle (DINGTALK.md §2.5)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Slot:
    """One admitted call: when it started, how long it waited, and when its answer came back."""

    key: str
    start: float
    waited: float = 0.0
    end: float | None = None


class RateLimiter:
    """Keeps every window of `window_s` seconds at or under `qps` calls per API, as DingTalk counts them.

    DingTalk counts calls per app×API by their *arrival* in 1-second windows. A token bucket with
    burst `qps` can put 2×qps calls around one window edge, and pacing by our own send times is
    not enough either: a stall (GC, a busy CPU or network) delays one call's arrival while later
    calls arrive on time, bunching them up on DingTalk's side. So call N may start only a full
    window after call N−qps was *answered*: DingTalk cannot have counted N−qps later than its
    answer, nor N earlier than its start. Any qps+1 calls then arrive more than a window apart,
    whatever the jitter. Callers reserve slots in order under the lock and sleep outside it.

    `margin_s` pads the window; each throttle DingTalk still answers widens that key's margin by
    `margin_step_s` (up to `max_margin_s`) and clean calls narrow it back over ~10 s. Consecutive
    calls are spaced by `spacing` × window/qps so bursts do not queue up at DingTalk. Keys (API
    paths) have independent budgets. Every `acquire` must be paired with `release` (or use `call`).
    """

    def __init__(
        self,
        qps: int,
        *,
        window_s: float = 1.0,
        margin_s: float = 0.01,
        margin_step_s: float = 0.03,
        max_margin_s: float = 0.2,
        spacing: float = 0.5,
        release_timeout_s: float = 30.0,
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
        self._spacing = spacing
        self._release_timeout_s = release_timeout_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._released = threading.Condition(self._lock)
        self._slots: dict[str, deque[Slot]] = {}
        self._extra: dict[str, float] = {}
        self._hold_until: dict[str, float] = {}
        self._last_throttle: dict[str, float] = {}

    @contextmanager
    def call(self, key: str) -> Iterator[Slot]:
        """`with limiter.call(path): send()` — acquire before, release when the answer is in."""
        slot = self.acquire(key)
        try:
            yield slot
        finally:
            self.release(slot)

    def acquire(self, key: str) -> Slot:
        """Block until a call to `key` may start; pass the result to `release` once answered."""
        with self._lock:
            now = self._clock()
            slots = self._slots.setdefault(key, deque())
            extra = self._extra.get(key, 0.0)
            if extra:
                self._extra[key] = max(0.0, extra - self._margin_step_s / (10 * self.qps))
            span = self._window_s + self._margin_s + extra
            at = max(now, self._hold_until.get(key, now))
            if slots:
                at = max(at, slots[-1].start + self._spacing * span / self.qps)
            # The call `qps` places earlier: ours may start a full window after it was answered.
            previous = slots[-self.qps] if len(slots) >= self.qps else None
            if previous is not None:
                at = max(at, previous.start + span)
            mine = Slot(key, at)
            slots.append(mine)
            while len(slots) > self.qps:
                slots.popleft()
        waited = 0.0
        waited_for_answer = 0.0
        while True:
            if at > now:
                self._sleep(at - now)
                waited += at - now
            with self._lock:
                while previous is not None and previous.end is None and waited_for_answer < self._release_timeout_s:
                    began = time.monotonic()  # real time: we wait for another thread, not for the clock
                    self._released.wait(0.05)
                    waited_for_answer += time.monotonic() - began
                now = self._clock()
                anchor = previous.end if previous is not None and previous.end is not None else None
                if anchor is None and previous is not None:
                    anchor = previous.start  # never released: fall back to its start
                required = anchor + span if anchor is not None else now
                if required <= now + 1e-6:  # float noise in slot - now + now
                    mine.start = max(mine.start, now)
                    mine.waited = waited + waited_for_answer
                    return mine
                at = required

    def release(self, slot: Slot) -> None:
        """The call in `slot` has its answer (or failed): later calls may anchor on it."""
        with self._lock:
            slot.end = max(slot.start, self._clock())
            self._released.notify_all()

    def throttled(self, key: str, retry_after: float) -> None:
        """DingTalk throttled `key` anyway: widen its margin; if it keeps happening, pause the key.

        An isolated throttle is usually a stall that bunched our calls up on DingTalk's side: only
        the throttled call waits. A second one within two windows means DingTalk is stricter than
        our budget, so everyone calling `key` pauses for `retry_after`.
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
