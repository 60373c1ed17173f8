"""Full contacts sync against the sandbox over real HTTP: every department and user lands with the right
manager, a re-sync writes nothing, a killed sync resumes from its checkpoint, leavers are deactivated."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from dingperf.services.client_factory import build_client
from dingperf.services.sync_contacts import CHECKPOINT, ContactsSyncOptions, sync_contacts
from dingperf.services.write_counter import count_writes
from dingperf.store.engine import Store
from dingperf.store.repositories import load_checkpoint
from dingperf.store.tables.org import Department, Employee
from tests.sandbox_settings import settings_for


class Stop(Exception):
    """Raised from the progress hook to kill a sync halfway."""


def client_for(sandbox: Any, store: Store | None = None) -> Any:
    sandbox.state.limits.qps_per_app_api = 200  # same budget on both sides keeps the tests fast
    settings = settings_for(sandbox)
    return build_client(settings, store=store, qps_per_api=200)


def expected_manager(directory: Any, user: Any) -> str | None:
    """The rule, computed from the sandbox's own truth: user/get's manager, else the nearest other head."""
    if user.manager_userid:
        return user.manager_userid
    dept_id = user.dept_id_list[0]
    while dept_id is not None:
        dept = directory.departments[dept_id]
        for leader in dept.manager_userids:
            if leader != user.userid:
                return leader
        dept_id = dept.parent_id
    return None


def rows(store: Store, corp_id: str) -> tuple[dict, dict]:
    """Employees and departments as plain dicts, without bookkeeping timestamps."""
    with store.session() as s:
        emps = {e.userid: e.model_dump(exclude={"updated_at"}) for e in s.exec(select(Employee))
                if e.corp_id == corp_id}
        depts = {d.dept_id: d.model_dump(exclude={"updated_at"}) for d in s.exec(select(Department))
                 if d.corp_id == corp_id}
    return emps, depts


def user_gets(client: Any) -> int:
    """user/get requests made so far, not counting retries of throttled ones."""
    stats = client.stats()
    return stats.calls.get("/topapi/v2/user/get", 0) - stats.throttled.get("/topapi/v2/user/get", 0)


def options(**kw: Any) -> ContactsSyncOptions:
    return ContactsSyncOptions(workers_per_api=2, batch_size=25, flush_s=0.2, checkpoint_every_s=0, **kw)


def test_full_sync_lands_every_department_and_user_with_the_right_manager(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    directory = company_sandbox.state.directory
    summary = sync_contacts(store=store, client=client_for(company_sandbox), corp_id=corp, options=options())
    emps, depts = rows(store, corp)
    live = {u.userid: u for u in directory.users.values() if not u.departed}
    assert set(emps) == set(live)
    assert set(depts) == set(directory.departments)
    for userid, user in live.items():
        assert emps[userid]["manager_userid"] == expected_manager(directory, user), userid
        assert emps[userid]["dept_ids"] == user.dept_id_list
        assert emps[userid]["name"] == user.name and emps[userid]["active"] is True
    for dept_id, dept in directory.departments.items():
        assert depts[dept_id]["name"] == dept.name
        assert depts[dept_id]["leader_userids"] == dept.manager_userids
        assert depts[dept_id]["parent_id"] == dept.parent_id
    assert summary.users == len(live) and summary.created == len(live) and summary.departments == len(depts)
    assert summary.managers["dept_leader"] > 0 and summary.managers["detail"] > 0


def test_summary_counts_calls_per_api(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    n_depts = len(company_sandbox.state.directory.departments)
    calls = {path: n - client.stats().throttled.get(path, 0) for path, n in summary.calls.items()}  # not retries
    assert calls["/topapi/v2/department/listsubid"] == n_depts
    assert calls["/topapi/v2/department/get"] == n_depts
    assert calls["/topapi/v2/user/get"] == summary.users
    assert calls["/topapi/v2/user/list"] >= n_depts


def test_resync_of_an_unchanged_org_writes_nothing(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    sync_contacts(store=store, client=client, corp_id=corp, options=options())
    with count_writes(store.engine, ("employees", "departments")) as writes:
        summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    assert writes.total == 0, writes.by_table
    assert summary.created == summary.updated == summary.deactivated == 0
    assert summary.unchanged == summary.users


def test_sync_killed_halfway_resumes_from_its_checkpoint_and_ends_identical(company_sandbox, store, tmp_path):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)

    def die_after_100(progress):
        if progress.users_done >= 100:
            raise Stop(progress)

    with pytest.raises(Stop):
        sync_contacts(store=store, client=client, corp_id=corp, options=options(on_progress=die_after_100))
    with store.session() as s:
        saved = load_checkpoint(session=s, corp_id=corp, name=CHECKPOINT)
    assert saved is not None and len(saved["users_done"]) >= 100
    before = user_gets(client)
    summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    refetched = user_gets(client) - before
    assert summary.resumed is True
    assert refetched <= summary.users - len(saved["users_done"])

    from dingperf.store.engine import open_store
    from dingperf.store.migrate import upgrade_database

    url = f"sqlite:///{tmp_path / 'uninterrupted.db'}"
    upgrade_database(url)
    fresh = open_store(url)
    sync_contacts(store=fresh, client=client, corp_id=corp, options=options())
    assert rows(store, corp) == rows(fresh, corp)
    with store.session() as s:
        assert load_checkpoint(session=s, corp_id=corp, name=CHECKPOINT) is None


def test_people_who_left_are_deactivated_with_history_kept(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    sync_contacts(store=store, client=client, corp_id=corp, options=options())
    leaver = company_sandbox.state.directory.active_userids()[5]
    company_sandbox.state.directory.leave_user(leaver)
    summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    emps, _ = rows(store, corp)
    assert summary.deactivated == 1
    assert emps[leaver]["active"] is False and emps[leaver]["departed_at"] is not None
    assert emps[leaver]["name"]  # the row (and everything pointing at it) stays


def test_removed_departments_are_marked_removed(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    temp = company_sandbox.state.directory.create_department(name="临时项目组", parent_id=1)
    sync_contacts(store=store, client=client, corp_id=corp, options=options())
    company_sandbox.state.directory.remove_department(temp.dept_id)
    summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    _, depts = rows(store, corp)
    assert summary.departments_removed == 1
    assert depts[temp.dept_id]["active"] is False and depts[temp.dept_id]["removed_at"] is not None


def test_a_manager_change_is_the_only_write_of_a_resync(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)
    sync_contacts(store=store, client=client, corp_id=corp, options=options())
    userids = company_sandbox.state.directory.active_userids()
    company_sandbox.state.directory.modify_user(userids[10], manager_userid=userids[20])
    with count_writes(store.engine, ("employees", "departments")) as writes:
        summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    assert summary.updated == 1 and writes.total == 1
    emps, _ = rows(store, corp)
    assert emps[userids[10]]["manager_userid"] == userids[20]


def test_throttles_and_busy_answers_mid_sync_are_absorbed(company_sandbox, store):
    import requests

    corp = company_sandbox.state.app.corp_id
    for path, kind in (("/topapi/v2/user/get", "throttle"), ("/topapi/v2/user/get", "busy"),
                       ("/topapi/v2/user/list", "5xx"), ("/topapi/v2/department/get", "timeout")):
        resp = requests.post(f"{company_sandbox.base_url}/_sandbox/faults", json={"path": path, "kind": kind,
                                                                                  "times": 2}, timeout=10)
        assert resp.status_code == 200, resp.text
    summary = sync_contacts(store=store, client=client_for(company_sandbox), corp_id=corp, options=options())
    assert summary.users == len(company_sandbox.state.directory.active_userids()) == summary.created


def test_someone_leaving_while_a_sync_was_down_is_deactivated_on_resume(company_sandbox, store):
    corp = company_sandbox.state.app.corp_id
    client = client_for(company_sandbox)

    def die_after_50(progress):
        if progress.users_done >= 50:
            raise Stop(progress)

    with pytest.raises(Stop):
        sync_contacts(store=store, client=client, corp_id=corp, options=options(on_progress=die_after_50))
    with store.session() as s:
        written = sorted(load_checkpoint(session=s, corp_id=corp, name=CHECKPOINT)["users_done"])
    company_sandbox.state.directory.leave_user(written[0])
    summary = sync_contacts(store=store, client=client, corp_id=corp, options=options())
    emps, _ = rows(store, corp)
    assert summary.resumed and summary.deactivated == 1 and summary.users == len(emps) - 1
    assert emps[written[0]]["active"] is False
    assert {u for u, e in emps.items() if e["active"]} == set(company_sandbox.state.directory.active_userids())
