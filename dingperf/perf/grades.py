"""Score bands → grades (S/A/B/C/D by default); half-open intervals [lower, upper), no gaps or overlaps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import fmt, optional_decimal


@dataclass(frozen=True, slots=True)
class GradeBand:
    """One grade for scores in [lower, upper); None means unbounded on that side."""

    grade: str
    lower: Decimal | None
    upper: Decimal | None

    def contains(self, score: Decimal) -> bool:
        """True when lower <= score < upper."""
        return (self.lower is None or score >= self.lower) and (self.upper is None or score < self.upper)

    def describe(self) -> str:
        """Human form such as '95 ≤ score < 110'."""
        if self.lower is None:
            return f"score < {fmt(self.upper)}"
        if self.upper is None:
            return f"score ≥ {fmt(self.lower)}"
        return f"{fmt(self.lower)} ≤ score < {fmt(self.upper)}"


@dataclass(frozen=True)
class GradeScale:
    """Ordered bands, best grade first, covering every possible score exactly once."""

    bands: tuple[GradeBand, ...]

    def __post_init__(self) -> None:
        bands = self.bands
        if not bands:
            raise ValidationError("a grade scale needs at least one band")
        names = [b.grade for b in bands]
        if len(set(names)) != len(names) or not all(names):
            raise ValidationError(f"grade names must be unique and non-empty, got {names}")
        if bands[0].upper is not None:
            raise ValidationError(f"the best grade {bands[0].grade!r} must have no upper bound (scores above "
                                  f"{fmt(bands[0].upper)} would have no grade); remove its upper bound")
        if bands[-1].lower is not None:
            raise ValidationError(f"the lowest grade {bands[-1].grade!r} must have no lower bound (scores below "
                                  f"{fmt(bands[-1].lower)} would have no grade); remove its lower bound")
        for upper_band, lower_band in pairwise(bands):
            if upper_band.lower is None or lower_band.upper is None:
                raise ValidationError(f"only the best and the lowest grade may be open-ended; "
                                      f"give {upper_band.grade!r} a lower and {lower_band.grade!r} an upper bound")
            if upper_band.lower != lower_band.upper:
                kind = "gap" if upper_band.lower > lower_band.upper else "overlap"
                raise ValidationError(
                    f"{kind} between grade {lower_band.grade!r} (below {fmt(lower_band.upper)}) and grade "
                    f"{upper_band.grade!r} (from {fmt(upper_band.lower)}); make the two edges equal")
        for band in bands[1:-1]:
            assert band.lower is not None and band.upper is not None
            if band.lower >= band.upper:
                raise ValidationError(f"grade {band.grade!r} is empty: {fmt(band.lower)} is not below {fmt(band.upper)}")

    @classmethod
    def from_minimums(cls, minimums: Sequence[tuple[str, object]]) -> GradeScale:
        """Build from (grade, minimum score) best-first; the last grade's minimum must be None."""
        bands: list[GradeBand] = []
        upper: Decimal | None = None
        for grade, minimum in minimums:
            lower = optional_decimal(minimum, f"minimum of grade {grade!r}")
            bands.append(GradeBand(grade, lower, upper))
            upper = lower
        return cls(tuple(bands))

    def grade_for(self, score: Decimal) -> str:
        """The grade whose band contains score."""
        for band in self.bands:
            if band.lower is None or score >= band.lower:
                return band.grade
        raise AssertionError("unreachable: the lowest band is open below")  # pragma: no cover

    def band(self, grade: str) -> GradeBand:
        """The band of a grade by name."""
        for band in self.bands:
            if band.grade == grade:
                return band
        raise ValidationError(f"unknown grade {grade!r}; this scale has {', '.join(self.grades)}")

    @property
    def grades(self) -> tuple[str, ...]:
        """Grade names, best first."""
        return tuple(b.grade for b in self.bands)

    @property
    def lowest(self) -> str:
        """The lowest grade (used by a veto with effect 'lowest_grade')."""
        return self.bands[-1].grade

    def to_list(self) -> list[dict[str, str | None]]:
        """Plain form: [{'grade': 'S', 'min': '110'}, ..., {'grade': 'D', 'min': None}]."""
        return [{"grade": b.grade, "min": None if b.lower is None else str(b.lower)} for b in self.bands]

    @classmethod
    def from_list(cls, items: Iterable[Mapping[str, object]]) -> GradeScale:
        """Inverse of to_list."""
        return cls.from_minimums([(str(item["grade"]), item.get("min")) for item in items])


DEFAULT_GRADES = GradeScale.from_minimums([("S", 110), ("A", 95), ("B", 80), ("C", 60), ("D", None)])
