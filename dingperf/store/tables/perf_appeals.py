"""Appeals (申诉) against a cycle result: what is contested, handler and deadline, decision, one re-open."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfAppeal(SQLModel, table=True):
    __tablename__ = "perf_appeals"
    __table_args__ = (Index("ix_perf_appeals_corp_cycle_user", "corp_id", "cycle_id", "userid"),)

    corp_id: str = Field(primary_key=True, max_length=64)
    appeal_id: str = Field(primary_key=True, max_length=64)
    cycle_id: str = Field(max_length=64)
    userid: str = Field(max_length=64)
    target_kind: str = Field(max_length=16)  # indicator | rater | total
    target_ref: str = Field(default="", max_length=64)
    statement: str = Field(sa_type=Text)
    score_before: str = Field(max_length=64)  # exact decimal as text
    status: str = Field(max_length=16)  # filed | in_review | accepted | rejected
    handler: str = Field(default="", max_length=64)
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    new_score: str | None = Field(default=None, max_length=64)
    decision_reason: str = Field(default="", sa_type=Text)
    quota_impact: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reopen_count: int = 0
    filed_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
