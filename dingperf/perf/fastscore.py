"""The bulk fast path of `Scorer`: score one employee straight from compact stored parts, no ScoreInput.

A bulk run reads each employee's inputs as short texts ("kind␟code␟value") and rater rows as
"group␟ratings-json␝rater_id" (a row's section is not needed: items are matched by code, as in `Scorer`).
Item points depend only on the item and the value text, and a rater's section points only on its ratings
text, so both are memoised per text: the very same closures of the compiled `Scorer` compute them on a
miss, and the section sums, rater means and `Scorer._finish` run in the same order as `Scorer.score`, so
every Decimal (unrounded, sections, total) is identical.

Anything outside the common shape — a Measurement (sources, achievement, note), an N/A value, a missing
or non-numeric actual, a rater below quorum or a missing group, a rater who rated several sections,
formulas — raises `NotFast`, and the caller scores that employee through the full path instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import NamedTuple

from dingperf.perf.adjustments import AppliedAdjustment, bound_total
from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import ZERO
from dingperf.perf.scoring import ScoreInput, Scorer, ScoreResult

SEP = "\x1f"  # between the fields of one stored row
MARK = "\x1d"  # between a rater part and its rater_id
_TRUE = frozenset({"true", "1", "yes"})
_MEMO_LIMIT = 200_000  # entries per memo; a cycle of free-form decimals must not grow it forever
_EMPTY: dict[str, object] = {}


class Stored(NamedTuple):
    """The numbers a results row holds for one fast-scored employee (the same as its ScoreResult's)."""

    userid: str
    total: Decimal
    unrounded: Decimal
    grade: str
    sections: dict[str, Decimal]
    adjustments: tuple[AppliedAdjustment, ...]
    veto: str | None


class NotFast(Exception):
    """This employee's inputs are outside the fast path's shape; score them with `Scorer.score`."""


def fast_path_applies(scorer: Scorer) -> bool:
    """True when the template has no formulas (item or total): those need the full input environment."""
    t = scorer.template
    return t.total_formula is None and all(i.indicator.formula is None for s in t.sections for i in s.items)


def _number(text: str) -> object:
    # The same parse as InputLoader.value: a Decimal when numeric, else the status text.
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


class FastScorer:
    """Scores compact parts with memoised item and rater points; same numbers as `Scorer.score`."""

    def __init__(self, scorer: Scorer) -> None:
        if not fast_path_applies(scorer):
            raise ValidationError(f"template {scorer.ref.id} uses formulas; score it with Scorer.score")
        self.scorer = scorer
        self._quant: list[tuple[str, str, tuple[int, ...]]] = []  # (section, item codes, slots)
        self._slot: dict[str, int] = {}  # quantitative item code -> slot
        self._items: list[object] = []
        self._rated: list[tuple[str, frozenset[str], tuple[object, ...]]] = []
        for code, rated, codes, compiled in scorer._sections:
            if rated:
                self._rated.append((code, codes, scorer._plans[code]))
                continue
            slots = []
            for item in compiled:
                self._slot[item.code] = len(self._items)
                slots.append(len(self._items))
                self._items.append(item)
            self._quant.append((code, "", tuple(slots)))
        self._codes = tuple(item.code for item in self._items)  # type: ignore[attr-defined]
        self._groups = scorer._group_plan
        self._group_codes = scorer._group_codes
        # Read-only views shared by every result: the same mapping for all, never copied per employee.
        self._policies = MappingProxyType({code: "all_present" for code, _, _ in self._rated})
        self._weights = MappingProxyType({code: scorer._all_present_weights for code, _, _ in self._rated})
        t = scorer.template
        self._reorder = any(rated for _, rated, _, _ in scorer._sections) and not all(
            rated for _, rated, _, _ in scorer._sections[len(self._quant):])
        self._floor, self._cap, self._ref = t.total_floor, t.total_cap, scorer.ref
        self._quantum, self._rounding, self._grade_for = scorer._quantum, scorer._rounding, t.grades.grade_for
        self._parts: dict[str, tuple[str, object, object]] = {}  # input part -> (kind, slot|code, points|value)
        self._group_index = {group: i for i, (group, _, _) in enumerate(self._groups)}
        # rater part -> (group index or -1, ((rated section index, points), ...))
        self._raters: dict[str, tuple[int, tuple[tuple[int, Decimal], ...]]] = {}

    @property
    def policies(self) -> Mapping[str, str]:
        """The rater policy every fast-scored result carries (every group present at quorum)."""
        return self._policies

    @property
    def weights(self) -> Mapping[str, Mapping[str, Decimal]]:
        """The effective rater-group weights every fast-scored result carries (the all-present ones)."""
        return self._weights

    def _part(self, part: str) -> tuple[str, object, object]:
        kind, code, text = part.split(SEP)
        if kind == "actual":
            slot = self._slot.get(code)
            if slot is None:
                raise NotFast(code)
            try:
                points = self._items[slot].points_of(_number(text))  # type: ignore[attr-defined]
            except ValidationError:
                raise NotFast(code) from None  # the full path raises it again and blocks the employee
            hit: tuple[str, object, object] = (kind, slot, points)
        elif kind == "veto":
            hit = (kind, code, text.lower() in _TRUE)
        else:
            hit = (kind, code, _number(text))
        if len(self._parts) > _MEMO_LIMIT:
            self._parts.clear()
        self._parts[part] = hit
        return hit

    def _rater(self, head: str) -> tuple[int, tuple[tuple[int, Decimal], ...]]:
        group, text = head.split(SEP, 1)
        ratings = {k: (None if v is None else _number(str(v))) for k, v in json.loads(text).items()}
        found = []
        for index, (_code, codes, plan) in enumerate(self._rated):
            if codes.isdisjoint(ratings):
                continue
            points = ZERO
            for item_code, table, item in plan:  # the arithmetic of Scorer._rater_points, in its order
                raw = ratings.get(item_code)
                if type(raw) is not Decimal:
                    raise NotFast(item_code)
                hit = table.get(raw) if table is not None else None
                if hit is None:
                    try:
                        hit = self.scorer.item_points(item, raw, _EMPTY)
                    except ValidationError:
                        raise NotFast(item_code) from None
                points += hit
            found.append((index, points))
        if len(self._raters) > _MEMO_LIMIT:
            self._raters.clear()
        result = self._raters[head] = (self._group_index.get(group, -1), tuple(found))
        return result

    def score(self, userid: str, inputs: Sequence[str], raters: Sequence[str]) -> ScoreResult:
        """Score one employee from input parts ("kind␟code␟value") and rater parts
        ("group␟ratings␝rater_id") in rater_id order."""
        items: dict[str, Decimal] = {}
        sections, adjustments, vetoes = self._collect(inputs, raters, items)
        if adjustments is None and vetoes is None:
            rounded, bounded = self._bounded(sections)
            return ScoreResult(userid, self._ref, "scored", rounded, bounded, self._grade_for(rounded), sections,
                               items, (), None, self._policies, self._weights)
        return self._finish(userid, sections, items, adjustments, vetoes)

    def stored(self, userid: str, inputs: Sequence[str], raters: Sequence[str]) -> Stored:
        """What a results row holds for this employee (score() without building the ScoreResult)."""
        sections, adjustments, vetoes = self._collect(inputs, raters, None)
        if adjustments is None and vetoes is None:
            rounded, bounded = self._bounded(sections)
            return Stored(userid, rounded, bounded, self._grade_for(rounded), sections, (), None)
        r = self._finish(userid, sections, {}, adjustments, vetoes)
        return Stored(userid, r.total, r.unrounded, r.grade, r.sections, r.adjustments, r.veto)  # type: ignore[arg-type]

    def _bounded(self, sections: dict[str, Decimal]) -> tuple[Decimal, Decimal]:
        # Scorer._finish without N/A, formula, plus/minus items or veto: the same steps, one call less each.
        bounded, _ = bound_total(sum(sections.values(), ZERO), self._floor, self._cap)
        return bounded.quantize(self._quantum, rounding=self._rounding), bounded

    def _finish(self, userid: str, sections: dict[str, Decimal], items: dict[str, Decimal],
                adjustments: dict[str, object] | None, vetoes: dict[str, object] | None) -> ScoreResult:
        inp = ScoreInput(userid, _EMPTY, (), adjustments or _EMPTY, vetoes or _EMPTY, _EMPTY)
        return self.scorer._finish(inp, sections, items, self._policies, self._weights, [], None)  # type: ignore[arg-type]

    def _collect(self, inputs: Sequence[str], raters: Sequence[str], items: dict[str, Decimal] | None
                 ) -> tuple[dict[str, Decimal], dict[str, object] | None, dict[str, object] | None]:
        """Section points (template order), plus/minus values and veto flags; fills `items` when given."""
        parts, part = self._parts, self._part
        points: list[Decimal | None] = [None] * len(self._items)
        adjustments: dict[str, object] | None = None
        vetoes: dict[str, object] | None = None
        for p in inputs:
            kind, key, v = parts.get(p) or part(p)
            if kind == "actual":
                points[key] = v  # type: ignore[index]
            elif kind == "adjustment":
                if adjustments is None:
                    adjustments = {}
                adjustments[key] = v  # type: ignore[index]
            elif kind == "veto":
                if vetoes is None:
                    vetoes = {}
                vetoes[key] = v  # type: ignore[index]
            # kind "input" only feeds formulas, which a fast-path template does not have
        sections: dict[str, Decimal] = {}
        codes = self._codes
        for code, _, slots in self._quant:
            subtotal = ZERO
            for slot in slots:
                p_ = points[slot]
                if p_ is None:
                    raise NotFast(codes[slot])  # missing actual: the full path says which, and blocks
                if items is not None:
                    items[codes[slot]] = p_
                subtotal += p_
            sections[code] = subtotal
        if self._rated:
            self._rated_sections(raters, sections)
        if self._reorder:
            # Section order must be the template's: rated sections were added after the quantitative ones.
            sections = {code: sections[code] for code, _, _, _ in self.scorer._sections}
        return sections, adjustments, vetoes

    def _rated_sections(self, raters: Sequence[str], sections: dict[str, Decimal]) -> None:
        known, rater = self._raters, self._rater
        acc = [[[] for _ in self._groups] for _ in self._rated]  # [section][group] -> rater points, in order
        previous = ""
        for part in raters:
            head, rater_id = part.split(MARK)
            if rater_id <= previous:  # out of order, or one rater over two sections: the full path merges
                raise NotFast(rater_id)
            previous = rater_id
            group, found = known.get(head) or rater(head)
            for section, points in found:
                if group < 0:
                    raise NotFast(head)  # a group the cycle does not weigh: aggregate() decides
                acc[section][group].append(points)
        for (code, _, _), by_group in zip(self._rated, acc, strict=True):
            total = ZERO
            # The arithmetic of Scorer._rated_section's fast path: every group present at quorum, in plan order.
            for (_, weight, quorum), values in zip(self._groups, by_group, strict=True):
                n = len(values)
                if not n or n < quorum:
                    raise NotFast(code)  # a group missing or below quorum: aggregate() applies the policy
                total += weight * (sum(values, ZERO) / n)
            sections[code] = total
