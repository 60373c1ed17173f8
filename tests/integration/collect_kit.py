"""A monthly sales-rep cycle with attendance and approvals in the store, for collection and refresh tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dingperf.perf.datasources import TimeResult
from dingperf.perf.library import load_template
from dingperf.perf.rules import AttendanceThresholdRule, FormFieldSumRule
from dingperf.services.cycles import add_participants, create_cycle
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories import upsert_approval_instances, upsert_attendance_records
from dingperf.store.tables.approvals import ApprovalInstanceBase
from dingperf.store.tables.attendance import AttendanceRecordBase

CORP, CYCLE = "dingcorp-collect", "2026-11"
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
SALES = "PROC-KPI-SALES-TEST"
LATE = AttendanceThresholdRule("late-over-3", "late_over_3", frozenset({TimeResult.LATE, TimeResult.SERIOUS_LATE}),
                               more_than=3, amount=Decimal(-10), mode="percent", stage="before")
REVENUE = FormFieldSumRule("revenue-from-deals", "revenue", SALES, "成交金额", scale=Decimal("0.001"))


def _late(userid: str, day: int, result: str = "Late", source: str = "ATM") -> AttendanceRecordBase:
    return AttendanceRecordBase(record_id=f"{userid}-{day}-{source}", userid=userid, work_date=date(2026, 11, day),
                                check_type="OnDuty", time_result=result, source_type=source)


def _deal(pid: str, userid: str, amount: str, status: str = "COMPLETED", result: str = "agree") -> ApprovalInstanceBase:
    return ApprovalInstanceBase(process_instance_id=pid, process_code=SALES, status=status, result=result,
                                originator_userid=userid, finish_time=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
                                form_values=[{"id": "dealAmount", "name": "成交金额", "value": amount}])


@pytest.fixture
def collect_cycle(store: Store) -> Store:
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    add_participants(store, CORP, CYCLE, ["u-late", "u-ok"], now=NOW)
    with store.session() as s:
        upsert_attendance_records(session=s, corp_id=CORP, records=[
            _late("u-late", d, "SeriousLate" if d == 5 else "Late") for d in (3, 4, 5, 6)] + [
            _late("u-ok", d) for d in (3, 4, 5)])
        upsert_approval_instances(session=s, corp_id=CORP, instances=[
            _deal("pi-1", "u-late", "600000.00"), _deal("pi-2", "u-late", "700000.00"),
            _deal("pi-revoked", "u-late", "900000.00", status="TERMINATED", result=""),
            _deal("pi-3", "u-ok", "1000000.00")])
    record_inputs(store, CORP, CYCLE, [InputValue(u, "return_rate", Decimal("2.5")) for u in ("u-late", "u-ok")],
                  actor="hr", now=NOW)
    record_ratings(store, CORP, CYCLE, [RatingEntry(u, "mgr", "manager", "values",
                                                    {"customer_first": 4, "integrity": 4})
                                        for u in ("u-late", "u-ok")], now=NOW)
    return store


