from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.errors import ValidationError
from dingperf.perf.quotas import (
    Rounding,
    allocate_quotas,
    at_least,
    at_most,
    between,
    check_guidelines,
    parse_guideline,
    quota_breakdown,
    quota_feedback,
)

SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}


def test_product_example_23_people_gives_2_5_12_3_1():
    assert allocate_quotas(23, SHARES) == {"S": 2, "A": 5, "B": 12, "C": 3, "D": 1}


def test_breakdown_shows_raw_floor_and_remainder():
    lines = {line.grade: line for line in quota_breakdown(23, SHARES)}
    assert lines["C"].raw == Decimal("3.45") and lines["C"].floor == 3
    assert lines["A"].remainder == Decimal("0.6") and lines["A"].quota == 5


def test_equal_remainders_go_to_the_grade_declared_first():
    assert allocate_quotas(2, {"A": 50, "B": 25, "C": 25}) == {"A": 1, "B": 1, "C": 0}


def test_shares_must_total_100():
    with pytest.raises(ValidationError, match="total 95"):
        allocate_quotas(10, {"A": 50, "B": 45})


def test_quota_feedback_says_add_or_remove_per_grade():
    assert quota_feedback({"S": 4, "A": 5, "B": 10, "C": 3, "D": 1}, allocate_quotas(23, SHARES)) == {
        "S": -2, "A": 0, "B": 2, "C": 0, "D": 0}


def test_parse_one_sided_grouped_and_range_guidelines():
    assert parse_guideline("S ≤ 10%") == at_most(["S"], 10)
    assert parse_guideline("C+D >= 15%") == at_least(["C", "D"], 15)
    assert parse_guideline("A 15–25%") == between(["A"], 15, 25)
    with pytest.raises(ValidationError, match="cannot read"):
        parse_guideline("S about 10")


def test_grouped_guideline_counts_both_grades_and_says_how_many_to_add():
    counts = {"S": 2, "A": 5, "B": 15, "C": 1, "D": 0}
    (check,) = check_guidelines(counts, [parse_guideline("C+D ≥ 15%")])
    assert (check.count, check.min_count, check.add, check.ok) == (1, 3, 2, False)
    assert check.message == "C+D ≥ 15%: 1 people, allowed 3–∞; add 2"


def test_strict_rounding_never_exceeds_a_maximum():
    counts = {"S": 3, "B": 17}  # 15% of 20 = 3
    assert check_guidelines(counts, [at_most(["S"], Decimal("12.5"))], Rounding.NEAREST)[0].max_count == 3
    assert check_guidelines(counts, [at_most(["S"], Decimal("12.5"))], Rounding.STRICT)[0].remove == 1


@given(st.integers(0, 5000), st.lists(st.integers(1, 1000), min_size=1, max_size=7))
def test_quotas_sum_to_headcount_and_each_is_floor_or_ceil_of_its_share(headcount, weights):
    # shares as exact percentages in hundredths so they total exactly 100
    cents = [w * 10000 // sum(weights) for w in weights]
    cents[0] += 10000 - sum(cents)
    shares = {f"g{i}": Decimal(c) / 100 for i, c in enumerate(cents)}
    quotas = allocate_quotas(headcount, shares)
    assert sum(quotas.values()) == headcount
    for g, share in shares.items():
        raw = share * headcount / 100
        assert quotas[g] in (int(raw.to_integral_value(ROUND_FLOOR)), int(raw.to_integral_value(ROUND_CEILING)))
