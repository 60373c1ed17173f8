"""A cached, expiring credential (access token, JSAPI ticket): single flight, refreshed ahead of expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Issued:
    """A credential as DingTalk issued it: the value and its lifetime in seconds."""

    value: str
    expires_in: float


class ExpiringCache:
    """Holds one credential per app and fetches a new one only when needed.

    Many threads asking at once cause one fetch (single flight). The value is refreshed
    `refresh_ahead_s` before it expires (DingTalk's guide: about 10 minutes), so a call never
    starts with a token that dies mid-flight. `invalidate(value)` drops it after an auth error.
    """

    def __init__(
        self,
        fetch: Callable[[], Issued],
        *,
        clock: Callable[[], float] = time.time,
        refresh_ahead_s: float = 600.0,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._refresh_ahead_s = refresh_ahead_s
        self._lock = threading.Lock()
        self._value: str | None = None
        self._refresh_at = 0.0
        self.fetches = 0

    def get(self) -> str:
        """The cached value, fetching a new one if absent or due for refresh."""
        value = self._fresh()
        if value is not None:
            return value
        with self._lock:
            value = self._fresh()  # another thread may have fetched while we waited
            if value is not None:
                return value
            issued = self._fetch()
            self.fetches += 1
            # Short-lived values (tests, odd servers) refresh at half-life rather than never being fresh.
            ahead = min(self._refresh_ahead_s, issued.expires_in / 2)
            self._value = issued.value
            self._refresh_at = self._clock() + issued.expires_in - ahead
            return issued.value

    def invalidate(self, value: str) -> None:
        """Drop `value` if it is still the cached one (a newer value fetched meanwhile is kept)."""
        with self._lock:
            if self._value == value:
                self._value = None
                self._refresh_at = 0.0

    def _fresh(self) -> str | None:
        value = self._value
        if value is not None and self._clock() < self._refresh_at:
            return value
        return None
