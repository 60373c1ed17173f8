from __future__ import annotations

import pytest

from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.nomination_rules import (
    check_nominee,
    nomination_limits,
    rating_problem,
    require_nomination_phase,
    shortfalls,
)
from dingperf.perf.raters import RaterConfig
from dingperf.perf.reviews import RaterType

PEERS = RaterConfig.build({"self": 10, "manager": 60, "peer": 30}, anonymous=("peer",), quorum={"peer": 4})
MANAGER_ONLY = RaterConfig.build({"manager": 100})
LIMITS = nomination_limits(PEERS)


def nominee(rater: str = "bob", rater_type: RaterType = RaterType.PEER, **kw: object) -> RaterType:
    args: dict[str, object] = {"reviewee_manager": "mia", "rater_manager": "mia", "reviewee_depts": (1,),
                               "rater_depts": (1,), "active_of_type": 0}
    args.update(kw)
    return check_nominee("ann", rater, rater_type, LIMITS, **args)  # type: ignore[arg-type]


def test_defaults_need_the_quorum_of_a_weighted_group_and_allow_nobody_in_unweighted_ones() -> None:
    assert (LIMITS.min_of(RaterType.PEER), LIMITS.max_of(RaterType.PEER)) == (4, 5)
    assert LIMITS.max_of(RaterType.SUBORDINATE) == 0 and LIMITS.required


def test_a_peer_group_without_quorum_still_needs_three_peers() -> None:
    assert nomination_limits(RaterConfig.build({"manager": 80, "peer": 20})).min_of(RaterType.PEER) == 3


def test_a_cycle_without_nominated_groups_does_not_require_nominations() -> None:
    assert not nomination_limits(MANAGER_ONLY).required


def test_declared_limits_override_the_defaults() -> None:
    limits = nomination_limits(PEERS, {"minimum": {"peer": 2}, "maximum": {"peer": 8}, "required": False})
    assert (limits.min_of(RaterType.PEER), limits.max_of(RaterType.PEER), limits.required) == (2, 8, False)


def test_limits_for_an_unweighted_group_are_refused() -> None:
    with pytest.raises(ValidationError, match="gives subordinate raters no weight"):
        nomination_limits(PEERS, {"maximum": {"subordinate": 3}})


def test_a_minimum_above_the_maximum_is_refused() -> None:
    with pytest.raises(ValidationError, match="minimum 6 above maximum 4"):
        nomination_limits(PEERS, {"minimum": {"peer": 6}, "maximum": {"peer": 4}})


def test_nominations_close_after_the_manager_and_360_review() -> None:
    require_nomination_phase("manager_review", "q4")
    with pytest.raises(TransitionError, match="cycle q4 is in its calibration phase"):
        require_nomination_phase("calibration", "q4")


def test_self_and_manager_raters_are_not_nominated() -> None:
    with pytest.raises(ValidationError, match="assigned by the org chart"):
        nominee("mia", RaterType.MANAGER)


def test_a_reviewee_cannot_be_their_own_peer() -> None:
    with pytest.raises(ValidationError, match="cannot rate themselves as peer"):
        nominee("ann")


def test_the_manager_cannot_also_be_a_peer() -> None:
    with pytest.raises(ValidationError, match="mia is ann's manager"):
        nominee("mia")


def test_a_group_the_cycle_does_not_weight_cannot_be_nominated() -> None:
    with pytest.raises(ValidationError, match="does not use cross_department raters; nominate peer"):
        nominee("zed", RaterType.CROSS_DEPARTMENT, rater_depts=(2,))


def test_a_subordinate_must_report_to_the_reviewee() -> None:
    limits = nomination_limits(RaterConfig.build({"manager": 80, "subordinate": 20}))
    with pytest.raises(ValidationError, match="does not report to ann"):
        check_nominee("ann", "bob", RaterType.SUBORDINATE, limits, reviewee_manager="mia", rater_manager="mia",
                      reviewee_depts=(1,), rater_depts=(1,), active_of_type=0)


def test_a_cross_department_rater_must_sit_in_another_department() -> None:
    limits = nomination_limits(RaterConfig.build({"manager": 80, "cross_department": 20}))
    args: dict[str, object] = {"reviewee_manager": "mia", "rater_manager": "max", "active_of_type": 0}
    with pytest.raises(ValidationError, match="shares a department with ann"):
        check_nominee("ann", "zed", RaterType.CROSS_DEPARTMENT, limits, reviewee_depts=(1, 2), rater_depts=(2,),
                      **args)  # type: ignore[arg-type]
    assert check_nominee("ann", "zed", RaterType.CROSS_DEPARTMENT, limits, reviewee_depts=(1,),
                         rater_depts=(2,), **args) is RaterType.CROSS_DEPARTMENT  # type: ignore[arg-type]


def test_nominating_beyond_the_maximum_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"already has 5 peer raters \(maximum 5\); withdraw one"):
        nominee(active_of_type=5)


def test_shortfalls_name_how_many_more_approved_raters_are_needed() -> None:
    assert shortfalls("ann", {RaterType.PEER: 1}, {RaterType.PEER: 2}, LIMITS) == (
        "ann has 1 approved peer raters of 4 needed (2 awaiting approval); nominate and approve 3 more",)
    assert shortfalls("ann", {RaterType.PEER: 4}, {}, LIMITS) == ()


def test_only_the_reviewee_writes_their_self_review() -> None:
    assert rating_problem("ann", "ann", "self", manager="mia", approved=False, limits=LIMITS) is None
    assert "only ann can" in (rating_problem("ann", "bob", "self", manager="mia", approved=False,
                                             limits=LIMITS) or "")


def test_a_manager_rating_from_someone_else_is_refused_unless_hr_overrides() -> None:
    assert "bob is not ann's manager (mia)" in (rating_problem("ann", "bob", "manager", manager="mia",
                                                               approved=False, limits=LIMITS) or "")
    assert rating_problem("ann", "bob", "manager", manager="mia", approved=False, limits=LIMITS,
                          hr_override=True) is None


def test_an_unknown_manager_is_refused_only_where_nominations_are_required() -> None:
    assert "no manager is recorded for ann" in (rating_problem("ann", "bob", "manager", manager=None,
                                                               approved=False, limits=LIMITS) or "")
    relaxed = nomination_limits(MANAGER_ONLY)
    assert rating_problem("ann", "bob", "manager", manager=None, approved=False, limits=relaxed) is None


def test_a_peer_rating_needs_an_approved_nomination_when_required() -> None:
    assert "no approved peer nomination" in (rating_problem("ann", "bob", "peer", manager="mia", approved=False,
                                                            limits=LIMITS) or "")
    assert rating_problem("ann", "bob", "peer", manager="mia", approved=True, limits=LIMITS) is None
