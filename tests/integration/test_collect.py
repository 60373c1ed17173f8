"""Rules turn synced attendance and approvals into cycle inputs; scores and explanations cite the records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.rules import ApprovalCountRule
from dingperf.services.collect import collect_inputs
from dingperf.services.results import get_result
from dingperf.services.scoring_service import explain, score_cycle
from dingperf.store.engine import Store
from dingperf.store.repositories import upsert_attendance_records
from dingperf.store.tables.attendance import AttendanceRecordBase
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE, SALES


def test_rules_feed_actuals_and_deductions_that_the_score_uses(collect_cycle: Store) -> None:
    summary, _ = collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    assert (summary.participants, summary.triggered) == (2, 3)  # u-late's deduction, both revenue sums
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    # u-late: revenue 1300 (revoked deal ignored) capped 1.2 → 60, return 16, values 24 = 100, −10% → 90
    assert get_result(collect_cycle, CORP, CYCLE, "u-late").total == Decimal("90.0")
    # u-ok: 3 lates is not "more than 3"; revenue 1000 → 50 + 16 + 24
    assert get_result(collect_cycle, CORP, CYCLE, "u-ok").total == Decimal("90.0")


def test_explanation_cites_the_attendance_records_and_approval_instances(collect_cycle: Store) -> None:
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    e = explain(collect_cycle, CORP, CYCLE, "u-late")
    assert sorted(s.id for s in e.find("adjust:late_over_3").sources) == [
        "u-late-3-ATM", "u-late-4-ATM", "u-late-5-ATM", "u-late-6-ATM"]
    revenue_sources = {s.id for step in e.root.walk() for s in step.sources if s.kind == "approval_instance"}
    assert revenue_sources == {"pi-1", "pi-2"}


def test_a_late_corrected_by_an_approved_make_up_punch_changes_the_outcome(collect_cycle: Store) -> None:
    _, before = collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    with collect_cycle.session() as s:  # 补卡 approved later: the Late of the 6th becomes Normal (source APPROVE)
        upsert_attendance_records(session=s, corp_id=CORP, records=[
            AttendanceRecordBase(record_id="u-late-6-APPROVE", userid="u-late", work_date=date(2026, 11, 6),
                                 check_type="OnDuty", time_result="Normal", source_type="APPROVE")])
    summary, _ = collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE], previous=before)
    assert summary.changed == ("u-late",)
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    assert get_result(collect_cycle, CORP, CYCLE, "u-late").total == Decimal("100.0")


def test_a_rule_that_contradicts_the_template_is_refused_before_anything_is_written(collect_cycle: Store) -> None:
    wrong = ApprovalCountRule("key-accounts", "key_account", SALES, amount_each=Decimal(20))  # template: +5 each
    with pytest.raises(ValidationError, match="make them agree"):
        collect_inputs(collect_cycle, CORP, CYCLE, [wrong])
