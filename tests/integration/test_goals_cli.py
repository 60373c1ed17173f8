"""`dingperf goals tree` prints the cascade with its roll-up and `dingperf goals sheet` one person's sheet, as
text or JSON; unknown ids are clear errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from dingperf.cli import main
from dingperf.perf.goals import GoalLevel
from dingperf.perf.library import load_template
from dingperf.perf.okr import KeyResult
from dingperf.services.cycles import create_cycle
from dingperf.services.goals import check_in_goal, confirm_goal, create_goal, create_okr_goal, send_goal
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories.org import upsert_employees
from dingperf.store.tables.org import EmployeeBase

CORP, CYCLE = "dingcorp-goals-cli", "2026-11"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _confirm(store: Store, goal_id: str, owner: str) -> None:
    send_goal(store, CORP, goal_id, actor="boss", now=NOW)
    confirm_goal(store, CORP, goal_id, actor=owner, now=NOW)


def _cascade(store: Store) -> None:
    """Team goal `team` (mgr) with u-a's OKR `a` (weight 3, KR at 50%, confidence 6) and u-b's KPI `b` (40%)."""
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[EmployeeBase(userid="mgr", name="张经理")])
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    create_goal(store, CORP, CYCLE, goal_id="team", owner="mgr", title="团队营收", target=Decimal(100),
                weight=Decimal(100), level=GoalLevel.TEAM, actor="boss", now=NOW)
    create_okr_goal(store, CORP, CYCLE, goal_id="a", owner="u-a", title="客户满意", weight=Decimal(100),
                    key_results=[KeyResult("kr1", "NPS", Decimal(0), Decimal(10))], parent_id="team",
                    alignment_weight=Decimal(3), actor="mgr", now=NOW)
    create_goal(store, CORP, CYCLE, goal_id="b", owner="u-b", title="回款", target=Decimal(100), weight=Decimal(40),
                parent_id="team", actor="mgr", now=NOW)
    for goal_id, owner in (("team", "mgr"), ("a", "u-a"), ("b", "u-b")):
        _confirm(store, goal_id, owner)
    check_in_goal(store, CORP, "a", author="u-a", value=Decimal(5), confidence=6, key_result_id="kr1", now=NOW)
    check_in_goal(store, CORP, "b", author="u-b", value=Decimal(40), now=NOW)


@pytest.fixture
def cli(store: Store, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    _cascade(store)
    monkeypatch.delenv("DINGPERF_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--sandbox", "--path", str(tmp_path / "config.toml")]).exit_code == 0
    monkeypatch.setenv("DINGPERF_DATABASE_URL", db_url)
    return runner


def test_tree_prints_the_cascade_with_its_roll_up(cli: CliRunner) -> None:
    result = cli.invoke(main, ["goals", "tree", "--goal", "team", "--corp", CORP])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "目标地图 goal map team · 3 个目标 goals"
    assert lines[1].startswith("team 团队营收 · 负责人 owner 张经理 (mgr) · team · KPI · 进度 progress 47.5%")
    assert "= Σ(wᵢ/Σw)·pᵢ = (3×50.0% + 1×40.0%) ÷ 4 = 47.5%" in lines[2]
    assert lines[3].startswith("├─ a 客户满意") and "权重 weight 3 (75.0%)" in lines[3]
    assert "信心 confidence 6/10 · 状态 status confirmed" in lines[3]
    assert lines[4].startswith("└─ b 回款")


def test_tree_json_is_one_object_with_the_same_numbers(cli: CliRunner) -> None:
    result = cli.invoke(main, ["goals", "tree", "--goal", "team", "--corp", CORP, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["goal_id"], data["progress_percent"], data["owner_name"]) == ("team", "47.5%", "张经理")
    assert [(c["goal_id"], c["weight_share"], c["kind"]) for c in data["children"]] == [("a", "0.75", "okr"),
                                                                                       ("b", "0.25", "kpi")]


def test_tree_of_an_unknown_goal_is_a_clear_error(cli: CliRunner) -> None:
    result = cli.invoke(main, ["goals", "tree", "--goal", "nope", "--corp", CORP])
    assert result.exit_code == 1
    assert "no goal 'nope'" in result.output


def test_sheet_prints_the_goals_and_the_problems(cli: CliRunner) -> None:
    result = cli.invoke(main, ["goals", "sheet", "--cycle", CYCLE, "--employee", "u-b", "--corp", CORP])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"目标表 goal sheet u-b · 周期 cycle {CYCLE} · 总权重 total weight 40 · 进度 progress 40.0%"
    assert lines[2].startswith("  b 回款 · KPI · 权重 weight 40 · 进度 progress 40.0%")
    assert lines[-1].startswith("问题 problem: goal weights of u-b total 40")


def test_sheet_json_lists_an_okr_with_its_key_results(cli: CliRunner) -> None:
    result = cli.invoke(main, ["goals", "sheet", "--cycle", CYCLE, "--employee", "u-a", "--corp", CORP, "--json"])
    assert result.exit_code == 0, result.output
    [goal] = json.loads(result.output)["groups"][0]["goals"]
    assert (goal["goal_id"], goal["progress_percent"]) == ("a", "50.0%")
    assert [(k["kr_id"], k["value"], k["confidence"]) for k in goal["key_results"]] == [("kr1", "5", 6)]


def test_sheet_of_an_unknown_cycle_is_a_clear_error(cli: CliRunner) -> None:
    result = cli.invoke(main, ["goals", "sheet", "--cycle", "2099-01", "--employee", "u-a", "--corp", CORP])
    assert result.exit_code == 1
    assert "no cycle '2099-01'" in result.output
