"""The inbox on the store's `inbox_events` table: insert once, claim under a lease, finish fenced by it.

The store's repository does inserting, claiming, listing and replay. What it lacks is lease fencing:
a worker whose lease expired (it was slow, or presumed dead) must not overwrite the outcome of the worker
that reclaimed the row, so every finish here is one UPDATE conditioned on the lease this worker holds.

The table has no column for DingTalk's birth time, so the stored `payload` is an envelope
`{"born_at": "<ISO-8601>", "data": <DingTalk business object>}`; `event_of()` unwraps it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from dingperf.events.event import Event
from dingperf.events.worker import ClaimedEvent
from dingperf.store.engine import Store, StoreError
from dingperf.store.repositories.inbox import claim_inbox_batch
from dingperf.store.tables.inbox import InboxEvent, InboxStatus


def envelope(event: Event) -> dict[str, Any]:
    """What goes into the payload column for an event."""
    return {"born_at": event.born_at.astimezone(UTC).isoformat(), "data": event.payload}


def event_of(row: InboxEvent) -> Event:
    """Rebuild the event value from a stored row (rows written before the envelope fall back to received_at)."""
    stored = row.payload or {}
    if "data" in stored and "born_at" in stored:
        born, data = datetime.fromisoformat(stored["born_at"]), stored["data"]
    else:
        born, data = row.received_at, stored
    return Event(corp_id=row.corp_id, event_id=row.event_id, event_type=row.event_type, born_at=born,
                 source=row.source, payload=dict(data))  # type: ignore[arg-type]


def _row_values(event: Event, received_at: datetime) -> dict[str, Any]:
    return {"corp_id": event.corp_id, "event_id": event.event_id, "event_type": event.event_type,
            "source": event.source, "payload": envelope(event), "status": InboxStatus.RECEIVED.value,
            "attempts": 0, "last_error": "", "received_at": received_at}


def _insert_statement(dialect: str) -> Any:
    # Built once per inbox: the intake path runs this for every event, and building an INSERT with
    # literal `.values()` each time costs milliseconds of SQLAlchemy work per row.
    table: Any = InboxEvent.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise StoreError(f"database {dialect!r} is not supported; use SQLite or PostgreSQL")
    # RETURNING tells new from duplicate on both databases (rowcount is unreliable with implicit RETURNING).
    return stmt.on_conflict_do_nothing(index_elements=["corp_id", "event_id"]).returning(table.c.id)


class SqlInbox:
    """The inbox of one store; `put()`/`put_many()` for intake, the rest is the worker's `InboxPort`.

    Intake inserts go through a prepared INSERT … ON CONFLICT DO NOTHING on a plain connection (the same
    statement the store's `insert_inbox_event` issues, without per-call statement building)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._insert = _insert_statement(store.dialect)

    def _insert_all(self, conn: Connection, events: list[Event], at: datetime) -> list[bool]:
        return [conn.execute(self._insert, _row_values(e, at)).first() is not None for e in events]

    def put(self, event: Event, received_at: datetime | None = None) -> bool:
        """Store the event in one short transaction; True if new, False for a duplicate (corp_id, event_id)."""
        return self.put_many([event], received_at)[0]

    def put_many(self, events: list[Event], received_at: datetime | None = None) -> list[bool]:
        """Store several events in one transaction (group commit); one flag per event as in `put`."""
        with self.store.engine.begin() as conn:
            return self._insert_all(conn, events, received_at or datetime.now(UTC))

    def claim(self, *, limit: int, now: datetime, lease_s: float) -> list[ClaimedEvent]:
        with self.store.session() as session:
            rows = claim_inbox_batch(session=session, now=now, limit=limit, lease_seconds=lease_s)
            return [ClaimedEvent(row_id=r.id, event=event_of(r), attempt=r.attempts,  # type: ignore[arg-type]
                                 lease_until=r.lease_until) for r in rows]  # type: ignore[arg-type]

    def _finish(self, claimed: ClaimedEvent, **values: Any) -> bool:
        t: Any = InboxEvent
        stmt = (update(t)
                .where(col(t.id) == claimed.row_id, col(t.status) == InboxStatus.PROCESSING.value,
                       col(t.lease_until) == claimed.lease_until)
                .values(**values))
        with self.store.session() as session:
            return session.execute(stmt).rowcount == 1  # type: ignore[attr-defined]

    def mark_done(self, claimed: ClaimedEvent, *, processed_at: datetime) -> bool:
        return self._finish(claimed, status=InboxStatus.DONE.value, processed_at=processed_at, lease_until=None,
                            last_error="")

    def mark_retry(self, claimed: ClaimedEvent, *, next_attempt_at: datetime, error: str) -> bool:
        return self._finish(claimed, status=InboxStatus.FAILED.value, next_attempt_at=next_attempt_at,
                            lease_until=None, last_error=error[:4000])

    def mark_parked(self, claimed: ClaimedEvent, *, error: str, at: datetime) -> bool:
        return self._finish(claimed, status=InboxStatus.PARKED.value, processed_at=at, lease_until=None,
                            next_attempt_at=None, last_error=error[:4000])
