"""What-if tally: counts, grade transitions, mean shift and the biggest movers of two scorings."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.what_if import Outcome, WhatIfTally


def test_identical_scorings_report_no_change() -> None:
    tally = WhatIfTally()
    for i in range(5):
        same = Outcome(D(80 + i), "B")
        tally.add(f"u{i}", same, same)
    report = tally.report()
    assert (report.people, report.unchanged, report.changed, report.grade_changes) == (5, 5, 0, 0)
    assert report.top_movers == ()
    assert report.mean_before == report.mean_after == D(82)


def test_grade_transitions_and_means_are_counted() -> None:
    tally = WhatIfTally()
    tally.add("a", Outcome(D(90), "A"), Outcome(D(96), "S"))
    tally.add("b", Outcome(D(70), "C"), Outcome(D(70), "C"))
    tally.add("c", Outcome(D(80), "B"), Outcome(D(75), "B"))
    report = tally.report()
    assert report.transitions == {("A", "S"): 1, ("C", "C"): 1, ("B", "B"): 1}
    assert report.grade_changes == 1
    assert report.grades_after == {"S": 1, "C": 1, "B": 1}
    assert report.mean_before == D(80) and report.mean_after == D("80.33333333333333333333333333")


def test_top_movers_are_the_largest_absolute_moves_in_order() -> None:
    tally = WhatIfTally(top=2)
    for userid, delta in (("a", 1), ("b", -7), ("c", 3), ("d", 7)):
        tally.add(userid, Outcome(D(50), "C"), Outcome(D(50 + delta), "C"))
    assert [(m.userid, m.delta) for m in tally.report().top_movers] == [("b", D(-7)), ("d", D(7))]


def test_a_candidate_that_blocks_someone_names_them() -> None:
    tally = WhatIfTally()
    tally.add("a", Outcome(D(80), "B"), Outcome(None, None, "no manager review"))
    tally.add("b", Outcome(None, None, "x"), Outcome(D(60), "D"))
    report = tally.report()
    assert [m.userid for m in report.newly_blocked] == ["a"]
    assert report.unblocked == 1
    assert report.transitions[("B", "blocked")] == 1


@given(st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=60))
def test_transitions_always_account_for_every_person(pairs: list[tuple[int, int]]) -> None:
    tally = WhatIfTally(top=3)
    for i, (x, y) in enumerate(pairs):
        tally.add(f"u{i}", Outcome(D(x), "A" if x > 50 else "B"), Outcome(D(y), "A" if y > 50 else "B"))
    report = tally.report()
    assert sum(report.transitions.values()) == report.people == len(pairs)
    assert report.unchanged + report.changed == len(pairs)
    assert len(report.top_movers) <= 3
