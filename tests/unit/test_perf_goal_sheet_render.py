"""A goal sheet as text and JSON: perspectives in order, each goal's weight, progress and status, an OKR's key
results, and the sheet's problems."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from dingperf.perf.checkins import CheckIn
from dingperf.perf.goal_sheet import GoalSheet, goal_sheet
from dingperf.perf.goal_sheet_render import render_sheet_text, sheet_to_dict
from dingperf.perf.goals import BscPerspective, Goal, GoalKind, GoalStatus
from dingperf.perf.okr import KeyResult
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))
AT = datetime(2026, 1, 10, tzinfo=UTC)
D = Decimal


def _sheet(weight: int = 40) -> GoalSheet:
    mbo = Goal("m1", "ann", "上线新门店", GoalKind.MBO, Q1, weight=D(60), perspective=BscPerspective.CUSTOMER,
               status=GoalStatus.CONFIRMED, criteria="开业 opened", due=date(2026, 3, 31))
    krs = (KeyResult("kr1", "NPS", D(0), D(10)), KeyResult("kr2", "复购", D(0), D(10)))
    okr = Goal("o1", "ann", "客户满意", GoalKind.OKR, Q1, weight=D(weight), key_results=krs,
               status=GoalStatus.CONFIRMED)
    return goal_sheet("ann", [(mbo, [CheckIn("m1", "ann", AT, D(50), 7)]),
                              (okr, [CheckIn("o1", "ann", AT, D(5), 4, key_result_id="kr1")])])


def test_text_lists_perspectives_in_order_with_goals_and_key_results() -> None:
    lines = render_sheet_text(_sheet(), "2026-Q1").splitlines()
    assert lines[0] == "目标表 goal sheet ann · 周期 cycle 2026-Q1 · 总权重 total weight 100 · 进度 progress 40.0%"
    assert lines[1] == "[客户 customer] 权重 weight 60"
    assert lines[2] == ("  m1 上线新门店 · MBO · 权重 weight 60 · 进度 progress 50.0% · 信心 confidence 7/10 · "
                        "状态 status confirmed · 截止 due 2026-03-31")
    assert lines[3] == "     标准 criteria: 开业 opened"
    assert lines[4] == "[无维度 no perspective] 权重 weight 40"
    assert lines[6] == "     - kr1 NPS · 权重 weight 1 · 当前 value 5 · 进度 progress 50.0% · progress · 信心 confidence 4/10"
    assert lines[7] == "     - kr2 复购 · 权重 weight 1 · 当前 value — · 进度 progress 0.0% · fail"


def test_text_ends_with_the_sheet_problems() -> None:
    assert render_sheet_text(_sheet(weight=30), "2026-Q1").splitlines()[-1].startswith(
        "问题 problem: goal weights of ann total 90")


def test_json_carries_the_same_numbers_and_is_serialisable() -> None:
    data = json.loads(json.dumps(sheet_to_dict(_sheet(), "2026-Q1")))
    assert (data["owner"], data["total_weight"], data["progress_percent"], data["problems"]) == ("ann", "100",
                                                                                                 "40.0%", [])
    assert [g["perspective"] for g in data["groups"]] == ["customer", None]
    okr = data["groups"][1]["goals"][0]
    assert (okr["kind"], okr["progress"]) == ("okr", "0.25")
    assert [(k["kr_id"], k["value"], k["zone"]) for k in okr["key_results"]] == [("kr1", "5", "progress"),
                                                                                 ("kr2", None, "fail")]
