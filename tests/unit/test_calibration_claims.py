"""Claims worked out once per (departments, manager) must still honour each person's own userid rules."""

from __future__ import annotations

import pytest

from dingperf.perf.calibration_groups import GroupSpec, MemberRule, Person, assign_groups
from dingperf.perf.errors import ValidationError

PARENTS = {1: None, 10: 1, 11: 10, 20: 1}


def test_a_userid_rule_applies_only_to_that_person_among_colleagues_with_the_same_departments() -> None:
    specs = [GroupSpec("sales", "Sales", MemberRule(dept_ids=(10,))),
             GroupSpec("vip", "VIP", MemberRule(userids=("b",)))]
    people = [Person("a", (20,), "boss"), Person("b", (20,), "boss"), Person("c", (20,), "boss")]
    groups = {g.group_id: g.members for g in assign_groups(specs, people, PARENTS)}
    assert groups == {"default": ("a", "c"), "sales": (), "vip": ("b",)}


def test_a_userid_rule_on_top_of_a_shared_department_claim_is_refused_with_both_groups() -> None:
    specs = [GroupSpec("sales", "Sales", MemberRule(dept_ids=(10,))),
             GroupSpec("vip", "VIP", MemberRule(userids=("b",)))]
    people = [Person("a", (11,)), Person("b", (11,))]
    with pytest.raises(ValidationError, match="b is claimed by groups 'sales' and 'vip'"):
        assign_groups(specs, people, PARENTS)
