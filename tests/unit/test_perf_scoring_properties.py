"""Property tests: scoring is deterministic and every explanation sums exactly to its total."""

from __future__ import annotations

from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from dingperf.perf.scoring import RaterScores, ScoreInput, compile_template
from dingperf.perf.templates import Template

SCALE = [{"value": str(i), "label": str(i)} for i in range(1, 6)]
TEMPLATE = Template.from_dict({
    "id": "prop", "version": 1, "name": "Property", "rounding": {"places": 2}, "total_cap": "115",
    "raters": {"weights": {"self": 10, "manager": 60, "peer": 30}, "anonymous": ["peer"], "quorum": {"peer": 2}},
    "sections": [
        {"code": "kpi", "name": "KPI", "items": [
            {"weight": "23.5", "indicator": {"kind": "quantitative", "code": "rev", "name": "Rev", "target": "7"}},
            {"weight": "11.5", "indicator": {"kind": "quantitative", "code": "ret", "name": "Ret", "target": "3",
                                             "direction": "lower"}},
            {"weight": 15, "indicator": {"kind": "quantitative", "code": "lead", "name": "Lead", "target": "7",
                                         "threshold": "10", "challenge": "5", "direction": "lower"}},
            {"weight": 10, "indicator": {"kind": "quantitative", "code": "cov", "name": "Cov", "target": "80",
                                         "baseline": "55", "form": "linear"}},
            {"weight": 10, "indicator": {"kind": "binary", "code": "ms", "name": "Milestone",
                                         "partial_fraction": "0.3"}}]},
        {"code": "values", "name": "Values", "rated": True, "items": [
            {"weight": 20, "indicator": {"kind": "behavioural", "code": "v1", "name": "V1", "scale": SCALE}},
            {"weight": 10, "indicator": {"kind": "behavioural", "code": "v2", "name": "V2", "scale": SCALE,
                                         "rating_rule": "min_max"}}]},
    ],
    "adjustments": [
        {"kind": "adjustment", "code": "late", "name": "Late", "mode": "percent", "amount": "-7", "stage": "before"},
        {"kind": "adjustment", "code": "bonus", "name": "Bonus", "mode": "points"}],
    "vetoes": [{"kind": "veto", "code": "fraud", "name": "Fraud"}],
})
SCORER = compile_template(TEMPLATE)

value = st.decimals(min_value=D("0.01"), max_value=D(50), places=3)
rating = st.integers(min_value=1, max_value=5).map(D)
rater_ratings = st.fixed_dictionaries({"v1": rating, "v2": rating})


@st.composite
def inputs(draw: st.DrawFn) -> ScoreInput:
    actuals = {"rev": draw(value), "ret": draw(value), "lead": draw(value), "cov": draw(st.one_of(value, st.none())),
               "ms": draw(st.sampled_from(["done", "partial", "not_done"]))}
    ratings = [RaterScores("m", "manager", draw(rater_ratings))]
    if draw(st.booleans()):
        ratings.append(RaterScores("s", "self", draw(rater_ratings)))
    ratings += [RaterScores(f"p{i}", "peer", r) for i, r in enumerate(draw(st.lists(rater_ratings, max_size=4)))]
    adjustments = {k: v for k, v in {"late": draw(st.integers(0, 2)),
                                     "bonus": draw(st.decimals(min_value=-20, max_value=20, places=2))}.items()}
    vetoes = {"fraud": draw(st.booleans())} if draw(st.integers(0, 9)) == 0 else {}
    return ScoreInput("u", actuals=actuals, ratings=ratings, adjustments=adjustments, vetoes=vetoes)


@settings(max_examples=300, deadline=None)
@given(inputs())
def test_explanation_leaves_sum_exactly_to_the_total(inp: ScoreInput) -> None:
    explanation = SCORER.explain(inp)
    assert explanation.leaf_sum() == explanation.total


@settings(max_examples=300, deadline=None)
@given(inputs())
def test_scoring_is_deterministic_and_explain_matches_score(inp: ScoreInput) -> None:
    first, second = SCORER.score(inp), compile_template(TEMPLATE).score(inp)
    assert first == second
    explanation = SCORER.explain(inp)
    assert (explanation.total, explanation.grade) == (first.total, first.grade)


@settings(max_examples=200, deadline=None)
@given(inputs())
def test_total_is_rounded_to_the_declared_places_and_within_bounds(inp: ScoreInput) -> None:
    result = SCORER.score(inp)
    assert result.total is not None and 0 <= result.total <= 115
    assert result.total == result.total.quantize(D("0.01"))


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=20, places=2), st.sampled_from(["higher", "lower"]))
def test_fused_fast_paths_equal_the_reference_achievement(actual: D, direction: str) -> None:
    from dingperf.perf.achievement import clamp_achievement, quantitative_achievement
    from dingperf.perf.indicators import Quantitative
    from dingperf.perf.scoring import _compile_item

    points = [(10, 7, 5), (5, 7, 10)][direction == "higher"]
    variants = [
        Quantitative("p", "p", target=D(points[1]), threshold=D(points[0]), challenge=D(points[2]),
                     direction=direction),  # type: ignore[arg-type]
        Quantitative("r", "r", target=D(7), direction=direction),  # type: ignore[arg-type]
        Quantitative("l", "l", target=D(7), baseline=D(points[0]), form="linear", direction=direction),  # type: ignore[arg-type]
    ]
    for ind in variants:
        weight = D("12.5")
        expected = weight * clamp_achievement(ind, quantitative_achievement(ind, actual))
        assert _compile_item(ind, weight, "ratio").points_of(actual) == expected


@settings(max_examples=150, deadline=None)
@given(inputs(), rater_ratings, st.lists(rater_ratings, min_size=2, max_size=4))
def test_missing_rater_policy_never_changes_a_result_when_all_raters_are_present(
        inp: ScoreInput, self_rating: dict[str, D], peers: list[dict[str, D]]) -> None:
    from dataclasses import replace

    from dingperf.perf.raters import RaterConfig

    ratings = [RaterScores("m", "manager", inp.ratings[0].ratings), RaterScores("s", "self", self_rating)]
    ratings += [RaterScores(f"p{i}", "peer", r) for i, r in enumerate(peers)]
    full = replace(inp, ratings=ratings)
    totals = {compile_template(TEMPLATE, RaterConfig.build({"self": 10, "manager": 60, "peer": 30}, policy=p,
                                                           quorum={"peer": 2})).score(full).total
              for p in ("renormalise", "zero", "block")}
    assert len(totals) == 1
