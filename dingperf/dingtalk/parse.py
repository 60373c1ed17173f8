"""Lenient readers for DingTalk's loosely typed JSON ("true", "10", ms timestamps, ISO strings)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from dingperf.dingtalk.quota import CHINA_TZ

T = TypeVar("T")


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "y")


def as_int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def as_str(value: Any, default: str = "") -> str:
    return default if value is None else str(value)


def as_opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def str_tuple(values: Any) -> tuple[str, ...]:
    """A list (or comma-separated string) of ids as a tuple of strings."""
    if values is None or values == "":
        return ()
    if isinstance(values, str):
        return tuple(v for v in (p.strip() for p in values.split(",")) if v)
    return tuple(str(v) for v in values)


def int_tuple(values: Any) -> tuple[int, ...]:
    return tuple(i for i in (as_int(v) for v in str_tuple(values)) if i is not None)


def from_ms(value: Any) -> datetime | None:
    """An aware datetime (China time) from epoch milliseconds, or None when absent."""
    ms = as_int(value)
    if ms is None or ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, CHINA_TZ)


def from_iso(value: Any) -> datetime | None:
    """An aware datetime from DingTalk's ISO strings (`2022-08-31T11:52Z`) or ms numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or str(value).isdigit():
        return from_ms(value)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")  # legacy oapi shape, China time
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_TZ)


def to_ms(moment: datetime | date) -> int:
    """Epoch ms of an aware datetime, or of a date's midnight in China time."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=CHINA_TZ)
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware datetime")
    return int(moment.timestamp() * 1000)


def wire_datetime(moment: datetime | date) -> str:
    """`yyyy-MM-dd HH:mm:ss` in China time, as the attendance APIs want it."""
    if not isinstance(moment, datetime):
        return moment.strftime("%Y-%m-%d 00:00:00")
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware datetime")
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def json_object(value: Any) -> dict[str, Any]:
    """A dict from a dict or a JSON-encoded string (e.g. `extension`); {} when absent or unparsable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def chunks(items: Sequence[T] | Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most `size` items."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def day_windows(start: date, end: date, days: int) -> Iterator[tuple[date, date]]:
    """Inclusive (first, last) day ranges of at most `days` days covering start..end."""
    if end < start:
        raise ValueError(f"date range ends ({end}) before it starts ({start})")
    first = start
    while first <= end:
        last = min(end, first + timedelta(days=days - 1))
        yield first, last
        first = last + timedelta(days=1)
