"""Scoring inputs per (cycle, employee): indicator actuals, formula inputs, plus/minus items and vetoes.

Values are stored as text so they stay exact (a Decimal, or a status such as 'done'); NULL means 不适用 N/A.
`sources` lists the records a value came from (attendance record ids, approval instance ids).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfInput(SQLModel, table=True):
    __tablename__ = "perf_inputs"

    corp_id: str = Field(primary_key=True, max_length=64)
    cycle_id: str = Field(primary_key=True, max_length=64)
    userid: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)  # actual | input | adjustment | veto
    code: str = Field(primary_key=True, max_length=64)
    value: str | None = Field(default=None, max_length=64)
    achievement: str | None = Field(default=None, max_length=64)  # precomputed (time-weighted) achievement
    sources: list[Any] | None = Field(default=None, sa_type=JSON)  # [{"kind", "id", "note"}]; NULL when none
    note: str = Field(default="", sa_type=Text)
    recorded_by: str = Field(default="", max_length=64)
    recorded_at: datetime = Field(sa_type=UTCDateTime)


class PerfRating(SQLModel, table=True):
    """One rater's ratings of one rated section for one employee."""

    __tablename__ = "perf_ratings"

    corp_id: str = Field(primary_key=True, max_length=64)
    cycle_id: str = Field(primary_key=True, max_length=64)
    userid: str = Field(primary_key=True, max_length=64)
    rater_id: str = Field(primary_key=True, max_length=64)
    section: str = Field(primary_key=True, max_length=64)
    rater_group: str = Field(max_length=32)  # self | manager | peer | subordinate | cross_department
    ratings: dict[str, Any] = Field(sa_type=JSON)  # item code -> rating as text
    submitted_at: datetime = Field(sa_type=UTCDateTime)
