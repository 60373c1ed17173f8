"""The sandbox's controllable clock: real time plus an offset that tests and demos advance."""

from __future__ import annotations

import threading
import time


class Clock:
    """Epoch time that moves with the wall clock and jumps forward on `advance`.

    Everything time-dependent in the sandbox (token and code expiry, throttle windows,
    push retry schedules, redelivery) reads this clock, so a test can skip 7201 s at once.
    Threads that wait on sandbox time use `wait_until`, which wakes early when time jumps.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._changed = threading.Condition()

    def now(self) -> float:
        return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._changed:
            self._offset += seconds
            self._changed.notify_all()
        return self.now()

    def wait_until(self, deadline: float, stop: threading.Event, poll: float = 0.05) -> bool:
        """Block until sandbox time reaches `deadline`; False if `stop` was set first."""
        while not stop.is_set():
            remaining = deadline - self.now()
            if remaining <= 0:
                return True
            with self._changed:
                self._changed.wait(timeout=min(remaining, poll))
        return False
