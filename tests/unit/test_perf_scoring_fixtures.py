"""Templates shared by the scoring and explanation tests (the PRODUCT.md §2.6 worked scorecard)."""

from __future__ import annotations

from decimal import Decimal as D

from dingperf.perf.explanation import SourceRef
from dingperf.perf.scoring import Measurement, RaterScores, ScoreInput
from dingperf.perf.templates import Template

SCALE = [{"value": str(i), "label": label, "anchor": f"anchor {i}"}
         for i, label in enumerate(["差 poor", "待改进 needs work", "合格 meets", "良好 good", "优秀 excellent"], 1)]


def scorecard(form: str = "ratio", rule: str = "ratio", **extra: object) -> Template:
    """The sales-rep scorecard: revenue 50, return rate 20 (reverse), values 30 (manager-rated)."""
    return_rate: dict[str, object] = {"kind": "quantitative", "code": "return_rate", "name": "退货率 Return rate",
                                      "unit": "%", "direction": "lower", "target": "2.0", "form": form}
    if form == "linear":
        return_rate["baseline"] = "4.0"
    data: dict[str, object] = {
        "id": "sales-rep", "version": 1, "name": "Sales rep", "rating_rule": rule,
        "rounding": {"places": 1, "mode": "half_up"},
        "raters": {"weights": {"manager": 100}},
        "sections": [
            {"code": "performance", "name": "业绩 Performance", "items": [
                {"weight": 50, "indicator": {"kind": "quantitative", "code": "revenue", "name": "营收 Revenue",
                                             "unit": "k", "target": "1000"}},
                {"weight": 20, "indicator": return_rate}]},
            {"code": "values", "name": "价值观 Values", "rated": True, "items": [
                {"weight": 30, "indicator": {"kind": "behavioural", "code": "values", "name": "价值观 Values",
                                             "scale": SCALE}}]},
        ],
    }
    data.update(extra)
    return Template.from_dict(data)


def scorecard_input(return_rate: str | None = "2.5", manager: object = D(4), **extra: object) -> ScoreInput:
    actuals = {"revenue": Measurement(D(1300), (SourceRef("approval_instance", "PI-1001"),)),
               "return_rate": None if return_rate is None else D(return_rate)}
    ratings = [RaterScores("mgr-1", "manager", {"values": manager})]
    return ScoreInput("u-001", actuals=actuals, ratings=ratings, **extra)  # type: ignore[arg-type]


def single_item(adjustments: list[dict[str, object]] | None = None, **extra: object) -> Template:
    """One 100-weight indicator (target 100) so the base score equals the actual; plus adjustments."""
    data: dict[str, object] = {
        "id": "single", "version": 1, "name": "Single", "rounding": {"places": 1, "mode": "half_up"},
        "total_cap": None,
        "sections": [{"code": "kpi", "name": "KPI", "items": [
            {"weight": 100, "indicator": {"kind": "quantitative", "code": "output", "name": "Output",
                                          "target": "100"}}]}],
        "adjustments": adjustments or [],
    }
    data.update(extra)
    return Template.from_dict(data)
