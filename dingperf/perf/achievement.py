"""Achievement ratio a (1.0 = target met) per indicator kind, per PRODUCT.md §2.2–§2.3; unrounded."""

from __future__ import annotations

from decimal import Decimal

from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Behavioural, Binary, Quantitative, RatingRule, WeightedIndicator
from dingperf.perf.numbers import ZERO, clamp, fmt, to_decimal

COMMIT_SHARE = Decimal("0.3")
TARGET_SHARE = Decimal("0.7")


def base_achievement(ind: Quantitative, actual: Decimal) -> Decimal:
    """Ratio form (actual/target, or target/actual when lower is better) or linear form from the baseline."""
    if ind.form == "linear":
        assert ind.baseline is not None  # guaranteed by Quantitative validation
        return (actual - ind.baseline) / (ind.target - ind.baseline)
    if ind.direction == "higher":
        return actual / ind.target
    if actual == 0:
        if ind.zero_actual == "cap":
            # A perfect reverse result (0 defects) is defined as reaching the cap instead of dividing by zero.
            return ind.cap
        raise ValidationError(f"indicator {ind.code!r}: actual 0 makes target/actual undefined; "
                              "set zero_actual='cap' or use the linear form with a baseline")
    return ind.target / actual


def _between(a: Decimal, b: Decimal, x: Decimal, sa: Decimal, sb: Decimal) -> Decimal:
    """Linear interpolation of the score at x between points (a, sa) and (b, sb); works for either direction."""
    return sa + (x - a) / (b - a) * (sb - sa)


def quantitative_achievement(ind: Quantitative, actual: Decimal) -> Decimal:
    """Unclamped achievement of a quantitative indicator; uses the T/G/C scale when one is declared."""
    if not ind.is_piecewise:
        return base_achievement(ind, actual)
    better = ind.is_better
    threshold, target, challenge = ind.threshold, ind.target, ind.challenge
    if threshold is not None and better(threshold, actual):
        return ind.below_threshold_score
    if better(target, actual):
        if threshold is None:
            return ind.target_score * base_achievement(ind, actual)
        return _between(threshold, target, actual, ind.threshold_score, ind.target_score)
    if actual == target:
        return ind.target_score
    if challenge is None:
        return ind.target_score * base_achievement(ind, actual)
    if better(actual, challenge) or actual == challenge:
        return ind.challenge_score
    return _between(target, challenge, actual, ind.target_score, ind.challenge_score)


def rating_fraction(ind: Behavioural, rating: Decimal, rule: RatingRule) -> Decimal:
    """Rating → fraction: 'ratio' is r/max, 'min_max' is (r−min)/(max−min) (PRODUCT.md §2.5)."""
    low, high = ind.minimum, ind.maximum
    if rating < low or rating > high:
        raise ValidationError(f"indicator {ind.code!r}: rating {fmt(rating)} is outside the scale "
                              f"{fmt(low)}–{fmt(high)}; pick a level on the scale")
    effective = ind.rating_rule or rule
    if effective == "min_max":
        return (rating - low) / (high - low)
    return rating / high


def binary_fraction(ind: Binary, status: object) -> Decimal:
    """Milestone status → fraction: done / partial / not_done (booleans accepted for done/not done)."""
    if status is True or status == "done":
        return ind.done_fraction
    if status is False or status == "not_done":
        return ZERO
    if status == "partial":
        return ind.partial_fraction
    raise ValidationError(f"indicator {ind.code!r}: status must be 'done', 'partial' or 'not_done', got {status!r}")


def achievement(ind: WeightedIndicator, value: object, rule: RatingRule = "ratio") -> Decimal:
    """Unclamped achievement of any weighted indicator for a raw input value."""
    if isinstance(ind, Quantitative):
        return quantitative_achievement(ind, to_decimal(value, f"actual of {ind.code!r}"))
    if isinstance(ind, Behavioural):
        return rating_fraction(ind, to_decimal(value, f"rating of {ind.code!r}"), rule)
    return binary_fraction(ind, value)


def clamp_achievement(ind: WeightedIndicator, a: Decimal) -> Decimal:
    """Apply the indicator's floor and cap: a' = clamp(a, floor, cap)."""
    return clamp(a, ind.floor, ind.cap)


def puzzle_zones(baseline: Decimal, stretch: Decimal) -> tuple[Decimal, Decimal]:
    """puzzle/okr default commit and target: baseline + 30% / 70% of the way to the stretch goal."""
    span = stretch - baseline
    return baseline + COMMIT_SHARE * span, baseline + TARGET_SHARE * span


def zone(ind: Quantitative, actual: Decimal) -> str:
    """FAIL / COMMIT / TARGET / STRETCH zone of an actual value against the T/G/C points."""
    better_or_equal = lambda a, b: a == b or ind.is_better(a, b)
    if ind.challenge is not None and better_or_equal(actual, ind.challenge):
        return "STRETCH"
    if better_or_equal(actual, ind.target):
        return "TARGET"
    if ind.threshold is None or better_or_equal(actual, ind.threshold):
        return "COMMIT"
    return "FAIL"


def describe(ind: WeightedIndicator, value: object, rule: RatingRule = "ratio") -> str:
    """Formula text of how the achievement of this input was computed, for the explanation."""
    a = achievement(ind, value, rule)
    if isinstance(ind, Behavioural):
        r = to_decimal(value)
        if (ind.rating_rule or rule) == "min_max":
            return f"({fmt(r)} − {fmt(ind.minimum)}) / ({fmt(ind.maximum)} − {fmt(ind.minimum)}) = {fmt(a)}"
        return f"{fmt(r)} / {fmt(ind.maximum)} = {fmt(a)}"
    if isinstance(ind, Binary):
        return f"{value} → {fmt(a)}"
    x = to_decimal(value)
    t = fmt(ind.target)
    if ind.is_piecewise:
        points = [f"T={fmt(ind.threshold)}" if ind.threshold is not None else "",
                  f"G={t}", f"C={fmt(ind.challenge)}" if ind.challenge is not None else ""]
        return f"piecewise({' '.join(p for p in points if p)}; actual {fmt(x)}, zone {zone(ind, x)}) = {fmt(a)}"
    if ind.form == "linear":
        return f"({fmt(x)} − {fmt(ind.baseline)}) / ({t} − {fmt(ind.baseline)}) = {fmt(a)}"
    if ind.direction == "lower":
        if x == 0:
            return f"actual 0 → cap {fmt(ind.cap)}"
        return f"{t} / {fmt(x)} = {fmt(a)}"
    return f"{fmt(x)} / {t} = {fmt(a)}"
