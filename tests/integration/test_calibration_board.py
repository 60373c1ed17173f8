"""The calibration board and group quotas on calibration moves and release, with PRODUCT.md §2.7's numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.tiebreak import TieDecision
from dingperf.services.calibration_board import GroupBoard, calibration_board, suggest_assignment
from dingperf.services.calibration_groups import save_calibration_group
from dingperf.services.results import calibrate_grades, calibrate_result, get_result, release_results
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit
from dingperf.store.tables.perf_results import PerfResult
from tests.integration.calibration_kit import CORP, CYCLE, NOW, SHARES, build_org_cycle
from tests.integration.release_kit import to_calibration


def _sales(enforcement: str = "hard") -> dict[str, object]:
    return {"group_id": "sales", "name": "Sales", "members": {"dept_ids": [10]},
            "quota": {"shares": SHARES, "enforcement": enforcement, "tie_break_section": "performance"}}


@pytest.fixture
def cycle(store: Store) -> Store:
    """Sales is a hard 10/20/50/15/5% group holding 3/4/12/3/1 (one S too many, one A short)."""
    build_org_cycle(store)
    save_calibration_group(store, CORP, CYCLE, _sales(), actor="hr", now=NOW)
    return to_calibration(store, CORP, CYCLE, now=NOW)


def _board(store: Store) -> dict[str, GroupBoard]:
    return {b.group_id: b for b in calibration_board(store, CORP, CYCLE)}


def test_the_board_gives_the_worked_seats_of_23_people_by_largest_remainder(cycle: Store) -> None:
    sales = _board(cycle)["sales"]
    assert sales.headcount == 23
    assert sales.seats == {"S": 2, "A": 5, "B": 12, "C": 3, "D": 1}
    assert [(line.grade, line.raw, line.floor) for line in sales.quota_lines][:2] == [
        ("S", Decimal("2.3"), 2), ("A", Decimal("4.6"), 4)]


def test_the_board_shows_the_distribution_and_which_grade_is_over_or_under(cycle: Store) -> None:
    sales = _board(cycle)["sales"]
    assert sales.counts == {"S": 3, "A": 4, "B": 12, "C": 3, "D": 1}
    assert sales.violations == ("S: remove 1 (quota 2, now 3)", "A: add 1 (quota 5, now 4)")
    assert sales.blocking


def test_the_board_counts_the_calibrated_grade_over_the_computed_one(cycle: Store) -> None:
    calibrate_result(cycle, CORP, CYCLE, "s03", grade="A", reason="S evidence is thin", by="hr", now=NOW)
    sales = _board(cycle)["sales"]
    assert (sales.counts["S"], sales.counts["A"], sales.violations) == (2, 5, ())


def test_the_default_group_has_no_quota_and_never_blocks(cycle: Store) -> None:
    default = _board(cycle)["default"]
    assert (default.headcount, default.seats, default.violations, default.blocking) == (12, None, (), False)


def test_a_suggestion_fills_the_seats_by_rank_and_writes_nothing(cycle: Store) -> None:
    suggestion = suggest_assignment(cycle, CORP, CYCLE, "sales")
    assert suggestion.moves == (("s03", "S", "A"),)
    assert "performance" in suggestion.tie_break and suggestion.ties == ()
    assert get_result(cycle, CORP, CYCLE, "s03").final_grade == "S"


def test_a_tie_at_a_seat_boundary_is_broken_by_the_declared_section_score(store: Store) -> None:
    build_org_cycle(store)
    # s03's total now ties s02's (114.9) for the last S seat; its performance section is higher.
    save_calibration_group(store, CORP, CYCLE, _sales(), actor="hr", now=NOW)
    calibrate_result(store, CORP, CYCLE, "s03", total=Decimal("114.9"), reason="recount", by="hr", now=NOW)
    with store.session() as s:
        row = s.get(PerfResult, (CORP, CYCLE, "s03"))
        row.sections = {"performance": "99", "values": "15.9"}
        s.add(row)
    suggestion = suggest_assignment(store, CORP, CYCLE, "sales")
    assert suggestion.grades["s02"] == "A" and suggestion.grades["s03"] == "S"


def test_a_tie_the_section_cannot_break_needs_a_manager_decision(cycle: Store) -> None:
    with cycle.session() as s:
        for uid in ("s02", "s03"):
            row = s.get(PerfResult, (CORP, CYCLE, uid))
            row.total, row.sections = Decimal("114.9"), {"performance": "94.9", "values": "20"}
            s.add(row)
    assert suggest_assignment(cycle, CORP, CYCLE, "sales").ties[0].userids == ("s02", "s03")
    decided = suggest_assignment(cycle, CORP, CYCLE, "sales", decisions=[
        TieDecision(("s03", "s02"), "mgr-sales", "s03 closed the key account")])
    assert (decided.grades["s03"], decided.grades["s02"], decided.ties) == ("S", "A", ())


def test_a_calibration_move_reports_its_group_quota_impact(cycle: Store) -> None:
    moved = calibrate_result(cycle, CORP, CYCLE, "s03", grade="A", reason="S evidence is thin", by="hr", now=NOW)
    assert moved.quota_impact is not None and moved.quota_impact.group_id == "sales"
    assert moved.quota_impact.after.violations == () and not moved.quota_impact.breaks_hard_quota


def test_a_move_that_breaks_a_hard_quota_is_refused_and_changes_nothing(cycle: Store) -> None:
    with pytest.raises(ValidationError, match=r"group sales: s08 B → S; breaks the hard quota: S: remove 2"):
        calibrate_result(cycle, CORP, CYCLE, "s08", grade="S", reason="great year", by="hr", now=NOW)
    assert get_result(cycle, CORP, CYCLE, "s08").final_grade == "B"
    with cycle.session() as s:
        assert list_audit(session=s, corp_id=CORP, action="calibration.move") == []


def test_an_override_reason_lets_a_hard_quota_break_and_is_audited(cycle: Store) -> None:
    moved = calibrate_result(cycle, CORP, CYCLE, "s08", grade="S", reason="great year", by="hr",
                             override_reason="board-approved exception", now=NOW)
    assert moved.final_grade == "S" and moved.quota_impact is not None and moved.quota_impact.breaks_hard_quota
    with cycle.session() as s:
        (entry,) = list_audit(session=s, corp_id=CORP, action="calibration.quota_override")
    assert entry.reason == "board-approved exception" and entry.actor == "hr"


def test_a_grade_outside_the_scale_is_refused(cycle: Store) -> None:
    with pytest.raises(ValidationError, match=r"grades \['X'\] are not in the cycle's grade scale"):
        calibrate_result(cycle, CORP, CYCLE, "s08", grade="X", reason="typo", by="hr", now=NOW)


def test_a_swap_in_one_step_keeps_an_exact_quota(cycle: Store) -> None:
    calibrate_result(cycle, CORP, CYCLE, "s03", grade="A", reason="S evidence is thin", by="hr", now=NOW)
    moved = calibrate_grades(cycle, CORP, CYCLE, {"s04": "B", "s08": "A"}, reason="swap after review", by="hr",
                             now=NOW)
    assert [(r.userid, r.final_grade) for r in moved] == [("s04", "B"), ("s08", "A")]
    assert _board(cycle)["sales"].violations == ()


def test_release_is_refused_while_a_group_breaks_its_hard_quota(cycle: Store) -> None:
    with pytest.raises(ValidationError, match=r"sales \(Sales, 23 people\): S: remove 1 .*A: add 1"):
        release_results(cycle, CORP, CYCLE, by="hr", now=NOW)
    assert get_result(cycle, CORP, CYCLE, "s01").released_at is None


def test_release_goes_ahead_once_every_hard_quota_fits(cycle: Store) -> None:
    calibrate_result(cycle, CORP, CYCLE, "s03", grade="A", reason="S evidence is thin", by="hr", now=NOW)
    assert release_results(cycle, CORP, CYCLE, by="hr", now=NOW) == 35


def test_a_soft_quota_warns_but_does_not_hold_release(store: Store) -> None:
    build_org_cycle(store)
    save_calibration_group(store, CORP, CYCLE, _sales("soft"), actor="hr", now=NOW)
    to_calibration(store, CORP, CYCLE, now=NOW)
    assert _board(store)["sales"].violations and release_results(store, CORP, CYCLE, by="hr", now=NOW) == 35


def test_a_pooled_group_is_checked_on_its_combined_headcount(store: Store) -> None:
    build_org_cycle(store)
    for gid, dept in (("design", 30), ("legal", 40)):
        save_calibration_group(store, CORP, CYCLE, {
            "group_id": gid, "name": gid, "members": {"dept_ids": [dept]}, "min_size": 8, "pool": "small",
            "quota": {"guidelines": ["S+A ≤ 30%"], "enforcement": "hard"}}, actor="hr", now=NOW)
    to_calibration(store, CORP, CYCLE, now=NOW)
    pool = _board(store)["small"]
    assert (pool.headcount, pool.pooled_from) == (9, ("design", "legal"))
    assert pool.violations == ("S+A ≤ 30%: 5 people, allowed 0–3; remove 2",)
    with pytest.raises(ValidationError, match=r"small \(pool small, 9 people\)"):
        release_results(store, CORP, CYCLE, by="hr", now=NOW)
