"""The audit log: append-only; nothing here updates or deletes an entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from dingperf.store.tables.audit import AuditEntry
from dingperf.store.types import utcnow


def append_audit(*, session: Session, corp_id: str, actor: str, action: str, subject: str,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, reason: str = "",
                 at: datetime | None = None) -> AuditEntry:
    """Record that `actor` did `action` to `subject`, with snapshots and the stated reason."""
    entry = AuditEntry(corp_id=corp_id, actor=actor, action=action, subject=subject, before=before, after=after,
                       reason=reason, at=at or utcnow())
    session.add(entry)
    session.flush()  # assigns the id
    return entry


def list_audit(*, session: Session, corp_id: str, subject: str | None = None, action: str | None = None,
               limit: int = 100) -> list[AuditEntry]:
    """Entries oldest first (the order things happened), optionally for one subject or action."""
    stmt = select(AuditEntry).where(AuditEntry.corp_id == corp_id)
    if subject is not None:
        stmt = stmt.where(AuditEntry.subject == subject)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    return list(session.exec(stmt.order_by(col(AuditEntry.at), col(AuditEntry.id)).limit(limit)))
