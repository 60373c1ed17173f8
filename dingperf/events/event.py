"""The one inbound event value both transports (and the failed-push list) produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Source = Literal["stream", "http", "failed_list"]
SOURCES: tuple[str, ...] = ("stream", "http", "failed_list")


class InvalidEvent(ValueError):
    """An event value is missing an identity field; the message names the field."""


@dataclass(frozen=True)
class Event:
    """A DingTalk event: who (corp), which (id, unique per corp), what (type), when, how it came, and the body.

    `payload` is DingTalk's business object (Stream `data` spelling: `userId`, `deptId`, `processInstanceId`).
    """

    corp_id: str
    event_id: str
    event_type: str
    born_at: datetime
    source: Source
    payload: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("corp_id", "event_id", "event_type"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidEvent(f"event {name} must be a non-empty string, got {value!r}")
        if len(self.event_id) > 128:
            raise InvalidEvent(f"event_id is {len(self.event_id)} characters; at most 128 are stored")
        if self.born_at.tzinfo is None or self.born_at.utcoffset() is None:
            raise InvalidEvent("born_at must be timezone-aware (DingTalk times are UTC milliseconds)")
        if self.source not in SOURCES:
            raise InvalidEvent(f"source must be one of {SOURCES}, got {self.source!r}")
        if not isinstance(self.payload, dict):
            raise InvalidEvent("payload must be a JSON object (dict)")
