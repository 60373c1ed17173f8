"""score_cycle persists exact totals from stored inputs; explain recomputes the very same numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from dingperf.perf.explanation import render_text
from dingperf.services.results import get_result
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_service import explain, score_cycle
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit
from tests.integration.perf_fixtures import CORP, CYCLE, NOW, worked_scorecard_cycle


@pytest.fixture
def scored(store: Store) -> Store:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    return store


def test_worked_scorecard_total_is_persisted_exactly(scored: Store) -> None:
    result = get_result(scored, CORP, CYCLE, "u-rep")
    assert (result.status, result.total, result.grade) == ("scored", Decimal("100.0"), "A")
    assert result.sections == {"performance": Decimal(76), "values": Decimal(24)}


def test_percent_deduction_is_applied_before_the_total_is_stored(scored: Store) -> None:
    assert get_result(scored, CORP, CYCLE, "u-late").total == Decimal("90.0")


def test_missing_manager_review_is_stored_as_blocked_with_its_reason(scored: Store) -> None:
    result = get_result(scored, CORP, CYCLE, "u-noreview")
    assert (result.status, result.total, result.blocked_reason) == ("blocked", None, "awaiting manager")
    assert result.rater_policy == {"values": "blocked:mandatory"}


def test_applied_policy_and_effective_weights_are_stored(scored: Store) -> None:
    result = get_result(scored, CORP, CYCLE, "u-rep")
    assert result.rater_policy == {"values": "all_present"}
    assert result.effective_weights == {"values": {"manager": Decimal(1)}}


def test_explain_shows_the_stored_total(scored: Store) -> None:
    for userid in ("u-rep", "u-late"):
        explanation = explain(scored, CORP, CYCLE, userid)
        assert explanation.total == get_result(scored, CORP, CYCLE, userid).total
        assert explanation.leaf_sum() == explanation.total


def test_explain_lists_the_attendance_records_behind_a_deduction(scored: Store) -> None:
    step = explain(scored, CORP, CYCLE, "u-late").find("adjust:late_over_3")
    assert [s.id for s in step.sources] == ["rec-0", "rec-1", "rec-2", "rec-3"]


def test_rescoring_is_idempotent(scored: Store) -> None:
    score_cycle(scored, CORP, CYCLE, now=NOW)
    with scored.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM perf_results WHERE cycle_id = :c"), {"c": CYCLE}).scalar()
    assert count == 3
    assert get_result(scored, CORP, CYCLE, "u-rep").total == Decimal("100.0")


def test_rescoring_picks_up_changed_inputs(scored: Store) -> None:
    record_inputs(scored, CORP, CYCLE, [InputValue("u-rep", "revenue", Decimal(1000))], now=NOW)
    score_cycle(scored, CORP, CYCLE, now=NOW)
    assert get_result(scored, CORP, CYCLE, "u-rep").total == Decimal("90.0")  # 50 + 16 + 24


def test_a_late_manager_review_unblocks_the_employee(scored: Store) -> None:
    record_ratings(scored, CORP, CYCLE, [RatingEntry("u-noreview", "mgr1", "manager", "values",
                                                     {"customer_first": 4, "integrity": 4})], now=NOW)
    summary = score_cycle(scored, CORP, CYCLE, now=NOW)
    assert (summary.scored, summary.blocked) == (3, 0)
    assert get_result(scored, CORP, CYCLE, "u-noreview").total == Decimal("100.0")


def test_missing_actual_blocks_only_that_employee(scored: Store) -> None:
    with scored.session() as s:
        s.connection().execute(text("DELETE FROM perf_inputs WHERE userid = 'u-rep' AND code = 'revenue'"))
    summary = score_cycle(scored, CORP, CYCLE, now=NOW)
    result = get_result(scored, CORP, CYCLE, "u-rep")
    assert result.status == "blocked" and "revenue" in (result.blocked_reason or "")
    assert summary.scored == 1 and get_result(scored, CORP, CYCLE, "u-late").total == Decimal("90.0")


def test_stored_explanations_match_the_recomputed_ones(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, with_explanations=True, now=NOW)
    with store.engine.connect() as conn:
        raw = conn.execute(text("SELECT explanation FROM perf_results WHERE userid = 'u-late'")).scalar()
    assert raw is not None and "late_over_3" in str(raw)
    assert get_result(store, CORP, CYCLE, "u-late").has_explanation


def test_explain_of_an_unknown_employee_names_the_cycle(scored: Store) -> None:
    with pytest.raises(NotFound, match=r"'nobody' is not a participant of cycle '2026-Q4'"):
        explain(scored, CORP, CYCLE, "nobody")


def test_explain_of_an_unknown_cycle_says_so(scored: Store) -> None:
    with pytest.raises(NotFound, match=r"no cycle '2099-Q1'"):
        explain(scored, CORP, "2099-Q1", "u-rep")


def test_progress_reports_every_batch(store: Store) -> None:
    worked_scorecard_cycle(store)
    seen: list[tuple[int, int]] = []
    score_cycle(store, CORP, CYCLE, batch_size=2, progress=lambda done, total: seen.append((done, total)), now=NOW)
    assert seen == [(2, 3), (3, 3)]


def test_scoring_is_audited(scored: Store) -> None:
    with scored.session() as s:
        entries = list_audit(session=s, corp_id=CORP, subject=f"cycle:{CYCLE}", action="cycle.score")
    assert entries and entries[-1].after == {"scored": 2, "blocked": 1, "template": "sales-rep", "version": 1}


def test_rendered_tree_accounts_for_the_total(scored: Store) -> None:
    assert "Σ contributions = 90 = total 90.0" in render_text(explain(scored, CORP, CYCLE, "u-late"))


def test_worker_processes_store_the_same_results(store: Store) -> None:
    worked_scorecard_cycle(store)
    summary = score_cycle(store, CORP, CYCLE, batch_size=1, workers=2, now=NOW)
    assert (summary.scored, summary.blocked) == (2, 1)
    assert [get_result(store, CORP, CYCLE, u).total for u in ("u-rep", "u-late")] == [Decimal(100), Decimal(90)]


def test_not_applicable_actual_is_renormalised_away(scored: Store) -> None:
    record_inputs(scored, CORP, CYCLE, [InputValue("u-rep", "return_rate", None, note="no returns channel")], now=NOW)
    score_cycle(scored, CORP, CYCLE, now=NOW)
    assert get_result(scored, CORP, CYCLE, "u-rep").total == Decimal("105.0")  # (60 + 24) × 100 ÷ 80


def test_precomputed_achievement_is_used_as_stored(scored: Store) -> None:
    record_inputs(scored, CORP, CYCLE, [InputValue("u-rep", "revenue", Decimal(1300), achievement=Decimal("0.9"),
                                                   note="time-weighted across target versions")], now=NOW)
    score_cycle(scored, CORP, CYCLE, now=NOW)
    assert get_result(scored, CORP, CYCLE, "u-rep").total == Decimal("85.0")  # 50 × 0.9 + 16 + 24
    assert "time-weighted" in render_text(explain(scored, CORP, CYCLE, "u-rep"))
