"""Drain DingTalk's failed HTTP-push list into the inbox (DINGTALK.md §10.6): run on start and periodically
in HTTP mode. Items already stored (the push did arrive after all) are duplicates and ignored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dingperf.dingtalk.callbacks import FailedPush
from dingperf.dingtalk.push import PushFormatError
from dingperf.events.event import Event, InvalidEvent
from dingperf.events.normalise import from_failed_item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainReport:
    fetched: int
    stored: int
    duplicates: int
    unreadable: int


def as_item(push: FailedPush) -> dict:
    """The client's FailedPush back in the wire shape the normaliser reads."""
    ms = int(push.event_time.timestamp() * 1000) if push.event_time is not None else None
    return {"call_back_tag": push.call_back_tag, "event_time": ms, push.call_back_tag: push.data}


def drain_failed_pushes(pushes: Iterable[FailedPush], store: Callable[[Event], bool],
                        default_corp_id: str) -> DrainReport:
    """Store every failed push as an event (source "failed_list"); e.g. `client.callbacks.failed_pushes()`."""
    fetched = stored = duplicates = unreadable = 0
    for push in pushes:
        fetched += 1
        try:
            event = from_failed_item(as_item(push), default_corp_id)
        except (PushFormatError, InvalidEvent) as exc:
            # DingTalk removes items once fetched, so log the whole item: it is the only copy left.
            unreadable += 1
            log.error("failed-list item unreadable (%s); dropped: %r", exc, as_item(push))
            continue
        if store(event):
            stored += 1
        else:
            duplicates += 1
    if fetched:
        log.info("failed list: %d fetched, %d stored, %d duplicates, %d unreadable",
                 fetched, stored, duplicates, unreadable)
    return DrainReport(fetched=fetched, stored=stored, duplicates=duplicates, unreadable=unreadable)
