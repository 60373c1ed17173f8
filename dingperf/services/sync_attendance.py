"""Attendance results (打卡结果) into the store, idempotent by DingTalk's record id (DINGTALK.md §4.1).

`attendance/list` is quota-metered: the client batches 50 users × 7 days per call, and this module asks
for exactly the users and days needed. The `attendance_check_record` event has no late/early verdict,
so its handler re-reads that work day's results for the users who punched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from dingperf.dingtalk.attendance import MAX_DAYS, MAX_USERS
from dingperf.store.engine import Store
from dingperf.store.repositories import list_employees, upsert_attendance_records
from dingperf.store.tables.attendance import AttendanceRecordBase

log = logging.getLogger(__name__)

_WRITE_BATCH = 1000


class AttendanceSyncError(ValueError):
    """The requested range or user list cannot be synced; the message says how to fix the request."""


@dataclass(frozen=True)
class AttendanceSyncSummary:
    users: int
    date_from: date
    date_to: date
    records: int
    written: int
    unchanged: int
    skipped: int  # rows DingTalk sent without any id (cannot be stored idempotently)
    calls: int
    duration_s: float

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["date_from"], out["date_to"] = self.date_from.isoformat(), self.date_to.isoformat()
        return out


def record_row(result: Any) -> AttendanceRecordBase | None:
    """The store row for one `attendance/list` result; None when DingTalk gave it no id."""
    record_id = result.id if result.id is not None else result.record_id
    if record_id is None:
        return None
    work_date = result.work_date or (result.base_check_time.date() if result.base_check_time else None)
    if work_date is None:
        return None
    return AttendanceRecordBase(
        record_id=str(record_id), userid=result.userid, work_date=work_date, check_type=result.check_type,
        time_result=result.time_result, location_result=result.location_result or "",
        base_check_time=result.base_check_time, user_check_time=result.user_check_time,
        source_type=result.source_type or "", proc_inst_id=result.proc_inst_id,
    )


def sync_attendance(*, store: Store, client: Any, corp_id: str, date_from: date, date_to: date,
                    userids: Sequence[str] | None = None) -> AttendanceSyncSummary:
    """Read check results of `userids` (default: every active employee in the store) for date_from..date_to
    inclusive and upsert them; any span and headcount, split into DingTalk's 50 users × 7 days."""
    if date_to < date_from:
        raise AttendanceSyncError(f"--to {date_to} is before --from {date_from}; swap them")
    if userids is None:
        with store.session() as s:
            userids = [e.userid for e in list_employees(session=s, corp_id=corp_id)]
        if not userids:
            raise AttendanceSyncError("no employees in the store; run `dingperf sync contacts` first "
                                      "or name users with --userids")
    userids = list(dict.fromkeys(userids))
    began = time.perf_counter()
    calls_before = client.stats().calls.get("/attendance/list", 0)
    records = written = skipped = 0
    batch: list[AttendanceRecordBase] = []
    for result in client.attendance.list_results(userids, date_from, date_to):
        row = record_row(result)
        if row is None:
            skipped += 1
            continue
        records += 1
        batch.append(row)
        if len(batch) >= _WRITE_BATCH:
            written += _write(store, corp_id, batch)
            batch = []
    written += _write(store, corp_id, batch)
    if skipped:
        log.warning("attendance: %d result rows had no id and were skipped", skipped)
    return AttendanceSyncSummary(
        users=len(userids), date_from=date_from, date_to=date_to, records=records, written=written,
        unchanged=records - written, skipped=skipped,
        calls=client.stats().calls.get("/attendance/list", 0) - calls_before,
        duration_s=round(time.perf_counter() - began, 3))


def _write(store: Store, corp_id: str, rows: list[AttendanceRecordBase]) -> int:
    if not rows:
        return 0
    with store.session() as s:
        return upsert_attendance_records(session=s, corp_id=corp_id, records=rows, now=datetime.now(UTC))


def calls_needed(users: int, date_from: date, date_to: date) -> int:
    """The least number of attendance/list calls a sync of this size costs (one page per batch)."""
    days = (date_to - date_from).days + 1
    return -(-users // MAX_USERS) * -(-days // MAX_DAYS)


def punches_by_day(rows: Iterable[dict[str, Any]], zone: Any) -> dict[date, list[str]]:
    """Group an `attendance_check_record` event's dataList by work day (in the org's time zone)."""
    days: dict[date, list[str]] = {}
    for row in rows:
        if not isinstance(row, dict) or not row.get("userId"):
            continue
        try:
            ms = int(row.get("checkTime"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            ms = int(time.time() * 1000)
        day = datetime.fromtimestamp(ms / 1000, zone).date()
        users = days.setdefault(day, [])
        if str(row["userId"]) not in users:
            users.append(str(row["userId"]))
    return days

