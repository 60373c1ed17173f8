"""Counters of what the client did: calls per API, throttles seen, retries (for the bench and `doctor`)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class ClientStats:
    """A snapshot: HTTP requests sent per path, throttle answers per path, retries, errors surfaced."""

    calls: Mapping[str, int] = field(default_factory=dict)
    throttled: Mapping[str, int] = field(default_factory=dict)
    retries: int = 0
    errors_surfaced: int = 0
    token_fetches: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_throttled(self) -> int:
        return sum(self.throttled.values())


class StatsRecorder:
    """Thread-safe accumulation behind `DingTalkClient.stats()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._retries = 0
        self._errors = 0
        self._token_fetches = 0

    def call(self, path: str) -> None:
        with self._lock:
            self._calls[path] += 1

    def throttled(self, path: str) -> None:
        with self._lock:
            self._throttled[path] += 1

    def retry(self) -> None:
        with self._lock:
            self._retries += 1

    def surfaced(self) -> None:
        with self._lock:
            self._errors += 1

    def token_fetched(self) -> None:
        with self._lock:
            self._token_fetches += 1

    def snapshot(self) -> ClientStats:
        with self._lock:
            return ClientStats(
                calls=MappingProxyType(dict(self._calls)),
                throttled=MappingProxyType(dict(self._throttled)),
                retries=self._retries,
                errors_surfaced=self._errors,
                token_fetches=self._token_fetches,
            )
