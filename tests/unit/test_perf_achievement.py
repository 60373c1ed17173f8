"""Achievement forms with the exact worked numbers of PRODUCT.md §2.2–§2.3 and §2.6."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from dingperf.perf.achievement import (
    achievement,
    binary_fraction,
    clamp_achievement,
    describe,
    puzzle_zones,
    quantitative_achievement,
    rating_fraction,
    zone,
)
from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Behavioural, Binary, Quantitative, ScaleLevel
from dingperf.perf.numbers import round_to

UNITS = Quantitative("units", "Units produced", target=D(100), threshold=D(80), challenge=D(120))


def clamped(ind: Quantitative, actual: str) -> D:
    return clamp_achievement(ind, quantitative_achievement(ind, D(actual)))


@pytest.mark.parametrize(("actual", "expected"), [("75", "0"), ("90", "0.8"), ("110", "1.1"), ("130", "1.2")])
def test_threshold_target_challenge_worked_example(actual: str, expected: str) -> None:
    assert clamped(UNITS, actual) == D(expected)


def test_reverse_piecewise_lead_time_8_days_is_86_7_percent() -> None:
    lead = Quantitative("lead", "Lead time", target=D(7), threshold=D(10), challenge=D(5), direction="lower")
    a = quantitative_achievement(lead, D(8))
    assert round_to(a * 100, 1) == D("86.7")


def test_piecewise_at_threshold_gives_threshold_score() -> None:
    assert quantitative_achievement(UNITS, D(80)) == D("0.6")


def test_higher_ratio_form_over_target_is_capped_at_120_percent() -> None:
    revenue = Quantitative("revenue", "Revenue", target=D(1000))
    assert quantitative_achievement(revenue, D(1300)) == D("1.3")
    assert clamped(revenue, "1300") == D("1.2")


def test_higher_linear_form_uses_baseline() -> None:
    kr = Quantitative("kr", "Coverage", target=D(80), baseline=D(55), form="linear")
    assert quantitative_achievement(kr, D(70)) == D("0.6")


def test_reverse_ratio_return_rate_scores_16_points_of_20() -> None:
    rr = Quantitative("rr", "Return rate", target=D("2.0"), direction="lower", unit="%")
    assert clamped(rr, "2.5") * 20 == D("16.0")


def test_reverse_linear_return_rate_scores_15_points_of_20() -> None:
    rr = Quantitative("rr", "Return rate", target=D("2.0"), baseline=D("4.0"), direction="lower", form="linear")
    assert clamped(rr, "2.5") * 20 == D("15.0")


def test_reverse_linear_zero_actual_is_capped_to_24_points() -> None:
    rr = Quantitative("rr", "Return rate", target=D("2.0"), baseline=D("4.0"), direction="lower", form="linear")
    assert quantitative_achievement(rr, D(0)) == D(2)
    assert clamped(rr, "0.0") * 20 == D("24.0")


def test_reverse_ratio_zero_actual_reaches_the_cap_by_default() -> None:
    rr = Quantitative("rr", "Return rate", target=D("2.0"), direction="lower")
    assert clamped(rr, "0") * 20 == D("24.0")


def test_reverse_ratio_zero_actual_can_be_declared_an_error() -> None:
    rr = Quantitative("rr", "Return rate", target=D("2.0"), direction="lower", zero_actual="error")
    with pytest.raises(ValidationError, match="actual 0"):
        quantitative_achievement(rr, D(0))


def test_wrong_way_from_baseline_floors_at_zero() -> None:
    kr = Quantitative("kr", "Coverage", target=D(80), baseline=D(55), form="linear")
    assert clamped(kr, "40") == D(0)


def test_puzzle_default_zones_for_baseline_50_stretch_100() -> None:
    assert puzzle_zones(D(50), D(100)) == (D(65), D(85))


def test_zone_names_follow_the_scale() -> None:
    assert [zone(UNITS, D(x)) for x in (75, 90, 110, 130)] == ["FAIL", "COMMIT", "TARGET", "STRETCH"]


def test_piecewise_without_challenge_keeps_proportional_overachievement() -> None:
    ind = Quantitative("u", "Units", target=D(100), threshold=D(80))
    assert quantitative_achievement(ind, D(110)) == D("1.1")


def test_piecewise_without_threshold_uses_ratio_below_target() -> None:
    ind = Quantitative("u", "Units", target=D(100), challenge=D(120))
    assert quantitative_achievement(ind, D(50)) == D("0.5")


VALUES = Behavioural("values", "Values", scale=tuple(ScaleLevel(D(i), str(i)) for i in range(1, 6)))


def test_rating_ratio_rule_four_of_five_is_0_8() -> None:
    assert rating_fraction(VALUES, D(4), "ratio") == D("0.8")


def test_rating_min_max_rule_four_of_five_is_0_75() -> None:
    assert rating_fraction(VALUES, D(4), "min_max") == D("0.75")


def test_indicator_rating_rule_overrides_template_rule() -> None:
    ind = Behavioural("v", "V", scale=VALUES.scale, rating_rule="min_max")
    assert rating_fraction(ind, D(4), "ratio") == D("0.75")


def test_rating_outside_scale_is_rejected() -> None:
    with pytest.raises(ValidationError, match="outside the scale"):
        rating_fraction(VALUES, D(6), "ratio")


def test_binary_statuses_map_to_fractions() -> None:
    ms = Binary("ms", "Launch", partial_fraction=D("0.4"))
    assert [binary_fraction(ms, s) for s in ("done", "partial", "not_done", True, False)] == [
        D(1), D("0.4"), D(0), D(1), D(0)]


def test_binary_unknown_status_is_rejected() -> None:
    with pytest.raises(ValidationError, match="status must be"):
        binary_fraction(Binary("ms", "Launch"), "maybe")


def test_achievement_accepts_string_actuals() -> None:
    assert achievement(UNITS, "90") == D("0.8")


def test_describe_shows_the_reverse_ratio_computation() -> None:
    rr = Quantitative("rr", "Return rate", target=D("2.0"), direction="lower")
    assert describe(rr, D("2.5")) == "2 / 2.5 = 0.8"
