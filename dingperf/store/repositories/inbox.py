"""The event inbox: store once per (corp_id, event_id), claim in leased batches, finish, retry or park."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dingperf.store.engine import NotFound
from dingperf.store.repositories._queue import claim_batch, finish, insert_if_absent
from dingperf.store.tables.inbox import InboxEvent, InboxSource, InboxStatus
from dingperf.store.types import utcnow


def insert_inbox_event(*, session: Session, corp_id: str, event_id: str, event_type: str, source: str,
                       payload: dict[str, Any], received_at: datetime | None = None) -> bool:
    """Store an inbound event; False (and nothing written) when this event id is already stored, even if a
    concurrent transaction stored it a moment ago. Commit before acknowledging DingTalk."""
    InboxSource(source)  # refuse unknown sources loudly
    values = {"corp_id": corp_id, "event_id": event_id, "event_type": event_type, "source": source,
              "payload": payload, "status": InboxStatus.RECEIVED.value, "attempts": 0, "last_error": "",
              "received_at": received_at or utcnow()}
    return insert_if_absent(session, InboxEvent, values, ("corp_id", "event_id"))


def claim_inbox_batch(*, session: Session, now: datetime | None = None, limit: int = 50,
                      lease_seconds: float = 60.0, corp_id: str | None = None) -> list[InboxEvent]:
    """Claim due events (received, failed and due, or processing with an expired lease), oldest first."""
    where = [col(InboxEvent.corp_id) == corp_id] if corp_id is not None else []
    return claim_batch(session, InboxEvent, ready=(InboxStatus.RECEIVED, InboxStatus.FAILED),
                       working=InboxStatus.PROCESSING, now=now or utcnow(), limit=limit,
                       lease_seconds=lease_seconds, where=where)


def mark_inbox_done(*, session: Session, inbox_id: int, now: datetime | None = None,
                    lease_until: datetime | None = None) -> None:
    """The event was handled. Pass the claim's lease_until to fence (LeaseLost if another worker took over)."""
    finish(session, InboxEvent, inbox_id, working=InboxStatus.PROCESSING, lease_until=lease_until,
           values={"status": InboxStatus.DONE.value, "processed_at": now or utcnow(), "lease_until": None,
                   "last_error": ""})


def mark_inbox_failed(*, session: Session, inbox_id: int, error: str, retry_at: datetime | None,
                      now: datetime | None = None, lease_until: datetime | None = None) -> InboxStatus:
    """Handling failed: retry at retry_at, or park the event when retry_at is None; returns the new status.
    Pass the claim's lease_until to fence (LeaseLost if another worker took over)."""
    status = InboxStatus.FAILED if retry_at is not None else InboxStatus.PARKED
    values = {"status": status.value, "next_attempt_at": retry_at, "lease_until": None, "last_error": error[:4000]}
    if retry_at is None:
        values["processed_at"] = now or utcnow()
    finish(session, InboxEvent, inbox_id, working=InboxStatus.PROCESSING, lease_until=lease_until, values=values)
    return status


def replay_inbox_event(*, session: Session, corp_id: str, event_id: str) -> InboxEvent:
    """Put an event back in line (any status) with a fresh attempt count; `dingperf inbox replay`."""
    row = get_inbox_event(session=session, corp_id=corp_id, event_id=event_id)
    row.status, row.attempts, row.next_attempt_at, row.lease_until = InboxStatus.RECEIVED, 0, None, None
    row.last_error, row.processed_at = "", None
    session.add(row)
    return row


def get_inbox_event(*, session: Session, corp_id: str, event_id: str) -> InboxEvent:
    """The stored event, or NotFound."""
    stmt = select(InboxEvent).where(InboxEvent.corp_id == corp_id, InboxEvent.event_id == event_id)
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound(f"no inbox event {event_id!r} in corp {corp_id!r}; see `dingperf inbox list`")
    return row


def list_inbox_events(*, session: Session, corp_id: str | None = None, status: str | None = None,
                      limit: int = 100) -> list[InboxEvent]:
    """Newest events first, optionally of one corp and status."""
    stmt = select(InboxEvent)
    if corp_id is not None:
        stmt = stmt.where(InboxEvent.corp_id == corp_id)
    if status is not None:
        stmt = stmt.where(InboxEvent.status == InboxStatus(status))
    return list(session.exec(stmt.order_by(col(InboxEvent.id).desc()).limit(limit)))
