"""score_cycle's bulk fast path stores exactly the rows the full (explaining) path stores."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from dingperf.perf.fastscore import FastScorer, NotFast
from dingperf.services.cycles import add_participants, get_cycle
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_service import score_cycle, scorer_for
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import (
    COMPACT_MARK,
    COMPACT_ROW,
    RESULT_SCORE_COLUMNS,
    compact_supported,
    load_compact_rows,
)
from dingperf.store.pg_bulk import copy_upsert_results
from tests.integration.perf_fixtures import CORP, CYCLE, NOW, worked_scorecard_cycle

COLUMNS = [c for c in RESULT_SCORE_COLUMNS if c != "explanation"]


def _more_people(store: Store, n: int = 60) -> None:
    rng = random.Random(4)
    people = [f"u-{i:03d}" for i in range(n)]
    add_participants(store, CORP, CYCLE, people, now=NOW)
    values = []
    for i, userid in enumerate(people):
        values.append(InputValue(userid, "revenue", f"{rng.uniform(0, 1500):.1f}"))
        values.append(InputValue(userid, "return_rate", None if i == 7 else f"{rng.uniform(0.1, 6):.2f}"))
        if i % 5 == 0:
            values.append(InputValue(userid, "late_over_3", rng.randint(1, 3), kind="adjustment"))
    record_inputs(store, CORP, CYCLE, values, actor="test", now=NOW)
    record_ratings(store, CORP, CYCLE, [
        RatingEntry(userid, "mgr1", "manager", "values", {"customer_first": rng.randint(1, 5),
                                                          "integrity": rng.randint(1, 5)})
        for i, userid in enumerate(people) if i != 11], now=NOW)


def _rows(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return list(conn.exec_driver_sql(f"SELECT {', '.join(COLUMNS)} FROM perf_results ORDER BY userid"))


def test_fast_path_stores_the_same_rows_as_the_full_path(store: Store) -> None:
    worked_scorecard_cycle(store)
    _more_people(store)
    score_cycle(store, CORP, CYCLE, now=NOW, with_explanations=True)  # explanations: always the full path
    full = _rows(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    assert _rows(store) == full
    assert len(full) == 63


def test_most_of_a_plain_cycle_takes_the_fast_path(store: Store) -> None:
    worked_scorecard_cycle(store)
    _more_people(store)
    assert compact_supported(store.dialect)  # SQLite and PostgreSQL both read compact parts
    fast = FastScorer(scorer_for(store, get_cycle(store, CORP, CYCLE)))
    raw = store.engine.raw_connection()
    try:
        compact = load_compact_rows(raw, CORP, CYCLE, "u-000", "u-rep")
    finally:
        raw.close()
    taken = 0
    for userid, inputs, raters in compact:
        try:
            assert inputs is not None and COMPACT_MARK not in inputs
            fast.score(userid, inputs.split(COMPACT_ROW), raters.split(COMPACT_ROW) if raters else ())
            taken += 1
        except (AssertionError, NotFast):
            pass
    assert 55 <= taken < len(compact) == 63  # N/A, unrated, sourced deduction and no-review go the full way


def test_fast_path_leaves_released_results_as_released(store: Store) -> None:
    worked_scorecard_cycle(store)
    _more_people(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE perf_results SET released_at = scored_at WHERE userid = 'u-001'")
        conn.exec_driver_sql("UPDATE perf_inputs SET value = '1499.9' WHERE userid IN ('u-001', 'u-002') "
                             "AND code = 'revenue'")
    before = {r[2]: r for r in _rows(store)}
    score_cycle(store, CORP, CYCLE, now=NOW + timedelta(hours=1))
    after = {r[2]: r for r in _rows(store)}
    assert after["u-001"] == before["u-001"]  # released: frozen
    assert after["u-002"] != before["u-002"]  # not released: re-scored from its changed input


def test_copy_upsert_refuses_columns_that_do_not_split_the_result_row() -> None:
    with pytest.raises(ValueError, match="must split the result columns"):
        copy_upsert_results(None, {"corp_id": "c"}, ("userid", "total"), [("u", "1")])  # type: ignore[arg-type]


def test_separator_characters_in_stored_texts_go_the_full_way_with_the_same_rows(store: Store) -> None:
    worked_scorecard_cycle(store)
    _more_people(store)
    add_participants(store, CORP, CYCLE, ["u-sep"], now=NOW)
    record_inputs(store, CORP, CYCLE, [InputValue("u-sep", "revenue", "1\x1e2"),
                                       InputValue("u-sep", "return_rate", "2.5")], actor="test", now=NOW)
    record_ratings(store, CORP, CYCLE, [RatingEntry("u-001", "mgr\x1e2", "manager", "values",
                                                    {"customer_first": 5, "integrity": 5})],
                   now=NOW, actor="test", trusted_import=True)
    score_cycle(store, CORP, CYCLE, now=NOW, with_explanations=True)
    full = _rows(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    assert _rows(store) == full
    by_user = {r[2]: r for r in full}
    assert by_user["u-sep"][5] == "blocked"  # status: "1␞2" is no number, on either path
