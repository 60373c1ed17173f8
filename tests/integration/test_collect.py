"""Rules turn synced attendance and approvals into cycle inputs; scores and explanations cite the records."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dingperf.perf.datasources import TimeResult
from dingperf.perf.errors import ValidationError
from dingperf.perf.library import load_template
from dingperf.perf.rules import ApprovalCountRule, AttendanceThresholdRule, FormFieldSumRule
from dingperf.services.collect import collect_inputs
from dingperf.services.cycles import add_participants, create_cycle
from dingperf.services.results import get_result
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_service import explain, score_cycle
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
def cycle(store: Store) -> Store:
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


def test_rules_feed_actuals_and_deductions_that_the_score_uses(cycle: Store) -> None:
    summary, _ = collect_inputs(cycle, CORP, CYCLE, [LATE, REVENUE])
    assert (summary.participants, summary.triggered) == (2, 3)  # u-late's deduction, both revenue sums
    score_cycle(cycle, CORP, CYCLE, now=NOW)
    # u-late: revenue 1300 (revoked deal ignored) capped 1.2 → 60, return 16, values 24 = 100, −10% → 90
    assert get_result(cycle, CORP, CYCLE, "u-late").total == Decimal("90.0")
    # u-ok: 3 lates is not "more than 3"; revenue 1000 → 50 + 16 + 24
    assert get_result(cycle, CORP, CYCLE, "u-ok").total == Decimal("90.0")


def test_explanation_cites_the_attendance_records_and_approval_instances(cycle: Store) -> None:
    collect_inputs(cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(cycle, CORP, CYCLE, now=NOW)
    e = explain(cycle, CORP, CYCLE, "u-late")
    assert sorted(s.id for s in e.find("adjust:late_over_3").sources) == [
        "u-late-3-ATM", "u-late-4-ATM", "u-late-5-ATM", "u-late-6-ATM"]
    revenue_sources = {s.id for step in e.root.walk() for s in step.sources if s.kind == "approval_instance"}
    assert revenue_sources == {"pi-1", "pi-2"}


def test_a_late_corrected_by_an_approved_make_up_punch_changes_the_outcome(cycle: Store) -> None:
    _, before = collect_inputs(cycle, CORP, CYCLE, [LATE, REVENUE])
    with cycle.session() as s:  # 补卡 approved later: the Late of the 6th becomes Normal (source APPROVE)
        upsert_attendance_records(session=s, corp_id=CORP, records=[
            AttendanceRecordBase(record_id="u-late-6-APPROVE", userid="u-late", work_date=date(2026, 11, 6),
                                 check_type="OnDuty", time_result="Normal", source_type="APPROVE")])
    summary, _ = collect_inputs(cycle, CORP, CYCLE, [LATE, REVENUE], previous=before)
    assert summary.changed == ("u-late",)
    score_cycle(cycle, CORP, CYCLE, now=NOW)
    assert get_result(cycle, CORP, CYCLE, "u-late").total == Decimal("100.0")


def test_a_rule_that_contradicts_the_template_is_refused_before_anything_is_written(cycle: Store) -> None:
    wrong = ApprovalCountRule("key-accounts", "key_account", SALES, amount_each=Decimal(20))  # template: +5 each
    with pytest.raises(ValidationError, match="make them agree"):
        collect_inputs(cycle, CORP, CYCLE, [wrong])
