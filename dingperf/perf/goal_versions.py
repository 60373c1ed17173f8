"""Versioned targets and time-weighted achievement (so a late adjustment cannot launder a miss).

Each target version is in force from its effective date until the next version's; its
achievement counts for the share of the period's days it was in force. All arithmetic is Decimal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.errors import ValidationError
from dingperf.perf.periods import Period


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class TargetVersion:
    """One target of a goal, in force from ``effective_from`` (inclusive)."""

    version: int
    target: Decimal
    effective_from: date
    baseline: Decimal | None = None
    direction: Direction = Direction.HIGHER
    reason: str = ""
    created_by: str = ""


@dataclass(frozen=True)
class VersionSegment:
    """The stretch of the period one version was in force, and what it contributed."""

    version: int
    start: date
    end: date
    days: int
    fraction: Decimal
    actual: Decimal
    achievement: Decimal
    contribution: Decimal


@dataclass(frozen=True)
class TimeWeighted:
    """Time-weighted achievement with the segments that make it up (for explanations)."""

    achievement: Decimal
    segments: tuple[VersionSegment, ...]


AchievementFn = Callable[[TargetVersion, Decimal], Decimal]


def plain_achievement(version: TargetVersion, actual: Decimal) -> Decimal:
    """Achievement ratio ``a`` of PRODUCT.md §2.2 (ratio form without baseline, linear with one)."""
    target, base = Decimal(version.target), version.baseline
    if base is not None:
        base = Decimal(base)
        if target == base:
            raise ValidationError(f"target version {version.version}: target equals baseline ({target})")
        if version.direction is Direction.HIGHER:
            return (actual - base) / (target - base)
        return (base - actual) / (base - target)
    if version.direction is Direction.HIGHER:
        if target == 0:
            raise ValidationError(f"target version {version.version}: a target of 0 needs a baseline")
        return actual / target
    if actual == 0:
        raise ValidationError(
            f"target version {version.version}: lower-is-better ratio form divides by an actual of 0; "
            "give the version a baseline to use the linear form"
        )
    return target / actual


def validate_versions(versions: Sequence[TargetVersion], period: Period) -> None:
    """Versions are numbered 1..n, effective dates strictly increase and later ones fall inside the period."""
    if not versions:
        raise ValidationError("a goal with a numeric target needs at least one target version")
    for i, v in enumerate(versions, start=1):
        if v.version != i:
            raise ValidationError(f"target versions must be numbered 1..n in order; found {v.version} at {i}")
        if i > 1:
            prev = versions[i - 2]
            if v.effective_from <= prev.effective_from:
                raise ValidationError(
                    f"version {i} takes effect {v.effective_from}, not after version {i - 1} ({prev.effective_from})"
                )
            if not (period.start < v.effective_from < period.end):
                raise ValidationError(
                    f"version {i} takes effect {v.effective_from}, outside the period "
                    f"{period.start}..{period.last_day} (after its first day)"
                )


def time_weighted_achievement(
    versions: Sequence[TargetVersion],
    period: Period,
    actual: Decimal | Mapping[int, Decimal],
    achievement: AchievementFn = plain_achievement,
) -> TimeWeighted:
    """Σ achievement(version, actual) × days in force ÷ period days; ``actual`` may be per version."""
    validate_versions(versions, period)
    total = Decimal(period.days)
    segments: list[VersionSegment] = []
    overall = Decimal(0)
    for i, v in enumerate(versions):
        start = period.start if i == 0 else v.effective_from
        end = versions[i + 1].effective_from if i + 1 < len(versions) else period.end
        days = (end - start).days
        if isinstance(actual, Mapping):
            if v.version not in actual:
                raise ValidationError(f"no actual given for target version {v.version}")
            value = Decimal(actual[v.version])
        else:
            value = Decimal(actual)
        a = achievement(v, value)
        # Multiply by the fraction (not ×days÷total) so one version in force all period is exactly a×1.
        fraction = Decimal(days) / total
        contribution = a * fraction
        overall += contribution
        segments.append(VersionSegment(v.version, start, end, days, fraction, value, a, contribution))
    return TimeWeighted(overall, tuple(segments))
