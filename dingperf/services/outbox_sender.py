"""The outbox sender: claims queued messages and sends them to DingTalk, exactly once in effect.

Everything dingperf tells people goes through here. A row is written first (unique idempotency key),
then claimed under a lease, sent under the client's rate limiter, and marked sent with DingTalk's ids.
A crash between DingTalk's answer and `mark sent` makes the row due again when the lease expires; the
resend is harmless because a work notification with identical content reaches a person at most once a
day (DingTalk drops the duplicate) and a card's outTrackId is the idempotency key (a second create is
refused as already existing, which we count as sent).

Work notifications are paced by recipients per minute: DingTalk accepts a send beyond its per-minute limit
and silently drops the extra recipients (DINGTALK.md §6.1), so a 100,000-person phase notice fired at once
would mostly be lost. The sender reads what it sent in the last minute from the outbox itself (so a restart
keeps the pace) and holds back a message that would not fit until the window has room.

People who left the company are dropped from a work notification at send time (one query per claimed batch):
DingTalk answers them with an invalid-user result, which is noise. A message to nobody but leavers is
finished without a call, marked sent with `{"skipped": reason}` instead of DingTalk's ids.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from dingperf.dingtalk.errors import DingTalkError, Permanent, QuotaExhausted
from dingperf.events.retry import RetryPolicy
from dingperf.store.engine import Store
from dingperf.store.repositories.outbox import (
    claim_outbox_batch,
    defer_outbox,
    enqueue_outbox,
    mark_outbox_failed,
    mark_outbox_sent,
    sent_payloads_since,
)
from dingperf.store.tables.org import Employee
from dingperf.store.types import utcnow

log = logging.getLogger(__name__)

WORK_NOTICE = "work_notice"
QUOTA_RETRY = timedelta(hours=6)  # the monthly quota does not come back sooner; keep the row, try later
# DingTalk documents 5000 recipients per minute for work notifications, and also (error 41047) 1500
# person-times per minute for a corp's OA messages; until one is confirmed we pace at the lower.
NOTICE_RECIPIENTS_PER_MINUTE = 1500
MINUTE = timedelta(minutes=1)
_CHUNK = 500  # userids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    parked: int = 0
    deferred: int = 0  # held back by pacing; due again when the minute has room
    skipped: int = 0  # every recipient had left the company: finished without sending


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


def _departed(store: Store, batch: Sequence[tuple[str, str, dict[str, Any]]]) -> set[tuple[str, str]]:
    """(corp_id, userid) of the batch's work-notification recipients the synced address book marks departed."""
    wanted = {(corp, str(u)) for corp, kind, payload in batch if kind == WORK_NOTICE for u in payload.get("userids", ())}
    if not wanted:
        return set()
    ids = sorted({u for _, u in wanted})
    found: set[tuple[str, str]] = set()
    with store.session() as s:
        for i in range(0, len(ids), _CHUNK):
            found.update(s.exec(select(Employee.corp_id, Employee.userid).where(
                col(Employee.userid).in_(ids[i:i + _CHUNK]), col(Employee.active).is_(False))).all())
    return found & wanted


class NoticePace:
    """Recipients of work notifications sent in the rolling minute, read from the outbox."""

    def __init__(self, store: Store, now: datetime, per_minute: int) -> None:
        with store.session() as s:
            self.sent = sent_payloads_since(session=s, kind=WORK_NOTICE, since=now - MINUTE)
        self.per_minute, self.now = per_minute, now
        self.room = per_minute - sum(len(p.get("userids", ())) for _, p in self.sent)

    def fits(self, recipients: int) -> bool:
        """True when `recipients` more fit in this minute (a message larger than the whole budget goes out
        alone, in an empty minute, rather than never)."""
        return recipients <= self.room or (self.room == self.per_minute and not self.sent)

    def take(self, recipients: int) -> None:
        self.room -= recipients

    def next_room_at(self) -> datetime:
        """When the oldest send of the window leaves it."""
        return (self.sent[0][0] + MINUTE) if self.sent else self.now + MINUTE


def send_due(store: Store, client: Any, *, limit: int = 20, now: datetime | None = None,
             retry: RetryPolicy | None = None, rng: random.Random | None = None,
             notice_recipients_per_minute: int = NOTICE_RECIPIENTS_PER_MINUTE) -> SendReport:
    """Send up to `limit` due messages; failures are retried with backoff or parked when hopeless; work
    notifications beyond the per-minute recipient pace wait for the next window (not a failure)."""
    retry = retry or RetryPolicy()
    report = SendReport()
    at = now or utcnow()
    with store.session() as s:
        batch = [(m.id, m.kind, dict(m.payload), m.attempts, m.lease_until, m.idempotency_key, m.corp_id)
                 for m in claim_outbox_batch(session=s, now=at, limit=limit)]
    report.claimed = len(batch)
    pace = NoticePace(store, at, notice_recipients_per_minute) if batch else None
    departed = _departed(store, [(corp, kind, payload) for _, kind, payload, *_, corp in batch])
    for outbox_id, kind, payload, attempts, lease, key, corp_id in batch:
        gone = [u for u in payload.get("userids", ()) if (corp_id, u) in departed] if kind == WORK_NOTICE else []
        if gone:
            payload = {**payload, "userids": [u for u in payload["userids"] if (corp_id, u) not in departed]}
            if not payload["userids"]:
                with store.session() as s:
                    mark_outbox_sent(session=s, outbox_id=outbox_id, now=at, lease_until=lease,
                                     dingtalk_ids={"skipped": f"every recipient has left: {', '.join(gone)}"[:500]})
                report.skipped += 1
                continue
        recipients = len(payload.get("userids", ())) if kind == WORK_NOTICE else 0
        if pace is not None and recipients and not pace.fits(recipients):
            with store.session() as s:
                defer_outbox(session=s, outbox_id=outbox_id, until=pace.next_room_at(), attempts=attempts - 1,
                             lease_until=lease)
            report.deferred += 1
            continue
        try:
            ids = _send(client, kind, payload)
        except (DingTalkError, ValueError) as exc:
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
            mark_outbox_sent(session=s, outbox_id=outbox_id, dingtalk_ids=ids, now=at, lease_until=lease)
        if pace is not None:
            pace.take(recipients)
        report.sent += 1
    return report
