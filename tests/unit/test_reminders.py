"""The pure reminder rules: when a reminder is due, who still owes what, and whom a missed deadline escalates to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.reminders import (
    DEFAULT_POLICY,
    Debt,
    GoalState,
    ReminderPolicy,
    Task,
    appeal_debts,
    calibration_debts,
    due_reminder,
    escalations,
    goal_debts,
    is_escalation_due,
    manager_review_debts,
    owed_by,
    reminder_policy,
    self_review_debts,
)

DUE = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
ENTERED = DUE - timedelta(days=14)
DAY = timedelta(days=1)


def test_the_default_policy_is_seven_three_one_days_and_the_deadline() -> None:
    assert DEFAULT_POLICY.to_hours() == [168, 72, 24, 0] and DEFAULT_POLICY.escalates


def test_no_reminder_is_due_before_the_first_offset() -> None:
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE - 8 * DAY) is None


def test_each_offset_is_due_from_its_time_until_the_next_one() -> None:
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE - 7 * DAY) == 7 * DAY
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE - 3 * DAY - timedelta(seconds=1)) == 7 * DAY
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE - 3 * DAY) == 3 * DAY
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE - timedelta(minutes=1)) == DAY


def test_a_scheduler_back_from_downtime_sends_only_the_latest_missed_reminder() -> None:
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE - 2 * DAY) == 3 * DAY


def test_no_reminder_at_or_after_the_deadline() -> None:
    assert due_reminder(DEFAULT_POLICY, DUE, ENTERED, DUE) is None


def test_a_reminder_whose_time_came_before_the_phase_was_entered_is_not_sent() -> None:
    entered = DUE - 5 * DAY
    assert due_reminder(DEFAULT_POLICY, DUE, entered, DUE - 4 * DAY) is None
    assert due_reminder(DEFAULT_POLICY, DUE, entered, DUE - 3 * DAY) == 3 * DAY


def test_escalation_is_due_at_the_deadline_of_a_phase_entered_before_it() -> None:
    assert not is_escalation_due(DEFAULT_POLICY, DUE, ENTERED, DUE - timedelta(seconds=1))
    assert is_escalation_due(DEFAULT_POLICY, DUE, ENTERED, DUE)
    assert not is_escalation_due(DEFAULT_POLICY, DUE, DUE + DAY, DUE + 2 * DAY)


def test_a_policy_without_offset_zero_never_escalates() -> None:
    assert not is_escalation_due(reminder_policy([48, 2]), DUE, ENTERED, DUE + DAY)


def test_a_policy_is_built_from_whole_hours_and_sorted_largest_first() -> None:
    assert reminder_policy([2, 0, 48]).offsets == (timedelta(hours=48), timedelta(hours=2), timedelta(0))


@pytest.mark.parametrize("hours", [[-1], [24, 24], [24 * 61], ["24"], [1.5], list(range(9))])
def test_a_bad_policy_is_refused(hours: list[object]) -> None:
    with pytest.raises(ValidationError):
        reminder_policy(hours)


def test_an_empty_policy_reminds_nobody() -> None:
    assert due_reminder(ReminderPolicy(()), DUE, ENTERED, DUE - DAY) is None


def test_goal_debts_chase_missing_unsent_and_unconfirmed_goals() -> None:
    participants = {"a": "m", "b": "m", "c": "m", "d": "m", "e": "m"}
    goals = [GoalState("g1", "a", "draft"), GoalState("g2", "b", "pending_confirmation", sent_by="b"),
             GoalState("g3", "c", "pending_confirmation", sent_by="m"), GoalState("g4", "d", "confirmed"),
             GoalState("g5", "e", "closed", cancelled=True)]
    assert goal_debts(participants, goals) == [
        Debt("a", Task.SET_GOALS, "g1"), Debt("c", Task.CONFIRM_GOALS, "g3"), Debt("e", Task.SET_GOALS, "e"),
        Debt("m", Task.CONFIRM_GOALS, "g2")]


def test_goals_of_people_outside_the_cycle_are_ignored() -> None:
    assert goal_debts({"a": None}, [GoalState("g", "x", "draft"), GoalState("h", "a", "confirmed")]) == []


def test_self_review_debts_only_when_self_is_weighed() -> None:
    assert self_review_debts(["a", "b"], {"a"}, self_weighted=True) == [Debt("b", Task.SELF_REVIEW, "b")]
    assert self_review_debts(["a", "b"], set(), self_weighted=False) == []


def test_manager_review_debts_name_unrated_reports_and_unrated_360_nominations() -> None:
    debts = manager_review_debts({"a": "m", "b": "m", "c": None}, {"a"}, [("a", "p"), ("b", "q")], {("a", "p")},
                                 manager_weighted=True)
    assert debts == [Debt("m", Task.RATE_REPORT, "b"), Debt("q", Task.RATE_360, "b")]


def test_calibration_is_owed_by_hr_until_finalised() -> None:
    assert calibration_debts(["hr1", "hr2", ""], finalised=False) == [
        Debt("hr1", Task.CALIBRATE, "calibration"), Debt("hr2", Task.CALIBRATE, "calibration")]
    assert calibration_debts(["hr1"], finalised=True) == []


def test_filed_appeals_are_owed_by_hr_and_appeals_in_review_by_their_handler() -> None:
    debts = appeal_debts([("ap1", "filed", ""), ("ap2", "in_review", "h"), ("ap3", "accepted", "h")], ["hr"])
    assert debts == [Debt("h", Task.HANDLE_APPEAL, "ap2"), Debt("hr", Task.HANDLE_APPEAL, "ap1")]


def test_debts_are_grouped_by_the_person_who_owes_them() -> None:
    grouped = owed_by([Debt("m", Task.RATE_REPORT, "b"), Debt("a", Task.SELF_REVIEW, "a"),
                       Debt("m", Task.RATE_REPORT, "a")])
    assert list(grouped) == ["a", "m"] and [d.subject for d in grouped["m"]] == ["a", "b"]


def test_escalation_goes_to_each_late_persons_own_manager() -> None:
    debts = [Debt("a", Task.SELF_REVIEW, "a"), Debt("m", Task.RATE_REPORT, "a"), Debt("b", Task.SELF_REVIEW, "b")]
    assert escalations(debts, {"a": "m", "b": "m", "m": "boss"}) == {"boss": ("m",), "m": ("a", "b")}


def test_someone_without_a_manager_escalates_to_the_fallback() -> None:
    assert escalations([Debt("ceo", Task.RATE_REPORT, "a")], {"ceo": None}, ["hr"]) == {"hr": ("ceo",)}
    assert escalations([Debt("ceo", Task.RATE_REPORT, "a")], {"ceo": "ceo"}, []) == {}


def test_calibration_and_appeal_work_is_not_escalated_to_managers() -> None:
    debts = [Debt("hr", Task.CALIBRATE, "calibration"), Debt("h", Task.HANDLE_APPEAL, "ap1")]
    assert escalations(debts, {"hr": "boss", "h": "boss"}) == {}
