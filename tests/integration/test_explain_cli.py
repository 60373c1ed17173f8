"""`dingperf explain` prints a tree whose contributions add up to the stored total, or a clear error."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from dingperf.cli import main
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import Store
from tests.integration.perf_fixtures import CORP, CYCLE, NOW, worked_scorecard_cycle


@pytest.fixture
def cli(store: Store, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    monkeypatch.delenv("DINGPERF_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--sandbox", "--path", str(tmp_path / "config.toml")]).exit_code == 0
    monkeypatch.setenv("DINGPERF_DATABASE_URL", db_url)
    return runner


def explain_args(userid: str, *extra: str) -> list[str]:
    return ["explain", "--cycle", CYCLE, "--employee", userid, "--corp", CORP, *extra]


def test_tree_contributions_add_up_to_the_total(cli: CliRunner) -> None:
    result = cli.invoke(main, explain_args("u-late"))
    assert result.exit_code == 0, result.output
    contributions = [Decimal(m) for m in re.findall(r"\[([+-][0-9.]+)\]", result.output)]
    assert sum(contributions) == Decimal(90)
    assert "总分 total 90.0" in result.output and "attendance_record:rec-0" in result.output


def test_json_output_carries_the_tree_and_the_stored_total(cli: CliRunner) -> None:
    result = cli.invoke(main, explain_args("u-rep", "--json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["total"], data["stored_total"], data["stale"]) == ("100.0", "100", False)
    assert {c["key"] for c in data["root"]["children"]} >= {"section:performance", "section:values"}


def test_unknown_employee_is_a_clear_error(cli: CliRunner) -> None:
    result = cli.invoke(main, explain_args("ghost"))
    assert result.exit_code == 1
    assert "'ghost' is not a participant of cycle '2026-Q4'" in result.output


def test_blocked_employee_shows_what_is_awaited(cli: CliRunner) -> None:
    result = cli.invoke(main, explain_args("u-noreview"))
    assert result.exit_code == 0, result.output
    assert "blocked — awaiting manager" in result.output
