"""Shared mechanics of the inbox and outbox: insert-if-absent and leased batch claiming.

Both are single SQL statements, so they are safe with several workers: PostgreSQL skips rows another
worker has locked, SQLite serialises writers. A worker that dies leaves rows whose lease expires; the
next claim takes them again, so nothing is lost (handlers and senders are idempotent by key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from dingperf.store.engine import LeaseLost, NotFound, StoreError

T = TypeVar("T", bound=SQLModel)


def insert_if_absent(session: Session, table: type[SQLModel], values: dict[str, Any],
                     unique: Sequence[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table.__table__)  # type: ignore[attr-defined]
    elif dialect == "sqlite":
        stmt = sqlite.insert(table.__table__)  # type: ignore[attr-defined]
    else:
        raise StoreError(f"database {dialect!r} is not supported; use SQLite or PostgreSQL")
    pk = list(table.__table__.primary_key.columns)  # type: ignore[attr-defined]
    stmt = stmt.values(**values).on_conflict_do_nothing(index_elements=list(unique)).returning(*pk)
    # RETURNING, not rowcount: psycopg reports rowcount unreliably for ON CONFLICT DO NOTHING
    return session.execute(stmt).first() is not None


def claim_batch(session: Session, table: type[T], *, ready: Sequence[str], working: str, now: datetime,
                limit: int, lease_seconds: float, where: Sequence[ColumnElement[bool]] = ()) -> list[T]:
    """Move up to `limit` due rows (ready and due, or working with an expired lease) to `working`,
    count the attempt, lease them until now + lease_seconds, and return them oldest first."""
    t: Any = table
    due = or_(
        and_(col(t.status).in_(list(ready)), or_(col(t.next_attempt_at).is_(None), col(t.next_attempt_at) <= now)),
        and_(col(t.status) == working, col(t.lease_until) < now),
    )
    eligible = select(t.id).where(due, *where).order_by(t.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        eligible = eligible.with_for_update(skip_locked=True)
    stmt = (
        update(t)
        .where(col(t.id).in_(eligible.scalar_subquery()))
        .values(status=working, attempts=t.attempts + 1, lease_until=now + timedelta(seconds=lease_seconds))
        .returning(t)
    )
    rows = session.scalars(stmt, execution_options={"synchronize_session": False, "populate_existing": True})
    return sorted(rows.all(), key=lambda row: row.id)


def finish(session: Session, table: type[SQLModel], row_id: int, *, working: str, lease_until: datetime | None,
           values: dict[str, Any]) -> None:
    """Record a claimed row's outcome in one UPDATE. With `lease_until` (the value the claim returned) it is
    fenced: if the lease expired and another worker re-claimed the row, raise LeaseLost and change nothing."""
    t: Any = table
    stmt = update(t).where(col(t.id) == row_id)
    if lease_until is not None:
        stmt = stmt.where(col(t.status) == working, col(t.lease_until) == lease_until)
    result = session.execute(stmt.values(**values), execution_options={"synchronize_session": "fetch"})
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return
    if session.get(t, row_id) is None:
        raise NotFound(f"no {t.__tablename__} row with id {row_id}")
    raise LeaseLost(f"{t.__tablename__} row {row_id}: the lease until {lease_until} expired and another worker "
                    "claimed it; its outcome wins, discard this one")
