"""Pure parts of the sync: the manager rule, row mapping, attendance grouping and batch arithmetic."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from dingperf.dingtalk.contacts import DepartmentDetail, UserDetail
from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.dingtalk.workflow import ApprovalInstance, FormValue
from dingperf.services.org_mapping import (
    DeptFacts,
    ManagerSource,
    UnknownDepartment,
    choose_manager,
    department_row,
    employee_row,
)
from dingperf.services.sync_approvals import instance_row
from dingperf.services.sync_attendance import calls_needed, punches_by_day

USER = UserDetail(userid="u1", unionid=None, name="李娜", title=None, job_number="A01", dept_ids=(3, 2),
                  leader_in_dept_ids=(), manager_userid=None,
                  hired_date=dt.datetime(2024, 3, 1, 0, 30, tzinfo=CHINA_TZ), active=True, admin=False,
                  boss=False, senior=False, avatar=None, email=None, org_email=None, mobile=None, work_place=None,
                  extension={})
TREE = {1: DeptFacts(None, ("boss",)), 2: DeptFacts(1, ("head2",)), 3: DeptFacts(2, ("u1",))}


def test_manager_from_user_detail_wins_over_department_heads():
    choice = choose_manager(replace(USER, manager_userid="m9"), TREE.get)
    assert (choice.userid, choice.source) == ("m9", ManagerSource.DETAIL)


def test_without_a_manager_the_first_departments_head_stands_in():
    facts = {**TREE, 3: DeptFacts(2, ("head3",))}
    choice = choose_manager(USER, facts.get)
    assert (choice.userid, choice.source) == ("head3", ManagerSource.DEPT_LEADER)


def test_a_head_of_their_own_department_reports_to_the_head_above():
    assert choose_manager(USER, TREE.get).userid == "head2"


def test_nobody_above_means_no_manager():
    facts = {3: DeptFacts(None, ("u1",))}
    assert choose_manager(USER, facts.get).source is ManagerSource.NONE


def test_an_unknown_department_defers_in_strict_mode_and_counts_as_headless_otherwise():
    facts = {3: DeptFacts(2, ("u1",))}
    with pytest.raises(UnknownDepartment):
        choose_manager(USER, facts.get)
    assert choose_manager(USER, facts.get, strict=False).userid is None


def test_employee_row_uses_china_calendar_and_empty_strings_for_absent_text():
    row = employee_row(USER, "head2")
    assert row.hired_date == dt.date(2024, 3, 1)
    assert (row.title, row.unionid, row.dept_ids, row.active, row.departed_at) == ("", "", [3, 2], True, None)


def test_root_department_has_no_parent():
    detail = DepartmentDetail(dept_id=1, name="总部", parent_id=0, order=None, leader_userids=("boss",),
                              member_count=None, org_dept_owner=None, hide_dept=False)
    row = department_row(detail)
    assert (row.parent_id, row.order, row.leader_userids) == (None, 0, ["boss"])


def test_approval_originator_dept_minus_one_is_the_root_and_results_are_lower_case():
    inst = ApprovalInstance(process_instance_id="p1", title="t", status="COMPLETED", result="Agree", business_id=None,
                            originator_userid="u1", originator_dept_id="-1", originator_dept_name=None,
                            create_time=None, finish_time=None, biz_action=None, cc_userids=(),
                            form_values=(FormValue(id="f", name="销售额", value=None, ext_value=None,
                                                   component_type="MoneyField", biz_alias="sales"),),
                            tasks=(), operation_records=())
    row = instance_row(inst, "PROC-1")
    assert (row.originator_dept_id, row.result, row.process_code) == (1, "agree", "PROC-1")
    assert row.form_values[0]["value"] == "" and row.form_values[0]["biz_alias"] == "sales"


def test_punches_are_grouped_by_work_day_in_the_org_time_zone():
    late_evening_utc = int(dt.datetime(2026, 5, 4, 17, 30, tzinfo=dt.UTC).timestamp() * 1000)  # 01:30 next day CST
    rows = [{"userId": "a", "checkTime": late_evening_utc}, {"userId": "b", "checkTime": late_evening_utc},
            {"userId": "a", "checkTime": late_evening_utc}, {"checkTime": 1}]
    assert punches_by_day(rows, CHINA_TZ) == {dt.date(2026, 5, 5): ["a", "b"]}


def test_attendance_calls_needed_is_fifty_users_by_seven_days():
    assert calls_needed(120, dt.date(2026, 5, 1), dt.date(2026, 5, 20)) == 3 * 3
    assert calls_needed(50, dt.date(2026, 5, 1), dt.date(2026, 5, 7)) == 1


def test_checkpoint_state_survives_a_json_round_trip():
    import json

    from dingperf.services.contacts_checkpoint import SyncState

    state = SyncState(started_at=dt.datetime(2026, 5, 1, 2, 0, tzinfo=dt.UTC), depts={1: ((2, 3), ("a", "b"))},
                      gone_depts={9}, users_done={"a"}, gone_users={"x"})
    state.counts["created"] += 1
    loaded = SyncState.load(json.loads(json.dumps(state.dump())))
    assert loaded == state
