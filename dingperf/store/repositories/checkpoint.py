"""Named checkpoints for resumable jobs: save progress as JSON, load it after a crash, clear when done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from dingperf.store.tables.checkpoint import Checkpoint
from dingperf.store.types import utcnow


def save_checkpoint(*, session: Session, corp_id: str, name: str, value: dict[str, Any],
                    now: datetime | None = None) -> None:
    """Replace the checkpoint `name` with `value`."""
    row = session.get(Checkpoint, (corp_id, name))
    if row is None:
        row = Checkpoint(corp_id=corp_id, name=name, value=value, updated_at=now or utcnow())
    else:
        row.value, row.updated_at = dict(value), now or utcnow()
    session.add(row)


def load_checkpoint(*, session: Session, corp_id: str, name: str) -> dict[str, Any] | None:
    """The saved value, or None when no job left one (start from the beginning)."""
    row = session.get(Checkpoint, (corp_id, name))
    return None if row is None else dict(row.value)


def clear_checkpoint(*, session: Session, corp_id: str, name: str) -> bool:
    """Forget the checkpoint (the job finished); True when there was one."""
    row = session.get(Checkpoint, (corp_id, name))
    if row is None:
        return False
    session.delete(row)
    return True
