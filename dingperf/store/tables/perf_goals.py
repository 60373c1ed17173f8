"""Goals (目标: KPI, OKR objective with key results, MBO, BSC) as JSON documents; every saved change is a new
revision row, so the history of targets and statuses is never overwritten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfGoal(SQLModel, table=True):
    __tablename__ = "perf_goals"
    __table_args__ = (
        Index("ix_perf_goals_corp_owner", "corp_id", "owner_userid"),
        Index("ix_perf_goals_corp_parent", "corp_id", "parent_goal_id"),
    )

    corp_id: str = Field(primary_key=True, max_length=64)
    goal_id: str = Field(primary_key=True, max_length=64)
    revision: int = Field(primary_key=True)
    owner_userid: str = Field(max_length=64)
    cycle_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=16)  # kpi | okr | mbo
    status: str = Field(max_length=32)
    parent_goal_id: str | None = Field(default=None, max_length=64)  # cascade: aligned to someone else's goal
    body: dict[str, Any] = Field(sa_type=JSON)
    saved_by: str = Field(max_length=64)
    saved_at: datetime = Field(sa_type=UTCDateTime)
