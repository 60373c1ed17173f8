"""A calibration group's quota policy: forced-distribution shares (largest-remainder seats), range and
one-sided guidelines over single or grouped grades, soft or hard enforcement, and the declared tie-break.
Checks a distribution against it and measures what a set of moves does to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from dingperf.perf.calibration import DistributionFeedback, Enforcement, feedback, open_session
from dingperf.perf.errors import ValidationError
from dingperf.perf.quotas import HUNDRED, Guideline, QuotaLine, Rounding, parse_guideline, quota_breakdown


@dataclass(frozen=True)
class TieBreak:
    """Ties at a quota boundary: higher total, then the higher score of `section`, then a manager decision."""

    section: str | None = None

    @property
    def label(self) -> str:
        middle = f", then higher '{self.section}' section score" if self.section else ""
        return f"higher total{middle}, then a manager decision with a reason"


@dataclass(frozen=True)
class QuotaPolicy:
    """Shares (``{grade: percent}`` totalling 100, best grade first) force exact seats; guidelines bound shares."""

    shares: tuple[tuple[str, Decimal], ...] = ()
    guidelines: tuple[Guideline, ...] = ()
    enforcement: Enforcement = Enforcement.SOFT
    rounding: Rounding = Rounding.NEAREST
    tie_break: TieBreak = field(default_factory=TieBreak)

    def __post_init__(self) -> None:
        if self.shares:
            quota_breakdown(0, dict(self.shares))  # totals 100, none negative
        seen = [frozenset(gl.grades) for gl in self.guidelines]
        repeated = sorted({"+".join(sorted(g)) for g in seen if seen.count(g) > 1})
        if repeated:
            raise ValidationError(f"grades {repeated} have more than one guideline; merge them into one range")
        floor = sum((gl.min_pct or Decimal(0) for gl in self.guidelines if len(gl.grades) == 1), Decimal(0))
        if floor > HUNDRED:
            raise ValidationError(f"the single-grade minimums total {floor}%, more than everyone; lower them")

    @property
    def is_empty(self) -> bool:
        return not self.shares and not self.guidelines

    @property
    def is_hard(self) -> bool:
        return self.enforcement is Enforcement.HARD and not self.is_empty

    def grades_named(self) -> set[str]:
        """Every grade the policy mentions (to check against the cycle's scale)."""
        return {g for g, _ in self.shares} | {g for gl in self.guidelines for g in gl.grades}

    def require_scale(self, grade_order: Sequence[str]) -> None:
        """Refuse grades outside the scale, and shares that skip a grade or break its order."""
        unknown = sorted(self.grades_named() - set(grade_order))
        if unknown:
            raise ValidationError(f"quota names grades {unknown} that are not in the grade scale {list(grade_order)}")
        if self.shares and [g for g, _ in self.shares] != list(grade_order):
            raise ValidationError(f"shares must give every grade of the scale in order {list(grade_order)} "
                                  "(write 0 for a grade that gets no seats)")

    def seats(self, headcount: int) -> dict[str, int] | None:
        """Seats per grade by largest remainder, or None when the policy forces no distribution."""
        return {line.grade: line.quota for line in self.breakdown(headcount)} or None

    def breakdown(self, headcount: int) -> tuple[QuotaLine, ...]:
        return quota_breakdown(headcount, dict(self.shares)) if self.shares else ()

    def to_dict(self) -> dict[str, Any]:
        return {"shares": {g: str(p) for g, p in self.shares}, "guidelines": [gl.label for gl in self.guidelines],
                "enforcement": self.enforcement.value, "rounding": self.rounding.value,
                "tie_break_section": self.tie_break.section}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuotaPolicy:
        """Read ``{"shares": {"S": 10, ...}, "guidelines": ["S+A ≤ 30%"], "enforcement": "hard", ...}``."""
        try:
            shares = tuple((str(g), Decimal(str(p))) for g, p in (data.get("shares") or {}).items())
        except InvalidOperation as exc:
            raise ValidationError(f"shares must be numbers of percent, got {data.get('shares')}") from exc
        raw = data.get("guidelines") or ()
        if isinstance(raw, str):
            raise ValidationError("guidelines is a list of texts such as ['S ≤ 10%', 'C+D ≥ 15%']")
        try:
            enforcement = Enforcement(data.get("enforcement") or Enforcement.SOFT)
            rounding = Rounding(data.get("rounding") or Rounding.NEAREST)
        except ValueError as exc:
            raise ValidationError(f"{exc}; enforcement is soft|hard and rounding nearest|strict") from None
        section = data.get("tie_break_section") or None
        return cls(shares, tuple(parse_guideline(str(t)) for t in raw), enforcement, rounding, TieBreak(section))


@dataclass(frozen=True)
class GroupCheck:
    """A group's distribution against its policy: counts, seats, violations and how far off it is."""

    headcount: int
    counts: dict[str, int]
    seats: dict[str, int] | None
    violations: tuple[str, ...]
    distance: int
    hard: bool

    @property
    def blocking(self) -> bool:
        """Violations that stop release (and need an override on a move) under hard enforcement."""
        return self.hard and bool(self.violations)


def check_group(grades: Mapping[str, str], grade_order: Sequence[str], policy: QuotaPolicy) -> GroupCheck:
    """Check ``{userid: final grade}`` of one group against its policy."""
    if policy.is_empty:
        counts = Counter(grades.values())
        return GroupCheck(len(grades), {g: counts.get(g, 0) for g in grade_order}, None, (), 0, False)
    session = open_session("check", "group", grades, grade_order,
                           shares=dict(policy.shares) if policy.shares else None, guidelines=policy.guidelines,
                           enforcement=policy.enforcement, rounding=policy.rounding)
    fb: DistributionFeedback = feedback(session)
    distance = sum(abs(d) for d in fb.quota_deltas.values()) + sum(c.add + c.remove for c in fb.guideline_checks)
    return GroupCheck(len(grades), fb.counts, dict(session.quotas) or None, fb.violations, distance, policy.is_hard)


@dataclass(frozen=True)
class MoveImpact:
    """What a set of grade moves does to one group's quota: violations before and after."""

    group_id: str
    moves: tuple[tuple[str, str, str], ...]
    before: GroupCheck
    after: GroupCheck

    @property
    def breaks_hard_quota(self) -> bool:
        """The moves leave a hard-enforced group further from its quota than they found it."""
        return self.after.hard and self.after.distance > self.before.distance

    @property
    def message(self) -> str:
        what = ", ".join(f"{u} {a} → {b}" for u, a, b in self.moves)
        if not self.after.violations:
            return f"group {self.group_id}: {what}; the distribution fits the quota"
        verdict = "breaks the hard quota" if self.breaks_hard_quota else "quota warnings"
        return f"group {self.group_id}: {what}; {verdict}: " + "; ".join(self.after.violations)

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group_id, "violations_before": list(self.before.violations),
                "violations_after": list(self.after.violations), "breaks_hard_quota": self.breaks_hard_quota}


