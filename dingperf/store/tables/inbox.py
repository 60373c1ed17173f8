"""The event inbox: every inbound DingTalk event, unique per (corp_id, event_id), worked off later."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class InboxStatus(StrEnum):
    RECEIVED = "received"      # stored and acknowledged, not yet handled
    PROCESSING = "processing"  # claimed by a worker until lease_until
    DONE = "done"
    FAILED = "failed"          # will be retried at next_attempt_at
    PARKED = "parked"          # gave up (poison event); `dingperf inbox replay` puts it back


class InboxSource(StrEnum):
    STREAM = "stream"
    HTTP = "http"
    FAILED_LIST = "failed_list"  # drained from get_call_back_failed_result


class InboxEvent(SQLModel, table=True):
    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("corp_id", "event_id"),
        Index("ix_inbox_status_next", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    corp_id: str = Field(max_length=64)
    event_id: str = Field(max_length=128)
    event_type: str = Field(max_length=64)
    source: str = Field(max_length=16)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=InboxStatus.RECEIVED, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", sa_type=Text)
    received_at: datetime = Field(sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
