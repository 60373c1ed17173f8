"""Appeals whose handler missed the deadline are escalated once per round, after the deadline only, to the
handler's manager and HR (the handler is told too), with an `appeal.escalate` audit entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dingperf.scheduler import SchedulerRole
from dingperf.services.appeal_escalation import escalate_overdue_appeals
from dingperf.services.appeals import assign_appeal, reject_appeal, reopen_appeal
from dingperf.settings import sandbox_settings
from dingperf.store.engine import Store
from dingperf.store.repositories import list_outbox_messages
from dingperf.store.repositories.audit import list_audit
from tests.integration.appeal_kit import DUE, file_ap1, in_review, prepare_appeal_cycle
from tests.integration.collect_kit import CORP, NOW

LATE_BY_AN_HOUR = DUE + timedelta(hours=1)
ROUND0 = f"appeal:ap-1:escalated:0:{int(DUE.timestamp())}"


@pytest.fixture
def appeal_cycle(collect_cycle: Store) -> Store:
    return prepare_appeal_cycle(collect_cycle)


def _escalations(store: Store) -> dict[str, list[str]]:
    with store.session() as s:
        rows = list_outbox_messages(session=s, corp_id=CORP, limit=1000)
    return {m.idempotency_key: m.payload["userids"] for m in rows if ":escalated:" in m.idempotency_key}


def _audited(store: Store) -> list[dict]:
    with store.session() as s:
        return [e.after for e in list_audit(session=s, corp_id=CORP, subject="appeal:ap-1", action="appeal.escalate")]


def test_nothing_is_escalated_before_the_deadline(appeal_cycle: Store) -> None:
    in_review(appeal_cycle)
    report = escalate_overdue_appeals(appeal_cycle, CORP, now=DUE, hr_userids=("hr-1",))
    assert (report.overdue, report.escalated) == (0, ())
    assert _escalations(appeal_cycle) == {} and _audited(appeal_cycle) == []


def test_an_overdue_appeal_is_escalated_to_the_handlers_manager_and_hr(appeal_cycle: Store) -> None:
    in_review(appeal_cycle)
    report = escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR, hr_userids=("hr-2", "hr-1"))
    assert (report.escalated, report.notified) == (("ap-1",), ("hr-1", "hr-2", "hr-head"))
    assert _escalations(appeal_cycle) == {f"{ROUND0}:handler": ["hrbp"], f"{ROUND0}:0": ["hr-1", "hr-2", "hr-head"]}
    (entry,) = _audited(appeal_cycle)
    assert (entry["handler"], entry["round"], entry["notified"]) == ("hrbp", 0, ["hr-1", "hr-2", "hr-head"])


def test_a_second_run_escalates_nothing_new(appeal_cycle: Store) -> None:
    in_review(appeal_cycle)
    escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR, hr_userids=("hr-1",))
    before = _escalations(appeal_cycle)
    again = escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR + timedelta(hours=1),
                                     hr_userids=("hr-1",))
    assert (again.overdue, again.escalated) == (1, ())
    assert _escalations(appeal_cycle) == before and len(_audited(appeal_cycle)) == 1


def test_a_decided_appeal_is_never_escalated(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    reject_appeal(appeal_cycle, CORP, appeal_id, reason="打卡确实迟到", actor="hrbp", now=NOW)
    assert escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR, hr_userids=("hr-1",)).escalated == ()


def test_a_reopened_appeal_missed_again_is_escalated_in_its_new_round(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR, hr_userids=("hr-1",))
    reject_appeal(appeal_cycle, CORP, appeal_id, reason="打卡确实迟到", actor="hrbp", now=LATE_BY_AN_HOUR)
    reopen_appeal(appeal_cycle, CORP, appeal_id, reason="审批记录附上了", actor="u-late", now=LATE_BY_AN_HOUR)
    second_due = LATE_BY_AN_HOUR + timedelta(days=2)
    assign_appeal(appeal_cycle, CORP, appeal_id, handler="hrbp", deadline=second_due, actor="hr-1",
                  now=LATE_BY_AN_HOUR)
    report = escalate_overdue_appeals(appeal_cycle, CORP, now=second_due + timedelta(minutes=1), hr_userids=("hr-1",))
    assert report.escalated == ("ap-1",)
    assert f"appeal:ap-1:escalated:1:{int(second_due.timestamp())}:0" in _escalations(appeal_cycle)
    assert [e["round"] for e in _audited(appeal_cycle)] == [0, 1]


def test_a_new_deadline_missed_again_is_escalated_again(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR, hr_userids=("hr-1",))
    extended = LATE_BY_AN_HOUR + timedelta(days=1)
    assign_appeal(appeal_cycle, CORP, appeal_id, handler="hrbp", deadline=extended, actor="hr-1",
                  now=LATE_BY_AN_HOUR)
    assert escalate_overdue_appeals(appeal_cycle, CORP, now=extended, hr_userids=("hr-1",)).escalated == ()
    later = escalate_overdue_appeals(appeal_cycle, CORP, now=extended + timedelta(minutes=1), hr_userids=("hr-1",))
    assert later.escalated == ("ap-1",) and len(_audited(appeal_cycle)) == 2


def test_a_handler_without_a_manager_is_escalated_to_hr_and_never_to_themselves(appeal_cycle: Store) -> None:
    appeal_id = in_review(appeal_cycle)
    assign_appeal(appeal_cycle, CORP, appeal_id, handler="hr-1", deadline=DUE, actor="hr-1", now=NOW)
    escalate_overdue_appeals(appeal_cycle, CORP, now=LATE_BY_AN_HOUR, hr_userids=("hr-1", "hr-2"))
    assert _escalations(appeal_cycle) == {f"{ROUND0}:handler": ["hr-1"], f"{ROUND0}:0": ["hr-2"]}


def test_the_hourly_scheduler_job_escalates_with_the_configured_hr_userids(appeal_cycle: Store) -> None:
    appeal_id = file_ap1(appeal_cycle)
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)  # the job runs at the real "now"
    assign_appeal(appeal_cycle, CORP, appeal_id, handler="hrbp", deadline=long_ago + timedelta(days=1), actor="hr",
                  now=long_ago)
    settings = sandbox_settings(base_url="http://127.0.0.1:9", corp_id=CORP, app_key="k", app_secret="s",
                                agent_id=1, robot_code="r", callback_token="token123", callback_aes_key="a" * 43,
                                database_url=appeal_cycle.engine.url.render_as_string(hide_password=False),
                                hr_userids=("hr-1",))
    SchedulerRole(settings, appeal_cycle, client=object()).escalate_appeals()
    due = int((long_ago + timedelta(days=1)).timestamp())
    assert _escalations(appeal_cycle)[f"appeal:ap-1:escalated:0:{due}:0"] == ["hr-1", "hr-head"]
