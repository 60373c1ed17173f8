"""Quota-metered DingTalk calls per calendar month (standard edition: 5,000; DINGTALK.md §2.5)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class QuotaUsage(SQLModel, table=True):
    __tablename__ = "quota_usage"

    corp_id: str = Field(primary_key=True, max_length=64)
    month: str = Field(primary_key=True, max_length=7)  # "YYYY-MM" in the org's time zone
    count: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
