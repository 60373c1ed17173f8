"""HTTP push events DingTalk gave up on (DINGTALK.md §10.6)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dingperf.dingtalk.parse import as_bool, as_str, from_ms
from dingperf.dingtalk.transport import Transport

FAILED_PATH = "/call_back/get_call_back_failed_result"


@dataclass(frozen=True)
class FailedPush:
    """One event whose HTTP push failed three times; `data` is the object under its tag."""

    call_back_tag: str
    event_time: datetime | None
    data: dict[str, Any]


class CallbacksApi:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def failed_pushes(self) -> Iterator[FailedPush]:
        """Drain the failed-push list (≤ 200 per call) until DingTalk says there is no more."""
        while True:
            data = self._t.call("GET", FAILED_PATH)
            items = data.get("failed_list") or []
            for raw in items:
                tag = as_str(raw.get("call_back_tag"))
                payload = raw.get(tag)
                yield FailedPush(call_back_tag=tag, event_time=from_ms(raw.get("event_time")),
                                 data=payload if isinstance(payload, dict) else {})
            if not as_bool(data.get("has_more")) or not items:
                return
