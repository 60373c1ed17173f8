"""The outbox sender: claims queued messages and sends them to DingTalk, exactly once in effect.

Everything dingperf tells people goes through here. A row is written first (unique idempotency key),
then claimed under a lease, sent under the client's rate limiter, and marked sent with DingTalk's ids.
A crash between DingTalk's answer and `mark sent` makes the row due again when the lease expires; the
resend is harmless because a work notification with identical content reaches a person at most once a
day (DingTalk drops the duplicate) and a card's outTrackId is the idempotency key (a second create is
refused as already existing, which we count as sent).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dingperf.dingtalk.errors import DingTalkError, Permanent, QuotaExhausted
from dingperf.events.retry import RetryPolicy
from dingperf.store.engine import Store
from dingperf.store.repositories.outbox import (
    claim_outbox_batch,
    enqueue_outbox,
    mark_outbox_failed,
    mark_outbox_sent,
)
from dingperf.store.types import utcnow

log = logging.getLogger(__name__)

WORK_NOTICE = "work_notice"
QUOTA_RETRY = timedelta(hours=6)  # the monthly quota does not come back sooner; keep the row, try later


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    parked: int = 0


def queue_work_notice(store: Store, corp_id: str, *, key: str, userids: Sequence[str], msg: dict[str, Any],
                      now: datetime | None = None) -> bool:
    """Queue a work notification (`msg` as built by dingperf.dingtalk.messages); False if `key` was queued."""
    if not userids:
        raise ValueError(f"outbox {key}: a work notification needs at least one recipient")
    with store.session() as s:
        return enqueue_outbox(session=s, corp_id=corp_id, idempotency_key=key, kind=WORK_NOTICE,
                              payload={"userids": list(userids), "msg": msg}, now=now)


def _send(client: Any, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    if kind == WORK_NOTICE:
        return {"task_ids": client.messages.send_work_notification(payload["userids"], payload["msg"])}
    raise ValueError(f"outbox kind {kind!r} has no sender; known: {WORK_NOTICE}")


def send_due(store: Store, client: Any, *, limit: int = 20, now: datetime | None = None,
             retry: RetryPolicy | None = None, rng: random.Random | None = None) -> SendReport:
    """Send up to `limit` due messages; failures are retried with backoff or parked when hopeless."""
    retry = retry or RetryPolicy()
    report = SendReport()
    with store.session() as s:
        batch = [(m.id, m.kind, dict(m.payload), m.attempts, m.lease_until, m.idempotency_key)
                 for m in claim_outbox_batch(session=s, now=now or utcnow(), limit=limit)]
    report.claimed = len(batch)
    for outbox_id, kind, payload, attempts, lease, key in batch:
        try:
            ids = _send(client, kind, payload)
        except (DingTalkError, ValueError) as exc:
            at = now or utcnow()
            if isinstance(exc, QuotaExhausted):
                retry_at: datetime | None = at + QUOTA_RETRY
            elif isinstance(exc, (Permanent, ValueError)) or retry.should_park(attempts):
                retry_at = None
            else:
                retry_at = at + retry.delay(attempts, rng)
            with store.session() as s:
                mark_outbox_failed(session=s, outbox_id=outbox_id, error=f"{type(exc).__name__}: {exc}"[:2000],
                                   retry_at=retry_at, lease_until=lease)
            if retry_at is None:
                report.parked += 1
                log.error("outbox: %s parked after %d attempt(s): %s", key, attempts, exc)
            else:
                report.retried += 1
            continue
        with store.session() as s:
            mark_outbox_sent(session=s, outbox_id=outbox_id, dingtalk_ids=ids, lease_until=lease)
        report.sent += 1
    return report
