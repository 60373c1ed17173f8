"""The safe formula language: arithmetic over Decimal only, errors with positions."""

from __future__ import annotations

import builtins
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dingperf.perf.errors import FormulaError
from dingperf.perf.formula import MAX_DEPTH, MAX_LENGTH, evaluate, parse, tokenize


def test_precedence_of_multiplication_over_addition() -> None:
    assert evaluate("1 + 2 * 3", {}) == D(7)


def test_parentheses_and_unary_minus() -> None:
    assert evaluate("-(1 + 2) * -2", {}) == D(6)


def test_chinese_operators_and_unicode_minus() -> None:
    assert evaluate("10 × 3 ÷ 4 − 1", {}) == D("6.5")


def test_named_inputs_are_decimal_exact() -> None:
    assert evaluate("actual / target", {"actual": D("0.3"), "target": D("0.1")}) == D(3)


def test_chinese_input_names() -> None:
    assert evaluate("实际值 / 目标值", {"实际值": D(90), "目标值": D(100)}) == D("0.9")


def test_if_then_else_with_comparison_and_logic() -> None:
    f = "if late > 3 and not (excused > 0) then base * 0.9 else base"
    assert evaluate(f, {"late": D(4), "excused": D(0), "base": D(92)}) == D("82.8")


def test_not_on_a_number_is_a_type_error() -> None:
    with pytest.raises(FormulaError, match="'not' needs a true/false"):
        parse("not 1")


def test_if_with_boolean_literals() -> None:
    assert evaluate("if true or false then 1 else 2", {}) == D(1)


def test_functions_min_max_clamp_abs_round() -> None:
    env = {"a": D("1.35")}
    assert evaluate("min(a, 1.2) + max(0, -a) + clamp(a, 0, 1) + abs(-2) + round(a, 1)", env) == D("5.6")


def test_round_is_half_up() -> None:
    assert evaluate("round(2.5)", {}) == D(3)


def test_frappe_weighted_final_score_formula() -> None:
    env = {"goal_score": D("3.4"), "average_feedback_score": D("3.5"), "self_appraisal_score": D("3.5")}
    f = "goal_score*0.6 + average_feedback_score*0.3 + self_appraisal_score*0.1"
    assert evaluate(f, env) == D("3.44")


def test_names_lists_every_input_used() -> None:
    assert parse("if a > b then min(c, 1) else d").names == frozenset({"a", "b", "c", "d"})


def test_check_names_reports_unknown_input_with_position() -> None:
    with pytest.raises(FormulaError, match="unknown input 'revnue'.*at character 4"):
        parse("2 * revnue").check_names({"revenue"})


def test_division_by_zero_is_a_clear_error_with_position() -> None:
    with pytest.raises(FormulaError, match="division by zero.*at character 2"):
        evaluate("1 / x", {"x": D(0)})


def test_missing_input_at_evaluation_is_named() -> None:
    with pytest.raises(FormulaError, match="input 'x' has no value"):
        evaluate("x + 1", {})


def test_syntax_error_reports_position() -> None:
    with pytest.raises(FormulaError) as info:
        parse("1 + * 2")
    assert info.value.position == 4


def test_unknown_character_is_rejected_with_position() -> None:
    with pytest.raises(FormulaError, match="unexpected character '_'|unexpected character '\\.'|'@'"):
        parse("a @ b")


def test_attribute_access_is_not_part_of_the_language() -> None:
    with pytest.raises(FormulaError):
        parse("x.__class__")


def test_unknown_function_is_rejected() -> None:
    with pytest.raises(FormulaError, match="unknown function '__import__'"):
        parse("__import__(1)")


def test_wrong_arity_is_rejected() -> None:
    with pytest.raises(FormulaError, match="clamp\\(\\) takes 3 arguments, got 2"):
        parse("clamp(1, 2)")


def test_boolean_result_is_rejected() -> None:
    with pytest.raises(FormulaError, match="true/false"):
        parse("1 < 2")


def test_chained_comparison_is_rejected() -> None:
    with pytest.raises(FormulaError, match="cannot be chained"):
        parse("1 < 2 < 3")


def test_mismatched_branches_are_rejected() -> None:
    with pytest.raises(FormulaError, match="both must give the same kind"):
        parse("if 1 < 2 then 1 else 1 > 0")


def test_empty_formula_is_rejected() -> None:
    with pytest.raises(FormulaError, match="empty"):
        parse("   ")


def test_length_limit() -> None:
    with pytest.raises(FormulaError, match="limit"):
        parse("1+" * (MAX_LENGTH // 2) + "1")


def test_nesting_depth_limit() -> None:
    with pytest.raises(FormulaError, match="nests deeper"):
        parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))


def test_long_flat_sums_do_not_recurse() -> None:
    assert evaluate("+".join(["1"] * 900), {}) == D(900)


def test_round_places_are_bounded() -> None:
    with pytest.raises(FormulaError, match="places"):
        evaluate("round(1, 50)", {})


def test_overflow_is_a_formula_error() -> None:
    big = "9" * 900
    with pytest.raises(FormulaError, match="out of range|places"):
        evaluate(f"round({big} * {big}, 2)", {})


def test_boolean_input_value_is_rejected() -> None:
    with pytest.raises(FormulaError, match="must be a number"):
        evaluate("x + 1", {"x": True})


def test_tokenizer_maps_symbol_aliases() -> None:
    assert [t.text for t in tokenize("a ≤ b ≠ c")][:5] == ["a", "<=", "b", "!=", "c"]


ALPHABET = st.sampled_from(list("0123456789.+-*/×÷−()<>=!, abcxyz_") + [
    "if ", " then ", " else ", " and ", " or ", "not ", "min(", "max(", "clamp(", "abs(", "round(",
    "true", "false", "__import__", "eval(", ".__class__", "'", '"', ";", "\n", "%", "[", "]", "{", "}", "≤",
])


def _safe_outcome(text: str) -> None:
    try:
        result = evaluate(text, {"a": D(2), "b": D(-3), "c": D(0), "x": D("1.5")})
    except FormulaError:
        return
    assert type(result) is D


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_fuzz_arbitrary_text_evaluates_or_raises_formula_error(text: str) -> None:
    _safe_outcome(text)


@settings(max_examples=600, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_fuzz_token_soup_evaluates_or_raises_formula_error(text: str) -> None:
    _safe_outcome(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_fuzz_never_touches_builtins(text: str) -> None:
    calls: list[str] = []
    originals = {name: getattr(builtins, name) for name in ("eval", "exec", "compile", "__import__", "getattr")}

    def spy(name: str):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(name)
            return originals[name](*args, **kwargs)
        return wrapper

    try:
        for name in ("eval", "exec", "compile", "getattr"):
            setattr(builtins, name, spy(name))
        parse.cache_clear()
        _safe_outcome(text)
    finally:
        for name, fn in originals.items():
            setattr(builtins, name, fn)
    assert calls == []
