from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf.cycles import Phase, new_cycle
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.periods import CycleKind
from dingperf.perf.phases import admin_override, advance, due_for_advance, require_phase, set_deadline

SH = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 1, 1, 9, tzinfo=SH)


def cycle(**kw):
    return new_cycle("q1", "Q1", CycleKind.QUARTERLY, date(2026, 1, 1), "Asia/Shanghai", deadlines={
        Phase.GOAL_SETTING: T + timedelta(days=7), Phase.SELF_REVIEW: T + timedelta(days=95)}, **kw)


def test_advance_after_deadline_moves_one_phase_and_audits():
    c, audit = advance(cycle(), "hr", T + timedelta(days=8))
    assert c.phase is Phase.CONFIRMATION
    assert (audit.from_state, audit.to_state, audit.action) == ("goal_setting", "confirmation", "advance")


def test_closing_a_phase_before_its_deadline_needs_a_reason():
    with pytest.raises(ValidationError, match="before its deadline"):
        advance(cycle(), "hr", T)
    c, audit = advance(cycle(), "hr", T, "all goals confirmed early")
    assert c.phase is Phase.CONFIRMATION and audit.reason == "all goals confirmed early"


def test_skipping_needs_admin_override_with_reason():
    with pytest.raises(ValidationError, match="reason"):
        admin_override(cycle(), Phase.SELF_REVIEW, "hr", T, "")
    c, audit = admin_override(cycle(), Phase.SELF_REVIEW, "hr", T, "goals carried over from Q4")
    assert c.phase is Phase.SELF_REVIEW and audit.action == "admin_override"


def test_results_are_not_released_before_calibration_is_finalised():
    c, _ = admin_override(cycle(), Phase.CALIBRATION, "hr", T, "test")
    with pytest.raises(TransitionError, match="calibration is finalised"):
        advance(c, "hr", T)
    assert advance(c, "hr", T, calibration_finalised=True)[0].phase is Phase.RESULTS


def test_entering_the_lock_phase_freezes_participants():
    c, _ = advance(cycle(), "hr", T + timedelta(days=8))
    assert not c.is_locked and c.locked_at is None
    c, _ = advance(c, "hr", T + timedelta(days=9))
    assert c.is_locked and c.locked_at == T + timedelta(days=9)


def test_closed_cycle_cannot_advance():
    c, _ = admin_override(cycle(), Phase.CLOSED, "hr", T, "abandoned")
    with pytest.raises(TransitionError, match="'closed'"):
        advance(c, "hr", T)


def test_submissions_are_gated_by_phase_and_deadline():
    c, _ = admin_override(cycle(), Phase.SELF_REVIEW, "hr", T, "skip")
    require_phase(c, Phase.SELF_REVIEW, T)
    with pytest.raises(ValidationError, match="deadline"):
        require_phase(c, Phase.SELF_REVIEW, T + timedelta(days=96))
    with pytest.raises(TransitionError, match="only be done during 'manager_review'"):
        require_phase(c, Phase.MANAGER_REVIEW, T)


def test_extending_a_deadline_is_audited_and_kept_in_order():
    c, audit = set_deadline(cycle(), Phase.GOAL_SETTING, T + timedelta(days=10), "hr", T, "holiday")
    assert c.deadline(Phase.GOAL_SETTING) == T + timedelta(days=10) and audit.reason == "holiday"
    with pytest.raises(ValidationError, match="before that of"):
        set_deadline(cycle(), Phase.GOAL_SETTING, T + timedelta(days=200), "hr", T, "oops")


def test_due_for_advance_lists_cycles_past_their_phase_deadline():
    assert due_for_advance([cycle()], T) == ()
    assert [c.cycle_id for c in due_for_advance([cycle()], T + timedelta(days=7))] == ["q1"]


def test_admin_override_cannot_jump_past_calibration_into_released_results():
    with pytest.raises(TransitionError, match="calibration is finalised"):
        admin_override(cycle(), Phase.APPEAL_WINDOW, "hr", T, "hurry")
    assert admin_override(cycle(), Phase.CLOSED, "hr", T, "cycle abandoned")[0].phase is Phase.CLOSED
