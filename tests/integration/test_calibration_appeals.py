"""An accepted appeal checks the quota of the employee's calibration group, not the whole cycle."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dingperf.perf.appeals import Appeal, AppealSubject, AppealTarget
from dingperf.perf.cycles import Phase
from dingperf.services.appeals import accept_appeal, assign_appeal, file_appeal
from dingperf.services.calibration_groups import save_calibration_group
from dingperf.services.cycles import get_cycle
from dingperf.services.phases import advance_cycle
from dingperf.services.results import get_result, release_results
from dingperf.store.engine import Store
from tests.integration.calibration_kit import CORP, CYCLE, NOW, SHARES, build_org_cycle


@pytest.fixture
def released(store: Store) -> Store:
    """Sales (soft 10/20/50/15/5%, holding A 4 of 5 seats) released; Legal's 5 A people sit in the default group."""
    build_org_cycle(store)
    save_calibration_group(store, CORP, CYCLE, {"group_id": "sales", "name": "Sales", "members": {"dept_ids": [10]},
                                                "quota": {"shares": SHARES}}, actor="hr", now=NOW)
    while get_cycle(store, CORP, CYCLE).phase != Phase.APPEAL_WINDOW.value:
        advance_cycle(store, CORP, CYCLE, actor="hr", now=NOW)
    release_results(store, CORP, CYCLE, by="hr", now=NOW)
    return store


def _accept(store: Store, userid: str, score: Decimal) -> Appeal:
    appeal = file_appeal(store, CORP, CYCLE, userid, AppealTarget(AppealSubject.TOTAL), "deal booked late", now=NOW)
    assign_appeal(store, CORP, appeal.appeal_id, handler="hrbp", deadline=NOW + timedelta(days=7), actor="hr", now=NOW)
    return accept_appeal(store, CORP, appeal.appeal_id, new_score=score, reason="deal counted", actor="hrbp", now=NOW)


def test_an_accepted_appeal_is_checked_against_the_seats_of_the_employees_group(released: Store) -> None:
    decided = _accept(released, "s08", Decimal(100))  # B → A: Sales has 5 A seats and 4 A people
    impact = decided.quota_impact
    assert impact is not None
    assert (impact.grade_before, impact.grade_after, impact.count_after, impact.quota) == ("B", "A", 5, 5)
    assert not impact.breaks_quota  # the whole cycle's held A count (9, with Legal) would have refused a 10th
    assert get_result(released, CORP, CYCLE, "s08").final_grade == "A"


def test_an_appeal_past_the_groups_seats_breaks_its_quota(released: Store) -> None:
    impact = _accept(released, "s20", Decimal(115)).quota_impact  # C → S: Sales holds 3 S against 2 seats
    assert impact is not None and (impact.count_after, impact.quota, impact.breaks_quota) == (4, 2, True)


def test_without_groups_the_whole_cycle_is_one_group(store: Store) -> None:
    build_org_cycle(store)
    while get_cycle(store, CORP, CYCLE).phase != Phase.APPEAL_WINDOW.value:
        advance_cycle(store, CORP, CYCLE, actor="hr", now=NOW)
    release_results(store, CORP, CYCLE, by="hr", now=NOW)
    impact = _accept(store, "s08", Decimal(100)).quota_impact  # held A: 4 in Sales + 5 in Legal
    assert impact is not None and (impact.count_after, impact.quota) == (10, 9)
