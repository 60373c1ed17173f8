"""Published template versions (考评模板): the canonical JSON body with its content hash, never edited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfTemplate(SQLModel, table=True):
    __tablename__ = "perf_templates"
    __table_args__ = (UniqueConstraint("corp_id", "template_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    corp_id: str = Field(max_length=64)
    template_id: str = Field(max_length=64)
    version: int
    content_hash: str = Field(max_length=64)  # sha256 of the body without its version (Template.content_hash)
    name: str = Field(default="", max_length=200)
    body: dict[str, Any] = Field(sa_type=JSON)  # Template.to_dict()
    published_by: str = Field(default="", max_length=64)
    published_at: datetime = Field(sa_type=UTCDateTime)
