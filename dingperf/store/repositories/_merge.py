"""Change-detecting upserts: a row is written only when a synced field differs, so re-syncs write nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

T = TypeVar("T", bound=SQLModel)
_CHUNK = 500  # keeps IN (...) lists well under SQLite's parameter limit


def merge_one(session: Session, table: type[T], *, corp_id: str, key: tuple[Any, ...], values: SQLModel,
              now: datetime) -> bool:
    """Insert or update one row; True when anything was written."""
    wrote, _row = _apply(session, table, session.get(table, key), corp_id=corp_id, values=values, now=now)
    return wrote


def merge_many(session: Session, table: type[T], *, corp_id: str, key_field: str, items: Iterable[SQLModel],
               now: datetime) -> int:
    """Upsert many rows of one corp, loading existing rows in chunks; returns how many were written."""
    changed = 0
    batch: list[SQLModel] = []
    for item in items:
        batch.append(item)
        if len(batch) >= _CHUNK:
            changed += _merge_chunk(session, table, corp_id, key_field, batch, now)
            batch = []
    if batch:
        changed += _merge_chunk(session, table, corp_id, key_field, batch, now)
    return changed


def _merge_chunk(session: Session, table: type[T], corp_id: str, key_field: str, batch: Sequence[SQLModel],
                 now: datetime) -> int:
    keys = [getattr(item, key_field) for item in batch]
    column = getattr(table, key_field)
    stmt = select(table).where(col(table.corp_id) == corp_id, col(column).in_(keys))  # type: ignore[attr-defined]
    existing: dict[Any, Any] = {getattr(row, key_field): row for row in session.exec(stmt)}
    changed = 0
    for item in batch:
        key = getattr(item, key_field)
        wrote, row = _apply(session, table, existing.get(key), corp_id=corp_id, values=item, now=now)
        existing[key] = row  # a duplicate key later in the same batch must update, not insert again
        changed += wrote
    return changed


_BOOKKEEPING = {"corp_id", "updated_at"}


def _apply(session: Session, table: type[T], row: T | None, *, corp_id: str, values: SQLModel,
           now: datetime) -> tuple[bool, T]:
    synced = set(table.model_fields) - _BOOKKEEPING
    data = values.model_dump(include=synced)
    if row is None:
        row = table(**data, corp_id=corp_id, updated_at=now)
        session.add(row)
        return True, row
    diff = {k: v for k, v in data.items() if getattr(row, k) != v}
    if not diff:
        return False, row
    for k, v in diff.items():
        setattr(row, k, v)
    row.updated_at = now  # type: ignore[attr-defined]
    session.add(row)
    return True, row
