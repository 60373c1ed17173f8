"""The goal map as text and JSON: owners, shares of the parent, progress in percent, OKR confidence, status, and
the roll-up line of each parent."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from dingperf.perf.cascade import GoalMapNode, goal_map
from dingperf.perf.checkins import CheckIn
from dingperf.perf.goal_map_render import GoalFacts, goal_facts, percent, render_text, to_dict
from dingperf.perf.goals import Goal, GoalKind, GoalLevel, GoalStatus
from dingperf.perf.okr import KeyResult
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))
AT = datetime(2026, 1, 10, tzinfo=UTC)
D = Decimal


def _goal(gid: str, owner: str, parent: str | None = None, w: int = 1, kind: GoalKind = GoalKind.MBO) -> Goal:
    return Goal(gid, owner, f"标题{gid}", kind, Q1, parent_id=parent, alignment_weight=D(w), level=GoalLevel.TEAM)


def _tree() -> tuple[GoalMapNode, dict[str, GoalFacts]]:
    goals = {g.goal_id: g for g in (_goal("co", "ceo"), _goal("a", "ann", "co", 3), _goal("b", "bob", "co", 1),
                                    _goal("a1", "cat", "a"))}
    [root] = goal_map(goals, {"a1": D("0.5"), "b": D(1)})
    facts = {"co": GoalFacts(GoalKind.KPI, "confirmed", owner_name="老板"),
             "a": GoalFacts(GoalKind.OKR, "confirmed", confidence=4), "b": GoalFacts(GoalKind.MBO, "closed")}
    return root, facts


def test_percent_rounds_half_up_to_one_decimal() -> None:
    assert (percent(D("0.625")), percent(D("0.00005")), percent(D("1.23456"))) == ("62.5%", "0.0%", "123.5%")


def test_text_tree_draws_alignment_lines_one_goal_per_line() -> None:
    root, facts = _tree()
    lines = render_text(root, facts).splitlines()
    assert lines[0] == "目标地图 goal map co · 4 个目标 goals"
    assert lines[1].startswith("co 标题co · 负责人 owner 老板 (ceo) · team · KPI · 进度 progress 62.5%")
    assert lines[3].startswith("├─ a 标题a · 负责人 owner ann")
    assert lines[5].startswith("│  └─ a1 标题a1")
    assert lines[6].startswith("└─ b 标题b")


def test_a_child_shows_its_share_of_the_parent() -> None:
    root, facts = _tree()
    text = render_text(root, facts)
    assert "权重 weight 3 (75.0%)" in text and "权重 weight 1 (25.0%)" in text


def test_a_parent_shows_how_its_progress_rolled_up() -> None:
    root, facts = _tree()
    assert "│  = Σ(wᵢ/Σw)·pᵢ = (3×50.0% + 1×100.0%) ÷ 4 = 62.5%" in render_text(root, facts).splitlines()


def test_confidence_is_shown_for_an_okr_and_status_for_every_goal_with_facts() -> None:
    root, facts = _tree()
    lines = render_text(root, facts).splitlines()
    assert "信心 confidence 4/10 · 状态 status confirmed" in lines[3]
    assert "信心" not in lines[6] and lines[6].endswith("状态 status closed")


def test_a_goal_without_facts_still_shows_owner_and_progress() -> None:
    root, facts = _tree()
    a1 = render_text(root, facts).splitlines()[5]
    assert a1.endswith("负责人 owner cat · team · 权重 weight 1 (100.0%) · 进度 progress 50.0%")


def test_json_carries_the_same_numbers_and_is_serialisable() -> None:
    root, facts = _tree()
    data = json.loads(json.dumps(to_dict(root, facts)))
    assert (data["goal_id"], data["progress_percent"], data["weight_share"], data["kind"]) == ("co", "62.5%", None,
                                                                                               "kpi")
    a = data["children"][0]
    assert (a["goal_id"], a["weight_share"], a["confidence"], a["status"]) == ("a", "0.75", 4, "confirmed")
    assert a["children"][0]["kind"] is None and a["children"][0]["progress"] == "0.5"


def test_okr_facts_take_the_lowest_latest_key_result_confidence() -> None:
    krs = (KeyResult("kr1", "NPS", D(0), D(10)), KeyResult("kr2", "churn", D(0), D(10)))
    okr = Goal("o", "ann", "O", GoalKind.OKR, Q1, key_results=krs, status=GoalStatus.CONFIRMED)
    ins = [CheckIn("o", "ann", AT, None, 2, key_result_id="kr1"), CheckIn("o", "ann", AT.replace(day=11), None, 8,
                                                                          key_result_id="kr1"),
           CheckIn("o", "ann", AT, None, 6, key_result_id="kr2")]
    assert goal_facts(okr, ins, "安") == GoalFacts(GoalKind.OKR, "confirmed", 6, "安")


def test_kpi_facts_have_no_confidence_and_a_cancelled_goal_reads_cancelled() -> None:
    kpi = Goal("k", "ann", "K", GoalKind.KPI, Q1, status=GoalStatus.CLOSED, cancelled=True)
    assert goal_facts(kpi, [CheckIn("k", "ann", AT, D(5), 3)]) == GoalFacts(GoalKind.KPI, "cancelled")
