"""The outbox: enqueue once per idempotency key, claim in leased batches, mark sent with DingTalk's ids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dingperf.store.engine import NotFound
from dingperf.store.repositories._queue import claim_batch, finish, insert_if_absent
from dingperf.store.tables.outbox import OutboxMessage, OutboxStatus
from dingperf.store.types import utcnow


def enqueue_outbox(*, session: Session, corp_id: str, idempotency_key: str, kind: str, payload: dict[str, Any],
                   not_before: datetime | None = None, now: datetime | None = None) -> bool:
    """Queue a message for DingTalk; False (nothing written) when this key was queued before."""
    values = {"corp_id": corp_id, "idempotency_key": idempotency_key, "kind": kind, "payload": payload,
              "status": OutboxStatus.PENDING.value, "attempts": 0, "next_attempt_at": not_before,
              "last_error": "", "dingtalk_ids": {}, "created_at": now or utcnow()}
    return insert_if_absent(session, OutboxMessage, values, ("corp_id", "idempotency_key"))


def claim_outbox_batch(*, session: Session, now: datetime | None = None, limit: int = 20,
                       lease_seconds: float = 60.0, kinds: Sequence[str] | None = None) -> list[OutboxMessage]:
    """Claim due messages (pending or failed and due, or sending with an expired lease), oldest first."""
    where = [col(OutboxMessage.kind).in_(list(kinds))] if kinds is not None else []
    return claim_batch(session, OutboxMessage, ready=(OutboxStatus.PENDING, OutboxStatus.FAILED),
                       working=OutboxStatus.SENDING, now=now or utcnow(), limit=limit,
                       lease_seconds=lease_seconds, where=where)


def mark_outbox_sent(*, session: Session, outbox_id: int, dingtalk_ids: dict[str, Any],
                     now: datetime | None = None, lease_until: datetime | None = None) -> None:
    """DingTalk accepted the message; keep its ids (task_id, open_ding_id, ...) for progress and recall.
    Pass the claim's lease_until to fence (LeaseLost if another sender took over)."""
    finish(session, OutboxMessage, outbox_id, working=OutboxStatus.SENDING, lease_until=lease_until,
           values={"status": OutboxStatus.SENT.value, "sent_at": now or utcnow(), "lease_until": None,
                   "last_error": "", "dingtalk_ids": dict(dingtalk_ids)})


def mark_outbox_failed(*, session: Session, outbox_id: int, error: str, retry_at: datetime | None,
                       lease_until: datetime | None = None) -> OutboxStatus:
    """Sending failed: retry at retry_at, or park when retry_at is None; returns the new status.
    Pass the claim's lease_until to fence (LeaseLost if another sender took over)."""
    status = OutboxStatus.FAILED if retry_at is not None else OutboxStatus.PARKED
    finish(session, OutboxMessage, outbox_id, working=OutboxStatus.SENDING, lease_until=lease_until,
           values={"status": status.value, "next_attempt_at": retry_at, "lease_until": None,
                   "last_error": error[:4000]})
    return status


def defer_outbox(*, session: Session, outbox_id: int, until: datetime, attempts: int,
                 lease_until: datetime | None = None) -> None:
    """Put a claimed message back, due at `until`, as if it had not been tried (`attempts` = the count before the
    claim): for a send held back by our own pacing, which is not a failure. Fenced like mark_outbox_sent."""
    finish(session, OutboxMessage, outbox_id, working=OutboxStatus.SENDING, lease_until=lease_until,
           values={"status": OutboxStatus.PENDING.value, "next_attempt_at": until, "lease_until": None,
                   "attempts": attempts})


def sent_payloads_since(*, session: Session, kind: str, since: datetime) -> list[tuple[datetime, dict[str, Any]]]:
    """(sent_at, payload) of messages of `kind` sent at or after `since`, oldest first (for pacing)."""
    stmt = (select(OutboxMessage.sent_at, OutboxMessage.payload)
            .where(OutboxMessage.kind == kind, OutboxMessage.status == OutboxStatus.SENT.value,
                   col(OutboxMessage.sent_at) >= since)
            .order_by(col(OutboxMessage.sent_at)))
    return [(at, dict(payload)) for at, payload in session.exec(stmt).all() if at is not None]


def get_outbox_message(*, session: Session, corp_id: str, idempotency_key: str) -> OutboxMessage:
    """The queued message, or NotFound."""
    stmt = select(OutboxMessage).where(OutboxMessage.corp_id == corp_id,
                                       OutboxMessage.idempotency_key == idempotency_key)
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound(f"no outbox message {idempotency_key!r} in corp {corp_id!r}")
    return row


def list_outbox_messages(*, session: Session, corp_id: str | None = None, status: str | None = None,
                         limit: int = 100) -> list[OutboxMessage]:
    """Newest messages first, optionally of one corp and status."""
    stmt = select(OutboxMessage)
    if corp_id is not None:
        stmt = stmt.where(OutboxMessage.corp_id == corp_id)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == OutboxStatus(status))
    return list(session.exec(stmt.order_by(col(OutboxMessage.id).desc()).limit(limit)))
