"""The scoring pipeline with PRODUCT.md §2.6 worked numbers, rater policies, vetoes, caps and formulas."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from dingperf.perf.errors import FormulaError, ValidationError
from dingperf.perf.raters import RaterConfig
from dingperf.perf.scoring import CalibrationOverride, RaterScores, ScoreInput, compile_template, score
from tests.unit.test_perf_scoring_fixtures import scorecard, scorecard_input, single_item

LATE = {"kind": "adjustment", "code": "late", "name": "迟到 Late > 3", "mode": "percent", "amount": "-10"}
PROJECT = {"kind": "adjustment", "code": "project", "name": "项目 Project", "mode": "points", "amount": "20"}


def test_worked_scorecard_ratio_form_and_r_over_max_is_100() -> None:
    result = score(scorecard(), scorecard_input())
    assert result.total == D("100.0")
    assert result.items == {"revenue": D("60.0"), "return_rate": D("16.0")}
    assert result.sections["values"] == D("24.0")


def test_worked_scorecard_linear_form_and_min_max_is_97_5() -> None:
    result = score(scorecard(form="linear", rule="min_max"), scorecard_input())
    assert result.total == D("97.5")
    assert (result.items["return_rate"], result.sections["values"]) == (D("15.0"), D("22.5"))


def test_reverse_linear_with_zero_returns_is_capped_at_24_points() -> None:
    result = score(scorecard(form="linear"), scorecard_input(return_rate="0.0"))
    assert result.items["return_rate"] == D("24.0")


def test_grade_follows_bands() -> None:
    assert score(scorecard(), scorecard_input()).grade == "A"


def _adjusted(late_stage: str, project_stage: str, late_mode: str = "percent") -> D | None:
    late = dict(LATE, stage=late_stage, mode=late_mode)
    template = single_item([late, dict(PROJECT, stage=project_stage)])
    inp = ScoreInput("u", actuals={"output": D(92)}, adjustments={"late": 1, "project": 1})
    return score(template, inp).total


def test_deduction_first_gives_102_8() -> None:
    assert _adjusted("before", "after") == D("102.8")


def test_bonus_first_gives_100_8() -> None:
    assert _adjusted("after", "before") == D("100.8")


def test_additive_deduction_gives_102_0() -> None:
    assert _adjusted("before", "after", late_mode="points") == D("102.0")


def test_adjustments_in_the_same_stage_follow_declaration_order() -> None:
    template = single_item([dict(PROJECT, stage="after"), dict(LATE, stage="after")])
    inp = ScoreInput("u", actuals={"output": D(92)}, adjustments={"late": 1, "project": 1})
    assert score(template, inp).total == D("100.8")


def test_adjustment_limit_bounds_the_effect() -> None:
    template = single_item([dict(PROJECT, limit="30")])
    inp = ScoreInput("u", actuals={"output": D(50)}, adjustments={"project": 3})
    assert score(template, inp).total == D("80.0")


def test_veto_zero_sets_total_to_zero_and_lowest_grade() -> None:
    template = single_item(vetoes=[{"kind": "veto", "code": "fraud", "name": "舞弊 Fraud"}])
    result = score(template, ScoreInput("u", actuals={"output": D(100)}, vetoes={"fraud": True}))
    assert (result.total, result.grade, result.veto) == (D("0.0"), "D", "fraud")


def test_veto_lowest_grade_keeps_total_but_forces_grade() -> None:
    template = single_item(vetoes=[{"kind": "veto", "code": "safety", "name": "安全事故", "effect": "lowest_grade"}])
    result = score(template, ScoreInput("u", actuals={"output": D(100)}, vetoes={"safety": True}))
    assert (result.total, result.grade) == (D("100.0"), "D")


def test_untriggered_veto_changes_nothing() -> None:
    template = single_item(vetoes=[{"kind": "veto", "code": "fraud", "name": "Fraud"}])
    result = score(template, ScoreInput("u", actuals={"output": D(100)}, vetoes={"fraud": False}))
    assert (result.total, result.veto) == (D("100.0"), None)


def test_total_cap_applies_after_adjustments() -> None:
    template = single_item([PROJECT], total_cap="110")
    result = score(template, ScoreInput("u", actuals={"output": D(100)}, adjustments={"project": 1}))
    assert result.total == D("110.0")


def test_total_floor_keeps_total_at_zero() -> None:
    template = single_item([dict(PROJECT, amount="-50")])
    result = score(template, ScoreInput("u", actuals={"output": D(20)}, adjustments={"project": 1}))
    assert result.total == D("0.0")


def test_rounding_happens_only_at_the_end() -> None:
    template = single_item(rounding={"places": 0, "mode": "half_up"})
    result = score(template, ScoreInput("u", actuals={"output": D("92.5")}))
    assert (result.unrounded, result.total) == (D("92.5"), D(93))


def test_manager_missing_blocks_the_score() -> None:
    inp = ScoreInput("u-001", actuals={"revenue": D(1000), "return_rate": D(2)}, ratings=())
    result = score(scorecard(), inp)
    assert result.is_blocked and result.blocked_reason == "awaiting manager" and result.total is None


def test_cycle_rater_config_overrides_template_and_renormalises() -> None:
    raters = RaterConfig.build({"self": 10, "manager": 70, "peer": 20})
    inp = ScoreInput("u-001", actuals={"revenue": D(1000), "return_rate": D(2)}, ratings=[
        RaterScores("u-001", "self", {"values": D(5)}), RaterScores("m", "manager", {"values": D(4)})])
    result = compile_template(scorecard(), raters).score(inp)
    # values points: self 30, manager 24 → (3 + 16.8) / 0.8 = 24.75
    assert result.sections["values"] == D("24.75")
    assert result.rater_policy == {"values": "renormalise"}
    assert result.effective_weights["values"]["manager"] == D("0.875")


def test_missing_actual_is_an_error_naming_the_indicator() -> None:
    with pytest.raises(ValidationError, match="no actual for indicator 'return_rate'"):
        score(scorecard(), ScoreInput("u", actuals={"revenue": D(1)}, ratings=scorecard_input().ratings))


def test_partial_ratings_of_a_rated_section_are_rejected() -> None:
    data = scorecard().to_dict()
    values = data["sections"][1]["items"]  # type: ignore[index]
    values[0]["weight"] = "20"
    values.append({"weight": "10", "indicator": {"kind": "binary", "code": "teamwork", "name": "Teamwork"}})
    template = type(scorecard()).from_dict(data)
    with pytest.raises(ValidationError, match="not 'teamwork'"):
        score(template, scorecard_input())


def test_zero_weight_item_is_rejected() -> None:
    data = scorecard().to_dict()
    data["sections"][1]["items"].append(  # type: ignore[index]
        {"weight": "0", "indicator": {"kind": "binary", "code": "ms", "name": "MS"}})
    with pytest.raises(ValidationError, match="weight above 0"):
        type(scorecard()).from_dict(data)


def test_custom_item_formula_replaces_achievement() -> None:
    template = single_item()
    data = template.to_dict()
    data["sections"][0]["items"][0]["indicator"]["formula"] = "if actual >= target then 1 else actual / target / 2"  # type: ignore[index]
    result = score(type(template).from_dict(data), ScoreInput("u", actuals={"output": D(80)}))
    assert result.total == D("40.0")


def test_custom_total_formula_replaces_the_base_total() -> None:
    template = scorecard(total_formula="performance * 0.5 + values * 2", inputs=[])
    result = score(template, scorecard_input())
    assert result.total == D("86.0")  # 76 × 0.5 + 24 × 2


def test_total_formula_with_unknown_name_fails_when_the_template_is_built() -> None:
    with pytest.raises(FormulaError, match="unknown input 'perf'"):
        scorecard(total_formula="perf * 2")


def test_formula_inputs_declared_on_the_template_are_available() -> None:
    template = single_item(total_formula="base * coefficient", inputs=["coefficient"])
    result = score(template, ScoreInput("u", actuals={"output": D(80)}, inputs={"coefficient": D("1.1")}))
    assert result.total == D("88.0")


def test_calibration_override_is_kept_separately_with_a_reason() -> None:
    result = score(scorecard(), scorecard_input())
    moved = result.with_calibration(CalibrationOverride("team quota", "hr-1", datetime(2026, 1, 5, tzinfo=UTC), "B"))
    assert (moved.grade, moved.final_grade, moved.total, moved.final_total) == ("A", "B", D("100.0"), D("100.0"))


def test_calibration_without_reason_is_rejected() -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        CalibrationOverride(" ", "hr-1", datetime(2026, 1, 5, tzinfo=UTC), "B")


def test_scorer_is_reusable_and_deterministic() -> None:
    scorer = compile_template(scorecard())
    assert scorer.score(scorecard_input()) == scorer.score(scorecard_input())


def test_not_applicable_item_is_renormalised_away() -> None:
    result = score(scorecard(), scorecard_input(return_rate=None))
    # revenue 60 + values 24 = 84 over the 80 applicable points → 84 × 100 ÷ 80
    assert (result.total, result.not_applicable) == (D("105.0"), ("return_rate",))


def test_all_items_not_applicable_is_an_error() -> None:
    template = single_item()
    with pytest.raises(ValidationError, match="every weighted indicator is marked not applicable"):
        score(template, ScoreInput("u", actuals={"output": None}))


def test_precomputed_achievement_is_clamped_and_weighted() -> None:
    from dingperf.perf.scoring import Measurement

    inp = ScoreInput("u", actuals={"output": Measurement(D(95), achievement=D("1.35"), note="time-weighted")})
    assert score(single_item(), inp).total == D("120.0")


def test_what_if_shows_the_effect_of_a_template_change() -> None:
    from dingperf.perf.scoring import what_if

    current, proposed = compile_template(scorecard()), compile_template(scorecard(form="linear", rule="min_max"))
    (row,) = what_if(current, proposed, [scorecard_input()])
    assert (row.before, row.after, row.delta, row.grade_before, row.grade_after) == (
        D("100.0"), D("97.5"), D("-2.5"), "A", "A")


def _overall_template(policy: str) -> object:
    from dingperf.perf.templates import Template

    return Template.from_dict({
        "id": "overall", "version": 1, "name": "Overall", "rounding": {"places": 2},
        "raters": {"weights": {"self": 10, "manager": 70, "peer": 20}, "policy": policy,
                   "anonymous": ["peer"], "quorum": {"peer": 3}},
        "sections": [{"code": "review", "name": "Review", "rated": True, "items": [
            {"weight": 100, "indicator": {"kind": "behavioural", "code": "overall", "name": "Overall",
                                          "scale": [{"value": "0", "label": "0"}, {"value": "100", "label": "100"}]}}]}],
    })


def _review(*peers: int) -> ScoreInput:
    ratings = [RaterScores("u", "self", {"overall": D(90)}), RaterScores("m", "manager", {"overall": D(80)})]
    ratings += [RaterScores(f"p{i}", "peer", {"overall": D(p)}) for i, p in enumerate(peers)]
    return ScoreInput("u", ratings=ratings)


@pytest.mark.parametrize(("policy", "peers", "expected"), [
    ("renormalise", (78, 82, 86), "81.40"), ("renormalise", (), "81.25"), ("zero", (), "65.00"),
    ("renormalise", (70, 90), "81.25"),  # two peers are below the quorum of 3: treated as missing
])
def test_product_2_4_rater_cases_through_the_whole_pipeline(policy: str, peers: tuple[int, ...], expected: str) -> None:
    assert score(_overall_template(policy), _review(*peers)).total == D(expected)  # type: ignore[arg-type]
