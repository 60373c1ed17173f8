"""The bulk fast path gives exactly the full path's result (same Decimal digits), or declines (NotFast)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dingperf.perf.fastscore import MARK, SEP, FastScorer, NotFast, fast_path_applies
from dingperf.perf.scoring import RaterScores, ScoreInput, ScoreResult, compile_template
from dingperf.perf.templates import Template
from dingperf.services.score_inputs import InputLoader

SCALE = [{"value": str(i), "label": str(i)} for i in range(1, 6)]


def _q(code: str, weight: object, **fields: str) -> dict[str, object]:
    return {"weight": weight, "indicator": {"kind": "quantitative", "code": code, "name": code, **fields}}


TEMPLATE = Template.from_dict({
    "id": "fast", "version": 1, "name": "Fast", "rounding": {"places": 1}, "total_cap": "120",
    "raters": {"weights": {"self": 10, "manager": 60, "peer": 30}, "quorum": {"peer": 2}},
    "sections": [
        {"code": "kpi", "name": "KPI", "items": [
            _q("rev", "17.5", target="1000"), _q("ret", 10, target="2.0", direction="lower"),
            _q("units", 10, target="100", threshold="80", challenge="120"),
            _q("lead", 10, target="7", threshold="10", challenge="5", direction="lower"),
            _q("nps", "7.5", target="60", baseline="20", form="linear"),
            _q("defect", 5, target="0", baseline="4.0", form="linear", direction="lower"),
            {"weight": 10, "indicator": {"kind": "binary", "code": "ms", "name": "Milestone",
                                         "partial_fraction": "0.3"}}]},
        {"code": "values", "name": "Values", "rated": True, "items": [
            {"weight": 20, "indicator": {"kind": "behavioural", "code": "v1", "name": "V1", "scale": SCALE}},
            {"weight": 10, "indicator": {"kind": "behavioural", "code": "v2", "name": "V2", "scale": SCALE,
                                         "rating_rule": "min_max"}}]},
    ],
    "adjustments": [
        {"kind": "adjustment", "code": "late", "name": "Late", "mode": "percent", "amount": "-7", "stage": "before"},
        {"kind": "adjustment", "code": "bonus", "name": "Bonus", "mode": "points", "amount": "2", "limit": "10"}],
    "vetoes": [{"kind": "veto", "code": "fraud", "name": "Fraud"}],
})
SCORER = compile_template(TEMPLATE)
GROUPS = ("self", "manager", "peer")

decimal_text = st.decimals(min_value=D("0.1"), max_value=D(2000), places=1).map(str)
rating = st.integers(min_value=1, max_value=5).map(str)


@st.composite
def stored(draw: st.DrawFn) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, dict[str, str]]]]:
    """(kind, code, value text) input rows and (rater_id, group, ratings) rater rows, as the store holds them."""
    rows = [("actual", c, draw(decimal_text)) for c in ("rev", "ret", "units", "lead", "nps", "defect")]
    rows.append(("actual", "ms", draw(st.sampled_from(["done", "partial", "not_done"]))))
    if draw(st.booleans()):
        rows.append(("adjustment", "bonus", str(draw(st.integers(1, 8)))))
    if draw(st.booleans()):
        rows.append(("adjustment", "late", str(draw(st.integers(0, 2)))))
    if draw(st.integers(0, 9)) == 0:
        rows.append(("veto", "fraud", draw(st.sampled_from(["true", "false"]))))
    # Mostly a complete panel (the fast path's case), sometimes any mix (where it must decline).
    groups = ["self", "manager", "peer", "peer"] if draw(st.integers(0, 3)) else []
    groups += draw(st.lists(st.sampled_from(GROUPS), max_size=4))
    raters = [(f"r{i}", g, {"v1": draw(rating), "v2": draw(rating)}) for i, g in enumerate(draw(st.permutations(groups)))]
    return rows, raters


def _full(userid: str, rows: list[tuple[str, str, str]], raters: list[tuple[str, str, dict[str, str]]]) -> ScoreResult:
    value = InputLoader().value
    kinds: dict[str, dict[str, object]] = {"actual": {}, "adjustment": {}, "veto": {}}
    for kind, code, text in rows:
        kinds[kind][code] = text.lower() in ("true", "1", "yes") if kind == "veto" else value(text)
    ratings = tuple(RaterScores(r, g, {k: value(v) for k, v in rs.items()}) for r, g, rs in raters)
    return SCORER.score(ScoreInput(userid, kinds["actual"], ratings, kinds["adjustment"], kinds["veto"]))


def _fast(fast: FastScorer, userid: str, rows: list[tuple[str, str, str]],
          raters: list[tuple[str, str, dict[str, str]]]) -> ScoreResult:
    parts = [SEP.join(r) for r in rows]
    pairs = [SEP.join((g, json.dumps(rs, separators=(",", ":")))) + MARK + r for r, g, rs in raters]
    return fast.score(userid, parts, pairs)


def _digits(r: ScoreResult) -> tuple[object, ...]:
    """Every stored number as text, so 4.0 and 4.00 count as different."""
    return (r.status, str(r.total), str(r.unrounded), r.grade, r.veto, {k: str(v) for k, v in r.sections.items()},
            {k: str(v) for k, v in r.items.items()}, r.adjustments, dict(r.rater_policy),
            {s: {g: str(v) for g, v in w.items()} for s, w in r.effective_weights.items()}, r.not_applicable)


@settings(max_examples=400, deadline=None)
@given(stored())
def test_fast_path_matches_the_full_path_digit_for_digit_or_declines(data: tuple[list, list]) -> None:  # type: ignore[type-arg]
    rows, raters = data
    fast = FastScorer(SCORER)
    try:
        got = _fast(fast, "u1", rows, raters)
    except NotFast:
        counts = {g: sum(1 for _, grp, _ in raters if grp == g) for g in GROUPS}
        assert min(counts.values()) == 0 or counts["peer"] < 2  # declines only where aggregate() decides
        return
    assert _digits(got) == _digits(_full("u1", rows, raters))
    parts = [SEP.join(r) for r in rows]
    pairs = [SEP.join((g, json.dumps(rs, separators=(",", ":")))) + MARK + r for r, g, rs in raters]
    kept = fast.stored("u1", parts, pairs)
    assert (str(kept.total), str(kept.unrounded), kept.grade, {k: str(v) for k, v in kept.sections.items()},
            kept.adjustments, kept.veto) == (str(got.total), str(got.unrounded), got.grade,
                                             {k: str(v) for k, v in got.sections.items()}, got.adjustments, got.veto)


def test_fast_path_memoised_points_equal_first_computation() -> None:
    rows = [("actual", c, "55.5") for c in ("rev", "ret", "units", "lead", "nps", "defect")] + [("actual", "ms", "done")]
    raters = [("a", "manager", {"v1": "4", "v2": "3"}), ("b", "peer", {"v1": "2", "v2": "5"}),
              ("c", "peer", {"v1": "5", "v2": "5"}), ("d", "self", {"v1": "3", "v2": "3"})]
    fast = FastScorer(SCORER)
    first, second = _fast(fast, "u1", rows, raters), _fast(fast, "u1", rows, raters)
    assert _digits(first) == _digits(second) == _digits(_full("u1", rows, raters))


def test_fast_path_declines_a_missing_actual() -> None:
    rows = [("actual", c, "5") for c in ("rev", "ret", "units", "lead", "nps")] + [("actual", "ms", "done")]
    with pytest.raises(NotFast):
        _fast(FastScorer(SCORER), "u1", rows, [("a", "manager", {"v1": "4", "v2": "3"})])


def test_fast_path_declines_raters_out_of_order() -> None:
    rows = [("actual", c, "5") for c in ("rev", "ret", "units", "lead", "nps", "defect")] + [("actual", "ms", "done")]
    raters = [("b", "manager", {"v1": "4", "v2": "3"}), ("a", "self", {"v1": "4", "v2": "3"}),
              ("c", "peer", {"v1": "4", "v2": "3"}), ("d", "peer", {"v1": "4", "v2": "3"})]
    with pytest.raises(NotFast):
        _fast(FastScorer(SCORER), "u1", rows, raters)


def test_templates_with_formulas_are_left_to_the_full_path() -> None:
    data = TEMPLATE.to_dict()
    data["total_formula"] = "base * 1"
    assert not fast_path_applies(compile_template(Template.from_dict(data)))
    assert fast_path_applies(SCORER)
