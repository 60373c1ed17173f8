"""OKR key results: baseline, target, stretch, and progress computed from check-in values.

Direction is inferred the way puzzle/okr does: a target below the baseline means lower is better.
Progress 1.0 = target met; moving the wrong way from baseline gives 0; the stretch value caps it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import Direction


class KrZone(StrEnum):
    FAIL = "fail"  # no progress from baseline (or backwards)
    PROGRESS = "progress"  # moving, below target
    TARGET = "target"  # target met, stretch not reached
    STRETCH = "stretch"  # stretch reached


@dataclass(frozen=True)
class KeyResult:
    """A measurable key result of an objective; ``weight`` is relative (w/Σw)."""

    kr_id: str
    title: str
    baseline: Decimal
    target: Decimal
    stretch: Decimal | None = None
    weight: Decimal = Decimal(1)
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.kr_id or not self.title.strip():
            raise ValidationError("a key result needs an id and a title")
        if self.target == self.baseline:
            raise ValidationError(f"key result {self.kr_id}: target equals baseline ({self.target}); nothing to measure")
        if self.weight <= 0:
            raise ValidationError(f"key result {self.kr_id}: weight must be positive, got {self.weight}")
        if self.stretch is not None:
            beyond = self.stretch > self.target if self.direction is Direction.HIGHER else self.stretch < self.target
            if not beyond:
                raise ValidationError(
                    f"key result {self.kr_id}: stretch {self.stretch} must lie beyond target {self.target} "
                    f"({self.direction.value} is better)"
                )

    @property
    def direction(self) -> Direction:
        return Direction.LOWER if self.target < self.baseline else Direction.HIGHER

    @property
    def cap(self) -> Decimal:
        """Highest progress this KR can show: the stretch's progress, or 1.0 without a stretch."""
        if self.stretch is None:
            return Decimal(1)
        return (self.stretch - self.baseline) / (self.target - self.baseline)


def kr_progress(kr: KeyResult, value: Decimal) -> Decimal:
    """``(value − baseline) / (target − baseline)`` clamped to ``[0, cap]``."""
    raw = (Decimal(value) - kr.baseline) / (kr.target - kr.baseline)
    return min(max(raw, Decimal(0)), kr.cap)


def kr_zone(kr: KeyResult, value: Decimal) -> KrZone:
    """Which zone a value sits in (fail / progress / target / stretch)."""
    p = kr_progress(kr, value)
    if kr.stretch is not None and p >= kr.cap:
        return KrZone.STRETCH
    if p >= 1:
        return KrZone.TARGET
    return KrZone.PROGRESS if p > 0 else KrZone.FAIL


def objective_progress(key_results: Sequence[KeyResult], values: Mapping[str, Decimal]) -> Decimal:
    """Weighted mean of KR progress; a KR with no value yet counts as its baseline (progress 0)."""
    if not key_results:
        raise ValidationError("an objective needs at least one key result to compute progress")
    unknown = set(values) - {kr.kr_id for kr in key_results}
    if unknown:
        raise ValidationError(f"values given for unknown key results: {sorted(unknown)}")
    total_weight = sum((kr.weight for kr in key_results), Decimal(0))
    acc = Decimal(0)
    for kr in key_results:
        value = values.get(kr.kr_id, kr.baseline)
        acc += kr.weight * kr_progress(kr, value)
    return acc / total_weight


def validate_key_results(key_results: Sequence[KeyResult]) -> None:
    """At least one KR and unique ids."""
    if not key_results:
        raise ValidationError("an OKR objective needs at least one key result")
    ids = [kr.kr_id for kr in key_results]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ValidationError(f"duplicate key result ids: {dupes}")


@dataclass(frozen=True)
class KrReport:
    """Where one key result stands: latest value (None = no check-in yet), progress, zone and confidence."""

    kr_id: str
    title: str
    weight: Decimal
    value: Decimal | None
    progress: Decimal
    zone: KrZone
    confidence: int | None


@dataclass(frozen=True)
class ObjectiveReport:
    """An objective's weighted progress and its key results, in their declared order."""

    progress: Decimal
    key_results: tuple[KrReport, ...]


def objective_report(key_results: Sequence[KeyResult], values: Mapping[str, Decimal],
                     confidences: Mapping[str, int] | None = None) -> ObjectiveReport:
    """Each KR's progress and latest confidence, and the objective's Σ(wᵢ/Σw)·pᵢ (see `objective_progress`)."""
    conf = confidences or {}
    unknown = set(conf) - {kr.kr_id for kr in key_results}
    if unknown:
        raise ValidationError(f"confidences given for unknown key results: {sorted(unknown)}")
    total = objective_progress(key_results, values)
    rows = []
    for kr in key_results:
        value = values.get(kr.kr_id)
        shown = kr.baseline if value is None else Decimal(value)
        rows.append(KrReport(kr.kr_id, kr.title, kr.weight, value, kr_progress(kr, shown), kr_zone(kr, shown),
                             conf.get(kr.kr_id)))
    return ObjectiveReport(total, tuple(rows))
