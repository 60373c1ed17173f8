from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf.cycles import new_cycle
from dingperf.perf.errors import TransitionError
from dingperf.perf.groups import (
    AllOf,
    AnyOf,
    DynamicGroup,
    Employee,
    InDepartmentSubtree,
    IsActive,
    JobLevelBetween,
    Not,
    OrgContext,
    ReportsTo,
    TenureAtLeast,
    TitleIn,
    VirtualGroup,
    diff_membership,
    evaluate,
    reevaluate_participants,
    tenure_months,
)
from dingperf.perf.periods import CycleKind
from dingperf.perf.phases import advance

TREE = {"1": None, "sales": "1", "north": "sales", "rd": "1"}


def ctx(*emps, as_of=date(2026, 1, 1)):
    return OrgContext(as_of, TREE, {e.userid: e for e in emps})


ANN = Employee("ann", "Ann", ("north",), "Sales Rep", 3, date(2024, 1, 15), "mia")
BOB = Employee("bob", "Bob", ("rd",), "Engineer", 5, date(2025, 12, 1), "joe")
MIA = Employee("mia", "Mia", ("sales",), "Sales Manager", 6, date(2020, 1, 1), "ceo")
SALES = DynamicGroup("g1", "Sales", AllOf((InDepartmentSubtree("sales"), IsActive())))


def test_department_subtree_includes_sub_departments():
    assert set(evaluate([SALES], ctx(ANN, BOB, MIA))) == {"ann", "mia"}


def test_tenure_counts_completed_months_on_the_as_of_date():
    assert tenure_months(date(2024, 1, 15), date(2026, 1, 14)) == 23
    assert tenure_months(date(2024, 1, 15), date(2026, 1, 15)) == 24
    rule = DynamicGroup("g", "Veterans", TenureAtLeast(6))
    assert set(evaluate([rule], ctx(ANN, BOB))) == {"ann"}


def test_and_or_not_compose():
    rule = AnyOf((TitleIn(frozenset({"Engineer"})), AllOf((JobLevelBetween(5, None), Not(TitleIn(frozenset({"Engineer"})))))))
    assert set(evaluate([DynamicGroup("g", "g", rule)], ctx(ANN, BOB, MIA))) == {"bob", "mia"}


def test_reports_to_direct_or_indirect():
    direct = DynamicGroup("g", "g", ReportsTo("ceo"))
    indirect = DynamicGroup("g", "g", ReportsTo("ceo", direct_only=False))
    assert set(evaluate([direct], ctx(ANN, MIA))) == {"mia"}
    assert set(evaluate([indirect], ctx(ANN, MIA))) == {"ann", "mia"}


def test_virtual_group_lists_members_but_skips_inactive_people():
    team = VirtualGroup("v", "Project X", frozenset({"ann", "bob"}))
    gone = Employee("bob", "Bob", ("rd",), active=False)
    assert set(evaluate([team], ctx(ANN, gone))) == {"ann"}


def test_diff_explains_who_joined_and_who_left():
    moved = Employee("ann", "Ann", ("rd",), "Sales Rep", 3, date(2024, 1, 15), "mia")
    newcomer = Employee("zoe", "Zoe", ("north",), "Sales Rep", 1, date(2025, 12, 20), "mia")
    diff = diff_membership([SALES], {"ann", "mia", "old"}, ctx(moved, MIA, newcomer))
    assert [(c.userid, "north" in c.why) for c in diff.added] == [("zoe", True)]
    removed = {c.userid: c.why for c in diff.removed}
    assert "outside the subtree of sales" in removed["ann"]
    assert removed["old"] == "no longer in the address book"
    assert diff.members == {"mia", "zoe"}


def test_participants_are_frozen_once_the_cycle_locks():
    tz = ZoneInfo("Asia/Shanghai")
    c = new_cycle("q1", "Q1", CycleKind.QUARTERLY, date(2026, 1, 1), "Asia/Shanghai")
    t = datetime(2026, 1, 2, tzinfo=tz)
    assert reevaluate_participants(c, [SALES], set(), ctx(ANN)).members == {"ann"}
    c, _ = advance(c, "hr", t)
    c, _ = advance(c, "hr", t + timedelta(days=1))
    with pytest.raises(TransitionError, match="re-evaluate participants"):
        reevaluate_participants(c, [SALES], set(), ctx(ANN))


def test_after_the_lock_participants_change_only_explicitly_with_a_reason():
    from dingperf.perf.errors import ValidationError
    from dingperf.perf.groups import change_locked_participant

    c = new_cycle("q1", "Q1", CycleKind.QUARTERLY, date(2026, 1, 1), "Asia/Shanghai")
    now = datetime(2026, 2, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    with pytest.raises(ValidationError, match="reason"):
        change_locked_participant(c, {"ann"}, "zoe", True, "hr", now, "")
    members, audit = change_locked_participant(c, {"ann"}, "zoe", True, "hr", now, "transferred in from R&D")
    assert members == {"ann", "zoe"} and audit.action == "add_participant:zoe"
    members, _ = change_locked_participant(c, members, "ann", False, "hr", now, "long leave")
    assert members == {"zoe"}
