"""Turn what either transport (or the failed-push list) delivered into one `Event`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dingtalk_stream import EventMessage

from dingperf.dingtalk import push, stream
from dingperf.events.event import Event, Source


def born_at(ms: int | None, received_at: datetime | None = None) -> datetime:
    """DingTalk's millisecond epoch as an aware UTC datetime; the receive time when DingTalk gave none."""
    if ms is None:
        return received_at or datetime.now(UTC)
    return datetime.fromtimestamp(ms / 1000.0, tz=UTC)


def from_wire(wire: push.WireEvent, source: Source, received_at: datetime | None = None) -> Event:
    """Wrap a parsed wire event in the transport-agnostic value."""
    return Event(corp_id=wire.corp_id, event_id=wire.event_id, event_type=wire.event_type,
                 born_at=born_at(wire.born_at_ms, received_at), source=source, payload=dict(wire.payload))


def from_stream_message(message: EventMessage, default_corp_id: str = "") -> Event:
    """An SDK EventMessage (headers + decoded data) as an Event."""
    return from_wire(stream.event_from_message(message, default_corp_id), "stream")


def from_stream_frame(frame: dict[str, Any], default_corp_id: str = "") -> Event:
    """A raw Stream EVENT frame (with `data` as a JSON string) as an Event."""
    return from_wire(stream.parse_event_frame(frame, default_corp_id), "stream")


def from_http_push(decrypted: Mapping[str, Any], default_corp_id: str = "") -> Event:
    """A decrypted HTTP push, current or legacy form, as an Event (check_url is refused)."""
    return from_wire(push.parse_pushed_event(decrypted, default_corp_id), "http")


def from_failed_item(item: Mapping[str, Any], default_corp_id: str = "") -> Event:
    """One `failed_list` entry of get_call_back_failed_result as an Event."""
    return from_wire(push.parse_failed_item(item, default_corp_id), "failed_list")
