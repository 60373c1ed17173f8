"""The outbox sender drops people who left the company from work notifications: nothing is sent to nobody."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import requests

from dingperf.dingtalk.messages import text_msg
from dingperf.services.client_factory import build_client
from dingperf.services.outbox_sender import queue_work_notice, send_due
from dingperf.store.engine import Store
from dingperf.store.repositories import deactivate_employee, get_outbox_message, upsert_employees
from dingperf.store.tables import EmployeeBase
from tests.sandbox_settings import settings_for


def _inbox_of(sandbox: Any, userid: str) -> list[dict]:
    return requests.get(f"{sandbox.base_url}/_sandbox/messages", params={"userid": userid}, timeout=10).json()["messages"]


def _synced(store: Store, corp: str, stays: str, leaves: str) -> None:
    with store.session() as s:
        upsert_employees(session=s, corp_id=corp, employees=[EmployeeBase(userid=u, name=u) for u in (stays, leaves)])
        deactivate_employee(session=s, corp_id=corp, userid=leaves, departed_at=datetime.now(UTC))


def test_a_notice_only_for_people_who_left_is_finished_without_sending(company_sandbox, store):
    stays, leaves = company_sandbox.state.directory.active_userids()[:2]
    corp = company_sandbox.state.app.corp_id
    _synced(store, corp, stays, leaves)
    queue_work_notice(store, corp, key="remind:gone", userids=[leaves], msg=text_msg("提醒"))
    report = send_due(store, build_client(settings_for(company_sandbox), store=store))
    assert (report.skipped, report.sent) == (1, 0)
    with store.session() as s:
        row = get_outbox_message(session=s, corp_id=corp, idempotency_key="remind:gone")
        assert row.status == "sent" and row.dingtalk_ids == {"skipped": f"every recipient has left: {leaves}"}
    assert _inbox_of(company_sandbox, leaves) == []


def test_people_who_left_are_dropped_from_a_notice_to_several(company_sandbox, store):
    stays, leaves = company_sandbox.state.directory.active_userids()[:2]
    corp = company_sandbox.state.app.corp_id
    _synced(store, corp, stays, leaves)
    queue_work_notice(store, corp, key="remind:both", userids=[stays, leaves], msg=text_msg("提醒"))
    assert send_due(store, build_client(settings_for(company_sandbox), store=store)).sent == 1
    assert len(_inbox_of(company_sandbox, stays)) == 1 and _inbox_of(company_sandbox, leaves) == []
