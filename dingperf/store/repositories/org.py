"""Departments and employees: change-detecting upserts, deactivation that keeps history, lookups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from dingperf.store.engine import NotFound
from dingperf.store.repositories._merge import merge_many, merge_one
from dingperf.store.tables.org import Department, DepartmentBase, Employee, EmployeeBase
from dingperf.store.types import utcnow


def upsert_department(*, session: Session, corp_id: str, department: DepartmentBase,
                      now: datetime | None = None) -> bool:
    """Insert or update one department; True when something changed (an unchanged re-sync writes nothing)."""
    return merge_one(session, Department, corp_id=corp_id, key=(department.dept_id, corp_id),
                     values=department, now=now or utcnow())


def upsert_departments(*, session: Session, corp_id: str, departments: Iterable[DepartmentBase],
                       now: datetime | None = None) -> int:
    """Bulk upsert_department; returns how many rows were inserted or changed."""
    return merge_many(session, Department, corp_id=corp_id, key_field="dept_id", items=departments,
                      now=now or utcnow())


def upsert_employee(*, session: Session, corp_id: str, employee: EmployeeBase, now: datetime | None = None) -> bool:
    """Insert or update one employee; True when something changed."""
    return merge_one(session, Employee, corp_id=corp_id, key=(employee.userid, corp_id), values=employee,
                     now=now or utcnow())


def upsert_employees(*, session: Session, corp_id: str, employees: Iterable[EmployeeBase],
                     now: datetime | None = None) -> int:
    """Bulk upsert_employee (one SELECT per 500); returns how many rows were inserted or changed."""
    return merge_many(session, Employee, corp_id=corp_id, key_field="userid", items=employees, now=now or utcnow())


def deactivate_employee(*, session: Session, corp_id: str, userid: str, departed_at: datetime) -> bool:
    """Mark an employee as gone (user_leave_org) keeping every record; True when this changed anything."""
    row = get_employee(session=session, corp_id=corp_id, userid=userid)
    if not row.active and row.departed_at is not None:
        return False
    row.active, row.departed_at, row.updated_at = False, departed_at, utcnow()
    session.add(row)
    return True


def remove_department(*, session: Session, corp_id: str, dept_id: int, removed_at: datetime) -> bool:
    """Mark a department removed (org_dept_remove) keeping it for history; True when this changed anything."""
    row = get_department(session=session, corp_id=corp_id, dept_id=dept_id)
    if not row.active:
        return False
    row.active, row.removed_at, row.updated_at = False, removed_at, utcnow()
    session.add(row)
    return True


def get_employee(*, session: Session, corp_id: str, userid: str) -> Employee:
    """The employee, or NotFound."""
    row = session.get(Employee, (userid, corp_id))
    if row is None:
        raise NotFound(f"no employee {userid!r} in corp {corp_id!r}; run `dingperf sync contacts` if it is new")
    return row


def get_department(*, session: Session, corp_id: str, dept_id: int) -> Department:
    """The department, or NotFound."""
    row = session.get(Department, (dept_id, corp_id))
    if row is None:
        raise NotFound(f"no department {dept_id} in corp {corp_id!r}; run `dingperf sync contacts` if it is new")
    return row


def list_employees(*, session: Session, corp_id: str, active_only: bool = True) -> list[Employee]:
    """Employees ordered by userid."""
    stmt = select(Employee).where(Employee.corp_id == corp_id)
    if active_only:
        stmt = stmt.where(col(Employee.active).is_(True))
    return list(session.exec(stmt.order_by(col(Employee.userid))))


def list_departments(*, session: Session, corp_id: str, active_only: bool = True) -> list[Department]:
    """Departments ordered by dept_id."""
    stmt = select(Department).where(Department.corp_id == corp_id)
    if active_only:
        stmt = stmt.where(col(Department.active).is_(True))
    return list(session.exec(stmt.order_by(col(Department.dept_id))))
