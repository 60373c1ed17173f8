"""The JSON form of participant groups round-trips and refuses anything it does not know, naming the path."""

from __future__ import annotations

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.group_dicts import group_from_dict, group_to_dict, rule_from_dict, rule_to_dict
from dingperf.perf.groups import (
    AllOf,
    AnyOf,
    DynamicGroup,
    InDepartmentSubtree,
    IsActive,
    JobLevelBetween,
    Not,
    ReportsTo,
    TenureAtLeast,
    TitleIn,
    VirtualGroup,
)

EVERY_RULE = AllOf((
    InDepartmentSubtree("12"),
    AnyOf((TitleIn(frozenset({"Sales Rep", "Sales Manager"})), JobLevelBetween(3, None))),
    Not(ReportsTo("ceo", direct_only=False)),
    TenureAtLeast(6),
    IsActive(),
))


def test_every_rule_round_trips_through_its_json_form():
    assert rule_from_dict(rule_to_dict(EVERY_RULE)) == EVERY_RULE


def test_dynamic_and_virtual_groups_round_trip():
    dynamic = DynamicGroup("sales", "Sales", EVERY_RULE)
    virtual = VirtualGroup("proj-x", "Project X", frozenset({"ann", "bob"}), owner="mia")
    assert group_from_dict(group_to_dict(dynamic)) == dynamic
    assert group_from_dict(group_to_dict(virtual)) == virtual


def test_a_numeric_department_id_is_accepted_as_text():
    assert rule_from_dict({"type": "dept_subtree", "dept_id": 12}) == InDepartmentSubtree("12")


def test_an_unknown_rule_type_is_refused_with_the_known_types():
    with pytest.raises(ValidationError, match=r"rule.rules\[1\]: unknown rule type 'grade'; use one of .*dept_subtree"):
        rule_from_dict({"type": "all_of", "rules": [{"type": "active"}, {"type": "grade", "grade": "A"}]})


def test_an_unknown_field_is_refused():
    with pytest.raises(ValidationError, match=r"unknown field\(s\) \['month'\]"):
        rule_from_dict({"type": "tenure_at_least", "months": 3, "month": 3})


def test_a_missing_field_is_refused():
    with pytest.raises(ValidationError, match=r"missing \['manager_userid'\]"):
        rule_from_dict({"type": "reports_to"})


@pytest.mark.parametrize("rule", [
    {"type": "tenure_at_least", "months": -1},
    {"type": "tenure_at_least", "months": "6"},
    {"type": "job_level"},
    {"type": "job_level", "low": 5, "high": 3},
    {"type": "title_in", "titles": []},
    {"type": "reports_to", "manager_userid": "mia", "direct_only": "yes"},
    {"type": "any_of", "rules": []},
    {"type": "dept_subtree", "dept_id": None},
    "active",
])
def test_values_of_the_wrong_shape_are_refused(rule):
    with pytest.raises(ValidationError):
        rule_from_dict(rule)


def test_rules_nested_too_deep_are_refused():
    rule: dict = {"type": "active"}
    for _ in range(10):
        rule = {"type": "not", "rule": rule}
    with pytest.raises(ValidationError, match="nest deeper"):
        rule_from_dict(rule)


def test_a_virtual_group_needs_an_owner_and_members():
    with pytest.raises(ValidationError, match=r"missing \['owner'\]"):
        group_from_dict({"kind": "virtual", "group_id": "p", "name": "P", "members": ["ann"]})
    with pytest.raises(ValidationError, match="members must be a non-empty list"):
        group_from_dict({"kind": "virtual", "group_id": "p", "name": "P", "owner": "mia", "members": []})


def test_a_group_id_that_cannot_be_a_source_is_refused():
    with pytest.raises(ValidationError, match="group_id must be 1–40"):
        group_from_dict({"kind": "dynamic", "group_id": "a b", "name": "x", "rule": {"type": "active"}})
    with pytest.raises(ValidationError, match="kind 'dynamic' or 'virtual'"):
        group_from_dict({"kind": "static", "group_id": "a"})
