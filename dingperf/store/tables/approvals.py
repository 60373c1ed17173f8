"""Approval (OA 审批) instances, keyed by process_instance_id; form values kept as DingTalk sent them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class ApprovalInstanceBase(SQLModel):
    """status: NEW | RUNNING | COMPLETED | TERMINATED | CANCELED; result: agree | refuse | "" (open)."""

    process_instance_id: str = Field(primary_key=True, max_length=64)
    process_code: str = Field(max_length=64)
    title: str = ""
    status: str = Field(max_length=32)
    result: str = Field(default="", max_length=32)
    originator_userid: str = Field(max_length=64)
    originator_dept_id: int | None = Field(default=None, sa_type=BigInteger)
    create_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finish_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    business_id: str = Field(default="", max_length=64)
    # [{"name": ..., "value": ..., "id": ..., "component_type": ...}, ...] as in form_component_values
    form_values: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class ApprovalInstance(ApprovalInstanceBase, table=True):
    __tablename__ = "approval_instances"
    __table_args__ = (
        Index("ix_approvals_corp_process_finish", "corp_id", "process_code", "finish_time"),
        Index("ix_approvals_corp_originator", "corp_id", "originator_userid"),
    )

    corp_id: str = Field(primary_key=True, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)
