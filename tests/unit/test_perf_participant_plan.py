"""A participant refresh: who groups select, who joins, who leaves, and who is kept because they have data."""

from __future__ import annotations

from datetime import date

from dingperf.perf.groups import DynamicGroup, Employee, InDepartmentSubtree, OrgContext, VirtualGroup
from dingperf.perf.participant_plan import (
    Current,
    Match,
    is_group_source,
    match_participants,
    plan_refresh,
    why_not_member,
)

TREE = {"1": None, "sales": "1", "north": "sales", "rd": "1"}
SALES = DynamicGroup("sales", "Sales", InDepartmentSubtree("sales"))
TEAM = VirtualGroup("px", "Project X", frozenset({"bob", "ghost"}), owner="mia")


def ctx(*emps: Employee) -> OrgContext:
    return OrgContext(date(2026, 11, 23), TREE, {e.userid: e for e in emps})


ANN = Employee("ann", "Ann", ("north",), manager_userid="mia")
BOB = Employee("bob", "Bob", ("rd",), manager_userid="joe")
MIA = Employee("mia", "Mia", ("sales",), manager_userid="ceo")


def test_the_first_matching_group_is_the_source():
    found = match_participants([SALES, TEAM], ctx(ANN, BOB, MIA))
    assert {u: m.source for u, m in found.items()} == {"ann": "group:sales", "mia": "group:sales",
                                                        "bob": "virtual:px"}
    assert found["ann"].why(ANN, ctx(ANN)) == "Sales: department north is in the subtree of sales"


def test_people_who_left_never_match_even_without_an_active_rule():
    gone = Employee("ann", "Ann", ("north",), active=False)
    assert match_participants([SALES], ctx(gone, MIA)).keys() == {"mia"}
    assert why_not_member([SALES], "ann", ctx(gone)) == "left the company (inactive in the address book)"


def test_excluded_people_do_not_match_and_the_reason_says_so():
    assert match_participants([SALES], ctx(ANN, MIA), {"mia": "CEO's office"}).keys() == {"ann"}
    assert why_not_member([SALES], "mia", ctx(MIA), {"mia": "CEO's office"}) == "excluded from the cycle: CEO's office"


def test_newcomers_join_with_their_group_and_org_manager():
    plan = plan_refresh({}, match_participants([SALES], ctx(ANN)), set(), [SALES], ctx(ANN))
    assert [(c.userid, c.source, c.manager_userid) for c in plan.added] == [("ann", "group:sales", "mia")]


def test_group_members_who_no_longer_match_leave_with_the_reason():
    moved = Employee("ann", "Ann", ("rd",), manager_userid="mia")
    plan = plan_refresh({"ann": Current("group:sales", "mia")}, {}, set(), [SALES], ctx(moved))
    assert [c.userid for c in plan.removed] == ["ann"]
    assert "outside the subtree of sales" in plan.removed[0].why


def test_manual_participants_stay_unless_they_left():
    gone = Employee("bob", "Bob", ("rd",), active=False)
    current = {"ann": Current("manual", None), "bob": Current("manual", "joe")}
    plan = plan_refresh(current, {}, set(), [SALES], ctx(Employee("ann", "Ann", ("rd",)), gone))
    assert [c.userid for c in plan.removed] == ["bob"] and plan.unchanged == 1


def test_someone_with_data_is_marked_unmatched_not_removed_and_stays_held():
    gone = Employee("ann", "Ann", ("north",), active=False)
    plan = plan_refresh({"ann": Current("group:sales", "mia")}, {}, {"ann"}, [SALES], ctx(gone))
    assert plan.removed == () and [c.source for c in plan.newly_unmatched] == ["unmatched:group:sales"]
    again = plan_refresh({"ann": Current("unmatched:group:sales", "mia")}, {}, {"ann"}, [SALES], ctx(gone))
    assert again.newly_unmatched == () and [c.userid for c in again.held] == ["ann"] and again.unchanged == 1


def test_an_unmatched_participant_who_matches_again_loses_the_mark():
    plan = plan_refresh({"ann": Current("unmatched:group:sales", "mia")}, {"ann": Match("group:sales", SALES)},
                        {"ann"}, [SALES], ctx(ANN))
    assert [(c.source, c.why) for c in plan.updated] == [
        ("group:sales", "selected again (Sales: department north is in the subtree of sales)")]


def test_a_group_member_follows_the_org_manager():
    plan = plan_refresh({"ann": Current("group:sales", "old-boss")}, {"ann": Match("group:sales", SALES)}, set(),
                        [SALES], ctx(ANN))
    assert [(c.manager_userid, c.why) for c in plan.updated] == [("mia", "manager is now mia")]


def test_an_unchanged_membership_plans_nothing():
    current = {"ann": Current("group:sales", "mia"), "mia": Current("group:sales", "ceo")}
    plan = plan_refresh(current, match_participants([SALES], ctx(ANN, MIA)), set(), [SALES], ctx(ANN, MIA))
    assert (plan.added, plan.removed, plan.updated, plan.unchanged) == ((), (), (), 2)


def test_group_sources_are_recognised_with_or_without_the_mark():
    assert is_group_source("virtual:px") and is_group_source("unmatched:group:g")
    assert not is_group_source("manual") and not is_group_source("unmatched:manual")


def test_every_rule_test_agrees_with_its_judge():
    from itertools import product

    from dingperf.perf.groups import (
        AllOf,
        AnyOf,
        IsActive,
        JobLevelBetween,
        Not,
        ReportsTo,
        TenureAtLeast,
        TitleIn,
    )

    rules = [InDepartmentSubtree("sales"), TitleIn(frozenset({"Rep"})), JobLevelBetween(3, 5), JobLevelBetween(None, 2),
             TenureAtLeast(12), ReportsTo("mia"), ReportsTo("ceo", direct_only=False), IsActive(),
             AllOf((IsActive(), TitleIn(frozenset({"Rep"})))), AnyOf((JobLevelBetween(6), Not(IsActive())))]
    people = [Employee(f"e{i}", "E", depts, title, level, hired, manager, active)
              for i, (depts, title, level, hired, manager, active) in enumerate(product(
                  [("north",), ("rd",), ()], ["Rep", ""], [None, 1, 4, 7], [None, date(2020, 1, 1), date(2026, 6, 1)],
                  ["mia", "ann", None], [True, False]))]
    org = OrgContext(date(2026, 11, 23), TREE, {e.userid: e for e in people + [MIA, ANN]})
    for rule, emp in product(rules, people):
        assert rule.test(emp, org) == rule.judge(emp, org).matched, (rule, emp)
