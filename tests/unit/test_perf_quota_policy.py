"""Quota policies of calibration groups: seats, guideline checks, move impact, and group membership rules."""


import pytest

from dingperf.perf.calibration_groups import (
    DEFAULT_GROUP,
    GroupSpec,
    MemberRule,
    Person,
    assign_groups,
    group_of,
    subtree,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.quota_policy import QuotaPolicy, check_group, move_impact, shares_in_order

ORDER = ("S", "A", "B", "C", "D")
SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}


def _policy(**kw: object) -> QuotaPolicy:
    return QuotaPolicy.from_dict({"shares": SHARES, **kw})


def _grades(spec: dict[str, int]) -> dict[str, str]:
    return {f"u{g}{i:02d}": g for g, n in spec.items() for i in range(n)}


def test_policy_seats_follow_largest_remainder() -> None:
    assert _policy().seats(23) == {"S": 2, "A": 5, "B": 12, "C": 3, "D": 1}


def test_policy_round_trips_through_its_dict() -> None:
    policy = _policy(guidelines=["S+A ≤ 30%", "C+D ≥ 15%"], enforcement="hard", tie_break_section="performance")
    assert QuotaPolicy.from_dict(policy.to_dict()) == policy


def test_shares_not_totalling_100_are_refused() -> None:
    with pytest.raises(ValidationError, match="must total 100%"):
        QuotaPolicy.from_dict({"shares": {"S": 10, "A": 20}})


def test_shares_missing_a_grade_of_the_scale_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"no percent for \['D'\]"):
        shares_in_order({"S": 10, "A": 20, "B": 55, "C": 15}, ORDER)


def test_policy_naming_a_grade_outside_the_scale_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"\['X'\]"):
        QuotaPolicy.from_dict({"guidelines": ["X ≤ 10%"]}).require_scale(ORDER)


def test_a_distribution_at_its_seats_has_no_violations() -> None:
    check = check_group(_grades({"S": 2, "A": 5, "B": 12, "C": 3, "D": 1}), ORDER, _policy(enforcement="hard"))
    assert (check.violations, check.distance, check.blocking) == ((), 0, False)


def test_an_over_full_grade_is_a_blocking_violation_under_hard_enforcement() -> None:
    check = check_group(_grades({"S": 3, "A": 4, "B": 12, "C": 3, "D": 1}), ORDER, _policy(enforcement="hard"))
    assert check.blocking and check.distance == 2
    assert "S: remove 1 (quota 2, now 3)" in check.violations


def test_a_grouped_guideline_reports_how_many_to_remove() -> None:
    policy = QuotaPolicy.from_dict({"guidelines": ["S+A ≤ 30%"]})
    check = check_group(_grades({"S": 2, "A": 2, "B": 6}), ORDER, policy)
    assert check.violations == ("S+A ≤ 30%: 4 people, allowed 0–3; remove 1",) and not check.blocking


def test_a_move_into_a_full_grade_breaks_a_hard_quota() -> None:
    grades = _grades({"S": 2, "A": 5, "B": 12, "C": 3, "D": 1})
    impact = move_impact("g", grades, {"uB00": "A"}, ORDER, _policy(enforcement="hard"))
    assert impact.breaks_hard_quota and "A: remove 1" in impact.message


def test_a_swap_keeps_a_hard_quota() -> None:
    grades = _grades({"S": 2, "A": 5, "B": 12, "C": 3, "D": 1})
    impact = move_impact("g", grades, {"uB00": "A", "uA00": "B"}, ORDER, _policy(enforcement="hard"))
    assert not impact.breaks_hard_quota and not impact.after.violations


def test_a_move_towards_the_quota_is_not_a_break() -> None:
    grades = _grades({"S": 3, "A": 4, "B": 12, "C": 3, "D": 1})
    assert not move_impact("g", grades, {"uS00": "A"}, ORDER, _policy(enforcement="hard")).breaks_hard_quota


def test_a_soft_quota_never_breaks() -> None:
    grades = _grades({"S": 2, "A": 5, "B": 12, "C": 3, "D": 1})
    assert not move_impact("g", grades, {"uB00": "S"}, ORDER, _policy()).breaks_hard_quota


