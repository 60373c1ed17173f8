"""Append-only audit log: who did what to which subject, with before/after snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_corp_subject", "corp_id", "subject"),
        Index("ix_audit_corp_at", "corp_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    corp_id: str = Field(max_length=64)
    actor: str = Field(max_length=64)       # a userid, or "system:<job>" for automatic changes
    action: str = Field(max_length=64)      # e.g. "cycle.transition", "calibration.move"
    subject: str = Field(max_length=128)    # e.g. "cycle:12", "employee:manager4321"
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", sa_type=Text)
    at: datetime = Field(sa_type=UTCDateTime)
