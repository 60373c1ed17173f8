"""Attendance and approval sync against the sandbox over real HTTP: inside DingTalk's batch limits,
idempotent by record and instance id, keeping status, result and form values."""

from __future__ import annotations

import datetime as dt

import pytest

from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.services.sync_approvals import ApprovalSyncError, sync_approvals
from dingperf.services.sync_attendance import AttendanceSyncError, calls_needed, sync_attendance
from dingperf.services.write_counter import count_writes
from dingperf.store.repositories import (
    get_approval_instance,
    list_approval_instances,
    list_attendance_records,
)
from tests.integration.sync_kit import client_for


def today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def test_attendance_sync_batches_fifty_users_by_seven_days(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    users = company_sandbox.state.directory.active_userids()[:120]
    first, last = today() - dt.timedelta(days=20), today() - dt.timedelta(days=1)
    summary = sync_attendance(store=store, client=client_for(company_sandbox), corp_id=corp, date_from=first,
                              date_to=last, userids=users)
    assert summary.calls >= calls_needed(120, first, last) == 3 * 3
    assert summary.records > 0 and summary.written == summary.records
    with store.session() as s:
        rows = list_attendance_records(session=s, corp_id=corp, date_from=first, date_to=last)
    assert len(rows) == summary.records
    assert {r.userid for r in rows} <= set(users)
    assert {"Late", "NotSigned"} & {r.time_result for r in rows}


def test_attendance_resync_is_idempotent_by_record_id(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    users = company_sandbox.state.directory.active_userids()[:60]
    first, last = today() - dt.timedelta(days=9), today() - dt.timedelta(days=1)
    once = sync_attendance(store=store, client=client, corp_id=corp, date_from=first, date_to=last, userids=users)
    with count_writes(store.engine, ("attendance_records",)) as writes:
        twice = sync_attendance(store=store, client=client, corp_id=corp, date_from=first, date_to=last,
                                userids=users)
    assert writes.total == 0 and twice.written == 0 and twice.unchanged == once.records
    with store.session() as s:
        assert len(list_attendance_records(session=s, corp_id=corp, date_from=first, date_to=last)) == once.records


def test_attendance_sync_refuses_a_backwards_range(company_sandbox, store):
    with pytest.raises(AttendanceSyncError, match="swap"):
        sync_attendance(store=store, client=client_for(company_sandbox), corp_id="c", date_from=today(),
                        date_to=today() - dt.timedelta(days=1), userids=["u"])


def _window() -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return now - dt.timedelta(days=200), now + dt.timedelta(days=1)


def test_approval_sync_keeps_status_result_and_form_values(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    wf = company_sandbox.state.workflow
    code = next(c for c in wf.processes if "SALES" in c)
    truth = {i.process_instance_id: i for i in wf.instances.values() if i.process_code == code}
    start, end = _window()
    summary = sync_approvals(store=store, client=client_for(company_sandbox), corp_id=corp, process_code=code,
                             start=start, end=end)
    assert summary.instances == summary.created == len(truth) > 20  # more than one page of ids
    assert summary.calls["/v1.0/workflow/processes/instanceIds/query"] >= 2  # ≤ 120-day windows, ≤ 20 per page
    with store.session() as s:
        for instance_id, inst in truth.items():
            row = get_approval_instance(session=s, corp_id=corp, process_instance_id=instance_id)
            assert (row.status, row.result, row.process_code) == (inst.status, inst.result, code)
            assert {f["name"]: f["value"] for f in row.form_values} == {f["name"]: f["value"] for f in inst.form}


def test_approval_resync_is_idempotent_by_instance_id(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    code = next(c for c in company_sandbox.state.workflow.processes if "SALES" in c)
    start, end = _window()
    first = sync_approvals(store=store, client=client, corp_id=corp, process_code=code, start=start, end=end)
    with count_writes(store.engine, ("approval_instances",)) as writes:
        again = sync_approvals(store=store, client=client, corp_id=corp, process_code=code, start=start, end=end)
    assert writes.total == 0 and again.unchanged == first.instances and again.created == 0
    with store.session() as s:
        assert len(list_approval_instances(session=s, corp_id=corp, process_code=code)) == first.instances


def test_approval_sync_needs_a_process_code(company_sandbox, store):
    start, end = _window()
    with pytest.raises(ApprovalSyncError, match="process-code"):
        sync_approvals(store=store, client=client_for(company_sandbox), corp_id="c", process_code=" ",
                       start=start, end=end)