PARENTS = {1: None, 10: 1, 11: 10, 20: 1}


def test_a_subtree_holds_every_department_below_its_root() -> None:
    assert subtree([10], PARENTS) == {10, 11}


def test_people_are_claimed_by_department_subtree_manager_and_userid() -> None:
    specs = [GroupSpec("sales", "Sales", MemberRule(dept_ids=(10,))),
             GroupSpec("ops", "Ops", MemberRule(manager_userids=("boss",), userids=("x",)))]
    people = [Person("a", (11,)), Person("b", (20,), "boss"), Person("x", (20,)), Person("z", (20,))]
    groups = {g.group_id: g.members for g in assign_groups(specs, people, PARENTS)}
    assert groups == {"sales": ("a",), "ops": ("b", "x"), DEFAULT_GROUP: ("z",)}


def test_a_person_claimed_by_two_groups_is_an_error_naming_both() -> None:
    specs = [GroupSpec("sales", "Sales", MemberRule(dept_ids=(10,))),
             GroupSpec("vip", "VIP", MemberRule(userids=("a",)))]
    with pytest.raises(ValidationError, match="a is claimed by groups 'sales' and 'vip'"):
        assign_groups(specs, [Person("a", (11,))], PARENTS)


def test_two_small_groups_pool_into_their_named_pool() -> None:
    policy = _policy()
    specs = [GroupSpec(g, g, MemberRule(dept_ids=(d,)), policy, min_size=8, pool="small")
             for g, d in (("east", 10), ("west", 20))]
    people = [Person(f"e{i}", (10,)) for i in range(4)] + [Person(f"w{i}", (20,)) for i in range(5)]
    (pool,) = assign_groups(specs, people, PARENTS)
    assert (pool.group_id, pool.size, pool.pooled_from, pool.policy) == ("small", 9, ("east", "west"), policy)


def test_a_group_big_enough_is_not_pooled() -> None:
    specs = [GroupSpec("east", "East", MemberRule(dept_ids=(10,)), min_size=2, pool="small")]
    (east,) = assign_groups(specs, [Person("e1", (10,)), Person("e2", (11,))], PARENTS)
    assert (east.group_id, east.size) == ("east", 2)


def test_min_size_without_a_pool_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs a pool group"):
        GroupSpec("east", "East", MemberRule(dept_ids=(10,)), min_size=8)


def test_group_of_names_the_group_of_a_member() -> None:
    groups = assign_groups([GroupSpec("sales", "Sales", MemberRule(userids=("a",)))], [Person("a")], PARENTS)
    assert group_of(groups, "a").group_id == "sales"


def test_two_guidelines_on_the_same_grades_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"\['A\+S'\] have more than one guideline"):
        QuotaPolicy.from_dict({"guidelines": ["S+A ≤ 30%", "A+S ≥ 10%"]})


def test_single_grade_minimums_above_everyone_are_refused() -> None:
    with pytest.raises(ValidationError, match="minimums total 110%"):
        QuotaPolicy.from_dict({"guidelines": ["B ≥ 60%", "C ≥ 50%"]})


def test_a_pool_still_below_min_size_keeps_the_min_size_to_flag_it() -> None:
    specs = [GroupSpec(g, g, MemberRule(dept_ids=(d,)), min_size=8, pool="small") for g, d in (("e", 10), ("w", 20))]
    (pool,) = assign_groups(specs, [Person("e1", (10,)), Person("w1", (20,))], PARENTS)
    assert (pool.size, pool.min_size) == (2, 8)


def test_pooling_into_a_group_that_is_itself_pooled_away_is_refused() -> None:
    specs = [GroupSpec("e", "e", MemberRule(dept_ids=(10,)), min_size=8, pool="w"),
             GroupSpec("w", "w", MemberRule(dept_ids=(20,)), min_size=8, pool="all")]
    with pytest.raises(ValidationError, match=r"groups \['w'\] take in small groups but are themselves pooled"):
        assign_groups(specs, [Person("e1", (10,)), Person("w1", (20,))], PARENTS)
