"""The organisation as DingTalk last told us: departments and employees (history kept, never deleted)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Index
from sqlmodel import Field, SQLModel

from dingperf.store.tables import _base  # noqa: F401  (naming convention before any table)
from dingperf.store.types import UTCDateTime


class DepartmentBase(SQLModel):
    """A department as synced; the repository compares these fields to decide whether anything changed."""

    dept_id: int = Field(primary_key=True, sa_type=BigInteger)  # DingTalk's numeric dept_id; the root is 1
    parent_id: int | None = Field(default=None, sa_type=BigInteger)
    name: str
    leader_userids: list[str] = Field(default_factory=list, sa_type=JSON)
    order: int = 0
    active: bool = True
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Department(DepartmentBase, table=True):
    __tablename__ = "departments"
    __table_args__ = (Index("ix_departments_corp_parent", "corp_id", "parent_id"),)

    corp_id: str = Field(primary_key=True, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class EmployeeBase(SQLModel):
    """An employee as synced; `manager_userid` comes from user detail (or a department leader fallback)."""

    userid: str = Field(primary_key=True, max_length=64)
    unionid: str = ""
    name: str
    title: str = ""
    job_number: str = ""
    hired_date: date | None = None
    dept_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    manager_userid: str | None = Field(default=None, max_length=64)
    active: bool = True
    departed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Employee(EmployeeBase, table=True):
    __tablename__ = "employees"
    __table_args__ = (Index("ix_employees_corp_manager", "corp_id", "manager_userid"),)

    corp_id: str = Field(primary_key=True, max_length=64)
    updated_at: datetime = Field(sa_type=UTCDateTime)
