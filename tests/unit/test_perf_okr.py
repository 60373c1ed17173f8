from decimal import Decimal

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import Direction
from dingperf.perf.okr import KeyResult, KrZone, kr_progress, kr_zone, objective_progress, objective_report

D = Decimal


def test_progress_is_linear_from_baseline_to_target():
    kr = KeyResult("kr1", "NPS", D(50), D(85), D(100))
    assert kr_progress(kr, D(65)) == D(15) / D(35)


def test_moving_the_wrong_way_gives_zero_progress():
    assert kr_progress(KeyResult("kr1", "NPS", D(50), D(85)), D(40)) == 0


def test_stretch_caps_progress_above_one():
    kr = KeyResult("kr1", "NPS", D(50), D(85), D(100))
    assert kr_progress(kr, D(120)) == D(50) / D(35)
    assert kr_zone(kr, D(100)) is KrZone.STRETCH
    assert kr_zone(kr, D(90)) is KrZone.TARGET


def test_without_stretch_progress_caps_at_one():
    assert kr_progress(KeyResult("kr1", "x", D(0), D(10)), D(30)) == 1


def test_target_below_baseline_means_lower_is_better():
    kr = KeyResult("kr1", "defects", D(10), D(4), D(2))
    assert kr.direction is Direction.LOWER
    assert kr_progress(kr, D(7)) == D("0.5")
    assert kr_zone(kr, D(11)) is KrZone.FAIL


def test_stretch_on_the_wrong_side_is_rejected():
    with pytest.raises(ValidationError, match="beyond target"):
        KeyResult("kr1", "x", D(0), D(10), D(5))


def test_objective_progress_is_weighted_and_missing_values_count_as_baseline():
    krs = [KeyResult("a", "a", D(0), D(10), weight=D(3)), KeyResult("b", "b", D(0), D(10), weight=D(1))]
    assert objective_progress(krs, {"a": D(10)}) == D("0.75")


def test_objective_progress_rejects_values_for_unknown_key_results():
    with pytest.raises(ValidationError, match="unknown"):
        objective_progress([KeyResult("a", "a", D(0), D(10))], {"zz": D(1)})


def test_the_objective_report_gives_each_key_result_its_progress_zone_and_confidence():
    krs = (KeyResult("a", "NPS", D(40), D(60), D(70)), KeyResult("b", "Churn", D(5), D(3), weight=D(3)))
    report = objective_report(krs, {"a": D(70)}, {"a": 9, "b": 4})
    assert [(r.kr_id, r.value, r.progress, r.zone, r.confidence) for r in report.key_results] == [
        ("a", D(70), D("1.5"), KrZone.STRETCH, 9), ("b", None, D(0), KrZone.FAIL, 4)]
    assert report.progress == D("0.375")  # (1×1.5 + 3×0) / 4


def test_the_objective_report_rejects_confidences_for_unknown_key_results():
    with pytest.raises(ValidationError, match="confidences given for unknown key results: \\['z'\\]"):
        objective_report((KeyResult("a", "NPS", D(40), D(60)),), {}, {"z": 5})
