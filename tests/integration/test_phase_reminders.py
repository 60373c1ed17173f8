"""Reminders before a phase deadline go once per offset to exactly the people who still owe work; the deadline
escalates once to each late person's own manager."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError
from dingperf.services.documents import save_document
from dingperf.services.goals import create_goal, send_goal
from dingperf.services.phase_reminders import send_phase_reminders, set_reminder_policy
from dingperf.store.engine import NotFound, Store
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

SELF_DUE = DEADLINES[Phase.SELF_REVIEW]
REVIEW_DUE = DEADLINES[Phase.MANAGER_REVIEW]


@pytest.fixture
def self_review(store: Store) -> Store:
    """The cycle entered self review ten days before its deadline; ann has already rated herself."""
    org_and_cycle(store)
    enter(store, Phase.SELF_REVIEW, SELF_DUE - 10 * DAY)
    rate(store, ("ann", "ann", "self"), at=SELF_DUE - 9 * DAY)
    return store


def _reminded(store: Store, offset: str) -> list[str]:
    return sorted(u for us in told(store, f":{offset}:").values() for u in us)


def test_no_reminder_before_the_first_offset(self_review: Store) -> None:
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 8 * DAY, hr_userids=HR)
    assert told(self_review, ":remind:") == {}


def test_the_seven_day_reminder_goes_to_everyone_without_a_self_rating(self_review: Store) -> None:
    report = send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    assert _reminded(self_review, "168h") == ["bob", "cat", "mia"] and list(report.reminded.values()) == [3]


def test_the_reminder_names_the_time_left_the_deadline_and_the_work(self_review: Store) -> None:
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    (payload,) = [outbox(self_review)[k] for k in told(self_review, ":remind:")]
    text = payload["msg"]["markdown"]["text"]
    assert "还有 **7天** 截止" in text and "完成自评" in text and "2026下半年" in text


def test_each_offset_reminds_once_however_often_the_job_runs(self_review: Store) -> None:
    for now in (SELF_DUE - 7 * DAY, SELF_DUE - 7 * DAY + timedelta(minutes=1), SELF_DUE - 4 * DAY):
        send_phase_reminders(self_review, CORP, now=now, hr_userids=HR)
    assert len(told(self_review, ":remind:")) == 1


def test_later_offsets_leave_out_who_has_done_the_work_since(self_review: Store) -> None:
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    rate(self_review, ("bob", "bob", "self"), at=SELF_DUE - 5 * DAY)
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 3 * DAY, hr_userids=HR)
    rate(self_review, ("cat", "cat", "self"), at=SELF_DUE - 2 * DAY)
    send_phase_reminders(self_review, CORP, now=SELF_DUE - DAY, hr_userids=HR)
    assert (_reminded(self_review, "72h"), _reminded(self_review, "24h")) == (["cat", "mia"], ["mia"])


def test_nobody_is_reminded_when_everyone_is_done(self_review: Store) -> None:
    rate(self_review, *((u, u, "self") for u in ("bob", "cat", "mia")), at=SELF_DUE - 8 * DAY)
    report = send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    assert told(self_review, ":remind:") == {} and list(report.reminded.values()) == [0]


def test_the_deadline_escalates_once_to_each_late_persons_manager(self_review: Store) -> None:
    for now in (SELF_DUE, SELF_DUE + timedelta(minutes=1)):
        send_phase_reminders(self_review, CORP, now=now, hr_userids=HR)
    escalated = told(self_review, ":escalated:")
    assert sorted(escalated.values()) == [["boss"], ["mia"]]
    text = outbox(self_review)[next(k for k in escalated if k.endswith(":mia"))]["msg"]["markdown"]["text"]
    assert "BOB" in text and "CAT" in text and "以下 2 人" in text
    assert _reminded(self_review, "missed") == ["bob", "cat", "mia"]


def test_a_cycle_without_offset_zero_does_not_escalate(self_review: Store) -> None:
    set_reminder_policy(self_review, CORP, CYCLE, [48], actor="hr1", now=T0)
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 3 * DAY, hr_userids=HR)
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 2 * DAY, hr_userids=HR)
    send_phase_reminders(self_review, CORP, now=SELF_DUE, hr_userids=HR)
    assert list(told(self_review, ":remind:")) and all(":48h:" in k for k in told(self_review, ":remind:"))
    assert told(self_review, ":escalated:") == {}


def test_a_bad_reminder_policy_is_refused_and_nothing_changes(self_review: Store) -> None:
    with pytest.raises(ValidationError, match="between 0"):
        set_reminder_policy(self_review, CORP, CYCLE, [-24], actor="hr1", now=T0)
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    assert _reminded(self_review, "168h") == ["bob", "cat", "mia"]


def test_a_corp_policy_applies_to_cycles_without_their_own(self_review: Store) -> None:
    set_reminder_policy(self_review, CORP, None, [120], actor="hr1", now=T0)
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    assert told(self_review, ":remind:") == {}
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 5 * DAY, hr_userids=HR)
    assert _reminded(self_review, "120h") == ["bob", "cat", "mia"]


def test_goal_reminders_chase_missing_unsent_and_unconfirmed_goals(store: Store) -> None:
    org_and_cycle(store)
    for owner in ("bob", "cat"):
        create_goal(store, CORP, CYCLE, goal_id=f"g-{owner}", owner=owner, title="签约额", target=Decimal(100),
                    weight=Decimal(100), actor=owner, now=T0 + DAY)
    send_goal(store, CORP, "g-cat", actor="cat", now=T0 + DAY)
    send_phase_reminders(store, CORP, now=DEADLINES[Phase.GOAL_SETTING] - 3 * DAY, hr_userids=HR)
    groups = {k.split(":")[-2]: sorted(v) for k, v in told(store, ":remind:").items()}
    assert groups == {"set_goals": ["ann", "bob"], "confirm_goals+set_goals": ["mia"]}


def test_manager_review_reminds_managers_of_unrated_reports_and_unrated_360_raters(store: Store) -> None:
    org_and_cycle(store)
    enter(store, Phase.MANAGER_REVIEW, REVIEW_DUE - 10 * DAY)
    save_document(store, CORP, "nomination", f"{CYCLE}:ann:bob", status="approved", cycle_id=CYCLE,
                  subject_userid="ann", body={"rater": "bob", "rater_type": "peer"}, actor="mia", now=T0)
    rate(store, *((u, "mia", "manager") for u in ("ann", "bob", "cat")), at=REVIEW_DUE - 9 * DAY)
    send_phase_reminders(store, CORP, now=REVIEW_DUE - DAY, hr_userids=HR)
    groups = {k.split(":")[-2]: sorted(v) for k, v in told(store, ":remind:").items()}
    assert groups == {"rate_360": ["bob"], "rate_report": ["boss"]}


def test_reminders_to_many_people_go_in_batches_of_100(store: Store) -> None:
    org_and_cycle(store, extra=tuple(f"e-{i:03d}" for i in range(150)))
    enter(store, Phase.SELF_REVIEW, SELF_DUE - 10 * DAY)
    send_phase_reminders(store, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    assert sorted(len(v) for v in told(store, ":remind:").values()) == [54, 100]


def test_a_reopened_phase_is_reminded_again(self_review: Store) -> None:
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 7 * DAY, hr_userids=HR)
    enter(self_review, Phase.IN_PROGRESS, SELF_DUE - 7 * DAY + timedelta(hours=1))
    enter(self_review, Phase.SELF_REVIEW, SELF_DUE - 7 * DAY + timedelta(hours=2))
    send_phase_reminders(self_review, CORP, now=SELF_DUE - 3 * DAY, hr_userids=HR)
    assert len(told(self_review, ":remind:")) == 2


def test_hr_is_reminded_of_calibration_without_a_promise_to_tell_their_manager(store: Store) -> None:
    org_and_cycle(store)
    enter(store, Phase.CALIBRATION, DEADLINES[Phase.CALIBRATION] - 5 * DAY)
    send_phase_reminders(store, CORP, now=DEADLINES[Phase.CALIBRATION] - 3 * DAY, hr_userids=HR)
    (key,) = told(store, ":remind:")
    text = outbox(store)[key]["msg"]["markdown"]["text"]
    assert told(store, ":remind:")[key] == ["hr1"] and "绩效校准" in text and "上级" not in text


def test_phases_nobody_acts_in_claim_no_reminder_slots(store: Store) -> None:
    org_and_cycle(store)
    enter(store, Phase.IN_PROGRESS, DEADLINES[Phase.CONFIRMATION])
    for days in (7, 3, 1, 0):
        send_phase_reminders(store, CORP, now=DEADLINES[Phase.IN_PROGRESS] - days * DAY, hr_userids=HR)
    assert outbox(store) == {} and audit(store, "phase_reminder.remind") == []


def test_a_policy_for_an_unknown_cycle_is_refused(self_review: Store) -> None:
    with pytest.raises(NotFound, match="no cycle"):
        set_reminder_policy(self_review, CORP, "2026-H3", [24], actor="hr1", now=T0)
