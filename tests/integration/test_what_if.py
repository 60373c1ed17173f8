"""What-if: a candidate template scored over the cycle's stored inputs, next to the pinned one; nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import func, select

from dingperf.perf.errors import ValidationError
from dingperf.perf.library import load_template
from dingperf.services.what_if import what_if
from dingperf.store.engine import Store
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.tables.perf_templates import PerfTemplate
from tests.integration.perf_fixtures import CORP, CYCLE, worked_scorecard_cycle


def _with_revenue_target(target: int) -> dict[str, object]:
    data = load_template("sales-rep").to_dict()
    for section in data["sections"]:  # type: ignore[union-attr]
        for item in section["items"]:
            if item["indicator"]["code"] == "revenue":
                item["indicator"]["target"] = str(target)
    return data


def test_the_pinned_template_as_candidate_changes_nothing(store: Store) -> None:
    worked_scorecard_cycle(store)
    report = what_if(store, CORP, CYCLE, load_template("sales-rep"))
    assert (report.people, report.unchanged, report.changed, report.grade_changes) == (3, 3, 0, 0)
    assert report.transitions[("blocked", "blocked")] == 1  # u-noreview still waits for the manager


def test_a_higher_target_shows_who_loses_how_much(store: Store) -> None:
    worked_scorecard_cycle(store)
    # revenue 1,300k against 1,300k instead of 1,000k: achievement 1.0 instead of the 1.2 cap, 50 points not 60.
    report = what_if(store, CORP, CYCLE, _with_revenue_target(1300))
    assert report.changed == 2
    movers = {m.userid: m.delta for m in report.top_movers}
    assert movers["u-rep"] == Decimal(-10)
    assert movers["u-late"] == Decimal(-9)  # the −10 % deduction applies to the lower subtotal too
    assert report.mean_before is not None and report.mean_after == report.mean_before - Decimal("9.5")


def test_what_if_writes_nothing(store: Store) -> None:
    worked_scorecard_cycle(store)
    what_if(store, CORP, CYCLE, _with_revenue_target(1300))
    with store.session() as s:
        assert s.exec(select(func.count()).select_from(PerfResult)).one() == 0
        assert s.exec(select(func.count()).select_from(PerfTemplate)).one() == 1


def test_an_invalid_candidate_is_refused_with_what_to_fix(store: Store) -> None:
    worked_scorecard_cycle(store)
    broken = _with_revenue_target(1300)
    broken["sections"][0]["weight"] = "1"  # type: ignore[index]
    with pytest.raises(ValidationError, match="100"):
        what_if(store, CORP, CYCLE, broken)


def test_the_cli_prints_the_report_and_json(store: Store, db_url: str, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from click.testing import CliRunner

    from dingperf.cli import main

    worked_scorecard_cycle(store)
    candidate = tmp_path / "candidate.json"
    candidate.write_text(json.dumps(_with_revenue_target(1300)), encoding="utf-8")
    monkeypatch.delenv("DINGPERF_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--sandbox", "--path", str(tmp_path / "config.toml")]).exit_code == 0
    monkeypatch.setenv("DINGPERF_DATABASE_URL", db_url)
    args = ["what-if", "--cycle", CYCLE, "--corp", CORP, "--template", str(candidate)]
    text = runner.invoke(main, args)
    assert text.exit_code == 0, text.output
    assert "3 participants: 1 unchanged, 2 changed" in text.output
    assert "  A → B: 1\n" in text.output
    assert "u-rep: 100.0 (A) → 90.0 (B), -10.0" in text.output
    report = json.loads(runner.invoke(main, [*args, "--json"]).output)
    assert {m["userid"]: m["delta"] for m in report["top_movers"]} == {"u-rep": "-10.0", "u-late": "-9.0"}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    refused = runner.invoke(main, ["what-if", "--cycle", CYCLE, "--corp", CORP, "--template", str(bad)])
    assert refused.exit_code != 0 and "cannot read" in refused.output
