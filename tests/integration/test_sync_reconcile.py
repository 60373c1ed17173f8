"""Nightly reconciliation against the sandbox: changes whose events never arrived are caught, the
failed-push list is drained into the inbox, and quota-metered steps respect the reserve."""

from __future__ import annotations

import datetime as dt
import time

import requests

from dingperf.services.client_factory import build_client
from dingperf.services.reconcile import reconcile
from dingperf.services.sync_approvals import sync_approvals
from dingperf.services.sync_contacts import ContactsSyncOptions, sync_contacts
from dingperf.store.repositories import get_approval_instance, list_inbox_events
from tests.conftest import poll_until
from tests.integration.sync_kit import QPS, Intake, client_for, org_rows, settings_for

FAST = ContactsSyncOptions(workers_per_api=2, flush_s=0.2)


def test_reconcile_catches_a_missed_user_change_and_a_missed_approval_finish(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    sync_contacts(store=store, client=client, corp_id=corp, options=FAST)
    wf = company_sandbox.state.workflow
    now = dt.datetime.now(dt.UTC)
    for code in wf.processes:
        sync_approvals(store=store, client=client, corp_id=corp, process_code=code,
                       start=now - dt.timedelta(days=200), end=now)
    running = next(i for i in wf.instances.values() if i.status == "RUNNING")
    userid = company_sandbox.state.directory.active_userids()[3]
    company_sandbox.state.directory.modify_user(userid, title="区域总监")  # no event pushed: both were missed
    wf.finish_instance(running.process_instance_id, "agree")

    summary = reconcile(store=store, client=client, corp_id=corp, contacts_options=FAST)

    assert summary.contacts.updated == 1 and not summary.skipped
    assert org_rows(store, corp)[0][userid]["title"] == "区域总监"
    with store.session() as s:
        row = get_approval_instance(session=s, corp_id=corp, process_instance_id=running.process_instance_id)
    assert (row.status, row.result) == ("COMPLETED", "agree")
    assert summary.attendance is not None and summary.attendance.users == summary.contacts.users


def test_reconcile_drains_the_failed_push_list_into_the_inbox(sandbox, store):
    intake = Intake(sandbox, store)
    config = {"retry_schedule_s": [0, 0], "failed_visible_after_s": 0}
    assert requests.post(f"{sandbox.base_url}/_sandbox/push-config", json=config, timeout=10).status_code == 200
    intake.stop()  # our server is down: the push and both retries fail
    sandbox.state.directory.create_department(name="研发中心", parent_id=1)
    resp = requests.post(f"{sandbox.base_url}/_sandbox/events", timeout=10, json={
        "type": "user_add_org", "user": {"name": "李娜", "dept_id_list": [1], "userid": "lina"}})
    assert resp.status_code == 200, resp.text
    poll_until(lambda: requests.get(f"{sandbox.base_url}/_sandbox/push/failed", timeout=10).json()["visible"] == 1)

    summary = reconcile(store=store, client=client_for(sandbox), corp_id=sandbox.state.app.corp_id,
                        attendance=False, contacts_options=FAST)

    assert summary.failed_pushes is not None and summary.failed_pushes.stored == 1
    with store.session() as s:
        rows = list_inbox_events(session=s)
    assert [(r.event_type, r.source) for r in rows] == [("user_add_org", "failed_list")]
    assert org_rows(store, sandbox.state.app.corp_id)[0]["lina"]["active"] is True  # and the sync caught it


def test_quota_spending_steps_are_skipped_when_the_reserve_would_be_touched(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    company_sandbox.state.limits.qps_per_app_api = QPS
    tight = build_client(settings_for(company_sandbox), store=store, qps_per_api=QPS, monthly_quota=5)
    summary = reconcile(store=store, client=tight, corp_id=corp, contacts_options=FAST, drain_failed=False)
    assert summary.contacts.users > 0  # the address book is exempt from the quota
    assert summary.attendance is None and any("attendance" in reason for reason in summary.skipped)


def test_run_nightly_builds_its_client_from_settings_and_counts_quota_in_the_store(sandbox, store):
    from dingperf.dingtalk.quota import month_of
    from dingperf.services.reconcile import run_nightly
    from dingperf.store.repositories import get_quota_usage

    sandbox.state.directory.add_user(name="李娜", dept_id_list=[1], userid="lina")
    settings = settings_for(sandbox)
    summary = run_nightly(settings, store)
    assert summary.contacts.users == 1 and summary.attendance is not None
    with store.session() as s:  # the failed-list drain and attendance/list are metered; the address book is not
        assert get_quota_usage(session=s, corp_id=settings.dingtalk.corp_id, month=month_of(time.time())) == 2
