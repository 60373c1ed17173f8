"""A person's goal sheet: KPI, OKR and MBO mixed, grouped by BSC perspective, with weight problems shown."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from dingperf.perf.checkins import check_in
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_sheet import goal_sheet
from dingperf.perf.goals import (
    BscPerspective,
    GoalKind,
    GoalStatus,
    close,
    new_kpi_goal,
    new_mbo_goal,
    new_okr_goal,
)
from dingperf.perf.okr import KeyResult, KrZone
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))
T0 = datetime(2026, 2, 1, 9, tzinfo=UTC)
D = Decimal


def _ok(goal):  # type: ignore[no-untyped-def]
    return replace(goal, status=GoalStatus.CONFIRMED)


def _sheet():  # type: ignore[no-untyped-def]
    kpi = _ok(new_kpi_goal("kpi", "emp", "Revenue", Q1, D(100), weight=D(50), perspective=BscPerspective.FINANCIAL))
    okr = _ok(new_okr_goal("okr", "emp", "Delight", Q1, (KeyResult("k1", "NPS", D(40), D(60)),), weight=D(30),
                           perspective=BscPerspective.CUSTOMER))
    mbo = _ok(new_mbo_goal("mbo", "emp", "Mentor", Q1, "two juniors certified", weight=D(20)))
    return goal_sheet("emp", [
        (mbo, [check_in(mbo, "emp", T0, value=D(50), confidence=6)]),
        (okr, [check_in(okr, "emp", T0, value=D(50), confidence=8, key_result_id="k1")]),
        (kpi, [check_in(kpi, "emp", T0, value=D(80))]),
    ])


def test_groups_follow_the_scorecard_order_with_unassigned_goals_last():
    sheet = _sheet()
    assert [(g.perspective, g.weight, [ln.goal_id for ln in g.lines]) for g in sheet.groups] == [
        (BscPerspective.FINANCIAL, D(50), ["kpi"]), (BscPerspective.CUSTOMER, D(30), ["okr"]), (None, D(20), ["mbo"])]


def test_each_kind_shows_its_own_progress_and_the_sheet_weighs_them():
    sheet = _sheet()
    lines = {ln.goal_id: ln for g in sheet.groups for ln in g.lines}
    assert {k: ln.progress for k, ln in lines.items()} == {"kpi": D("0.8"), "okr": D("0.5"), "mbo": D("0.5")}
    assert [(k.kr_id, k.zone, k.confidence) for k in lines["okr"].key_results] == [("k1", KrZone.PROGRESS, 8)]
    assert (lines["mbo"].kind, lines["mbo"].criteria, lines["mbo"].confidence) == (GoalKind.MBO, "two juniors certified", 6)
    assert sheet.progress == D("0.65")  # (50×0.8 + 30×0.5 + 20×0.5) / 100
    assert sheet.problems == ()


def test_weights_not_totalling_100_are_shown_as_a_problem():
    kpi = new_kpi_goal("kpi", "emp", "Revenue", Q1, D(100), weight=D(60))
    assert goal_sheet("emp", [(kpi, [])]).problems == (
        "goal weights of emp total 60; they must total 100, so adjust the weights during goal setting",)


def test_a_sheet_refuses_someone_elses_goal():
    with pytest.raises(ValidationError, match="cannot hold goals owned by \\['boss'\\]"):
        goal_sheet("emp", [(new_kpi_goal("kpi", "boss", "Revenue", Q1, D(100)), [])])


def test_a_cancelled_goal_is_listed_but_counts_in_neither_weight_nor_progress():
    kpi = _ok(new_kpi_goal("kpi", "emp", "Revenue", Q1, D(100), weight=D(100)))
    dropped, _ = close(new_kpi_goal("old", "emp", "Old revenue", Q1, D(100), weight=D(40)), "mgr", T0, "replaced")
    sheet = goal_sheet("emp", [(kpi, [check_in(kpi, "emp", T0, value=D(50))]), (dropped, [])])
    assert [(ln.goal_id, ln.status) for ln in sheet.groups[0].lines] == [("kpi", "confirmed"), ("old", "cancelled")]
    assert (sheet.groups[0].weight, sheet.total_weight, sheet.progress, sheet.problems) == (D(100), D(100), D("0.5"), ())
