"""Results as each viewer sees them (services.result_views): employee, manager, skip-level, rater, HR, outsider,
before and after release, with an anonymous peer group at (ann) and below (pm) its quorum.

Org (nomination_kit): boss → mia → ann, bob; boss → lead → pm (set on the participant); 'nobody' has no manager.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from dingperf.perf.appeals import AppealSubject, AppealTarget
from dingperf.perf.cycles import Phase
from dingperf.perf.reviews import RaterType
from dingperf.perf.visibility import NotVisible
from dingperf.services.appeals import file_appeal
from dingperf.services.nominations import approve_nomination, nominate_rater
from dingperf.services.phases import override_phase
from dingperf.services.result_views import view_result, visible_results
from dingperf.services.results import calibrate_result, release_results
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import NotFound, Store
from tests.integration.nomination_kit import CORP, CYCLE, HR, NOW, org_and_cycles

PEERS = {"ann": ("bob", "cat", "dan"), "pm": ("bob", "cat")}  # at the quorum of 3 / below it
MANAGERS = {"ann": "mia", "bob": "mia", "pm": "lead", "nobody": "hr-acting"}
VALUES = ("customer_first", "integrity")


def _ratings(store: Store) -> list[RatingEntry]:
    entries = []
    for reviewee, peers in PEERS.items():
        for rater in peers:
            nominate_rater(store, CORP, CYCLE, reviewee, rater, RaterType.PEER, actor=reviewee, now=NOW)
            approve_nomination(store, CORP, CYCLE, reviewee, rater, actor=MANAGERS[reviewee], now=NOW)
            entries.append(RatingEntry(reviewee, rater, "peer", "values", dict.fromkeys(VALUES, 1)))
        entries.append(RatingEntry(reviewee, reviewee, "self", "values", dict.fromkeys(VALUES, 5)))
    entries += [RatingEntry(u, m, "manager", "values", dict.fromkeys(VALUES, 4)) for u, m in MANAGERS.items()
                if u != "nobody"]
    return entries


@pytest.fixture
def scored(store: Store) -> Store:
    """Everyone scored; ann and pm wrote self reviews, bob did not; the cycle is still at goal setting."""
    org_and_cycles(store)
    record_ratings(store, CORP, CYCLE, _ratings(store), now=NOW)
    record_ratings(store, CORP, CYCLE, [RatingEntry("nobody", "hr-acting", "manager", "values",
                                                    dict.fromkeys(VALUES, 4))], hr_override=True, actor="hr1", now=NOW)
    record_inputs(store, CORP, CYCLE, [InputValue(u, code, value) for u in MANAGERS
                                       for code, value in (("revenue", 1000), ("return_rate", "2.0"))], now=NOW)
    score_cycle(store, CORP, CYCLE, with_explanations=True, now=NOW)
    return store


def _at(store: Store, phase: Phase) -> Store:
    override_phase(store, CORP, CYCLE, phase, actor="hr1", reason="test moves the cycle", now=NOW)
    return store


@pytest.fixture
def released(scored: Store) -> Store:
    """ann's grade moved in calibration (with a reason), then the results released."""
    _at(scored, Phase.CALIBRATION)
    calibrate_result(scored, CORP, CYCLE, "ann", grade="S", reason="led the key account all quarter", by="hr1",
                     now=NOW)
    _at(scored, Phase.RESULTS)
    release_results(scored, CORP, CYCLE, by="hr1", now=NOW)
    return scored


def _view(store: Store, subject: str, viewer: str) -> dict[str, Any]:
    return view_result(store, CORP, CYCLE, subject, viewer, hr_userids=HR)


def _text(view: object) -> str:
    return json.dumps(view, ensure_ascii=False)


def _group(view: dict[str, Any], code: str) -> dict[str, Any]:
    todo = [view["breakdown"]["root"]]
    while todo:
        step = todo.pop()
        if step["key"] == f"rater:values:{code}":
            return step
        todo.extend(step["children"])
    raise KeyError(code)


def test_an_employee_without_a_self_review_sees_nothing_before_release(scored: Store) -> None:
    with pytest.raises(NotVisible, match="not released yet; results are released after calibration"):
        _view(_at(scored, Phase.CALIBRATION), "bob", "bob")


def test_an_employee_sees_only_their_self_review_before_release(scored: Store) -> None:
    view = _view(_at(scored, Phase.CALIBRATION), "ann", "ann")
    assert "total" not in view and "breakdown" not in view
    assert [(r["group"], r["ratings"]) for r in view["own_ratings"]] == [("self", dict.fromkeys(VALUES, "5"))]


def test_a_released_employee_sees_the_final_and_computed_grade_but_not_the_calibration_reason(released: Store) -> None:
    view = _view(released, "ann", "ann")
    assert (view["grade"], view["calibrated"], view["released"]) == ("S", True, True)
    assert view["computed"]["grade"] != "S" and "calibration_reason" not in view
    assert "led the key account" not in _text(view)


def test_a_released_employee_sees_the_breakdown_and_who_rated_in_open_groups(released: Store) -> None:
    view = _view(released, "ann", "ann")
    assert view["sections"] and not view["breakdown"]["stale"]
    assert [name for name, _ in _group(view, "manager")["inputs"]] == ["mia"]


def test_a_released_employee_never_learns_who_their_anonymous_peers_are(released: Store) -> None:
    view = _view(released, "ann", "ann")
    assert _group(view, "peer")["value"] is not None  # at quorum: the group's mean is shown
    assert not any(f'"{peer}"' in _text(view) for peer in PEERS["ann"])


