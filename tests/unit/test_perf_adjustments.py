"""Plus/minus items in stage order, per-occurrence amounts, limits, veto and total bounds."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from dingperf.perf.adjustments import adjustment_amount, apply_adjustments, bound_total, triggered_veto
from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Adjustment, Veto

LATE = Adjustment("late", "迟到", mode="percent", amount=D(-10), stage="before")
PROJECT = Adjustment("project", "项目", mode="points", amount=D(20))


def test_deduction_before_bonus_gives_102_8() -> None:
    total, applied = apply_adjustments(D(92), [PROJECT, LATE], {"late": 1, "project": 1})
    assert total == D("102.8")
    assert [a.code for a in applied] == ["late", "project"]


def test_percent_delta_is_relative_to_the_running_total() -> None:
    _, applied = apply_adjustments(D(92), [LATE], {"late": 1})
    assert (applied[0].delta, applied[0].before, applied[0].after) == (D("-9.2"), D(92), D("82.8"))


def test_formula_text_reads_like_the_product_doc() -> None:
    _, applied = apply_adjustments(D(92), [LATE, PROJECT], {"late": 1, "project": 1})
    assert [a.formula() for a in applied] == ["92 × (1 − 10%) = 82.8", "82.8 + 20 = 102.8"]


def test_amount_is_multiplied_by_occurrences() -> None:
    assert adjustment_amount(PROJECT, 3) == (D(60), D(3), False)


def test_without_declared_amount_the_input_is_the_amount() -> None:
    assert adjustment_amount(Adjustment("bonus", "奖励"), D("7.5"))[0] == D("7.5")


def test_limit_caps_the_absolute_effect() -> None:
    item = Adjustment("x", "x", amount=D(-5), limit=D(12))
    assert adjustment_amount(item, 4) == (D(-12), D(4), True)
    _, (applied,) = apply_adjustments(D(50), [item], {"x": 4})
    assert applied.note == "4 × -5; limited to ±12"


def test_zero_occurrences_apply_nothing() -> None:
    total, applied = apply_adjustments(D(92), [PROJECT], {"project": 0})
    assert (total, applied) == (D(92), ())


def test_undeclared_adjustment_is_rejected() -> None:
    with pytest.raises(ValidationError, match="does not declare"):
        apply_adjustments(D(92), [PROJECT], {"overtime": 1})


def test_first_triggered_veto_wins() -> None:
    vetoes = [Veto("fraud", "舞弊"), Veto("safety", "安全", effect="lowest_grade")]
    assert triggered_veto(vetoes, {"fraud": False, "safety": True}) == vetoes[1]


def test_veto_input_must_be_true_or_false() -> None:
    with pytest.raises(ValidationError, match="takes true/false"):
        triggered_veto([Veto("fraud", "舞弊")], {"fraud": "maybe"})


def test_total_cap_and_floor() -> None:
    assert bound_total(D(130), D(0), D(120)) == (D(120), "total 130 capped at 120")
    assert bound_total(D(-3), D(0), None) == (D(0), "total -3 raised to the floor 0")
    assert bound_total(D(90), D(0), D(120)) == (D(90), "")
