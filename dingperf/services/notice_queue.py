"""Queue work notifications inside the caller's transaction, so the outbox row commits with the state change.

A work notification reaches at most 100 userids per call ("userid_list (comma-separated string, ≤ 100)",
DINGTALK.md §6.1), so a notice to many people becomes several outbox rows, one per batch, each under its
own idempotency key: a retried transaction writes the same keys again and the outbox ignores them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from dingperf.dingtalk.messages import MAX_USERIDS
from dingperf.services.outbox_sender import WORK_NOTICE
from dingperf.store.repositories.outbox import enqueue_outbox


def recipients(userids: Iterable[str | None]) -> list[str]:
    """Distinct non-empty userids in a stable order (so batches, and their keys, are the same on a retry)."""
    return sorted({u for u in userids if u})


def batches(userids: Iterable[str | None]) -> list[list[str]]:
    """The recipients split into batches of at most MAX_USERIDS (100)."""
    people = recipients(userids)
    return [people[i:i + MAX_USERIDS] for i in range(0, len(people), MAX_USERIDS)]


def queue_notice_in(s: Session, corp_id: str, *, key: str, userids: list[str], msg: dict[str, Any],
                    now: datetime) -> bool:
    """Queue one work notification row (≤ 100 userids) in the caller's transaction; False if `key` was queued."""
    if not userids or len(userids) > MAX_USERIDS:
        raise ValueError(f"outbox {key}: a work notification goes to 1–{MAX_USERIDS} userids, got {len(userids)}")
    return enqueue_outbox(session=s, corp_id=corp_id, idempotency_key=key, kind=WORK_NOTICE,
                          payload={"userids": list(userids), "msg": msg}, now=now)


def queue_batches_in(s: Session, corp_id: str, *, key_prefix: str, userids: Iterable[str | None],
                     msg: dict[str, Any], now: datetime) -> int:
    """Queue `msg` to everyone in batches keyed `{key_prefix}:{batch}`; how many rows were new."""
    return sum(queue_notice_in(s, corp_id, key=f"{key_prefix}:{n}", userids=batch, msg=msg, now=now)
               for n, batch in enumerate(batches(userids)))
