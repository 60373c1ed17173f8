"""The outbox sends each queued message once; changed DingTalk data re-scores and tells the owner."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import requests

from dingperf.dingtalk.messages import text_msg
from dingperf.services.client_factory import build_client
from dingperf.services.collect import collect_inputs
from dingperf.services.outbox_sender import queue_work_notice, send_due
from dingperf.services.results import acknowledge_result, get_result, release_results
from dingperf.services.rule_refresh import refresh_from_sources
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import Store
from dingperf.store.repositories import get_outbox_message, list_outbox_messages, upsert_attendance_records
from dingperf.store.tables.attendance import AttendanceRecordBase
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE
from tests.integration.release_kit import to_calibration
from tests.sandbox_settings import settings_for


def _client(sandbox: Any, store: Store, **overrides: Any) -> Any:
    settings = settings_for(sandbox)
    return build_client(settings, store=store, **overrides)


def _inbox_of(sandbox: Any, userid: str) -> list[dict]:
    return requests.get(f"{sandbox.base_url}/_sandbox/messages", params={"userid": userid}, timeout=10).json()["messages"]


def test_a_queued_notice_is_sent_once_and_marked_with_dingtalks_task_id(company_sandbox, store):
    userid = company_sandbox.state.directory.active_userids()[0]
    corp = company_sandbox.state.app.corp_id
    assert queue_work_notice(store, corp, key="hello:1", userids=[userid], msg=text_msg("你好 1"))
    assert not queue_work_notice(store, corp, key="hello:1", userids=[userid], msg=text_msg("你好 1"))
    client = _client(company_sandbox, store)
    assert send_due(store, client).sent == 1
    assert send_due(store, client).claimed == 0  # nothing left: sent rows are never claimed again
    with store.session() as s:
        row = get_outbox_message(session=s, corp_id=corp, idempotency_key="hello:1")
        assert row.status == "sent" and row.dingtalk_ids["task_ids"]
    assert [m["content"]["text"]["content"] for m in _inbox_of(company_sandbox, userid)] == ["你好 1"]


def test_a_busy_dingtalk_is_retried_later(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    userid = company_sandbox.state.directory.active_userids()[0]
    requests.post(f"{company_sandbox.base_url}/_sandbox/faults", timeout=10, json={
        "path": "/topapi/message/corpconversation/asyncsend_v2", "kind": "busy", "times": 1})
    queue_work_notice(store, corp, key="busy:1", userids=[userid], msg=text_msg("稍后再试"))
    client = _client(company_sandbox, store, max_attempts=1)  # let the outbox, not the client, retry
    assert send_due(store, client).retried == 1
    with store.session() as s:
        row = get_outbox_message(session=s, corp_id=corp, idempotency_key="busy:1")
        assert row.status == "failed" and row.next_attempt_at is not None and "Transient" in row.last_error
    assert send_due(store, client, now=row.next_attempt_at).sent == 1  # due again: sent this time


def test_a_message_dingtalk_refuses_as_malformed_is_parked_with_the_reason(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    userid = company_sandbox.state.directory.active_userids()[0]
    queue_work_notice(store, corp, key="bad:1", userids=[userid], msg={"msgtype": "nonsense"})
    assert send_due(store, _client(company_sandbox, store)).parked == 1
    with store.session() as s:
        row = get_outbox_message(session=s, corp_id=corp, idempotency_key="bad:1")
    assert row.status == "parked" and row.last_error


def test_a_late_make_up_punch_rescores_and_tells_the_owner_but_not_a_signed_off_colleague(collect_cycle: Store):
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    before = get_result(collect_cycle, CORP, CYCLE, "u-late").total
    with collect_cycle.session() as s:  # 补卡 approved: the Late of the 6th becomes Normal, so only 3 lates remain
        upsert_attendance_records(session=s, corp_id=CORP, records=[
            AttendanceRecordBase(record_id="u-late-6-APPROVE", userid="u-late", work_date=date(2026, 11, 6),
                                 check_type="OnDuty", time_result="Normal", source_type="APPROVE")])
    report = refresh_from_sources(collect_cycle, CORP, CYCLE, [LATE, REVENUE], now=NOW)
    assert report.changed == ("u-late",) and report.notified == ("u-late",)
    assert get_result(collect_cycle, CORP, CYCLE, "u-late").total > before
    with collect_cycle.session() as s:
        queued = list_outbox_messages(session=s, corp_id=CORP)
    assert len(queued) == 1 and queued[0].payload["userids"] == ["u-late"]
    assert "重新计算" in queued[0].payload["msg"]["markdown"]["text"]
    again = refresh_from_sources(collect_cycle, CORP, CYCLE, [LATE, REVENUE], now=NOW)
    assert again.changed == ()  # same data: nothing to do, nothing queued twice


def test_signed_off_results_are_frozen_and_reported_for_hr(collect_cycle: Store):
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    to_calibration(collect_cycle, CORP, CYCLE, now=NOW)
    release_results(collect_cycle, CORP, CYCLE, by="hr", now=NOW)
    acknowledge_result(collect_cycle, CORP, CYCLE, "u-late", now=NOW)
    with collect_cycle.session() as s:
        upsert_attendance_records(session=s, corp_id=CORP, records=[
            AttendanceRecordBase(record_id="u-late-6-APPROVE", userid="u-late", work_date=date(2026, 11, 6),
                                 check_type="OnDuty", time_result="Normal", source_type="APPROVE")])
    report = refresh_from_sources(collect_cycle, CORP, CYCLE, [LATE, REVENUE], now=NOW)
    assert report.frozen == ("u-late",) and report.notified == ()


def test_work_notices_are_paced_by_recipients_per_minute_and_none_is_lost(company_sandbox: Any, store: Store) -> None:
    corp = company_sandbox.state.app.corp_id
    people = company_sandbox.state.directory.active_userids()[:30]
    for i in range(3):
        queue_work_notice(store, corp, key=f"pace-{i}", userids=people[i * 10:(i + 1) * 10],
                          msg=text_msg(f"提醒 第 {i} 批"), now=NOW)
    client = _client(company_sandbox, store)
    first = send_due(store, client, now=NOW, notice_recipients_per_minute=25)
    assert (first.sent, first.deferred) == (2, 1)  # 20 recipients fit, the third ten would not
    assert send_due(store, client, now=NOW + timedelta(seconds=30), notice_recipients_per_minute=25).claimed == 0
    later = send_due(store, client, now=NOW + timedelta(seconds=61), notice_recipients_per_minute=25)
    assert (later.sent, later.deferred) == (1, 0)
    with store.session() as s:
        row = get_outbox_message(session=s, corp_id=corp, idempotency_key="pace-2")
        assert row.attempts == 1  # being held back by pacing is not a failed attempt
    assert all(_inbox_of(company_sandbox, userid) for userid in people)