def test_an_anonymous_group_below_quorum_shows_no_number_to_the_employee(released: Store) -> None:
    view = _view(released, "pm", "pm")
    step = _group(view, "peer")
    assert (step["value"], step["contribution"], step["inputs"]) == (None, None, [])
    assert "2 of 3" not in _text(view)


def test_a_manager_sees_no_team_score_before_the_manager_review_only_their_own_rating(scored: Store) -> None:
    view = _view(_at(scored, Phase.SELF_REVIEW), "bob", "mia")
    assert view["visible"] == ["own_ratings"] and "total" not in view


def test_a_manager_sees_the_team_scores_from_the_manager_review_on(scored: Store) -> None:
    view = _view(_at(scored, Phase.MANAGER_REVIEW), "ann", "mia")
    assert view["roles"] == ["manager", "rater"] and view["total"] and view["breakdown"]
    assert [r["group"] for r in view["own_ratings"]] == ["manager"]


def test_a_manager_sees_the_calibration_reason(released: Store) -> None:
    assert _view(released, "ann", "mia")["calibration_reason"] == "led the key account all quarter"


def test_a_skip_level_manager_sees_nothing_during_the_manager_review(scored: Store) -> None:
    with pytest.raises(NotVisible, match="from the calibration stage on"):
        _view(_at(scored, Phase.MANAGER_REVIEW), "ann", "boss")


def test_a_skip_level_manager_sees_the_subtree_from_calibration_on(scored: Store) -> None:
    view = _view(_at(scored, Phase.CALIBRATION), "pm", "boss")  # boss → lead → pm
    assert view["roles"] == ["skip_manager"] and view["total"] is not None


def test_a_rater_sees_only_what_they_submitted_even_after_release(released: Store) -> None:
    view = _view(released, "ann", "bob")
    assert view["visible"] == ["own_ratings"] and "total" not in view
    assert [(r["rater"], r["ratings"]) for r in view["own_ratings"]] == [("bob", dict.fromkeys(VALUES, "1"))]


def test_an_outsider_is_refused(released: Store) -> None:
    with pytest.raises(NotVisible, match="ask HR"):
        _view(released, "ann", "zed")


def test_hr_sees_every_rater_including_anonymous_ones_before_release(scored: Store) -> None:
    view = _view(_at(scored, Phase.MANAGER_REVIEW), "pm", "hr1")
    assert {r["rater"] for r in view["ratings"]} == {"pm", "lead", "bob", "cat"}
    assert view["calibration_reason"] is None and view["computed"]


def test_a_subject_outside_the_cycle_is_not_found_for_hr(scored: Store) -> None:
    with pytest.raises(NotFound, match="not a participant"):
        _view(scored, "zed", "hr1")


def _listed(store: Store, viewer: str) -> dict[str, list[str]]:
    return {r["userid"]: r["roles"] for r in visible_results(store, CORP, CYCLE, viewer, hr_userids=HR)}


def test_the_list_shows_a_manager_their_direct_reports_and_a_skip_level_the_whole_subtree(scored: Store) -> None:
    _at(scored, Phase.CALIBRATION)
    assert _listed(scored, "mia") == {"ann": ["manager", "rater"], "bob": ["manager", "rater"]}
    assert _listed(scored, "boss") == {"ann": ["skip_manager"], "bob": ["skip_manager"], "pm": ["skip_manager"]}


def test_the_list_shows_a_rater_only_whom_they_rated_and_no_scores(released: Store) -> None:
    rows = visible_results(released, CORP, CYCLE, "bob", hr_userids=HR)
    assert [r["userid"] for r in rows] == ["ann", "bob", "pm"]
    rated = [r for r in rows if r["userid"] != "bob"]
    assert all("total" not in r and r["own_ratings"] for r in rated)


def test_the_list_leaves_out_an_employee_own_unreleased_result(scored: Store) -> None:
    assert "bob" not in _listed(_at(scored, Phase.CALIBRATION), "bob")


def test_the_list_shows_hr_every_participant_with_scores(scored: Store) -> None:
    rows = visible_results(scored, CORP, CYCLE, "hr1", hr_userids=HR)
    assert [r["userid"] for r in rows] == ["ann", "bob", "nobody", "pm"]
    assert all(r["total"] is not None and "calibration_reason" in r for r in rows)


def test_a_breakdown_not_stored_with_the_result_is_recomputed_and_adds_up(scored: Store) -> None:
    score_cycle(scored, CORP, CYCLE, with_explanations=False, now=NOW)
    view = _view(scored, "ann", "hr1")
    assert (view["breakdown"]["total"], view["breakdown"]["stale"]) == (view["total"], False)


def test_an_employee_and_their_manager_see_the_appeal_status_but_a_rater_does_not(released: Store) -> None:
    _at(released, Phase.APPEAL_WINDOW)
    file_appeal(released, CORP, CYCLE, "ann", AppealTarget(AppealSubject.TOTAL), "the S was earned", now=NOW)
    assert [a["status"] for a in _view(released, "ann", "ann")["appeals"]] == ["filed"]
    assert [a["status"] for a in _view(released, "ann", "mia")["appeals"]] == ["filed"]
    assert "appeals" not in _view(released, "ann", "bob")


def test_an_hr_member_sees_their_own_result_only_as_an_employee(scored: Store) -> None:
    _at(scored, Phase.CALIBRATION)
    view = view_result(scored, CORP, CYCLE, "ann", "ann", hr_userids=("ann",))
    assert view["visible"] == ["own_ratings"] and "ratings" not in view
    rows = visible_results(scored, CORP, CYCLE, "ann", hr_userids=("ann",))
    assert [r["roles"] for r in rows if r["userid"] == "ann"] == [["self"]]
