from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.calibration import (
    Enforcement,
    SessionStatus,
    all_finalised,
    feedback,
    finalise,
    move,
    open_session,
    release_results,
    reopen,
)
from dingperf.perf.calibration_groups import Team, pool_teams
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.quotas import parse_guideline
from dingperf.perf.tiebreak import RankedEntry, TieDecision, assign_by_quota

NOW = datetime(2026, 4, 10, tzinfo=UTC)
ORDER = ("S", "A", "B", "C", "D")
SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}


def grades(s, a, b, c, d):
    out, i = {}, 0
    for grade, n in zip(ORDER, (s, a, b, c, d), strict=True):
        for _ in range(n):
            out[f"u{i:02d}"] = grade
            i += 1
    return out


def session(enforcement=Enforcement.SOFT, **g):
    return open_session("s1", "sales", grades(3, 5, 12, 2, 1), ORDER, shares=SHARES, enforcement=enforcement,
                        guidelines=[parse_guideline("C+D ≥ 15%")])


def test_feedback_tells_how_many_to_add_or_remove_per_grade():
    fb = feedback(session())
    assert fb.quota_deltas == {"S": -1, "A": 0, "B": 0, "C": 1, "D": 0}
    assert "S: remove 1 (quota 2, now 3)" in fb.violations


def test_move_needs_a_reason_and_is_audited():
    with pytest.raises(ValidationError, match="reason"):
        move(session(), "u00", "C", "hr", NOW, "")
    s, audit = move(session(), "u00", "C", "hr", NOW, "missed two launches")
    assert s.grade_of("u00") == "C" and dict(s.original)["u00"] == "S"
    assert (audit.from_state, audit.to_state, audit.reason) == ("S", "C", "missed two launches")
    assert feedback(s).violations == ()


def test_hard_enforcement_refuses_to_finalise_a_broken_distribution():
    with pytest.raises(ValidationError, match="S: remove 1"):
        finalise(session(Enforcement.HARD), "hr", NOW)


def test_soft_enforcement_finalises_with_recorded_warnings_and_a_reason():
    with pytest.raises(ValidationError, match="reason"):
        finalise(session(), "hr", NOW)
    s, audit = finalise(session(), "hr", NOW, "three genuine stars this quarter")
    assert s.status is SessionStatus.FINALISED and "S: remove 1" in s.warnings[0]
    assert "warnings" in audit.reason


def test_results_are_released_only_after_finalisation():
    with pytest.raises(TransitionError, match="'open'.*release results"):
        release_results(session())
    s, _ = move(session(), "u00", "C", "hr", NOW, "r")
    s, _ = finalise(s, "hr", NOW)
    assert release_results(s)["u00"] == "C" and all_finalised([s])


def test_finalised_session_refuses_moves_until_reopened_with_reason():
    s, _ = finalise(session(), "hr", NOW, "ok")
    with pytest.raises(TransitionError, match="'finalised'"):
        move(s, "u00", "A", "hr", NOW, "r")
    s, _ = reopen(s, "hr", NOW, "appeal accepted")
    assert move(s, "u00", "A", "hr", NOW, "appeal")[0].grade_of("u00") == "A"


def test_small_teams_are_pooled_under_their_parent():
    teams = [Team("big", "sales", tuple(f"b{i}" for i in range(9))),
             Team("t1", "sales", ("a", "b", "c", "d")), Team("t2", "sales", ("e", "f", "g", "h")),
             Team("t3", "rd", ("x", "y"))]
    groups = {g.group_id: g for g in pool_teams(teams)}
    assert groups["big"].size == 9
    # t1+t2 pool under sales; t3 alone is too small and has no sibling, so it joins the smallest group
    assert groups["pool:sales"].team_ids == ("t1", "t2", "t3") and groups["pool:sales"].size == 10


def test_pool_size_is_configurable():
    groups = pool_teams([Team("t1", "p", ("a", "b", "c")), Team("t2", "q", ("d", "e", "f"))], min_size=3)
    assert [g.group_id for g in groups] == ["t1", "t2"]


def test_rank_fills_quotas_and_performance_score_breaks_equal_totals():
    entries = [RankedEntry("a", Decimal(95), Decimal(60)), RankedEntry("b", Decimal(95), Decimal(70)),
               RankedEntry("c", Decimal(80), Decimal(50))]
    result = assign_by_quota(entries, {"A": 1, "B": 2})
    assert result.require_resolved() == {"b": "A", "a": "B", "c": "B"}


def test_exact_tie_at_a_boundary_needs_a_manager_decision_with_reason():
    entries = [RankedEntry("a", Decimal(95), Decimal(60)), RankedEntry("b", Decimal(95), Decimal(60)),
               RankedEntry("c", Decimal(80), Decimal(50))]
    pending = assign_by_quota(entries, {"A": 1, "B": 2})
    assert pending.ties[0].userids == ("a", "b") and pending.ties[0].seats == 1
    with pytest.raises(ValidationError, match="manager decision needed"):
        pending.require_resolved()
    with pytest.raises(ValidationError, match="reason"):
        TieDecision(("b", "a"), "mia", "")
    decided = assign_by_quota(entries, {"A": 1, "B": 2}, [TieDecision(("b", "a"), "mia", "b led the launch")])
    assert decided.require_resolved() == {"b": "A", "a": "B", "c": "B"}


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=40, unique=True), st.integers(0, 4))
def test_rank_assignment_fills_every_quota_and_never_ranks_a_higher_total_lower(totals, split):
    from dingperf.perf.quotas import allocate_quotas

    quotas = allocate_quotas(len(totals), {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5})
    entries = [RankedEntry(f"u{i}", Decimal(t), Decimal(split)) for i, t in enumerate(totals)]
    grades = assign_by_quota(entries, quotas).require_resolved()
    assert Counter(grades.values()) == Counter({g: q for g, q in quotas.items() if q})
    rank = {g: i for i, g in enumerate(ORDER)}
    by_total = sorted(entries, key=lambda e: -e.total)
    assert all(rank[grades[a.userid]] <= rank[grades[b.userid]] for a, b in pairwise(by_total))
