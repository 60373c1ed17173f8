from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf.datasources import (
    ApprovalInstance,
    ApprovalStatus,
    AttendanceRecord,
    CheckType,
    FormField,
    SourceData,
    TimeResult,
    effective_attendance,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.periods import Period
from dingperf.perf.rules import (
    ApprovalCountRule,
    AttendanceCountRule,
    AttendanceThresholdRule,
    FormFieldSumRule,
    changed_outputs,
    evaluate_rules,
    users_to_notify,
)

SH = ZoneInfo("Asia/Shanghai")
MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
LATE = AttendanceThresholdRule("late", "late_penalty", frozenset({TimeResult.LATE, TimeResult.SERIOUS_LATE}), 3,
                               Decimal(-10), mode="percent", stage="before")
PROJECT = ApprovalCountRule("proj", "project_bonus", "PROC-PROJECT", Decimal(20), mode="points", stage="after")
SALES = FormFieldSumRule("sales", "revenue", "PROC-SALE", "amount")
D = Decimal


def att(rid, day, result, source="ATM", user="ann", check=CheckType.ON_DUTY):
    return AttendanceRecord(rid, user, date(2026, 3, day), check, result, source)


def appr(iid, status=ApprovalStatus.COMPLETED, result="agree", code="PROC-PROJECT", at=None, user="ann", **form):
    fields = tuple(FormField(k, v) for k, v in form.items())
    return ApprovalInstance(iid, code, user, status, result, at or datetime(2026, 3, 10, 10, tzinfo=SH), fields)


FOUR_LATES = (att("r1", 2, TimeResult.LATE), att("r2", 3, TimeResult.SERIOUS_LATE), att("r3", 4, TimeResult.LATE),
              att("r4", 5, TimeResult.LATE), att("r5", 6, TimeResult.NORMAL))


def one(rule, data, user="ann"):
    return evaluate_rules([rule], [user], MARCH, SH, data)[(rule.rule_id, user)]


def test_more_than_three_lates_gives_minus_ten_percent_citing_the_records():
    out = one(LATE, SourceData(attendance=FOUR_LATES))
    assert (out.triggered, out.value, out.mode, out.stage) == (True, D(-10), "percent", "before")
    assert out.source_ids == ("r1", "r2", "r3", "r4")


def test_three_lates_do_not_trigger():
    out = one(LATE, SourceData(attendance=FOUR_LATES[1:]))
    assert (out.triggered, out.value) == (False, D(0)) and len(out.source_ids) == 3


def test_attendance_outside_the_cycle_is_ignored():
    april = AttendanceRecord("r9", "ann", date(2026, 4, 1), CheckType.ON_DUTY, TimeResult.LATE)
    assert not one(LATE, SourceData(attendance=(*FOUR_LATES[1:], april))).triggered


def test_approved_bukka_turning_late_into_normal_changes_the_count():
    fix = att("r4b", 5, TimeResult.NORMAL, source="APPROVE")
    assert len(effective_attendance((*FOUR_LATES, fix))) == 5
    assert not one(LATE, SourceData(attendance=(*FOUR_LATES, fix))).triggered
    # a stale re-sync of the original row does not undo the correction
    assert not one(LATE, SourceData(attendance=(*FOUR_LATES, fix, FOUR_LATES[3]))).triggered


def test_each_agreed_approval_adds_twenty_points():
    out = one(PROJECT, SourceData(approvals=(appr("p1"), appr("p2"))))
    assert (out.value, out.source_ids, out.mode) == (D(40), ("p1", "p2"), "points")


def test_refused_revoked_running_and_other_processes_never_count():
    data = SourceData(approvals=(appr("p1", result="refuse"), appr("p2", ApprovalStatus.TERMINATED, ""),
                                 appr("p3", ApprovalStatus.RUNNING, ""), appr("p4", code="OTHER"),
                                 appr("p5", user="bob")))
    out = one(PROJECT, data)
    assert (out.value, out.triggered, out.source_ids) == (D(0), False, ())


def test_approval_finish_time_is_judged_in_the_org_timezone():
    # 2026-03-31 17:00 UTC is April 1st in Shanghai: outside March
    late_night = appr("p1", at=datetime(2026, 3, 31, 17, tzinfo=UTC))
    assert one(PROJECT, SourceData(approvals=(late_night,))).value == 0


def test_form_field_sum_becomes_the_indicator_actual():
    data = SourceData(approvals=(appr("s1", code="PROC-SALE", amount="1,200.50"),
                                 appr("s2", code="PROC-SALE", amount="800"),
                                 appr("s3", code="PROC-SALE", result="refuse", amount="999")))
    out = one(SALES, data)
    assert (out.kind.value, out.target_code, out.value, out.source_ids) == (
        "indicator_actual", "revenue", D("2000.50"), ("s1", "s2"))


def test_malformed_form_value_is_skipped_and_reported():
    data = SourceData(approvals=(appr("s1", code="PROC-SALE", amount="abc"), appr("s2", code="PROC-SALE", amount="5")))
    out = one(SALES, data)
    assert out.value == 5 and "s1" in out.notes[0] and "not a number" in out.notes[0]


def test_attendance_count_feeds_an_indicator_actual():
    rule = AttendanceCountRule("absent", "absences", frozenset({TimeResult.ABSENTEEISM}))
    data = SourceData(attendance=(att("a1", 9, TimeResult.ABSENTEEISM), att("a2", 10, TimeResult.NORMAL)))
    assert one(rule, data).value == 1 and one(rule, data).source_ids == ("a1",)


def test_changes_report_bukka_and_revocation_and_split_signed_off_people():
    old = SourceData(attendance=FOUR_LATES + (att("b1", 2, TimeResult.LATE, user="bob"),),
                     approvals=(appr("p1"), appr("p9", user="bob")))
    new = SourceData(attendance=(*FOUR_LATES, att("r4b", 5, TimeResult.NORMAL, source="APPROVE"),
                                 att("b1", 2, TimeResult.LATE, user="bob")),
                     approvals=(appr("p1"), appr("p9", ApprovalStatus.TERMINATED, "", user="bob")))
    changes = changed_outputs([LATE, PROJECT], ["ann", "bob"], MARCH, SH, old, new)
    assert {(c.rule_id, c.userid) for c in changes} == {("late", "ann"), ("proj", "bob")}
    assert all(c.value_changed for c in changes)
    recompute, frozen = users_to_notify(changes, signed_off=["bob"])
    assert (recompute, frozen) == ({"ann"}, {"bob"})


def test_evidence_only_change_is_reported_but_does_not_change_the_score():
    old = SourceData(attendance=FOUR_LATES)
    new = SourceData(attendance=(*FOUR_LATES, att("r6", 7, TimeResult.LATE)))
    (change,) = changed_outputs([LATE], ["ann"], MARCH, SH, old, new)
    assert not change.value_changed and change.after.source_ids[-1] == "r6"


def test_rule_outputs_feed_the_adjustment_stage_in_product_order():
    from dingperf.perf.adjustments import apply_adjustments
    from dingperf.perf.indicators import Adjustment

    data = SourceData(attendance=FOUR_LATES, approvals=(appr("p1"),))
    outs = evaluate_rules([LATE, PROJECT], ["ann"], MARCH, SH, data)
    items = [Adjustment("late_penalty", "Late", mode="percent", stage="before"),
             Adjustment("project_bonus", "Project", mode="points", stage="after")]
    total, _ = apply_adjustments(D("92.0"), items, {o.target_code: o.value for o in outs.values()})
    assert total == D("102.8")  # PRODUCT.md §2.6: deduction first


def test_rule_ids_must_be_unique_and_modes_declared():
    with pytest.raises(ValidationError, match="unique"):
        evaluate_rules([LATE, LATE], ["ann"], MARCH, SH, SourceData())
    with pytest.raises(ValidationError, match="mode"):
        ApprovalCountRule("x", "x", "P", D(1), mode="times")


def test_form_field_sum_can_convert_units_and_says_so():
    from datetime import UTC, date, datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from dingperf.perf.datasources import ApprovalInstance, ApprovalStatus, FormField, SourceData
    from dingperf.perf.periods import Period
    from dingperf.perf.rules import FormFieldSumRule

    done = datetime(2026, 11, 5, 3, 0, tzinfo=UTC)
    data = SourceData(approvals=(
        ApprovalInstance("pi-1", "PROC-SALES", "u1", ApprovalStatus.COMPLETED, "agree", done,
                         (FormField("成交金额", "600,000.00"),)),
        ApprovalInstance("pi-2", "PROC-SALES", "u1", ApprovalStatus.COMPLETED, "agree", done,
                         (FormField("成交金额", "¥700000"),)),
    ))
    rule = FormFieldSumRule("revenue-from-deals", "revenue", "PROC-SALES", "成交金额", scale=Decimal("0.001"))
    out = rule.evaluate("u1", Period(date(2026, 11, 1), date(2026, 12, 1)), ZoneInfo("Asia/Shanghai"), data)
    assert out.value == Decimal(1300)
    assert out.source_ids == ("pi-1", "pi-2")
    assert "× 0.001" in out.detail
