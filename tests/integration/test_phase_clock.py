"""The phase clock closes a phase at its deadline (and only then), once, telling HR once when the rules refuse."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dingperf.perf.cycles import Phase
from dingperf.scheduler import SchedulerRole
from dingperf.services.cycles import get_cycle
from dingperf.services.phase_clock import close_due_phases
from dingperf.settings import sandbox_settings
from dingperf.store.engine import Store
from dingperf.store.tables.perf_cycles import PerfCycle
from tests.integration.phase_clock_kit import (
    CORP,
    CYCLE,
    DAY,
    DEADLINES,
    HR,
    T0,
    audit,
    enter,
    org_and_cycle,
    outbox,
    rate,
    told,
)

SECOND = timedelta(seconds=1)


@pytest.fixture
def clock(store: Store) -> Store:
    return org_and_cycle(store)


def test_a_phase_does_not_close_before_its_deadline(clock: Store) -> None:
    report = close_due_phases(clock, CORP, now=DEADLINES[Phase.GOAL_SETTING] - SECOND, hr_userids=HR)
    assert report.advanced == {} and get_cycle(clock, CORP, CYCLE).phase == "goal_setting"


def test_a_phase_closes_at_its_deadline_as_the_system_with_the_deadline_as_reason(clock: Store) -> None:
    due = DEADLINES[Phase.GOAL_SETTING]
    report = close_due_phases(clock, CORP, now=due, hr_userids=HR)
    assert report.advanced == {CYCLE: ["confirmation"]} and get_cycle(clock, CORP, CYCLE).phase == "confirmation"
    (move,) = audit(clock, "cycle.advance")
    assert (move.actor, move.reason, move.at) == ("system:phase-clock", f"deadline {due.isoformat()} passed", due)


def test_the_phase_it_lands_in_tells_its_people(clock: Store) -> None:
    close_due_phases(clock, CORP, now=DEADLINES[Phase.GOAL_SETTING], hr_userids=HR)
    assert sorted(u for us in told(clock, "phase:confirmation:1:participant").values() for u in us) == \
        ["ann", "bob", "cat", "mia"]


def test_running_the_clock_again_changes_nothing(clock: Store) -> None:
    due = DEADLINES[Phase.GOAL_SETTING]
    close_due_phases(clock, CORP, now=due, hr_userids=HR)
    queued, moves = outbox(clock), audit(clock, "cycle.advance")
    again = close_due_phases(clock, CORP, now=due + SECOND, hr_userids=HR)
    assert again.advanced == {} and outbox(clock) == queued and len(audit(clock, "cycle.advance")) == len(moves)


def test_all_overdue_phases_close_in_one_run_each_audited_and_only_the_landing_phase_notifies(clock: Store) -> None:
    now = DEADLINES[Phase.IN_PROGRESS] + DAY  # goal setting, confirmation and in progress are all over
    report = close_due_phases(clock, CORP, now=now, hr_userids=HR)
    assert report.advanced == {CYCLE: ["confirmation", "in_progress", "self_review"]}
    cycle = get_cycle(clock, CORP, CYCLE)
    assert (cycle.phase, cycle.locked_at) == ("self_review", now)
    assert [m.after["phase"] for m in audit(clock, "cycle.advance")] == ["confirmation", "in_progress", "self_review"]
    assert told(clock, ":phase:confirmation:") == {}
    assert told(clock, ":phase:self_review:1:participant:0")


def test_nobody_is_escalated_for_phases_that_were_over_before_they_began(store: Store) -> None:
    org_and_cycle(store, deadlines={Phase.GOAL_SETTING: T0 - 5 * DAY, Phase.CONFIRMATION: T0 - 2 * DAY})
    report = close_due_phases(store, CORP, now=T0 + SECOND, hr_userids=HR)
    assert report.advanced == {CYCLE: ["confirmation", "in_progress"]}
    assert told(store, ":escalated:") == {} and told(store, ":missed:") == {}


def test_a_refused_close_leaves_the_phase_and_tells_hr_once_with_the_rules_message(clock: Store) -> None:
    enter(clock, Phase.CALIBRATION, T0 + 175 * DAY)  # nothing scored: calibration cannot be finalised
    due = DEADLINES[Phase.CALIBRATION]
    report = close_due_phases(clock, CORP, now=due, hr_userids=HR)
    assert "calibration is finalised" in report.refused[CYCLE] and get_cycle(clock, CORP, CYCLE).phase == "calibration"
    notices = told(clock, ":close-refused:")
    assert list(notices.values()) == [["hr1"]]
    assert "calibration is finalised" in next(iter(outbox(clock)[k] for k in notices))["msg"]["markdown"]["text"]
    again = close_due_phases(clock, CORP, now=due + DAY, hr_userids=HR)
    assert CYCLE in again.refused and told(clock, ":close-refused:") == notices
    assert len(audit(clock, "phase_clock.close_refused")) == 1


def test_a_moved_deadline_is_a_new_refusal_to_tell(clock: Store) -> None:
    enter(clock, Phase.CALIBRATION, T0 + 175 * DAY)
    close_due_phases(clock, CORP, now=DEADLINES[Phase.CALIBRATION], hr_userids=HR)
    with clock.session() as s:
        row = s.get(PerfCycle, (CORP, CYCLE))
        row.deadlines = {**row.deadlines, "calibration": (DEADLINES[Phase.CALIBRATION] + 2 * DAY).isoformat()}
        s.add(row)
    close_due_phases(clock, CORP, now=DEADLINES[Phase.CALIBRATION] + 3 * DAY, hr_userids=HR)
    assert len(told(clock, ":close-refused:")) == 2


def test_closing_a_phase_escalates_whoever_still_owes_work_in_it(clock: Store) -> None:
    enter(clock, Phase.SELF_REVIEW, T0 + 151 * DAY)
    rate(clock, ("ann", "ann", "self"), ("cat", "cat", "self"), ("mia", "mia", "self"), at=T0 + 152 * DAY)
    close_due_phases(clock, CORP, now=DEADLINES[Phase.SELF_REVIEW], hr_userids=HR)
    assert list(told(clock, ":missed:").values()) == [["bob"]]
    escalated = told(clock, ":escalated:")
    assert list(escalated.values()) == [["mia"]]
    assert "BOB" in outbox(clock)[next(iter(escalated))]["msg"]["markdown"]["text"]
    assert get_cycle(clock, CORP, CYCLE).phase == "manager_review"


def test_the_scheduler_job_closes_due_phases_with_the_configured_hr_userids(store: Store) -> None:
    org_and_cycle(store, deadlines={Phase.CALIBRATION: T0 - DAY})  # the job runs at the real "now"
    enter(store, Phase.CALIBRATION, T0)
    settings = sandbox_settings(base_url="http://127.0.0.1:9", corp_id=CORP, app_key="k", app_secret="s",
                                agent_id=1, robot_code="r", callback_token="token123", callback_aes_key="a" * 43,
                                database_url=store.engine.url.render_as_string(hide_password=False),
                                hr_userids=("hr-9",))
    SchedulerRole(settings, store, client=object()).phase_clock()
    assert list(told(store, ":close-refused:").values()) == [["hr-9"]]


def test_after_telling_hr_the_clock_leaves_the_refused_phase_to_them(clock: Store,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    enter(clock, Phase.CALIBRATION, T0 + 175 * DAY)
    close_due_phases(clock, CORP, now=DEADLINES[Phase.CALIBRATION], hr_userids=HR)
    monkeypatch.setattr("dingperf.services.phases.calibration_finalised", lambda *_: True)  # HR finished later
    report = close_due_phases(clock, CORP, now=DEADLINES[Phase.CALIBRATION] + DAY, hr_userids=HR)
    assert CYCLE in report.refused and get_cycle(clock, CORP, CYCLE).phase == "calibration"
