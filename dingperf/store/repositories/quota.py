"""Monthly count of quota-metered DingTalk calls, shared by every process of an installation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from dingperf.store.engine import StoreError
from dingperf.store.tables.quota import QuotaUsage
from dingperf.store.types import utcnow


def add_quota_usage(*, session: Session, corp_id: str, month: str, calls: int = 1,
                    now: datetime | None = None) -> int:
    """Add `calls` to the month's count atomically (one statement); returns the new total."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert  # type: ignore[assignment]
    else:
        raise StoreError(f"database {dialect!r} is not supported; use SQLite or PostgreSQL")
    table = QuotaUsage.__table__  # type: ignore[attr-defined]
    stamp = now or utcnow()
    stmt = insert(table).values(corp_id=corp_id, month=month, count=calls, updated_at=stamp)
    stmt = stmt.on_conflict_do_update(
        index_elements=["corp_id", "month"],
        set_={"count": table.c.count + stmt.excluded.count, "updated_at": stmt.excluded.updated_at},
    ).returning(table.c.count)
    return int(session.execute(stmt).scalar_one())


def get_quota_usage(*, session: Session, corp_id: str, month: str) -> int:
    """Calls counted so far in `month` ("YYYY-MM"); 0 when none."""
    row = session.get(QuotaUsage, (corp_id, month))
    return 0 if row is None else row.count
