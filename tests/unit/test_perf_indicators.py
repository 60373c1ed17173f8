"""Indicators validate on construction and say what to fix."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Adjustment, Behavioural, Binary, Quantitative, ScaleLevel, Veto


def test_quantitative_defaults_are_floor_0_cap_1_2_and_60_100_120_scores() -> None:
    q = Quantitative("units", "Units", target=D(100))
    assert (q.floor, q.cap) == (D(0), D("1.2"))
    assert (q.threshold_score, q.target_score, q.challenge_score) == (D("0.6"), D(1), D("1.2"))


def test_linear_form_without_baseline_is_rejected() -> None:
    with pytest.raises(ValidationError, match="needs a baseline"):
        Quantitative("kr", "KR", target=D(10), form="linear")


def test_ratio_form_with_zero_target_points_to_linear_form() -> None:
    with pytest.raises(ValidationError, match="use form 'linear'"):
        Quantitative("incidents", "Incidents", target=D(0), direction="lower")


def test_lower_is_better_threshold_must_be_above_target() -> None:
    with pytest.raises(ValidationError, match="threshold 5 must be worse than target 7"):
        Quantitative("lead", "Lead time", target=D(7), threshold=D(5), direction="lower")


def test_challenge_must_be_better_than_target() -> None:
    with pytest.raises(ValidationError, match="challenge 90 must be better"):
        Quantitative("u", "Units", target=D(100), challenge=D(90))


def test_linear_baseline_must_be_worse_than_target() -> None:
    with pytest.raises(ValidationError, match="must be better than baseline"):
        Quantitative("rr", "Return", target=D(2), baseline=D(1), direction="lower", form="linear")


def test_floor_above_cap_is_rejected() -> None:
    with pytest.raises(ValidationError, match="floor 2 is above cap"):
        Quantitative("u", "Units", target=D(100), floor=D(2), cap=D(1))


def test_unknown_direction_is_rejected() -> None:
    with pytest.raises(ValidationError, match="direction must be"):
        Quantitative("u", "Units", target=D(100), direction="up")  # type: ignore[arg-type]


def test_code_with_spaces_is_rejected() -> None:
    with pytest.raises(ValidationError, match="without spaces"):
        Binary("launch day", "Launch")


def test_scale_must_increase() -> None:
    with pytest.raises(ValidationError, match="strictly increasing"):
        Behavioural("v", "V", scale=(ScaleLevel(D(3), "c"), ScaleLevel(D(1), "a")))


def test_scale_needs_two_levels() -> None:
    with pytest.raises(ValidationError, match="at least 2 levels"):
        Behavioural("v", "V", scale=(ScaleLevel(D(1), "a"),))


def test_partial_fraction_must_not_exceed_done() -> None:
    with pytest.raises(ValidationError, match="partial fraction"):
        Binary("ms", "Launch", partial_fraction=D("1.5"))


def test_adjustment_mode_must_be_points_or_percent() -> None:
    with pytest.raises(ValidationError, match="'points' \\(additive\\) or 'percent'"):
        Adjustment("late", "Late", mode="ratio")  # type: ignore[arg-type]


def test_adjustment_stage_must_be_before_or_after() -> None:
    with pytest.raises(ValidationError, match="stage must be"):
        Adjustment("late", "Late", stage="middle")  # type: ignore[arg-type]


def test_veto_effect_is_validated() -> None:
    with pytest.raises(ValidationError, match="effect must be"):
        Veto("fraud", "Fraud", effect="half")  # type: ignore[arg-type]


def test_indicators_are_frozen() -> None:
    q = Quantitative("u", "Units", target=D(100))
    with pytest.raises(AttributeError):
        q.target = D(5)  # type: ignore[misc]
