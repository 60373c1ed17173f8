"""Grade bands: half-open intervals, validated, best grade first."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.grades import DEFAULT_GRADES, GradeBand, GradeScale


@pytest.mark.parametrize(("score", "grade"), [
    ("110", "S"), ("109.99", "A"), ("95", "A"), ("94.99", "B"), ("80", "B"), ("79.9", "C"), ("60", "C"),
    ("59.99", "D"), ("-5", "D"), ("200", "S"),
])
def test_default_bands_are_half_open(score: str, grade: str) -> None:
    assert DEFAULT_GRADES.grade_for(D(score)) == grade


def test_lowest_grade_is_d() -> None:
    assert DEFAULT_GRADES.lowest == "D"


def test_gap_between_bands_is_rejected() -> None:
    bands = (GradeBand("A", D(90), None), GradeBand("B", D(60), D(85)), GradeBand("C", None, D(60)))
    with pytest.raises(ValidationError, match="gap between grade 'B' \\(below 85\\) and grade 'A' \\(from 90\\)"):
        GradeScale(bands)


def test_overlap_between_bands_is_rejected() -> None:
    bands = (GradeBand("A", D(80), None), GradeBand("B", None, D(85)))
    with pytest.raises(ValidationError, match="overlap"):
        GradeScale(bands)


def test_best_band_must_be_open_above() -> None:
    with pytest.raises(ValidationError, match="no upper bound"):
        GradeScale((GradeBand("A", D(0), D(100)), GradeBand("B", None, D(0))))


def test_lowest_band_must_be_open_below() -> None:
    with pytest.raises(ValidationError, match="no lower bound"):
        GradeScale.from_minimums([("A", 90), ("B", 60)])


def test_duplicate_grade_names_are_rejected() -> None:
    with pytest.raises(ValidationError, match="unique"):
        GradeScale.from_minimums([("A", 90), ("A", None)])


def test_descending_minimums_are_required() -> None:
    with pytest.raises(ValidationError):
        GradeScale.from_minimums([("A", 60), ("B", 90), ("C", None)])


def test_scale_round_trips_through_list() -> None:
    assert GradeScale.from_list(DEFAULT_GRADES.to_list()) == DEFAULT_GRADES


def test_band_describes_itself() -> None:
    assert DEFAULT_GRADES.band("A").describe() == "95 ≤ score < 110"