def move_impact(group_id: str, grades: Mapping[str, str], moves: Mapping[str, str], grade_order: Sequence[str],
                policy: QuotaPolicy) -> MoveImpact:
    """Check moves ``{userid: new grade}`` inside a group (``grades`` are its current final grades)."""
    outside = sorted(set(moves) - set(grades))
    if outside:
        raise ValidationError(f"{outside} are not in calibration group {group_id}")
    after = {**grades, **moves}
    changed = tuple((u, grades[u], g) for u, g in sorted(moves.items()) if grades[u] != g)
    return MoveImpact(group_id, changed, check_group(grades, grade_order, policy),
                      check_group(after, grade_order, policy))


def percent(value: Decimal | int | str) -> Decimal:
    """A share in percent, refused outside 0–100."""
    p = Decimal(str(value))
    if not 0 <= p <= HUNDRED:
        raise ValidationError(f"a share of {p}% is outside 0–100%")
    return p


def shares_in_order(shares: Mapping[str, Any], grade_order: Iterable[str]) -> tuple[tuple[str, Decimal], ...]:
    """Shares re-ordered to the scale (best grade first), missing grades refused."""
    order = list(grade_order)
    missing = [g for g in order if g not in shares]
    if missing:
        raise ValidationError(f"shares give no percent for {missing}; write 0 for a grade that gets no seats")
    return tuple((g, percent(shares[g])) for g in order)
