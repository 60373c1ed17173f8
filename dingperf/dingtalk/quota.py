"""Counts quota-metered DingTalk calls per calendar month (standard edition: 5,000; DINGTALK.md §2.5)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol

# DingTalk's calendar months are China's; China has no DST, so a fixed offset is exact.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

# Exempt from the monthly budget: token, 免登 getuserinfo, JSAPI tickets, the address book.
_EXEMPT_EXACT = {
    "/v1.0/oauth2/accessToken",
    "/gettoken",
    "/topapi/v2/user/getuserinfo",
    "/user/getuserinfo",
    "/v1.0/oauth2/jsapiTickets",
    "/get_jsapi_ticket",
}
_EXEMPT_PREFIXES = (
    "/topapi/v2/department/",
    "/topapi/department/",
    "/department/",
    "/topapi/v2/user/",
    "/topapi/user/",
    "/user/",
    "/v1.0/contact/",
)


def is_metered(path: str) -> bool:
    """True if a call to `path` counts toward the org's monthly quota."""
    if path in _EXEMPT_EXACT or (path.startswith("/v1.0/oauth2/") and path.endswith("/token")):
        return False
    return not path.startswith(_EXEMPT_PREFIXES)


def month_of(epoch_s: float) -> str:
    """The quota month ("YYYY-MM", China time) an instant falls in."""
    return datetime.fromtimestamp(epoch_s, CHINA_TZ).strftime("%Y-%m")


class QuotaStore(Protocol):
    """Where the monthly count lives between restarts (the store implements this later)."""

    def load(self, month: str) -> int: ...

    def save(self, month: str, used: int) -> None: ...


class InMemoryQuotaStore:
    """Keeps counts for the life of the process."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def load(self, month: str) -> int:
        return self._counts.get(month, 0)

    def save(self, month: str, used: int) -> None:
        self._counts[month] = used


class QuotaCounter:
    """Thread-safe count of this month's metered calls; `record` is called once per call DingTalk answered."""

    def __init__(
        self, limit: int, *, store: QuotaStore | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.limit = limit
        self._store = store or InMemoryQuotaStore()
        self._clock = clock
        self._lock = threading.Lock()
        self._month = month_of(clock())
        self._used = self._store.load(self._month)

    def record(self, path: str) -> bool:
        """Count one call to `path` if it is metered; returns whether it counted."""
        if not is_metered(path):
            return False
        with self._lock:
            self._roll()
            self._used += 1
            self._store.save(self._month, self._used)
        return True

    def mark_exhausted(self) -> None:
        """DingTalk said 90020: trust it over our own count for the rest of the month."""
        with self._lock:
            self._roll()
            self._used = max(self._used, self.limit)
            self._store.save(self._month, self._used)

    def used(self) -> int:
        with self._lock:
            self._roll()
            return self._used

    def remaining(self) -> int:
        return max(0, self.limit - self.used())

    @property
    def month(self) -> str:
        with self._lock:
            self._roll()
            return self._month

    def _roll(self) -> None:
        month = month_of(self._clock())
        if month != self._month:
            self._month = month
            self._used = self._store.load(month)
