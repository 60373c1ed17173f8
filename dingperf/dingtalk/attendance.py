"""Attendance (考勤): check results and raw punches, chunked to DingTalk's 50 users × 7 days (DINGTALK.md §4)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dingperf.dingtalk.parse import (
    as_bool,
    as_int,
    as_opt_str,
    as_str,
    chunks,
    day_windows,
    from_ms,
    wire_datetime,
)
from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.dingtalk.transport import Transport

MAX_USERS = 50
MAX_DAYS = 7
PAGE_LIMIT = 50


@dataclass(frozen=True)
class AttendanceResult:
    """One scheduled check point and how it went (`timeResult` Normal|Early|Late|SeriousLate|Absenteeism|NotSigned)."""

    id: int | None
    record_id: int | None
    userid: str
    work_date: date | None
    check_type: str
    time_result: str
    location_result: str
    base_check_time: datetime | None
    user_check_time: datetime | None
    source_type: str | None
    group_id: int | None
    plan_id: int | None
    proc_inst_id: str | None
    approve_id: int | None


@dataclass(frozen=True)
class AttendanceRecord:
    """One raw punch, valid or not (`is_legal`)."""

    id: int | None
    userid: str
    user_check_time: datetime | None
    base_check_time: datetime | None
    check_type: str | None
    time_result: str | None
    location_result: str | None
    source_type: str | None
    is_legal: bool
    invalid_record_type: str | None
    user_address: str | None
    device_id: str | None


def _result(raw: dict[str, Any]) -> AttendanceResult:
    work_date = from_ms(raw.get("workDate"))
    return AttendanceResult(
        id=as_int(raw.get("id")),
        record_id=as_int(raw.get("recordId")),
        userid=as_str(raw.get("userId")),
        work_date=work_date.date() if work_date else None,
        check_type=as_str(raw.get("checkType")),
        time_result=as_str(raw.get("timeResult")),
        location_result=as_str(raw.get("locationResult")),
        base_check_time=from_ms(raw.get("baseCheckTime")),
        user_check_time=from_ms(raw.get("userCheckTime")),
        source_type=as_opt_str(raw.get("sourceType")),
        group_id=as_int(raw.get("groupId")),
        plan_id=as_int(raw.get("planId")),
        proc_inst_id=as_opt_str(raw.get("procInstId")),
        approve_id=as_int(raw.get("approveId")),
    )


def _record(raw: dict[str, Any]) -> AttendanceRecord:
    return AttendanceRecord(
        id=as_int(raw.get("id")),
        userid=as_str(raw.get("userId")),
        user_check_time=from_ms(raw.get("userCheckTime")),
        base_check_time=from_ms(raw.get("baseCheckTime")),
        check_type=as_opt_str(raw.get("checkType")),
        time_result=as_opt_str(raw.get("timeResult")),
        location_result=as_opt_str(raw.get("locationResult")),
        source_type=as_opt_str(raw.get("sourceType")),
        is_legal=as_str(raw.get("isLegal"), "Y").upper() != "N",
        invalid_record_type=as_opt_str(raw.get("invalidRecordType")),
        user_address=as_opt_str(raw.get("userAddress")),
        device_id=as_opt_str(raw.get("deviceId")),
    )


class AttendanceApi:
    """Attendance reads; every call counts toward the monthly quota, so batches are as large as allowed."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list_results(self, userids: Sequence[str], date_from: date, date_to: date) -> Iterator[AttendanceResult]:
        """Check results of `userids` for work days date_from..date_to (inclusive), any length, any headcount."""
        first, last = _as_date(date_from), _as_date(date_to)
        for batch in chunks(list(dict.fromkeys(userids)), MAX_USERS):
            for lo, hi in day_windows(first, last, MAX_DAYS):
                yield from self._results_page_by_page(batch, lo, hi)

    def _results_page_by_page(self, userids: list[str], lo: date, hi: date) -> Iterator[AttendanceResult]:
        offset = 0
        while True:
            data = self._t.call("POST", "/attendance/list", body={
                "workDateFrom": wire_datetime(lo), "workDateTo": wire_datetime(hi),
                "userIdList": userids, "offset": offset, "limit": PAGE_LIMIT,
            })
            rows = data.get("recordresult") or []
            for raw in rows:
                yield _result(raw)
            if not as_bool(data.get("hasMore")) or not rows:
                return
            offset += PAGE_LIMIT

    def list_records(self, userids: Sequence[str], date_from: datetime, date_to: datetime) -> Iterator[AttendanceRecord]:
        """Every raw punch of `userids` between two aware datetimes, chunked to 50 users × 7 days."""
        if date_to < date_from:
            raise ValueError(f"time range ends ({date_to}) before it starts ({date_from})")
        for batch in chunks(list(dict.fromkeys(userids)), MAX_USERS):
            lo = date_from
            while lo <= date_to:
                # Windows are half-open in spirit: the next one starts 1 s after the previous end.
                hi = min(date_to, lo + timedelta(days=MAX_DAYS) - timedelta(seconds=1))
                data = self._t.call("POST", "/attendance/listRecord", body={
                    "userIds": batch, "checkDateFrom": wire_datetime(lo), "checkDateTo": wire_datetime(hi),
                })
                for raw in data.get("recordresult") or []:
                    yield _record(raw)
                lo = hi + timedelta(seconds=1)


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return value.astimezone(CHINA_TZ).date() if value.tzinfo else value.date()
    return value
