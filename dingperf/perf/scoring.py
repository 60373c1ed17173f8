"""The fixed scoring pipeline (DESIGN.md): achievement → clamp → weight → section sums → rater aggregation →
plus/minus → veto → total cap → grade; calibration is a separate, later override.

`Scorer` is a template compiled once (weights in points, formulas parsed); `score()` is the lean hot path
and `explain()` runs the very same pipeline while recording every step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from dingperf.perf import achievement as ach
from dingperf.perf.adjustments import AppliedAdjustment, apply_adjustments, bound_total, triggered_veto
from dingperf.perf.errors import ValidationError
from dingperf.perf.explanation import Explanation, SourceRef, build_explanation
from dingperf.perf.formula import Formula, parse
from dingperf.perf.indicators import Behavioural, Quantitative, WeightedIndicator
from dingperf.perf.numbers import ROUNDING_MODES, ZERO, clamp, normalise, to_decimal
from dingperf.perf.raters import RaterAggregate, RaterConfig, aggregate
from dingperf.perf.templates import Template, TemplateRef


@dataclass(frozen=True, slots=True)
class Measurement:
    """An input value with the records it came from (attendance ids, approval instance ids).

    `achievement`, when set, is a precomputed achievement used as-is before clamping (e.g. time-weighted
    across target versions by the goals module); `note` says how it was derived.
    """

    value: object
    sources: tuple[SourceRef, ...] = ()
    achievement: Decimal | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class RaterScores:
    """One rater's ratings of a rated section's items (item code → rating, status or actual)."""

    rater_id: str
    group: str
    ratings: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class ScoreInput:
    """Everything one employee's score is computed from; values may be raw or Measurement."""

    employee_id: str
    actuals: Mapping[str, object] = field(default_factory=dict)
    ratings: Sequence[RaterScores] = ()
    adjustments: Mapping[str, object] = field(default_factory=dict)
    vetoes: Mapping[str, object] = field(default_factory=dict)
    inputs: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CalibrationOverride:
    """Hook for the calibration module: a moved grade and/or score, always with a reason and an author."""

    reason: str
    by: str
    at: datetime
    grade: str | None = None
    total: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValidationError("a calibration change needs a reason; write why the result moves")
        if self.grade is None and self.total is None:
            raise ValidationError("a calibration change must set a grade, a total, or both")


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Outcome for one employee; total is None only when status is 'blocked' (see blocked_reason)."""

    employee_id: str
    template: TemplateRef
    status: Literal["scored", "blocked"]
    total: Decimal | None
    unrounded: Decimal | None
    grade: str | None
    sections: Mapping[str, Decimal]
    items: Mapping[str, Decimal]
    adjustments: tuple[AppliedAdjustment, ...] = ()
    veto: str | None = None
    rater_policy: Mapping[str, str] = field(default_factory=dict)
    effective_weights: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    blocked_reason: str | None = None
    calibration: CalibrationOverride | None = None
    not_applicable: tuple[str, ...] = ()

    @property
    def is_blocked(self) -> bool:
        """True when the score waits for something (e.g. the manager's review)."""
        return self.status == "blocked"

    @property
    def final_grade(self) -> str | None:
        """The calibrated grade when calibration moved it, else the computed grade."""
        return self.calibration.grade if self.calibration and self.calibration.grade else self.grade

    @property
    def final_total(self) -> Decimal | None:
        """The calibrated total when calibration set one, else the computed total."""
        return self.calibration.total if self.calibration and self.calibration.total is not None else self.total

    def with_calibration(self, override: CalibrationOverride) -> ScoreResult:
        """A copy carrying the calibration override; the computed numbers stay as they were."""
        if self.is_blocked:
            raise ValidationError(f"cannot calibrate {self.employee_id}: the score is blocked ({self.blocked_reason})")
        return replace(self, calibration=override)


Achiever = Callable[[object], Decimal]


@dataclass(frozen=True, slots=True)
class _Item:
    code: str
    indicator: WeightedIndicator
    points: Decimal  # weight × full marks
    achieve: Achiever
    formula: Formula | None
    points_of: Achiever  # input value → clamped, weighted points (no formula)
    table: Mapping[Decimal, Decimal] | None  # rating level → points, for behavioural items without formula


def _value(raw: object) -> tuple[object, tuple[SourceRef, ...]]:
    if type(raw) is Measurement:
        return raw.value, raw.sources  # type: ignore[union-attr]
    return raw, ()


def _achiever(ind: WeightedIndicator, rule: str) -> Achiever:
    if isinstance(ind, Quantitative):
        if ind.form == "ratio" and ind.direction == "higher" and not ind.is_piecewise:
            target = ind.target
            return lambda v: (v if type(v) is Decimal else to_decimal(v)) / target  # type: ignore[operator]
        return lambda v: ach.quantitative_achievement(ind, v if type(v) is Decimal else to_decimal(v))
    if isinstance(ind, Behavioural):
        return lambda v: ach.rating_fraction(ind, v if type(v) is Decimal else to_decimal(v), rule)  # type: ignore[arg-type]
    return lambda v: ach.binary_fraction(ind, v)  # type: ignore[arg-type]


def _points_of(ind: WeightedIndicator, achieve: Achiever, weight: Decimal) -> Achiever:
    """Input value → clamped, weighted points; common quantitative forms are fused into one closure.

    The fused closures do exactly the arithmetic of achievement.base_achievement, so numbers match.
    """
    lo, hi = ind.floor, ind.cap
    if isinstance(ind, Quantitative) and ind.threshold is not None and ind.challenge is not None:
        return _piecewise_points(ind, weight)
    if isinstance(ind, Quantitative) and not ind.is_piecewise:
        target = ind.target
        if ind.form == "linear":
            baseline = ind.baseline
            span = target - baseline  # type: ignore[operator]

            def linear(v: object) -> Decimal:
                if type(v) is not Decimal:
                    v = to_decimal(v)
                a = (v - baseline) / span  # type: ignore[operator]
                return weight * (lo if a < lo else min(a, hi))

            return linear
        if ind.direction == "higher":
            def ratio(v: object) -> Decimal:
                if type(v) is not Decimal:
                    v = to_decimal(v)
                a = v / target  # type: ignore[operator]
                return weight * (lo if a < lo else min(a, hi))

            return ratio

        def reverse(v: object) -> Decimal:
            if type(v) is not Decimal:
                v = to_decimal(v)
            a = target / v if v else achieve(v)  # achieve() applies the declared actual=0 policy
            return weight * (lo if a < lo else min(a, hi))

        return reverse

    def points(v: object) -> Decimal:
        a = achieve(v)
        return weight * (lo if a < lo else min(a, hi))

    return points


def _piecewise_points(ind: Quantitative, weight: Decimal) -> Achiever:
    """Fused T/G/C scale; the same steps as achievement.quantitative_achievement, constants hoisted."""
    lo, hi = ind.floor, ind.cap
    t, g, c = ind.threshold, ind.target, ind.challenge
    below, s_t, s_g, s_c = ind.below_threshold_score, ind.threshold_score, ind.target_score, ind.challenge_score
    d_tg, ds_tg = g - t, s_g - s_t  # type: ignore[operator]
    d_gc, ds_gc = c - g, s_c - s_g  # type: ignore[operator]
    higher = ind.direction == "higher"

    def piecewise(v: object) -> Decimal:
        if type(v) is not Decimal:
            v = to_decimal(v)
        if v < t if higher else v > t:  # type: ignore[operator]
            a = below
        elif v < g if higher else v > g:  # type: ignore[operator]
            a = s_t + (v - t) / d_tg * ds_tg  # type: ignore[operator]
        elif v == g:
            a = s_g
        elif v >= c if higher else v <= c:  # type: ignore[operator]
            a = s_c
        else:
            a = s_g + (v - g) / d_gc * ds_gc  # type: ignore[operator]
        return weight * (lo if a < lo else hi if a > hi else a)  # noqa: FURB136 - avoids a call per item

    return piecewise


def _compile_item(ind: WeightedIndicator, points: Decimal, rule: str) -> _Item:
    achieve = _achiever(ind, rule)
    points_of = _points_of(ind, achieve, points)
    table = None
    if isinstance(ind, Behavioural) and not ind.formula:
        table = {level.value: points_of(level.value) for level in ind.scale}
    return _Item(ind.code, ind, points, achieve, parse(ind.formula) if ind.formula else None, points_of, table)


def _formula_env(ind: WeightedIndicator, value: object, a: Decimal, extra: Mapping[str, object]) -> dict[str, object]:
    env: dict[str, object] = dict(extra)
    env["achievement"] = a
    if isinstance(ind, Quantitative):
        env.update(actual=to_decimal(value), target=ind.target)
        for name in ("baseline", "threshold", "challenge"):
            if getattr(ind, name) is not None:
                env[name] = getattr(ind, name)
    elif isinstance(ind, Behavioural):
        env.update(rating=to_decimal(value), min=ind.minimum, max=ind.maximum)
    return env


class Scorer:
    """A template compiled for fast scoring; the rater config may be overridden by the cycle."""

    def __init__(self, template: Template, raters: RaterConfig | None = None) -> None:
        self.template = template
        self.raters = raters or template.raters
        self.ref = template.ref()
        full = template.full_marks
        self._sections = tuple((s.code, s.rated, frozenset(i.code for i in s.items),
                                tuple(_compile_item(i.indicator, i.weight * full, template.rating_rule)
                                      for i in s.items)) for s in template.sections)
        self._plans = {code: tuple((i.code, i.table, i) for i in compiled) for code, _, _, compiled in self._sections}
        self._total_formula = parse(template.total_formula) if template.total_formula else None
        self._quantum = Decimal(1).scaleb(-template.rounding.places)
        self._rounding = ROUNDING_MODES[template.rounding.mode]
        groups = self.raters.groups
        self._group_plan = tuple((g.code, g.weight, g.quorum) for g in groups)
        self._group_codes = frozenset(g.code for g in groups)
        self._all_present_weights = MappingProxyType(dict(zip((g.code for g in groups),
                                                              normalise([g.weight for g in groups]))))

    def item_achievement(self, item: _Item, value: object, extra: Mapping[str, object]) -> Decimal:
        """Achievement of one item, through its custom formula when it has one."""
        a = item.achieve(value)
        if item.formula is not None:
            a = item.formula.evaluate(_formula_env(item.indicator, value, a, extra))
        return a

    def item_points(self, item: _Item, value: object, extra: Mapping[str, object]) -> Decimal:
        """Clamped, weighted points of one item for one input value."""
        if item.formula is None:
            if item.table is not None and type(value) is Decimal:
                hit = item.table.get(value)
                if hit is not None:
                    return hit
            return item.points_of(value)
        a = self.item_achievement(item, value, extra)
        ind = item.indicator
        return item.points * (ind.floor if a < ind.floor else min(a, ind.cap))

    def score(self, inp: ScoreInput) -> ScoreResult:
        """Score one employee (no explanation is built)."""
        return self._run(inp, None)[0]

    def explain(self, inp: ScoreInput) -> Explanation:
        """Score one employee and return the full explanation tree (same numbers as score())."""
        return self.score_explained(inp)[1]

    def score_explained(self, inp: ScoreInput) -> tuple[ScoreResult, Explanation]:
        """The result and its explanation from one pass (cheaper than score() then explain())."""
        steps: list[object] = []
        result, _ = self._run(inp, steps)
        return result, build_explanation(self, inp, result, steps)

    def _run(self, inp: ScoreInput, trace: list[object] | None) -> tuple[ScoreResult, list[object] | None]:
        extra = inp.inputs
        sections: dict[str, Decimal] = {}
        items: dict[str, Decimal] = {}
        policies: dict[str, str] = {}
        weights: dict[str, Mapping[str, Decimal]] = {}
        actuals = inp.actuals
        item_points = self.item_points
        not_applicable: list[_Item] = []
        for code, rated, codes, compiled in self._sections:
            if rated:
                value, policy, effective, agg = self._rated_section(code, codes, compiled, inp, extra)
                if trace is not None:
                    trace.append(("rated", code, agg or self._aggregate(compiled, codes, code, inp)))
                policies[code] = policy
                if value is None:
                    return self._blocked(inp, agg, policies), trace  # type: ignore[arg-type]
                weights[code] = effective
                sections[code] = value
                continue
            subtotal = ZERO
            for item in compiled:
                try:
                    raw = actuals[item.code]
                except KeyError:
                    raise ValidationError(f"{inp.employee_id}: no actual for indicator {item.code!r}; record it "
                                          "before scoring") from None
                given = None
                if type(raw) is Measurement:
                    value, given = raw.value, raw.achievement  # type: ignore[union-attr]
                else:
                    value = raw
                if given is not None:
                    points = item.points * clamp(given, item.indicator.floor, item.indicator.cap)
                elif value is None:  # 不适用 N/A: left out, and the other items are renormalised in _finish
                    not_applicable.append(item)
                    if trace is not None:
                        trace.append(("na", code, item, raw))
                    continue
                elif item.formula is None:
                    points = item.points_of(value)
                else:
                    points = item_points(item, value, extra)
                items[item.code] = points
                subtotal += points
                if trace is not None:
                    a = given if given is not None else self.item_achievement(item, value, extra)
                    trace.append(("item", code, item, raw, a, points))
            sections[code] = subtotal
        return self._finish(inp, sections, items, policies, weights, not_applicable, trace), trace

    def _rater_points(self, code: str, codes: frozenset[str], compiled: tuple[_Item, ...],
                      inp: ScoreInput) -> dict[str, list[Decimal]]:
        by_group: dict[str, list[Decimal]] = {}
        item_points, extra = self.item_points, inp.inputs
        plan = self._plans[code]
        for rater in inp.ratings:
            ratings = rater.ratings
            if codes.isdisjoint(ratings):
                continue
            points = ZERO
            for item_code, table, item in plan:
                try:
                    raw = ratings[item_code]
                except KeyError:
                    raise ValidationError(f"rater {rater.rater_id} rated part of section {code!r} but not "
                                          f"{item_code!r}; every item of a rated section needs a rating") from None
                hit = table.get(raw) if table is not None and type(raw) is Decimal else None
                if hit is None:
                    hit = item_points(item, raw.value if type(raw) is Measurement else raw, extra)  # type: ignore[union-attr]
                points += hit
            group = by_group.get(rater.group)
            if group is None:
                by_group[rater.group] = [points]
            else:
                group.append(points)
        return by_group

    def _aggregate(self, compiled: tuple[_Item, ...], codes: frozenset[str], code: str,
                   inp: ScoreInput) -> RaterAggregate:
        return aggregate(self.raters, self._rater_points(code, codes, compiled, inp))

    def _rated_section(self, code: str, codes: frozenset[str], compiled: tuple[_Item, ...], inp: ScoreInput,
                       extra: Mapping[str, object]) -> tuple[Decimal | None, str, Mapping[str, Decimal],
                                                             RaterAggregate | None]:
        by_group = self._rater_points(code, codes, compiled, inp)
        if by_group.keys() == self._group_codes:
            # Fast path, every group present at quorum: the same arithmetic aggregate() does with divisor 1.
            total = ZERO
            for group, weight, quorum in self._group_plan:
                values = by_group[group]
                if len(values) < quorum:
                    break
                total += weight * (sum(values, ZERO) / len(values))
            else:
                return total, "all_present", self._all_present_weights, None
        agg = aggregate(self.raters, by_group)
        return agg.value, agg.policy_applied, {g.code: g.effective_weight for g in agg.groups}, agg

    def _blocked(self, inp: ScoreInput, agg: RaterAggregate, policies: dict[str, str]) -> ScoreResult:
        return ScoreResult(inp.employee_id, self.ref, "blocked", None, None, None, {}, {}, rater_policy=policies,
                           blocked_reason=agg.blocked_reason)

    def _finish(self, inp: ScoreInput, sections: dict[str, Decimal], items: dict[str, Decimal],
                policies: dict[str, str], weights: dict[str, dict[str, Decimal]],
                not_applicable: list[_Item], trace: list[object] | None) -> ScoreResult:
        t = self.template
        base = sum(sections.values(), ZERO)
        if not_applicable:
            # PRODUCT.md §2.5: N/A items are renormalised away, like missing raters: scale by full ÷ applicable.
            full = t.full_marks
            applicable = full - sum((i.points for i in not_applicable), ZERO)
            if applicable <= 0:
                raise ValidationError(f"{inp.employee_id}: every weighted indicator is marked not applicable; "
                                      "give at least one an actual value")
            renormalised = base * full / applicable
            if trace is not None:
                trace.append(("na_scale", base, renormalised, full, applicable))
            base = renormalised
        total = base
        if self._total_formula is not None:
            env: dict[str, object] = dict(inp.inputs)
            env.update(sections)
            env.update(items)
            env["base"] = base
            total = self._total_formula.evaluate(env)
            if trace is not None:
                used = tuple((n, env[n]) for n in sorted(self._total_formula.names) if n in env)
                trace.append(("formula", base, total, used))
        applied: tuple[AppliedAdjustment, ...] = ()
        if inp.adjustments:
            raw_adjust = {k: _value(v)[0] for k, v in inp.adjustments.items()}
            total, applied = apply_adjustments(total, t.adjustments, raw_adjust)
            if trace is not None:
                trace.append(("adjustments", applied))
        veto = triggered_veto(t.vetoes, {k: _value(v)[0] for k, v in inp.vetoes.items()}) if inp.vetoes else None
        if veto is not None and trace is not None:
            trace.append(("veto", veto, total))
        if veto is not None and veto.effect == "zero":
            total = ZERO
        bounded, note = bound_total(total, t.total_floor, t.total_cap)
        if note and trace is not None:
            trace.append(("bound", total, bounded, note))
        rounded = bounded.quantize(self._quantum, rounding=self._rounding)
        grade = t.grades.lowest if veto is not None else t.grades.grade_for(rounded)
        return ScoreResult(inp.employee_id, self.ref, "scored", rounded, bounded, grade, sections, items, applied,
                           None if veto is None else veto.code, policies, weights,
                           not_applicable=tuple(i.code for i in not_applicable))


def compile_template(template: Template, raters: RaterConfig | None = None) -> Scorer:
    """Compile a template (optionally with the cycle's rater config) into a reusable Scorer."""
    return Scorer(template, raters)


def score(template: Template, inp: ScoreInput, raters: RaterConfig | None = None) -> ScoreResult:
    """One-off convenience: compile and score (compile once with compile_template for bulk work)."""
    return Scorer(template, raters).score(inp)


@dataclass(frozen=True, slots=True)
class WhatIf:
    """One employee under the current and a proposed template (PRODUCT.md §4.1 dry run)."""

    employee_id: str
    before: Decimal | None
    after: Decimal | None
    grade_before: str | None
    grade_after: str | None

    @property
    def delta(self) -> Decimal | None:
        """after − before, or None when either side is blocked."""
        return None if self.before is None or self.after is None else self.after - self.before


def what_if(current: Scorer, proposed: Scorer, inputs: Sequence[ScoreInput]) -> tuple[WhatIf, ...]:
    """Dry-run a template change: score the same inputs with both scorers, nothing is stored."""
    out = []
    for inp in inputs:
        a, b = current.score(inp), proposed.score(inp)
        out.append(WhatIf(inp.employee_id, a.total, b.total, a.grade, b.grade))
    return tuple(out)
