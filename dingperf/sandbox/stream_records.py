"""What the Stream gateway did: every frame in both directions, and each event's delivery story."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.clock import Clock


class FrameLog:
    """Bounded, thread-safe log of frames sent ("out") and acks received ("in")."""

    def __init__(self, clock: Clock, max_frames: int) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._frames: deque[dict[str, Any]] = deque(maxlen=max_frames)
        self._seq = 0

    def add(self, direction: str, connection_id: str, app_key: str, frame: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self._frames.append(
                {
                    "seq": self._seq,
                    "at_ms": self._clock.now_ms(),
                    "direction": direction,
                    "connection_id": connection_id,
                    "app_key": app_key,
                    "frame": frame,
                }
            )

    def list(
        self,
        *,
        direction: str | None = None,
        frame_type: str | None = None,
        topic: str | None = None,
        event_id: str | None = None,
        message_id: str | None = None,
        since_seq: int = 0,
    ) -> list[dict[str, Any]]:
        """Recorded frames oldest first (seq > since_seq); filters match type/topic/eventId/messageId."""
        with self._lock:
            frames = list(self._frames)
        out = []
        for rec in frames:
            if rec["seq"] <= since_seq:
                continue
            frame = rec["frame"]
            headers = frame.get("headers") or {}
            if direction and rec["direction"] != direction:
                continue
            if frame_type and frame.get("type", "ACK" if rec["direction"] == "in" else None) != frame_type:
                continue
            if topic and headers.get("topic") != topic:
                continue
            if event_id and headers.get("eventId") != event_id:
                continue
            if message_id and headers.get("messageId") != message_id:
                continue
            out.append(rec)
        return out

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()

    def acks_for(self, message_id: str) -> list[dict[str, Any]]:
        return self.list(direction="in", message_id=message_id)


@dataclass
class Delivery:
    """One event's Stream delivery: pending until acked, given_up after the last redelivery."""

    event_id: str
    event_type: str
    status: str = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)

    def record(self, attempt: int, message_id: str, connection_id: str | None, outcome: str, at_ms: int) -> None:
        self.attempts.append(
            {"attempt": attempt, "message_id": message_id, "connection_id": connection_id, "outcome": outcome, "at_ms": at_ms}
        )
        if outcome == "acked":
            self.status = "acked"

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "status": self.status,
            "attempts": [dict(a) for a in self.attempts],
        }
