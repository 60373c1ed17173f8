"""Attendance records: idempotent by DingTalk record id, queried per user and date range."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlmodel import Session, col, select

from dingperf.store.repositories._merge import merge_many
from dingperf.store.tables.attendance import AttendanceRecord, AttendanceRecordBase
from dingperf.store.types import utcnow


def upsert_attendance_records(*, session: Session, corp_id: str, records: Iterable[AttendanceRecordBase],
                              now: datetime | None = None) -> int:
    """Insert or update records by record id; returns how many were inserted or changed."""
    return merge_many(session, AttendanceRecord, corp_id=corp_id, key_field="record_id", items=records,
                      now=now or utcnow())


def list_attendance_records(*, session: Session, corp_id: str, date_from: date, date_to: date,
                            userids: Iterable[str] | None = None) -> list[AttendanceRecord]:
    """Records with date_from <= work_date <= date_to, optionally for some users only."""
    stmt = select(AttendanceRecord).where(
        AttendanceRecord.corp_id == corp_id,
        col(AttendanceRecord.work_date) >= date_from,
        col(AttendanceRecord.work_date) <= date_to,
    )
    if userids is not None:
        stmt = stmt.where(col(AttendanceRecord.userid).in_(list(userids)))
    order = (col(AttendanceRecord.userid), col(AttendanceRecord.work_date), col(AttendanceRecord.base_check_time))
    return list(session.exec(stmt.order_by(*order)))
