"""DingTalk address-book values → store rows, and the manager rule (user detail first, department heads after).

`user/list` carries no manager; `user/get`'s `manager_userid` is the only source (DINGTALK.md §3.2, §11.3).
When it is absent, the head of the user's first department stands in; a user who heads that department
themselves reports to the head of the nearest department above that has someone else at its head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from dingperf.dingtalk.contacts import ROOT_DEPT_ID, DepartmentDetail, UserDetail
from dingperf.store.tables.org import DepartmentBase, EmployeeBase


class ManagerSource(str, Enum):
    """Where an employee's manager came from."""

    DETAIL = "detail"  # user/get manager_userid
    DEPT_LEADER = "dept_leader"  # head of the first department (or of the nearest one above)
    NONE = "none"


@dataclass(frozen=True)
class DeptFacts:
    """What the manager rule needs of a department: its parent and its heads."""

    parent_id: int | None
    leader_userids: tuple[str, ...]


@dataclass(frozen=True)
class ManagerChoice:
    userid: str | None
    source: ManagerSource


class UnknownDepartment(LookupError):
    """The manager rule needs a department whose details are not known yet."""


def department_row(detail: DepartmentDetail) -> DepartmentBase:
    """The store row for a department as `department/get` describes it (active, not removed)."""
    parent = None if detail.dept_id == ROOT_DEPT_ID else detail.parent_id
    return DepartmentBase(dept_id=detail.dept_id, parent_id=parent, name=detail.name,
                          leader_userids=list(detail.leader_userids), order=detail.order or 0,
                          active=True, removed_at=None)


def facts_of(detail: DepartmentDetail) -> DeptFacts:
    parent = None if detail.dept_id == ROOT_DEPT_ID else detail.parent_id
    return DeptFacts(parent_id=parent, leader_userids=tuple(detail.leader_userids))


def choose_manager(user: UserDetail, facts: Callable[[int], DeptFacts | None], *,
                   strict: bool = True) -> ManagerChoice:
    """The user's manager and its source. `facts(dept_id)` returns None for a department not known (yet):
    with `strict` that raises UnknownDepartment (ask again later), otherwise it counts as having no head."""
    if user.manager_userid:
        return ManagerChoice(user.manager_userid, ManagerSource.DETAIL)
    dept_id: int | None = user.dept_ids[0] if user.dept_ids else None
    visited: set[int] = set()
    while dept_id is not None and dept_id not in visited:
        visited.add(dept_id)
        known = facts(dept_id)
        if known is None:
            if strict:
                raise UnknownDepartment(dept_id)
            break
        for leader in known.leader_userids:
            if leader != user.userid:
                return ManagerChoice(leader, ManagerSource.DEPT_LEADER)
        dept_id = known.parent_id
    return ManagerChoice(None, ManagerSource.NONE)


def employee_row(user: UserDetail, manager_userid: str | None) -> EmployeeBase:
    """The store row for a current employee as `user/get` describes them."""
    return EmployeeBase(
        userid=user.userid,
        unionid=user.unionid or "",
        name=user.name,
        title=user.title or "",
        job_number=user.job_number or "",
        hired_date=user.hired_date.date() if user.hired_date else None,  # China time: DingTalk's calendar
        dept_ids=list(user.dept_ids),
        manager_userid=manager_userid,
        active=True,
        departed_at=None,
    )

