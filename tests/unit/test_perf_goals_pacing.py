from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf.checkins import check_in
from dingperf.perf.errors import ValidationError
from dingperf.perf.goals import Goal, GoalKind, GoalStatus, new_kpi_goal
from dingperf.perf.okr import KeyResult
from dingperf.perf.pacing import expected_progress, goal_progress, pacing
from dingperf.perf.periods import Period

SH = ZoneInfo("Asia/Shanghai")
APRIL = Period(date(2026, 4, 1), date(2026, 5, 1))  # 30 days
T = datetime(2026, 4, 5, tzinfo=SH)
D = Decimal


def test_kpi_progress_is_the_achievement_of_the_latest_value():
    from dataclasses import replace

    goal = replace(new_kpi_goal("g", "ann", "Revenue", APRIL, D(200)), status=GoalStatus.CONFIRMED)
    cs = [check_in(goal, "ann", T, value=D(50)), check_in(goal, "ann", T + timedelta(days=1), value=D(100))]
    assert goal_progress(goal, cs) == D("0.5")


def test_okr_progress_uses_key_results():
    goal = Goal("o", "ann", "x", GoalKind.OKR, APRIL, status=GoalStatus.CONFIRMED,
                key_results=(KeyResult("a", "a", D(0), D(10)), KeyResult("b", "b", D(0), D(10))))
    assert goal_progress(goal, [check_in(goal, "ann", T, value=D(10), key_result_id="a")]) == D("0.5")


def test_mbo_without_target_reads_percent_complete():
    goal = Goal("m", "ann", "Write the handbook", GoalKind.MBO, APRIL, status=GoalStatus.CONFIRMED)
    assert goal_progress(goal, [check_in(goal, "ann", T, value=D(40))]) == D("0.4")
    with pytest.raises(ValidationError, match="0–100"):
        goal_progress(goal, [check_in(goal, "ann", T, value=D(140))])


def test_goal_without_check_ins_has_zero_progress():
    goal = Goal("m", "ann", "x", GoalKind.MBO, APRIL, status=GoalStatus.CONFIRMED)
    assert goal_progress(goal, []) == 0


def test_expected_progress_is_the_elapsed_share_in_the_org_timezone():
    assert expected_progress(APRIL, datetime(2026, 4, 16, tzinfo=SH), SH) == D("0.5")
    assert expected_progress(APRIL, datetime(2026, 3, 1, tzinfo=SH), SH) == 0
    assert expected_progress(APRIL, datetime(2026, 6, 1, tzinfo=SH), SH) == 1


def test_behind_when_progress_is_below_seventy_percent_of_expected():
    mid = datetime(2026, 4, 16, tzinfo=SH)
    assert pacing("g", D("0.3"), APRIL, mid, SH).behind  # 0.3 / 0.5 = 0.6
    assert not pacing("g", D("0.35"), APRIL, mid, SH).behind  # exactly 0.7
    assert pacing("g", D(0), APRIL, datetime(2026, 3, 1, tzinfo=SH), SH).ratio is None
