"""The outbox: everything we send to DingTalk, unique per (corp_id, idempotency_key), sent at most once."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender until lease_until
    SENT = "sent"
    FAILED = "failed"    # will be retried at next_attempt_at
    PARKED = "parked"    # gave up; needs a person


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("corp_id", "idempotency_key"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_kind_sent", "kind", "sent_at"),  # pacing reads what was sent in the last minute
    )

    id: int | None = Field(default=None, primary_key=True)
    corp_id: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=128)  # also the card outTrackId, so a resend is a no-op
    kind: str = Field(max_length=32)  # work_notice | card | ding | robot_group | webhook | ...
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", sa_type=Text)
    dingtalk_ids: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # task_id, open_ding_id, ...
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
