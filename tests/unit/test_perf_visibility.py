"""The visibility matrix: roles × stages → facets, the roles of a viewer, and the refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.cycles import Phase
from dingperf.perf.visibility import (
    MATRIX,
    STAGES,
    Facet,
    NotVisible,
    Role,
    Stage,
    facets_for,
    require_visible,
    roles_of,
    stage_of,
)

F = Facet
UNRELEASED = (Stage.BEFORE_REVIEW, Stage.REVIEW, Stage.CALIBRATION)
SCORES = {F.TOTAL, F.COMPUTED, F.SECTIONS, F.BREAKDOWN, F.RATER_GROUPS, F.RATER_SCORES}


@pytest.mark.parametrize("stage", UNRELEASED)
def test_an_employee_sees_only_their_own_submissions_before_release(stage: Stage) -> None:
    assert facets_for({Role.SELF}, stage) == {F.OWN_RATINGS}


def test_a_released_employee_sees_everything_but_the_calibration_reason_and_anonymous_raters() -> None:
    assert facets_for({Role.SELF}, Stage.RELEASED) == set(Facet) - {F.CALIBRATION_REASON, F.ANONYMOUS_RATERS}


def test_a_manager_sees_no_score_before_the_manager_review() -> None:
    assert not facets_for({Role.MANAGER}, Stage.BEFORE_REVIEW) & SCORES


@pytest.mark.parametrize("stage", [Stage.REVIEW, Stage.CALIBRATION, Stage.RELEASED])
def test_a_manager_sees_the_team_scores_and_calibration_reason_from_the_manager_review_on(stage: Stage) -> None:
    assert facets_for({Role.MANAGER}, stage) >= SCORES | {F.CALIBRATION_REASON, F.APPEAL}


@pytest.mark.parametrize("stage", [Stage.BEFORE_REVIEW, Stage.REVIEW])
def test_a_skip_level_manager_sees_nothing_before_calibration(stage: Stage) -> None:
    assert facets_for({Role.SKIP_MANAGER}, stage) == set()


@pytest.mark.parametrize("stage", [Stage.CALIBRATION, Stage.RELEASED])
def test_a_skip_level_manager_sees_the_subtree_from_calibration_on(stage: Stage) -> None:
    assert facets_for({Role.SKIP_MANAGER}, stage) >= SCORES | {F.CALIBRATION_REASON}


@pytest.mark.parametrize("stage", STAGES)
def test_a_rater_sees_only_what_they_submitted(stage: Stage) -> None:
    assert facets_for({Role.RATER}, stage) == {F.OWN_RATINGS}


@pytest.mark.parametrize("stage", STAGES)
def test_hr_sees_everything_at_every_stage(stage: Stage) -> None:
    assert facets_for({Role.HR}, stage) == set(Facet)


@pytest.mark.parametrize("stage", STAGES)
def test_an_outsider_sees_nothing(stage: Stage) -> None:
    assert facets_for({Role.OUTSIDER}, stage) == set()


def test_roles_add_up_a_manager_who_is_also_a_rater_sees_both() -> None:
    assert facets_for({Role.SKIP_MANAGER, Role.RATER}, Stage.REVIEW) == {F.OWN_RATINGS}


@pytest.mark.parametrize("role", list(Role))
def test_every_cell_keeps_the_facet_dependencies(role: Role) -> None:
    # A breakdown adds up only with its sections, groups and total; no pre-calibration number without the final.
    for cell in MATRIX[role]:
        if F.BREAKDOWN in cell:  # the tree also shows the pre-calibration total it adds up to
            assert {F.TOTAL, F.COMPUTED, F.SECTIONS, F.RATER_GROUPS} <= cell
        if cell & {F.COMPUTED, F.SECTIONS, F.RATER_GROUPS, F.CALIBRATION_REASON}:
            assert F.TOTAL in cell
        if F.RATER_SCORES in cell or F.ANONYMOUS_RATERS in cell:
            assert F.RATER_GROUPS in cell


def test_the_matrix_has_one_column_per_stage() -> None:
    assert set(MATRIX) == set(Role) and all(len(row) == len(STAGES) for row in MATRIX.values())


@pytest.mark.parametrize(("phase", "stage"), [
    (Phase.GOAL_SETTING, Stage.BEFORE_REVIEW), (Phase.SELF_REVIEW, Stage.BEFORE_REVIEW),
    (Phase.MANAGER_REVIEW, Stage.REVIEW), (Phase.CALIBRATION, Stage.CALIBRATION),
    (Phase.RESULTS, Stage.CALIBRATION), (Phase.CLOSED, Stage.CALIBRATION)])
def test_unreleased_phases_map_to_stages(phase: Phase, stage: Stage) -> None:
    assert stage_of(phase, released=False) is stage


@pytest.mark.parametrize("phase", [Phase.RESULTS, Phase.APPEAL_WINDOW, Phase.CALIBRATION])
def test_a_released_result_is_released_in_any_phase(phase: Phase) -> None:
    assert stage_of(phase.value, released=True) is Stage.RELEASED


CHAIN = ("mia", "boss", "ceo")


@pytest.mark.parametrize(("viewer", "rated", "roles"), [
    ("ann", False, {Role.SELF}), ("mia", False, {Role.MANAGER}), ("boss", False, {Role.SKIP_MANAGER}),
    ("ceo", False, {Role.SKIP_MANAGER}), ("bob", True, {Role.RATER}), ("bob", False, {Role.OUTSIDER}),
    ("hr1", False, {Role.HR}), ("hr1", True, {Role.HR, Role.RATER}), ("mia", True, {Role.MANAGER, Role.RATER}), ("ann", True, {Role.SELF})])
def test_roles_of_a_viewer(viewer: str, rated: bool, roles: set[Role]) -> None:
    assert roles_of(viewer, "ann", hr_userids={"hr1"}, manager_chain=CHAIN, rated=rated) == roles


def test_an_employee_before_release_is_refused_with_when_it_will_be_shown() -> None:
    with pytest.raises(NotVisible, match="not released yet; results are released after calibration"):
        require_visible({Role.SELF}, Stage.CALIBRATION, "ann", "2026-Q4", has_own_ratings=False)


def test_an_employee_with_a_self_review_before_release_sees_it() -> None:
    assert require_visible({Role.SELF}, Stage.REVIEW, "ann", "2026-Q4", has_own_ratings=True) == {F.OWN_RATINGS}


def test_a_skip_level_manager_is_told_from_which_stage_on_they_see_the_subtree() -> None:
    with pytest.raises(NotVisible, match="from the calibration stage on; the cycle is at review"):
        require_visible({Role.SKIP_MANAGER}, Stage.REVIEW, "ann", "2026-Q4", has_own_ratings=False)


def test_a_rater_without_a_submission_is_refused() -> None:
    with pytest.raises(NotVisible, match="only the ratings you submitted about ann"):
        require_visible({Role.RATER}, Stage.RELEASED, "ann", "2026-Q4", has_own_ratings=False)


def test_an_outsider_is_refused_and_pointed_to_hr() -> None:
    with pytest.raises(NotVisible, match="ask HR"):
        require_visible({Role.OUTSIDER}, Stage.RELEASED, "ann", "2026-Q4", has_own_ratings=True)


PEOPLE = st.sampled_from(["ann", "bob", "mia", "boss", "hr1", "zed"])


@given(st.sets(st.sampled_from(list(Role))), st.sampled_from(STAGES))
def test_only_an_hr_role_ever_grants_anonymous_raters(roles: set[Role], stage: Stage) -> None:
    assert (F.ANONYMOUS_RATERS in facets_for(roles, stage)) == (Role.HR in roles)


@given(PEOPLE, PEOPLE, st.lists(PEOPLE, max_size=4), st.sets(PEOPLE, max_size=2), st.booleans(),
       st.sampled_from(list(Phase)), st.booleans())
def test_no_viewer_outside_hr_ever_sees_an_anonymous_rater(viewer: str, subject: str, chain: list[str],
                                                          hr: set[str], rated: bool, phase: Phase,
                                                          released: bool) -> None:
    roles = roles_of(viewer, subject, hr_userids=hr, manager_chain=chain, rated=rated)
    shown = F.ANONYMOUS_RATERS in facets_for(roles, stage_of(phase, released))
    assert shown == (viewer in hr and viewer != subject)


def test_a_manager_before_the_manager_review_is_told_when_team_scores_appear() -> None:
    with pytest.raises(NotVisible, match="your team's scores in cycle 2026-Q4 are shown from the review stage on"):
        require_visible({Role.MANAGER}, Stage.BEFORE_REVIEW, "ann", "2026-Q4", has_own_ratings=False)


def test_hr_staff_see_their_own_result_as_any_employee_does() -> None:
    assert roles_of("ann", "ann", hr_userids={"ann"}, manager_chain=CHAIN, rated=True) == {Role.SELF}
