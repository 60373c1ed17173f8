"""Organisation repositories: change detection, history-keeping deactivation, aware timestamps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories import (
    deactivate_employee,
    get_department,
    get_employee,
    list_departments,
    list_employees,
    remove_department,
    upsert_department,
    upsert_departments,
    upsert_employee,
    upsert_employees,
)
from dingperf.store.tables import DepartmentBase, EmployeeBase

SHANGHAI = timezone(timedelta(hours=8))


def staff(n: int) -> list[EmployeeBase]:
    return [EmployeeBase(userid=f"u{i}", name=f"员工{i}", title="摄影师", dept_ids=[1, 2], manager_userid="boss",
                         hired_date=date(2024, 3, 1)) for i in range(n)]


def count_writes(store: Store) -> list[str]:
    """Record every INSERT/UPDATE/DELETE the engine sends."""
    seen: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    return seen


def test_new_employee_is_inserted_and_reported_changed(store: Store) -> None:
    with store.session() as s:
        assert upsert_employee(session=s, corp_id="c1", employee=staff(1)[0]) is True
    with store.session() as s:
        row = get_employee(session=s, corp_id="c1", userid="u0")
    assert (row.name, row.dept_ids, row.hired_date) == ("员工0", [1, 2], date(2024, 3, 1))


def test_unchanged_employee_resync_writes_nothing(store: Store) -> None:
    with store.session() as s:
        upsert_employees(session=s, corp_id="c1", employees=staff(1200))
    writes = count_writes(store)
    with store.session() as s:
        assert upsert_employees(session=s, corp_id="c1", employees=staff(1200)) == 0
    assert writes == []


def test_changed_manager_is_written_and_counted(store: Store) -> None:
    with store.session() as s:
        upsert_employees(session=s, corp_id="c1", employees=staff(3))
    moved = staff(3)
    moved[1] = moved[1].model_copy(update={"manager_userid": "newboss"})
    with store.session() as s:
        assert upsert_employees(session=s, corp_id="c1", employees=moved) == 1
    with store.session() as s:
        assert get_employee(session=s, corp_id="c1", userid="u1").manager_userid == "newboss"


def test_same_userid_twice_in_one_batch_keeps_the_last_version(store: Store) -> None:
    first, second = staff(1)[0], staff(1)[0].model_copy(update={"title": "店长"})
    with store.session() as s:
        upsert_employees(session=s, corp_id="c1", employees=[first, second])
    with store.session() as s:
        assert get_employee(session=s, corp_id="c1", userid="u0").title == "店长"


def test_departed_employee_keeps_history_and_leaves_the_active_list(store: Store) -> None:
    with store.session() as s:
        upsert_employees(session=s, corp_id="c1", employees=staff(2))
    left = datetime(2026, 3, 1, 18, 0, tzinfo=SHANGHAI)
    with store.session() as s:
        assert deactivate_employee(session=s, corp_id="c1", userid="u1", departed_at=left) is True
        assert deactivate_employee(session=s, corp_id="c1", userid="u1", departed_at=left) is False
    with store.session() as s:
        assert [e.userid for e in list_employees(session=s, corp_id="c1")] == ["u0"]
        gone = get_employee(session=s, corp_id="c1", userid="u1")
    assert gone.active is False and gone.departed_at == left


def test_same_userid_in_two_corps_is_two_employees(store: Store) -> None:
    with store.session() as s:
        upsert_employee(session=s, corp_id="c1", employee=staff(1)[0])
        upsert_employee(session=s, corp_id="c2", employee=staff(1)[0].model_copy(update={"name": "别人"}))
    with store.session() as s:
        assert get_employee(session=s, corp_id="c1", userid="u0").name == "员工0"
        assert get_employee(session=s, corp_id="c2", userid="u0").name == "别人"


def test_unknown_employee_raises_not_found(store: Store) -> None:
    with store.session() as s, pytest.raises(NotFound, match="dingperf sync"):
        get_employee(session=s, corp_id="c1", userid="nobody")


def test_department_tree_round_trips_with_leaders(store: Store) -> None:
    depts = [DepartmentBase(dept_id=1, name="总公司"),
             DepartmentBase(dept_id=2, parent_id=1, name="影楼运营部", leader_userids=["boss"], order=5),
             DepartmentBase(dept_id=9_000_000_001, parent_id=2, name="一店")]
    with store.session() as s:
        assert upsert_departments(session=s, corp_id="c1", departments=depts) == 3
    with store.session() as s:
        assert upsert_departments(session=s, corp_id="c1", departments=depts) == 0
        shop = get_department(session=s, corp_id="c1", dept_id=9_000_000_001)
        assert get_department(session=s, corp_id="c1", dept_id=2).leader_userids == ["boss"]
    assert shop.parent_id == 2


def test_removed_department_is_kept_but_not_listed(store: Store) -> None:
    with store.session() as s:
        upsert_department(session=s, corp_id="c1", department=DepartmentBase(dept_id=3, name="旧部门"))
    with store.session() as s:
        assert remove_department(session=s, corp_id="c1", dept_id=3, removed_at=datetime.now(UTC)) is True
    with store.session() as s:
        assert list_departments(session=s, corp_id="c1") == []
        assert get_department(session=s, corp_id="c1", dept_id=3).active is False


def test_timestamps_come_back_aware_in_utc(store: Store) -> None:
    local = datetime(2026, 5, 4, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    with store.session() as s:
        upsert_employee(session=s, corp_id="c1", employee=staff(1)[0].model_copy(update={"departed_at": local}))
    with store.session() as s:
        back = get_employee(session=s, corp_id="c1", userid="u0").departed_at
    assert back is not None and back.tzinfo is not None and back.utcoffset() == timedelta(0)
    assert back == local


def test_naive_timestamp_is_refused(store: Store) -> None:
    naive = staff(1)[0].model_copy(update={"departed_at": datetime(2026, 5, 4, 9, 30)})
    with pytest.raises(Exception, match="naive datetime"), store.session() as s:
        upsert_employee(session=s, corp_id="c1", employee=naive)
