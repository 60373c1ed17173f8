"""Appeals in the store: filed in the appeal window, assigned, decided with reasons, re-opened once, audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dingperf.perf.appeals import AppealStatus, AppealSubject, AppealTarget
from dingperf.perf.cycles import Phase
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.services.appeals import (
    accept_appeal,
    assign_appeal,
    file_appeal,
    list_appeals,
    reject_appeal,
    reopen_appeal,
)
from dingperf.services.collect import collect_inputs
from dingperf.services.cycles import get_cycle
from dingperf.services.phases import advance_cycle
from dingperf.services.results import get_result, release_results
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE

TOTAL = AppealTarget(AppealSubject.TOTAL)
DUE = NOW + timedelta(days=7)


@pytest.fixture
def appeal_cycle(collect_cycle: Store) -> Store:
    """Both reps scored 90, results released, the cycle in its appeal window."""
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    while get_cycle(collect_cycle, CORP, CYCLE).phase != Phase.APPEAL_WINDOW.value:
        advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    return collect_cycle


def _in_review(store: Store) -> str:
    appeal = file_appeal(store, CORP, CYCLE, "u-late", TOTAL, "the 6th was a 补卡 approved late", now=NOW)
    assign_appeal(store, CORP, appeal.appeal_id, handler="hrbp", deadline=DUE, actor="hr", now=NOW)
    return appeal.appeal_id


def test_an_accepted_appeal_changes_the_stored_final_total_with_its_reason(appeal_cycle: Store) -> None:
    appeal_id = _in_review(appeal_cycle)
    decided = accept_appeal(appeal_cycle, CORP, appeal_id, new_score=Decimal(100), reason="late punch was approved",
                            actor="hrbp", now=NOW)
    result = get_result(appeal_cycle, CORP, CYCLE, "u-late")
    assert (result.final_total, result.total) == (Decimal(100), Decimal("90.0"))
    assert "late punch was approved" in (result.calibration_reason or "")
    assert (decided.status, decided.score_before, decided.new_score) == (AppealStatus.ACCEPTED, Decimal("90.0"),
                                                                        Decimal(100))
    assert decided.quota_impact is not None and result.final_grade == decided.quota_impact.grade_after
    with appeal_cycle.session() as s:
        trail = [e.action for e in list_audit(session=s, corp_id=CORP, subject=f"appeal:{appeal_id}")]
    assert trail == ["appeal.file", "appeal.assign", "appeal.accept"]


def test_a_grade_change_beyond_the_calibrated_seats_is_reported_as_breaking_the_quota(appeal_cycle: Store) -> None:
    appeal_id = _in_review(appeal_cycle)  # both reps hold B; no S seat was calibrated
    decided = accept_appeal(appeal_cycle, CORP, appeal_id, new_score=Decimal(130), reason="revenue misbooked",
                            actor="hrbp", now=NOW)
    assert decided.quota_impact is not None
    assert (decided.quota_impact.grade_before, decided.quota_impact.grade_after) == ("B", "S")
    assert (decided.quota_impact.quota, decided.quota_impact.breaks_quota) == (0, True)


def test_a_grade_change_inside_explicit_quotas_fits(appeal_cycle: Store) -> None:
    appeal_id = _in_review(appeal_cycle)
    decided = accept_appeal(appeal_cycle, CORP, appeal_id, new_score=Decimal(130), reason="revenue misbooked",
                            actor="hrbp", quotas={"S": 1, "B": 2}, now=NOW)
    assert decided.quota_impact is not None and not decided.quota_impact.breaks_quota


def test_rejecting_needs_a_reason_and_keeps_the_score(appeal_cycle: Store) -> None:
    appeal_id = _in_review(appeal_cycle)
    with pytest.raises(ValidationError, match="requires a reason"):
        reject_appeal(appeal_cycle, CORP, appeal_id, reason="", actor="hrbp", now=NOW)
    rejected = reject_appeal(appeal_cycle, CORP, appeal_id, reason="the punch was late", actor="hrbp", now=NOW)
    assert rejected.status is AppealStatus.REJECTED
    assert get_result(appeal_cycle, CORP, CYCLE, "u-late").final_total == Decimal("90.0")


def test_a_second_reopen_is_refused(appeal_cycle: Store) -> None:
    appeal_id = _in_review(appeal_cycle)
    reject_appeal(appeal_cycle, CORP, appeal_id, reason="the punch was late", actor="hrbp", now=NOW)
    assert reopen_appeal(appeal_cycle, CORP, appeal_id, reason="here is the 补卡 id", actor="u-late",
                         now=NOW).reopen_count == 1
    assign_appeal(appeal_cycle, CORP, appeal_id, handler="hrbp", deadline=DUE, actor="hr", now=NOW)
    reject_appeal(appeal_cycle, CORP, appeal_id, reason="still late", actor="hrbp", now=NOW)
    with pytest.raises(TransitionError, match="one re-open is allowed"):
        reopen_appeal(appeal_cycle, CORP, appeal_id, reason="again", actor="u-late", now=NOW)
    assert [a.status for a in list_appeals(appeal_cycle, CORP, CYCLE, userid="u-late")] == [AppealStatus.REJECTED]


def test_filing_outside_the_appeal_window_is_refused(collect_cycle: Store) -> None:
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    with pytest.raises(TransitionError, match="only be done during 'appeal_window'"):
        file_appeal(collect_cycle, CORP, CYCLE, "u-late", TOTAL, "too low", now=NOW)
    assert list_appeals(collect_cycle, CORP, CYCLE) == []
