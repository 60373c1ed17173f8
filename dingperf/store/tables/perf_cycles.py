"""Cycles (考核周期) and their participants: period, phase, deadlines, pinned template and review policy."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfCycle(SQLModel, table=True):
    __tablename__ = "perf_cycles"

    corp_id: str = Field(primary_key=True, max_length=64)
    cycle_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(default="", max_length=200)
    kind: str = Field(max_length=16)  # monthly | quarterly | half_year | annual
    period_start: date
    period_end: date  # inclusive
    phase: str = Field(max_length=32)
    deadlines: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # phase -> ISO instant
    template_id: str = Field(max_length=64)
    template_version: int
    template_hash: str = Field(max_length=64)
    raters: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # RaterConfig.to_dict(); None = template's
    grades: list[Any] | None = Field(default=None, sa_type=JSON)  # GradeScale.to_list(); None = template's
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    locked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
