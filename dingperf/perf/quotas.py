"""Forced-distribution quotas (largest-remainder rounding) and distribution guidelines.

Quotas: raw = share% × headcount; everyone gets the floor, and the seats left go to the largest
remainders; equal remainders go to the grade declared first. Quotas always sum to the headcount.
Guidelines (SuccessFactors style) are ranges or one-sided over one grade or a group of grades.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from dingperf.perf.errors import ValidationError

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class QuotaLine:
    """How one grade's quota was reached (for the calibration screen and explanations)."""

    grade: str
    share: Decimal
    raw: Decimal
    floor: int
    remainder: Decimal
    quota: int


def quota_breakdown(headcount: int, shares: Mapping[str, Decimal | int | str]) -> tuple[QuotaLine, ...]:
    """Largest-remainder allocation with every intermediate number, in the declared grade order."""
    if headcount < 0:
        raise ValidationError(f"headcount must not be negative, got {headcount}")
    pct = {g: Decimal(str(s)) for g, s in shares.items()}
    if not pct:
        raise ValidationError("declare at least one grade share")
    if any(s < 0 for s in pct.values()):
        raise ValidationError(f"grade shares must not be negative: {pct}")
    total = sum(pct.values(), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(f"grade shares total {total}%; they must total 100%")
    raw = {g: s * headcount / HUNDRED for g, s in pct.items()}
    floors = {g: int(r.to_integral_value(ROUND_FLOOR)) for g, r in raw.items()}
    left = headcount - sum(floors.values())
    order = list(pct)
    winners = sorted(order, key=lambda g: (-(raw[g] - floors[g]), order.index(g)))[:left]
    return tuple(
        QuotaLine(g, pct[g], raw[g], floors[g], raw[g] - floors[g], floors[g] + (1 if g in winners else 0))
        for g in order
    )


def allocate_quotas(headcount: int, shares: Mapping[str, Decimal | int | str]) -> dict[str, int]:
    """``{grade: seats}`` by largest remainder; e.g. 23 people at 10/20/50/15/5% → 2/5/12/3/1."""
    return {line.grade: line.quota for line in quota_breakdown(headcount, shares)}


def quota_feedback(counts: Mapping[str, int], quotas: Mapping[str, int]) -> dict[str, int]:
    """People to add (+k) or remove (−k) per grade to meet exact quotas."""
    unknown = set(counts) - set(quotas)
    if unknown:
        raise ValidationError(f"grades {sorted(unknown)} have people but no quota")
    return {g: q - counts.get(g, 0) for g, q in quotas.items()}


class Rounding(StrEnum):
    NEAREST = "nearest"  # 10% of 23 = 2.3 → at most 2; 15% of 23 = 3.45 → at least 3
    STRICT = "strict"  # never exceed a maximum (floor) and always reach a minimum (ceiling)


@dataclass(frozen=True)
class Guideline:
    """``min_pct ≤ share of people in grades ≤ max_pct``; either bound may be absent."""

    grades: tuple[str, ...]
    min_pct: Decimal | None = None
    max_pct: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.grades:
            raise ValidationError("a guideline names at least one grade")
        if self.min_pct is None and self.max_pct is None:
            raise ValidationError(f"guideline on {'+'.join(self.grades)} needs a minimum, a maximum or both")
        for b in (self.min_pct, self.max_pct):
            if b is not None and not (0 <= b <= HUNDRED):
                raise ValidationError(f"guideline bound {b}% is outside 0–100%")
        if self.min_pct is not None and self.max_pct is not None and self.min_pct > self.max_pct:
            raise ValidationError(f"guideline minimum {self.min_pct}% is above its maximum {self.max_pct}%")

    @property
    def label(self) -> str:
        g = "+".join(self.grades)
        if self.min_pct is not None and self.max_pct is not None:
            if self.min_pct == self.max_pct:
                return f"{g} = {self.min_pct}%"
            return f"{g} {self.min_pct}–{self.max_pct}%"
        if self.max_pct is not None:
            return f"{g} ≤ {self.max_pct}%"
        return f"{g} ≥ {self.min_pct}%"


def at_most(grades: Iterable[str], pct: Decimal | int | str) -> Guideline:
    return Guideline(tuple(grades), None, Decimal(str(pct)))


def at_least(grades: Iterable[str], pct: Decimal | int | str) -> Guideline:
    return Guideline(tuple(grades), Decimal(str(pct)), None)


def between(grades: Iterable[str], low: Decimal | int | str, high: Decimal | int | str) -> Guideline:
    return Guideline(tuple(grades), Decimal(str(low)), Decimal(str(high)))


_GUIDE = re.compile(r"^\s*([A-Za-z0-9_+\s]+?)\s*(<=|≤|>=|≥|=)\s*(\d+(?:\.\d+)?)\s*%\s*$")
_RANGE = re.compile(r"^\s*([A-Za-z0-9_+\s]+?)\s+(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_guideline(text: str) -> Guideline:
    """Parse "S ≤ 10%", "C+D >= 15%", "B = 50%" or "A 15–25%"."""
    m = _GUIDE.match(text)
    if m:
        grades = tuple(g.strip() for g in m.group(1).split("+"))
        op, pct = m.group(2), Decimal(m.group(3))
        if op in ("<=", "≤"):
            return Guideline(grades, None, pct)
        if op in (">=", "≥"):
            return Guideline(grades, pct, None)
        return Guideline(grades, pct, pct)
    m = _RANGE.match(text)
    if m:
        return Guideline(tuple(g.strip() for g in m.group(1).split("+")), Decimal(m.group(2)), Decimal(m.group(3)))
    raise ValidationError(f"cannot read guideline {text!r}; write e.g. 'S ≤ 10%', 'C+D ≥ 15%' or 'A 15–25%'")


@dataclass(frozen=True)
class GuidelineCheck:
    """One guideline against the current distribution, with the add/remove hint."""

    guideline: Guideline
    count: int
    min_count: int | None
    max_count: int | None
    add: int
    remove: int

    @property
    def ok(self) -> bool:
        return self.add == 0 and self.remove == 0

    @property
    def message(self) -> str:
        lo = 0 if self.min_count is None else self.min_count
        hi = "∞" if self.max_count is None else str(self.max_count)
        allowed = f"{lo}" if str(lo) == hi else f"{lo}–{hi}"
        head = f"{self.guideline.label}: {self.count} people, allowed {allowed}"
        if self.add:
            return f"{head}; add {self.add}"
        if self.remove:
            return f"{head}; remove {self.remove}"
        return f"{head}; ok"


def _bound(pct: Decimal, headcount: int, mode: str) -> int:
    return int((pct * headcount / HUNDRED).to_integral_value(mode))


def check_guidelines(counts: Mapping[str, int], guidelines: Iterable[Guideline],
                     rounding: Rounding = Rounding.NEAREST) -> tuple[GuidelineCheck, ...]:
    """Evaluate every guideline against ``{grade: people}``; the headcount is the sum of counts."""
    n = sum(counts.values())
    out = []
    for g in guidelines:
        count = sum(counts.get(grade, 0) for grade in g.grades)
        lo = hi = None
        if g.min_pct is not None:
            lo = _bound(g.min_pct, n, ROUND_HALF_UP if rounding is Rounding.NEAREST else ROUND_CEILING)
        if g.max_pct is not None:
            hi = _bound(g.max_pct, n, ROUND_HALF_UP if rounding is Rounding.NEAREST else ROUND_FLOOR)
        add = max(0, lo - count) if lo is not None else 0
        remove = max(0, count - hi) if hi is not None else 0
        out.append(GuidelineCheck(g, count, lo, hi, add, remove))
    return tuple(out)
