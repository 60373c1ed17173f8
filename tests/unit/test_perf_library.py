"""The starter library: every template loads, validates, scores, and covers the required roles."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.indicators import Behavioural, Binary, Quantitative
from dingperf.perf.library import LIBRARY_DIR, entries, load_all, load_template, values_items
from dingperf.perf.scoring import RaterScores, ScoreInput, compile_template
from dingperf.perf.templates import Template


def _on_target_input(template: Template) -> ScoreInput:
    actuals: dict[str, object] = {}
    rated: dict[str, object] = {}
    for section in template.sections:
        for item in section.items:
            ind = item.indicator
            value: object = ind.target if isinstance(ind, Quantitative) else (
                ind.maximum if isinstance(ind, Behavioural) else "done")
            (rated if section.rated else actuals)[item.code] = value
    return ScoreInput("u", actuals=actuals, ratings=[RaterScores("m", "manager", rated)] if rated else [])


@pytest.mark.parametrize("template_id", [p.stem for p in LIBRARY_DIR.glob("*.json") if p.stem != "values"])
def test_every_library_template_loads_validates_and_scores_100_on_target(template_id: str) -> None:
    template = load_template(template_id)
    assert sum(i.weight for i in template.items) == D(1)
    explanation = compile_template(template).explain(_on_target_input(template))
    assert explanation.total == D("100.0")
    assert explanation.leaf_sum() == explanation.total


def test_library_has_at_least_12_roles_across_6_industries() -> None:
    found = entries()
    assert len(found) >= 12
    assert len({e.industry for e in found}) >= 6


def test_photo_studio_weights_are_conversion_30_satisfaction_40_repurchase_30() -> None:
    template = load_template("photo-studio-operations")
    assert {i.code: i.weight for i in template.items} == {
        "conversion_rate": D("0.3"), "shooting_satisfaction": D("0.4"), "repurchase_rate": D("0.3")}


def test_manufacturing_has_a_reverse_defect_rate_indicator() -> None:
    defect = next(i.indicator for i in load_template("production-supervisor").items if i.code == "defect_rate")
    assert isinstance(defect, Quantitative) and defect.direction == "lower"


@pytest.mark.parametrize("template_id", ["sales-rep", "rnd-engineer-okr", "customer-service-agent",
                                         "restaurant-store-manager", "hr-business-partner",
                                         "administrative-assistant"])
def test_required_roles_are_present(template_id: str) -> None:
    assert load_template(template_id).id == template_id


def test_rnd_template_scores_okr_key_results_linearly_from_baseline() -> None:
    template = load_template("rnd-engineer-okr")
    kr = next(i.indicator for i in template.items if i.code == "kr_test_coverage")
    assert isinstance(kr, Quantitative) and (kr.form, kr.baseline) == ("linear", D(55))
    assert any(isinstance(i.indicator, Binary) for i in template.items)


def test_values_items_have_an_anchor_for_every_level() -> None:
    items = values_items()
    assert len(items) >= 8
    assert all(level.anchor for item in items for level in item.scale)


def test_unknown_template_lists_what_exists() -> None:
    with pytest.raises(ValidationError, match="available: .*sales-rep"):
        load_template("astronaut")


def test_unknown_values_ref_is_reported(tmp_path: Path) -> None:
    (tmp_path / "values.json").write_text((LIBRARY_DIR / "values.json").read_text("utf-8"), "utf-8")
    data = json.loads((LIBRARY_DIR / "sales-rep.json").read_text("utf-8"))
    data["sections"][1]["items"][0]["ref"] = "values.bravery"
    (tmp_path / "sales-rep.json").write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValidationError, match="unknown library item 'values.bravery'"):
        load_template("sales-rep", tmp_path)


def test_load_all_returns_every_template() -> None:
    assert len(load_all()) == len(entries())


def test_templates_are_hashable_so_they_can_key_caches() -> None:
    assert hash(load_template('rnd-engineer-okr')) == hash(load_template('rnd-engineer-okr'))
