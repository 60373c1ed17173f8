"""Attendance results (打卡结果), keyed by DingTalk's record id so re-reads are idempotent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401
from dingperf.store.types import UTCDateTime


class AttendanceRecordBase(SQLModel):
    """One check result; time_result is DingTalk's verdict (Normal, Early, Late, SeriousLate, Absenteeism,
    NotSigned)."""

    record_id: str = Field(primary_key=True, max_length=64)
    userid: str = Field(max_length=64)
    work_date: date
    check_type: str = Field(max_length=32)  # OnDuty | OffDuty
    time_result: str = Field(max_length=32)
    location_result: str = Field(default="", max_length=32)
    base_check_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_check_time: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source_type: str = Field(default="", max_length=32)
    proc_inst_id: str | None = Field(default=None, max_length=64)  # the 补卡/leave approval behind it


class AttendanceRecord(AttendanceRecordBase, table=True):
    __tablename__ = "attendance_records"
    __table_args__ = (Index("ix_attendance_corp_user_date", "corp_id", "userid", "work_date"),)

    corp_id: str = Field(primary_key=True, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)
