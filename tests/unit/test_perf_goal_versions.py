from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import Direction, TargetVersion, plain_achievement, time_weighted_achievement
from dingperf.perf.periods import Period

Q1 = Period(date(2026, 1, 1), date(2026, 4, 1))  # 90 days


def test_late_adjustment_counts_only_for_the_days_it_was_in_force():
    v1 = TargetVersion(1, Decimal(100), date(2026, 1, 1))
    v2 = TargetVersion(2, Decimal(60), date(2026, 3, 22))  # last 10 days
    result = time_weighted_achievement([v1, v2], Q1, Decimal(60))
    # 80/90 of the period at 60/100 and 10/90 at 60/60
    assert result.achievement == Decimal("0.6") * (Decimal(80) / 90) + Decimal(1) * (Decimal(10) / 90)
    assert [s.days for s in result.segments] == [80, 10]


def test_late_adjustment_cannot_turn_a_miss_into_full_achievement():
    v1 = TargetVersion(1, Decimal(100), date(2026, 1, 1))
    v2 = TargetVersion(2, Decimal(60), date(2026, 3, 31))
    assert time_weighted_achievement([v1, v2], Q1, Decimal(60)).achievement < Decimal("0.62")


def test_per_version_actuals_are_used_when_given():
    v1 = TargetVersion(1, Decimal(100), date(2026, 1, 1))
    v2 = TargetVersion(2, Decimal(50), date(2026, 2, 15))  # 45 days each
    result = time_weighted_achievement([v1, v2], Q1, {1: Decimal(50), 2: Decimal(50)})
    assert result.achievement == Decimal("0.75")


def test_missing_per_version_actual_is_an_error():
    v1 = TargetVersion(1, Decimal(100), date(2026, 1, 1))
    with pytest.raises(ValidationError, match="no actual"):
        time_weighted_achievement([v1], Q1, {2: Decimal(1)})


def test_versions_must_take_effect_in_increasing_order_inside_the_period():
    v1 = TargetVersion(1, Decimal(100), date(2026, 1, 1))
    with pytest.raises(ValidationError, match="outside the period"):
        time_weighted_achievement([v1, TargetVersion(2, Decimal(1), date(2026, 4, 1))], Q1, Decimal(1))
    with pytest.raises(ValidationError, match="numbered"):
        time_weighted_achievement([v1, TargetVersion(3, Decimal(1), date(2026, 2, 1))], Q1, Decimal(1))


def test_plain_achievement_forms_match_product_examples():
    assert plain_achievement(TargetVersion(1, Decimal(1000), date(2026, 1, 1)), Decimal(1300)) == Decimal("1.3")
    reverse_ratio = TargetVersion(1, Decimal("2.0"), date(2026, 1, 1), direction=Direction.LOWER)
    assert plain_achievement(reverse_ratio, Decimal("2.5")) == Decimal("0.8")
    reverse_linear = TargetVersion(1, Decimal("2.0"), date(2026, 1, 1), Decimal("4.0"), Direction.LOWER)
    assert plain_achievement(reverse_linear, Decimal("2.5")) == Decimal("0.75")


def test_reverse_ratio_with_zero_actual_asks_for_a_baseline():
    v = TargetVersion(1, Decimal("2.0"), date(2026, 1, 1), direction=Direction.LOWER)
    with pytest.raises(ValidationError, match="baseline"):
        plain_achievement(v, Decimal(0))


@given(
    target=st.decimals(min_value=1, max_value=10**6, places=2),
    actual=st.decimals(min_value=0, max_value=10**6, places=2),
    start_offset=st.integers(0, 3000),
    length=st.integers(1, 400),
)
def test_one_version_time_weighted_equals_plain_achievement(target, actual, start_offset, length):
    start = date(2020, 1, 1).fromordinal(date(2020, 1, 1).toordinal() + start_offset)
    period = Period(start, start.fromordinal(start.toordinal() + length))
    v = TargetVersion(1, target, start)
    assert time_weighted_achievement([v], period, actual).achievement == plain_achievement(v, actual)


@given(st.lists(st.decimals(min_value=1, max_value=1000, places=1), min_size=1, max_size=5),
       st.decimals(min_value=0, max_value=2000, places=1))
def test_time_weighted_lies_between_the_segment_achievements(targets, actual):
    versions = [TargetVersion(i + 1, t, date(2026, 1, 1 + 7 * i)) for i, t in enumerate(targets)]
    result = time_weighted_achievement(versions, Q1, actual)
    parts = [s.achievement for s in result.segments]
    assert min(parts) - Decimal("1e-20") <= result.achievement <= max(parts) + Decimal("1e-20")
    assert sum(s.days for s in result.segments) == Q1.days
