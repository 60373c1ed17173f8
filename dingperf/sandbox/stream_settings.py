"""Tunable Stream gateway behaviour; DingTalk's real numbers where known (DINGTALK.md §9.3, §12.3)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class StreamSettings:
    """How the gateway acks, redelivers, pings and disconnects. Replace it whole to change it.

    Redelivery waits are sandbox-clock seconds after the failed attempt; the schedule follows
    the community report of 10 s/30 s/60 s/120 s (DingTalk's own numbers are unpublished).
    """

    ack_timeout_s: float = 5.0
    redelivery_schedule_s: tuple[float, ...] = (10.0, 30.0, 60.0, 120.0)
    redeliver_new_message_id: bool = True
    duplicate_anyway: bool = False
    require_status_success: bool = False  # True: only {"status":"SUCCESS"} counts (SDK-py 0.24.3 never sends it)
    ping_interval_s: float = 30.0  # wall-clock seconds; a keepalive is about the socket, not sandbox time
    ping_timeout_s: float = 10.0
    disconnect_close_after_s: float = 10.0
    max_in_flight: int = 256  # unacked EVENT frames at once; read when the first event is sent

    def updated(self, changes: dict[str, Any]) -> StreamSettings:
        """A copy with `changes` applied; ValueError names any unknown or ill-typed key."""
        known = {f.name: f for f in fields(self)}
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown stream setting {key!r}; known: {', '.join(sorted(known))}")
            current = getattr(self, key)
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")  # noqa: TRY004 - one error type for bad input
                clean[key] = value
            elif isinstance(current, tuple):
                if not isinstance(value, list) or not all(_is_seconds(v) for v in value):
                    raise ValueError(f"{key} must be a list of non-negative seconds")
                clean[key] = tuple(float(v) for v in value)
            elif isinstance(current, int):
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError(f"{key} must be a positive integer")
                clean[key] = value
            else:
                if not _is_seconds(value):
                    raise ValueError(f"{key} must be a non-negative number of seconds")
                clean[key] = float(value)
        return replace(self, **clean)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}


def _is_seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0
