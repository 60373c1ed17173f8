from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.cascade import align, descendants, goal_map, roll_up
from dingperf.perf.errors import ValidationError
from dingperf.perf.goals import Goal, GoalKind, GoalLevel
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))
NOW = datetime(2026, 1, 5, tzinfo=UTC)
D = Decimal


def goal(gid, owner, parent=None, w=1, level=GoalLevel.PERSON):
    return Goal(gid, owner, gid.upper(), GoalKind.MBO, Q1, parent_id=parent, alignment_weight=D(w), level=level)


def tree():
    gs = [goal("co", "ceo", level=GoalLevel.COMPANY), goal("dept", "vp", "co", level=GoalLevel.DEPARTMENT),
          goal("team", "lead", "dept", w=3, level=GoalLevel.TEAM), goal("p1", "ann", "team", w=1),
          goal("p2", "bob", "team", w=3), goal("dept2", "vp2", "co", w=1, level=GoalLevel.DEPARTMENT)]
    return {x.goal_id: x for x in gs}


def test_align_sets_parent_and_audits():
    goals = tree() | {"new": goal("new", "cat")}
    new, audit = align(goals, "new", "team", "cat", NOW, D(2))
    assert new.parent_id == "team" and new.alignment_weight == 2
    assert (audit.from_state, audit.to_state) == ("unaligned", "team")


def test_cannot_align_to_own_descendant():
    with pytest.raises(ValidationError, match="cycle"):
        align(tree(), "dept", "p1", "vp", NOW)


def test_cannot_align_to_a_goal_of_the_same_owner():
    goals = tree() | {"mine": goal("mine", "ann")}
    with pytest.raises(ValidationError, match="someone else"):
        align(goals, "mine", "p1", "ann", NOW)


def test_descendants_cover_the_whole_subtree():
    assert descendants(tree(), "dept") == {"team", "p1", "p2"}


def test_weighted_roll_up_through_levels():
    rolled = roll_up(tree(), {"p1": D("0.2"), "p2": D("0.6"), "dept2": D("1")})
    assert rolled["team"] == D("0.5")  # (1×0.2 + 3×0.6) / 4
    assert rolled["dept"] == D("0.5")
    assert rolled["co"] == D("0.75")  # dept weight 1, dept2 weight 1


def test_leaf_without_progress_is_an_error():
    with pytest.raises(ValidationError, match="no progress for leaf goal p2"):
        roll_up(tree(), {"p1": D(1), "dept2": D(1)})


def test_map_nests_children_and_renders_as_dicts():
    roots = goal_map(tree(), {"p1": D("0.2"), "p2": D("0.6"), "dept2": D(1)})
    assert [r.goal_id for r in roots] == ["co"]
    as_dict = roots[0].to_dict()
    assert [c["goal_id"] for c in as_dict["children"]] == ["dept", "dept2"]
    assert as_dict["children"][0]["children"][0]["children"][1]["owner"] == "bob"


@given(st.lists(st.tuples(st.decimals(0, 2, places=3), st.integers(1, 9)), min_size=1, max_size=8))
def test_roll_up_stays_within_children_range(children):
    goals = {"root": goal("root", "boss")}
    progress = {}
    for i, (p, w) in enumerate(children):
        goals[f"c{i}"] = goal(f"c{i}", f"u{i}", "root", w)
        progress[f"c{i}"] = p
    value = roll_up(goals, progress)["root"]
    assert min(progress.values()) <= value <= max(progress.values())
