"""Who is assessed in a cycle, and why (a dynamic group, a virtual group, or added by hand)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfParticipant(SQLModel, table=True):
    __tablename__ = "perf_participants"

    corp_id: str = Field(primary_key=True, max_length=64)
    cycle_id: str = Field(primary_key=True, max_length=64)
    userid: str = Field(primary_key=True, max_length=64)
    manager_userid: str | None = Field(default=None, max_length=64)
    source: str = Field(default="manual", max_length=64)  # "manual", "group:<id>", "virtual:<id>"
    added_at: datetime = Field(sa_type=UTCDateTime)
