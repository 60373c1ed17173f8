"""Templates: weights total 100 and are stored normalised; versions, hashes, pins, dict/JSON round trips."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dingperf.perf.errors import FormulaError, ValidationError
from dingperf.perf.templates import Rounding, Template
from tests.unit.test_perf_scoring_fixtures import scorecard


def _item(code: str, weight: object) -> dict[str, object]:
    return {"weight": weight, "indicator": {"kind": "binary", "code": code, "name": code}}


def _template(sections: list[dict[str, object]], **extra: object) -> Template:
    return Template.from_dict({"id": "t", "version": 1, "name": "T", "sections": sections, **extra})


def test_weights_are_stored_as_fractions_of_one() -> None:
    template = scorecard()
    assert [i.weight for i in template.items] == [D("0.5"), D("0.2"), D("0.3")]


def test_weights_not_totalling_100_say_the_total_and_which_section_to_adjust() -> None:
    with pytest.raises(ValidationError, match="weights total 95, not 100; adjust section 'kpi' \\(or its items\\) by 5"):
        _template([{"code": "kpi", "items": [_item("a", 60), _item("b", 35)]}])


def test_section_weight_with_relative_item_weights() -> None:
    template = _template([
        {"code": "kpi", "weight": 70, "items": [_item("a", 50), _item("b", 50)]},
        {"code": "values", "weight": 30, "items": [_item("c", 100)]},
    ])
    assert [i.weight for i in template.items] == [D("0.35"), D("0.35"), D("0.3")]


def test_section_items_not_totalling_100_name_the_item_to_adjust() -> None:
    with pytest.raises(ValidationError, match="section 'kpi' total 90, not 100; adjust 'a' by 10"):
        _template([{"code": "kpi", "weight": 100, "items": [_item("a", 60), _item("b", 30)]}])


def test_duplicate_indicator_codes_are_rejected() -> None:
    with pytest.raises(ValidationError, match="repeated: \\['a'\\]"):
        _template([{"code": "kpi", "items": [_item("a", 50), _item("a", 50)]}])


def test_adjustment_in_a_section_is_rejected() -> None:
    with pytest.raises(ValidationError, match="list it under 'adjustments'"):
        _template([{"code": "kpi", "items": [
            {"weight": 100, "indicator": {"kind": "adjustment", "code": "x", "name": "x"}}]}])


def test_item_formula_must_only_use_available_names() -> None:
    with pytest.raises(FormulaError, match="unknown input 'bonus'"):
        _template([{"code": "kpi", "items": [{"weight": 100, "indicator": {
            "kind": "quantitative", "code": "q", "name": "q", "target": "10", "formula": "actual / target + bonus"}}]}])


def test_unknown_rounding_mode_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown rounding mode"):
        Rounding(1, "banker")


def test_dict_round_trip_preserves_the_template() -> None:
    template = scorecard(total_cap="120")
    assert Template.from_dict(template.to_dict()) == template


def test_json_round_trip_preserves_the_template() -> None:
    template = scorecard()
    assert Template.from_json(template.to_json()) == template


def test_revise_creates_a_new_version_and_keeps_the_old() -> None:
    v1 = scorecard()
    v2 = v1.revise(total_cap=D(110))
    assert (v1.version, v2.version, v1.total_cap, v2.total_cap) == (1, 2, None, D(110))


def test_content_hash_changes_with_content_not_with_version() -> None:
    v1 = scorecard()
    assert v1.revise().content_hash == v1.content_hash
    assert v1.revise(total_cap=D(110)).content_hash != v1.content_hash


def test_cycle_pin_accepts_the_pinned_version() -> None:
    template = scorecard()
    template.check_pin(template.ref())


def test_cycle_pin_rejects_a_changed_template_under_the_same_version() -> None:
    template = scorecard()
    ref = template.ref()
    tampered = Template.from_dict({**template.to_dict(), "total_cap": "150"})
    with pytest.raises(ValidationError, match="changed after the cycle pinned it"):
        tampered.check_pin(ref)


def test_cycle_pin_rejects_another_version() -> None:
    template = scorecard()
    with pytest.raises(ValidationError, match="pins template sales-rep v1"):
        template.revise().check_pin(template.ref())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12))
def test_normalised_weights_always_sum_to_exactly_one(raw: list[int]) -> None:
    total = sum(raw)
    # spread 100 over the items in hundredths, the last item taking the remainder so the total is exactly 100
    percents = [D(r * 10_000 // total) / 100 for r in raw[:-1]]
    percents.append(D(100) - sum(percents, D(0)))
    if min(percents) <= 0:
        return
    template = _template([{"code": "kpi", "items": [_item(f"i{n}", p) for n, p in enumerate(percents)]}])
    assert sum(i.weight for i in template.items) == D(1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=99), min_size=2, max_size=5))
def test_section_relative_weights_also_sum_to_exactly_one(sections: list[int]) -> None:
    weights = [D(w) for w in sections[:-1]]
    last = D(100) - sum(weights, D(0))
    if last <= 0:
        return
    weights.append(last)
    template = _template([{"code": f"s{n}", "weight": w, "items": [_item(f"a{n}", "33.3"), _item(f"b{n}", "66.7")]}
                          for n, w in enumerate(weights)])
    assert sum(i.weight for i in template.items) == D(1)


def test_malformed_template_dict_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="malformed"):
        _template([{"code": "kpi", "items": [_item("a", 100)]}], rounding={"digits": 2})
