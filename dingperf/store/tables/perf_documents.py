"""Revisioned JSON documents for the smaller performance records: rater nominations, 面谈 interviews,
improvement plans, action plans, calibration groups, participant groups. Every save is a new revision row,
so what a manager approved or an employee signed is never overwritten; the newest revision is the state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class PerfDocument(SQLModel, table=True):
    __tablename__ = "perf_documents"
    __table_args__ = (
        Index("ix_perf_documents_corp_kind_cycle", "corp_id", "kind", "cycle_id"),
        Index("ix_perf_documents_corp_kind_subject", "corp_id", "kind", "subject_userid"),
    )

    corp_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=32)  # nomination | interview | improvement_plan | ...
    doc_id: str = Field(primary_key=True, max_length=128)
    revision: int = Field(primary_key=True)
    cycle_id: str | None = Field(default=None, max_length=64)
    subject_userid: str | None = Field(default=None, max_length=64)  # whom the document is about
    status: str = Field(max_length=32)
    body: dict[str, Any] = Field(sa_type=JSON)
    saved_by: str = Field(max_length=64)
    saved_at: datetime = Field(sa_type=UTCDateTime)
