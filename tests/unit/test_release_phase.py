"""Results are released only once the cycle has reached calibration (calibration, results, appeal window)."""

from dataclasses import replace
from datetime import date

import pytest

from dingperf.perf.cycles import Phase, new_cycle
from dingperf.perf.errors import TransitionError
from dingperf.perf.periods import CycleKind
from dingperf.perf.phases import RELEASE_PHASES, require_release_phase


def in_phase(phase: Phase):  # type: ignore[no-untyped-def]
    return replace(new_cycle("q1", "Q1", CycleKind.QUARTERLY, date(2026, 1, 1), "Asia/Shanghai"), phase=phase)


@pytest.mark.parametrize("phase", [Phase.CALIBRATION, Phase.RESULTS, Phase.APPEAL_WINDOW])
def test_release_is_allowed_from_calibration_until_the_appeal_window(phase: Phase) -> None:
    require_release_phase(in_phase(phase))


def test_release_phases_are_exactly_calibration_results_and_appeal_window() -> None:
    assert RELEASE_PHASES == (Phase.CALIBRATION, Phase.RESULTS, Phase.APPEAL_WINDOW)


@pytest.mark.parametrize("phase", [Phase.GOAL_SETTING, Phase.CONFIRMATION, Phase.IN_PROGRESS, Phase.SELF_REVIEW,
                                   Phase.MANAGER_REVIEW])
def test_release_before_calibration_names_the_phase_and_how_to_move_on(phase: Phase) -> None:
    with pytest.raises(TransitionError, match=rf"q1 is '{phase.value}'.*advance the cycle to calibration.*override"):
        require_release_phase(in_phase(phase))


def test_release_in_a_closed_cycle_is_refused_as_closed() -> None:
    with pytest.raises(TransitionError, match="the cycle is closed.*re-open"):
        require_release_phase(in_phase(Phase.CLOSED))
