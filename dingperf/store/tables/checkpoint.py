"""Named key/value checkpoints, so a long job (a full sync) resumes where it stopped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class Checkpoint(SQLModel, table=True):
    __tablename__ = "checkpoints"

    corp_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=128)  # e.g. "sync.contacts"
    value: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)
