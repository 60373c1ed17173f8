"""Address book (通讯录): departments and users (DINGTALK.md §3). Exempt from the monthly quota."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dingperf.dingtalk.parse import (
    as_bool,
    as_int,
    as_opt_str,
    as_str,
    from_ms,
    int_tuple,
    json_object,
    str_tuple,
)
from dingperf.dingtalk.transport import Transport

ROOT_DEPT_ID = 1
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Department:
    """One child department as `listsub` returns it."""

    dept_id: int
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class DepartmentDetail:
    """`department/get`: the department with its heads (`leader_userids` = dept_manager_userid_list)."""

    dept_id: int
    name: str
    parent_id: int | None
    order: int | None
    leader_userids: tuple[str, ...]
    member_count: int | None
    org_dept_owner: str | None
    hide_dept: bool


@dataclass(frozen=True)
class UserSummary:
    """One item of `v2/user/list` (no manager: that is only in `get_user`)."""

    userid: str
    unionid: str | None
    name: str
    title: str | None
    job_number: str | None
    dept_ids: tuple[int, ...]
    hired_date: datetime | None
    active: bool
    leader: bool
    admin: bool
    boss: bool
    avatar: str | None
    email: str | None
    mobile: str | None


@dataclass(frozen=True)
class UserDetail:
    """`v2/user/get`: the full record, incl. direct manager (None when not set)."""

    userid: str
    unionid: str | None
    name: str
    title: str | None
    job_number: str | None
    dept_ids: tuple[int, ...]
    leader_in_dept_ids: tuple[int, ...]
    manager_userid: str | None
    hired_date: datetime | None
    active: bool
    admin: bool
    boss: bool
    senior: bool
    avatar: str | None
    email: str | None
    org_email: str | None
    mobile: str | None
    work_place: str | None
    extension: dict[str, Any]


def _department(raw: dict[str, Any]) -> Department:
    return Department(dept_id=as_int(raw.get("dept_id")), name=as_str(raw.get("name")),
                      parent_id=as_int(raw.get("parent_id")))


def _user_summary(raw: dict[str, Any]) -> UserSummary:
    return UserSummary(
        userid=as_str(raw.get("userid")),
        unionid=as_opt_str(raw.get("unionid")),
        name=as_str(raw.get("name")),
        title=as_opt_str(raw.get("title")),
        job_number=as_opt_str(raw.get("job_number")),
        dept_ids=int_tuple(raw.get("dept_id_list")),
        hired_date=from_ms(raw.get("hired_date")),
        active=as_bool(raw.get("active")),
        leader=as_bool(raw.get("leader")),
        admin=as_bool(raw.get("admin")),
        boss=as_bool(raw.get("boss")),
        avatar=as_opt_str(raw.get("avatar")),
        email=as_opt_str(raw.get("email")),
        mobile=as_opt_str(raw.get("mobile")),
    )


def _user_detail(raw: dict[str, Any]) -> UserDetail:
    leads = tuple(
        as_int(item.get("dept_id")) for item in raw.get("leader_in_dept") or []
        if isinstance(item, dict) and as_bool(item.get("leader"))
    )
    return UserDetail(
        userid=as_str(raw.get("userid")),
        unionid=as_opt_str(raw.get("unionid")),
        name=as_str(raw.get("name")),
        title=as_opt_str(raw.get("title")),
        job_number=as_opt_str(raw.get("job_number")),
        dept_ids=int_tuple(raw.get("dept_id_list")),
        leader_in_dept_ids=leads,
        manager_userid=as_opt_str(raw.get("manager_userid")),
        hired_date=from_ms(raw.get("hired_date")),
        active=as_bool(raw.get("active")),
        admin=as_bool(raw.get("admin")),
        boss=as_bool(raw.get("boss")),
        senior=as_bool(raw.get("senior")),
        avatar=as_opt_str(raw.get("avatar")),
        email=as_opt_str(raw.get("email")),
        org_email=as_opt_str(raw.get("org_email")),
        mobile=as_opt_str(raw.get("mobile")),
        work_place=as_opt_str(raw.get("work_place")),
        extension=json_object(raw.get("extension")),
    )


class ContactsApi:
    """Departments and users of the org."""

    def __init__(self, transport: Transport, language: str = "zh_CN") -> None:
        self._t = transport
        self._language = language

    def list_sub_department_ids(self, dept_id: int = ROOT_DEPT_ID) -> list[int]:
        """Ids of the direct children of `dept_id` (one level; BFS from 1 for the whole tree)."""
        data = self._t.call("POST", "/topapi/v2/department/listsubid", body={"dept_id": dept_id})
        return list(int_tuple(_result(data).get("dept_id_list")))

    def list_sub_departments(self, dept_id: int = ROOT_DEPT_ID) -> list[Department]:
        """The direct children of `dept_id` with names."""
        data = self._t.call("POST", "/topapi/v2/department/listsub",
                            body={"dept_id": dept_id, "language": self._language})
        return [_department(item) for item in data.get("result") or []]

    def get_department(self, dept_id: int) -> DepartmentDetail:
        """One department's details, including its heads."""
        data = self._t.call("POST", "/topapi/v2/department/get",
                            body={"dept_id": dept_id, "language": self._language})
        raw = _result(data)
        return DepartmentDetail(
            dept_id=as_int(raw.get("dept_id"), dept_id),
            name=as_str(raw.get("name")),
            parent_id=as_int(raw.get("parent_id")),
            order=as_int(raw.get("order")),
            leader_userids=str_tuple(raw.get("dept_manager_userid_list")),
            member_count=as_int(raw.get("member_count")),
            org_dept_owner=as_opt_str(raw.get("org_dept_owner")),
            hide_dept=as_bool(raw.get("hide_dept")),
        )

    def iter_users(self, dept_id: int, size: int = MAX_PAGE_SIZE) -> Iterator[UserSummary]:
        """Every direct member of `dept_id`, following `next_cursor` page by page."""
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ValueError(f"page size must be 1..{MAX_PAGE_SIZE}, got {size}")
        cursor = 0
        while True:
            data = self._t.call("POST", "/topapi/v2/user/list", body={
                "dept_id": dept_id, "cursor": cursor, "size": size, "language": self._language,
            })
            result = _result(data)
            for item in result.get("list") or []:
                yield _user_summary(item)
            next_cursor = as_int(result.get("next_cursor"))
            if not as_bool(result.get("has_more")) or next_cursor is None:
                return
            cursor = next_cursor

    def list_user_ids(self, dept_id: int) -> list[str]:
        """Userids of the direct members of `dept_id`."""
        data = self._t.call("POST", "/topapi/user/listid", body={"dept_id": dept_id})
        return list(str_tuple(_result(data).get("userid_list")))

    def get_user(self, userid: str) -> UserDetail:
        """One user's full record; NotFound (33012/60121) when unknown or departed."""
        data = self._t.call("POST", "/topapi/v2/user/get", body={"userid": userid, "language": self._language})
        return _user_detail(_result(data))

    def get_userid_by_unionid(self, unionid: str) -> str:
        """The org userid of a unionid."""
        data = self._t.call("POST", "/topapi/user/getbyunionid", body={"unionid": unionid})
        return as_str(_result(data).get("userid"))


def _result(data: dict[str, Any]) -> dict[str, Any]:
    result = data.get("result")
    return result if isinstance(result, dict) else {}
