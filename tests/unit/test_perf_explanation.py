"""Explanations account for every point of the total and survive storage."""

from __future__ import annotations

from decimal import Decimal as D

from dingperf.perf.explanation import SourceRef, from_dict, render_text, to_dict
from dingperf.perf.raters import RaterConfig
from dingperf.perf.scoring import Measurement, RaterScores, ScoreInput, compile_template
from tests.unit.test_perf_scoring_fixtures import scorecard, scorecard_input, single_item

LATE = {"kind": "adjustment", "code": "late", "name": "迟到 Late", "mode": "percent", "amount": "-10",
        "stage": "before"}
PROJECT = {"kind": "adjustment", "code": "project", "name": "项目 Project", "mode": "points", "amount": "20"}


def test_leaf_contributions_sum_exactly_to_the_total() -> None:
    explanation = compile_template(scorecard()).explain(scorecard_input())
    assert explanation.total == D("100.0")
    assert explanation.leaf_sum() == explanation.total


def test_explain_shows_the_same_numbers_as_score() -> None:
    scorer = compile_template(scorecard(form="linear", rule="min_max"))
    result, explanation = scorer.score(scorecard_input()), scorer.explain(scorecard_input())
    assert (explanation.total, explanation.grade) == (result.total, result.grade)
    assert explanation.find("item:return_rate").contribution == result.items["return_rate"]


def test_cap_applied_to_an_item_is_noted() -> None:
    step = compile_template(scorecard()).explain(scorecard_input()).find("item:revenue")
    assert step.contribution == D("60.0")
    assert any("cap 1.2 applied" in n for n in step.notes)


def test_source_records_are_carried_to_the_step() -> None:
    step = compile_template(scorecard()).explain(scorecard_input()).find("item:revenue")
    assert [str(s) for s in step.sources] == ["approval_instance:PI-1001"]


def test_adjustments_veto_cap_and_rounding_are_leaves_that_sum_to_the_total() -> None:
    template = single_item([LATE, PROJECT], total_cap="101")
    late = Measurement(1, (SourceRef("attendance_record", "A-1"), SourceRef("attendance_record", "A-2")))
    inp = ScoreInput("u", actuals={"output": D("92.04")}, adjustments={"late": late, "project": 1})
    explanation = compile_template(template).explain(inp)
    assert explanation.total == D("101.0")
    assert explanation.find("adjust:late").contribution == D("-9.204")
    assert explanation.find("bound").contribution == D("-1.836")
    assert [s.id for s in explanation.find("adjust:late").sources] == ["A-1", "A-2"]
    assert explanation.leaf_sum() == explanation.total


def test_rounding_difference_is_its_own_leaf() -> None:
    explanation = compile_template(single_item(rounding={"places": 0})).explain(
        ScoreInput("u", actuals={"output": D("92.5")}))
    assert explanation.find("rounding").contribution == D("0.5")


def test_renormalisation_is_recorded_in_the_policy() -> None:
    raters = RaterConfig.build({"self": 10, "manager": 70, "peer": 20}, anonymous=("peer",), quorum={"peer": 3})
    inp = ScoreInput("u", actuals={"revenue": D(1000), "return_rate": D(2)}, ratings=[
        RaterScores("u", "self", {"values": D(5)}), RaterScores("m", "manager", {"values": D(4)}),
        RaterScores("p1", "peer", {"values": D(1)})])
    explanation = compile_template(scorecard(), raters).explain(inp)
    assert explanation.policy["missing-rater policy 缺评策略 (values)"] == "renormalise"
    assert explanation.leaf_sum() == explanation.total


def test_anonymous_group_below_quorum_never_shows_its_scores() -> None:
    raters = RaterConfig.build({"manager": 80, "peer": 20}, anonymous=("peer",), quorum={"peer": 3})
    inp = ScoreInput("u", actuals={"revenue": D(1000), "return_rate": D(2)}, ratings=[
        RaterScores("m", "manager", {"values": D(4)}), RaterScores("peer-7", "peer", {"values": D(1)})])
    explanation = compile_template(scorecard(), raters).explain(inp)
    text = render_text(explanation)
    assert "peer-7" not in text and "peer-7" not in str(to_dict(explanation))
    assert explanation.find("rater:values:peer").value is None


def test_blocked_explanation_names_what_it_awaits() -> None:
    inp = ScoreInput("u", actuals={"revenue": D(1000), "return_rate": D(2)})
    text = render_text(compile_template(scorecard()).explain(inp))
    assert "blocked — awaiting manager" in text


def test_rendered_tree_lists_every_step_and_the_check_line() -> None:
    text = render_text(compile_template(scorecard()).explain(scorecard_input()))
    for fragment in ("营收 Revenue (revenue)", "[+60]", "[+16]", "上级 manager", "[+24]",
                     "取整 rounding", "A: 95 ≤ score < 110", "Σ contributions = 100 = total 100.0"):
        assert fragment in text


def test_explanation_round_trips_through_dict() -> None:
    explanation = compile_template(scorecard()).explain(scorecard_input())
    assert from_dict(to_dict(explanation)) == explanation


def test_not_applicable_renormalisation_is_a_leaf() -> None:
    explanation = compile_template(scorecard()).explain(scorecard_input(return_rate=None))
    assert explanation.find("na_renormalise").contribution == D(21)
    assert explanation.leaf_sum() == explanation.total == D("105.0")


def _rendered_contributions(text: str) -> D:
    import re

    return sum((D(m) for m in re.findall(r"\[([+-][0-9.]+)\]", text)), D(0))


def test_rendered_tree_contributions_add_up_to_the_printed_total() -> None:
    template = single_item([LATE, PROJECT], total_cap="101")
    inp = ScoreInput("u", actuals={"output": D("92.04")}, adjustments={"late": 1, "project": 1})
    for scorer, score_input in ((compile_template(scorecard()), scorecard_input()), (compile_template(template), inp)):
        explanation = scorer.explain(score_input)
        assert _rendered_contributions(render_text(explanation)) == explanation.total


def test_precomputed_achievement_note_is_shown() -> None:
    inp = ScoreInput("u", actuals={"output": Measurement(D(95), achievement=D("0.9"),
                                                         note="time-weighted over 2 target versions")})
    step = compile_template(single_item()).explain(inp).find("item:output")
    assert step.contribution == D("90.0") and "time-weighted over 2 target versions" in step.notes


def test_total_formula_step_lists_its_inputs() -> None:
    template = scorecard(total_formula="performance * 0.5 + values * 2")
    step = compile_template(template).explain(scorecard_input()).find("formula:total")
    assert dict(step.inputs) == {"performance": "76", "values": "24"}


def test_score_explained_returns_the_result_and_its_explanation_in_one_pass() -> None:
    scorer = compile_template(scorecard())
    result, explanation = scorer.score_explained(scorecard_input())
    assert result == scorer.score(scorecard_input())
    assert explanation == scorer.explain(scorecard_input())
