from datetime import UTC, date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.cycles import Phase, active_cycles, cycles_overlap, new_cycle
from dingperf.perf.errors import ValidationError
from dingperf.perf.periods import CycleKind, Period, add_months, period_containing, period_for, periods

SH = ZoneInfo("Asia/Shanghai")


def test_quarterly_period_from_start_date():
    p = period_for(CycleKind.QUARTERLY, date(2026, 1, 1))
    assert (p.start, p.end, p.last_day, p.days) == (date(2026, 1, 1), date(2026, 4, 1), date(2026, 3, 31), 90)


def test_half_year_and_annual_periods():
    assert period_for(CycleKind.HALF_YEAR, date(2026, 1, 1), 1) == Period(date(2026, 7, 1), date(2027, 1, 1))
    assert period_for(CycleKind.ANNUAL, date(2026, 4, 1)) == Period(date(2026, 4, 1), date(2027, 4, 1))


def test_month_end_anchor_does_not_drift():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert period_for(CycleKind.MONTHLY, date(2026, 1, 31), 2).start == date(2026, 3, 31)


def test_period_containing_uses_the_org_timezone():
    # 2026-03-31 17:00 UTC is already April 1st in Shanghai
    at = datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
    assert period_containing(CycleKind.QUARTERLY, date(2026, 1, 1), at, SH).start == date(2026, 4, 1)
    assert period_containing(CycleKind.QUARTERLY, date(2026, 1, 1), at, UTC).start == date(2026, 1, 1)


def test_period_boundaries_are_local_midnight():
    p = period_for(CycleKind.MONTHLY, date(2026, 1, 1))
    assert p.starts_at(SH).isoformat() == "2026-01-01T00:00:00+08:00"


@given(st.sampled_from(list(CycleKind)), st.dates(date(2000, 1, 1), date(2090, 1, 1)), st.integers(1, 30))
def test_consecutive_periods_tile_without_gaps(kind, anchor, count):
    ps = periods(kind, anchor, count)
    assert all(a.end == b.start for a, b in pairwise(ps))


def test_monthly_and_quarterly_cycles_may_overlap_for_one_person():
    monthly = new_cycle("m1", "Jan KPI", CycleKind.MONTHLY, date(2026, 1, 1), "Asia/Shanghai")
    quarterly = new_cycle("q1", "Q1 OKR", CycleKind.QUARTERLY, date(2026, 1, 1), "Asia/Shanghai")
    assert cycles_overlap(monthly, quarterly)
    at = datetime(2026, 1, 15, tzinfo=SH)
    assert {c.cycle_id for c in active_cycles([monthly, quarterly], at)} == {"m1", "q1"}


def test_deadlines_must_follow_phase_order():
    with pytest.raises(ValidationError, match="before that of"):
        new_cycle("c", "c", CycleKind.MONTHLY, date(2026, 1, 1), "Asia/Shanghai", deadlines={
            Phase.GOAL_SETTING: datetime(2026, 1, 10, tzinfo=SH), Phase.CONFIRMATION: datetime(2026, 1, 5, tzinfo=SH)})


def test_unknown_timezone_is_rejected():
    with pytest.raises(ValidationError, match="IANA"):
        new_cycle("c", "c", CycleKind.MONTHLY, date(2026, 1, 1), "Mars/Olympus")
