"""The sandbox org's address book: departments and users, with the mutators events are made of.

Reads and writes hold the shared state lock. Mutators stamp `modified_ms` from the sandbox clock
(user/list's modify_asc/modify_desc order uses it) and never touch DingTalk-facing wire shapes:
routes_contacts.py turns these records into DingTalk's payloads.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field, fields
from typing import Any

from dingperf.sandbox.clock import Clock

ROOT_DEPT_ID = 1


class DirectoryError(ValueError):
    """A directory lookup or change that DingTalk would refuse."""


class UnknownDepartment(DirectoryError):
    """No such department (DingTalk: 60003)."""


class UnknownUser(DirectoryError):
    """No such user, or the user has left (DingTalk: 33012 / 60121)."""


@dataclass
class Department:
    dept_id: int
    name: str
    parent_id: int | None  # None only for the root department 1
    order: int = 0
    manager_userids: list[str] = field(default_factory=list)
    create_dept_group: bool = True
    auto_add_user: bool = True


@dataclass
class User:
    userid: str
    unionid: str
    name: str
    dept_id_list: list[int]
    title: str = ""
    job_number: str = ""
    hired_date: int | None = None  # ms; absent from user/get when unset
    manager_userid: str | None = None  # absent from user/get when unset; never in user/list
    leader_in_dept: list[int] = field(default_factory=list)  # depts this user heads
    mobile: str = ""
    email: str = ""
    work_place: str = ""
    avatar: str | None = None
    active: bool = True
    admin: bool = False
    boss: bool = False
    departed: bool = False
    departed_ms: int | None = None
    dept_order: int = 0
    modified_ms: int = 0
    created_ms: int = 0  # when the sandbox org gained this user; generated staff use 0 (always there)


# user fields → the camelCase keys DingTalk puts in user_modify_org's diffInfo (§3.3)
DIFF_KEYS = {
    "name": "name",
    "manager_userid": "managerUserid",
    "hired_date": "hiredDate",
    "job_number": "jobNumber",
    "work_place": "workPlace",
    "email": "email",
    "mobile": "telephone",
    "title": "title",
}


def new_userid() -> str:
    """A userid shaped like DingTalk's generated ones (digits)."""
    return "0" + "".join(secrets.choice("0123456789") for _ in range(17))


def new_unionid() -> str:
    return secrets.token_urlsafe(18).replace("-", "a").replace("_", "b") + "iEiE"


class Directory:
    """Departments and users of the sandbox org, indexed for one-level listing and paging."""

    def __init__(self, clock: Clock, lock: threading.RLock | None = None) -> None:
        self._clock = clock
        self.lock = lock or threading.RLock()
        self.departments: dict[int, Department] = {ROOT_DEPT_ID: Department(ROOT_DEPT_ID, "总部", None)}
        self.users: dict[str, User] = {}
        self._children: dict[int, list[int]] = {ROOT_DEPT_ID: []}
        self._members: dict[int, list[str]] = {ROOT_DEPT_ID: []}
        self._by_unionid: dict[str, str] = {}
        self._next_dept_id = 2

    # ---- reads -------------------------------------------------------------------------------

    def department(self, dept_id: int) -> Department:
        with self.lock:
            dept = self.departments.get(dept_id)
            if dept is None:
                raise UnknownDepartment(f"department {dept_id} does not exist")
            return dept

    def child_ids(self, dept_id: int) -> list[int]:
        """Direct sub-departments of `dept_id`, in display order (one level only)."""
        with self.lock:
            self.department(dept_id)
            return sorted(self._children.get(dept_id, []), key=lambda d: (self.departments[d].order, d))

    def member_ids(self, dept_id: int) -> list[str]:
        """Userids of the current (not departed) direct members of `dept_id`, in join order."""
        with self.lock:
            self.department(dept_id)
            return list(self._members.get(dept_id, []))

    def user(self, userid: str) -> User:
        """The current user; raises UnknownUser for an unknown or departed userid."""
        with self.lock:
            user = self.users.get(userid)
            if user is None or user.departed:
                raise UnknownUser(f"user {userid!r} does not exist or has left the org")
            return user

    def userid_by_unionid(self, unionid: str) -> str:
        with self.lock:
            userid = self._by_unionid.get(unionid)
            if userid is None or self.users[userid].departed:
                raise UnknownUser(f"no current user has unionid {unionid!r}")
            return userid

    def active_userids(self) -> list[str]:
        with self.lock:
            return [u.userid for u in self.users.values() if not u.departed]

    # ---- mutators ----------------------------------------------------------------------------

    def add_user(
        self, *, name: str, dept_id_list: list[int], userid: str | None = None, **extra: Any
    ) -> User:
        """Hire a user into existing departments; `extra` takes any other User field."""
        with self.lock:
            for dept_id in dept_id_list:
                self.department(dept_id)
            if not dept_id_list:
                raise DirectoryError("a user must belong to at least one department")
            userid = userid or new_userid()
            if userid in self.users:
                raise DirectoryError(f"userid {userid!r} is already taken")
            unknown = set(extra) - {f.name for f in fields(User)}
            if unknown:
                raise DirectoryError(f"unknown user field(s) {sorted(unknown)}")
            extra.setdefault("unionid", new_unionid())
            extra.setdefault("modified_ms", self._clock.now_ms())
            extra.setdefault("created_ms", self._clock.now_ms())
            user = User(userid=userid, name=name, dept_id_list=list(dept_id_list), **extra)
            self.users[userid] = user
            self._by_unionid[user.unionid] = userid
            if not user.departed:
                for dept_id in user.dept_id_list:
                    self._members.setdefault(dept_id, []).append(userid)
            for dept_id in user.leader_in_dept:
                managers = self.departments[dept_id].manager_userids
                if userid not in managers:
                    managers.append(userid)
            return user

    def modify_user(self, userid: str, **changes: Any) -> dict[str, dict[str, Any]]:
        """Change fields of a current user; returns {"prev": …, "curr": …} in diffInfo keys."""
        with self.lock:
            user = self.user(userid)
            allowed = {f.name for f in fields(User)} - {
                "userid",
                "unionid",
                "departed",
                "departed_ms",
                "modified_ms",
                "created_ms",
            }
            unknown = set(changes) - allowed
            if unknown:
                raise DirectoryError(
                    f"cannot change user field(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
                )
            if "dept_id_list" in changes:
                new_depts = list(changes["dept_id_list"])
                if not new_depts:
                    raise DirectoryError("a user must belong to at least one department")
                for dept_id in new_depts:
                    self.department(dept_id)
                for dept_id in user.dept_id_list:
                    self._members[dept_id].remove(userid)
                for dept_id in new_depts:
                    self._members.setdefault(dept_id, []).append(userid)
            prev: dict[str, Any] = {}
            curr: dict[str, Any] = {}
            for name, value in changes.items():
                if name in DIFF_KEYS and getattr(user, name) != value:
                    prev[DIFF_KEYS[name]] = getattr(user, name)
                    curr[DIFF_KEYS[name]] = value
                setattr(user, name, value)
            user.modified_ms = self._clock.now_ms()
            return {"prev": prev, "curr": curr}

    def leave_user(self, userid: str) -> User:
        """The user leaves: gone from member lists and department heads; user/get fails after."""
        with self.lock:
            user = self.user(userid)
            user.departed = True
            user.departed_ms = self._clock.now_ms()
            user.modified_ms = user.departed_ms
            for dept_id in user.dept_id_list:
                if userid in self._members.get(dept_id, []):
                    self._members[dept_id].remove(userid)
                managers = self.departments[dept_id].manager_userids
                if userid in managers:
                    managers.remove(userid)
            return user

    def create_department(
        self, *, name: str, parent_id: int, dept_id: int | None = None, **extra: Any
    ) -> Department:
        """Add a department under an existing parent; `extra` takes any other Department field."""
        with self.lock:
            self.department(parent_id)
            if dept_id is None:
                dept_id = self._next_dept_id
            if dept_id in self.departments:
                raise DirectoryError(f"department id {dept_id} is already taken")
            self._next_dept_id = max(self._next_dept_id, dept_id + 1)
            extra.setdefault("order", len(self._children.get(parent_id, [])))
            dept = Department(dept_id=dept_id, name=name, parent_id=parent_id, **extra)
            self.departments[dept_id] = dept
            self._children.setdefault(parent_id, []).append(dept_id)
            self._children[dept_id] = []
            self._members[dept_id] = []
            return dept

    def modify_department(self, dept_id: int, **changes: Any) -> Department:
        """Rename, reorder, re-parent or change the heads of a department."""
        with self.lock:
            dept = self.department(dept_id)
            allowed = {f.name for f in fields(Department)} - {"dept_id"}
            unknown = set(changes) - allowed
            if unknown:
                raise DirectoryError(
                    f"cannot change department field(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
                )
            if "parent_id" in changes and changes["parent_id"] != dept.parent_id:
                new_parent = changes["parent_id"]
                self.department(new_parent)
                if dept_id == ROOT_DEPT_ID or new_parent in self.subtree_ids(dept_id):
                    raise DirectoryError(f"department {dept_id} cannot move under its own subtree")
                self._children[dept.parent_id].remove(dept_id)
                self._children[new_parent].append(dept_id)
            for name, value in changes.items():
                setattr(dept, name, value)
            return dept

    def remove_department(self, dept_id: int) -> Department:
        """Delete an empty department (no sub-departments, no current members), as DingTalk requires."""
        with self.lock:
            dept = self.department(dept_id)
            if dept_id == ROOT_DEPT_ID:
                raise DirectoryError("the root department cannot be removed")
            if self._children.get(dept_id) or self._members.get(dept_id):
                raise DirectoryError(
                    f"department {dept_id} still has sub-departments or members; move them first"
                )
            self._children[dept.parent_id].remove(dept_id)
            del self.departments[dept_id], self._children[dept_id], self._members[dept_id]
            return dept

    def subtree_ids(self, dept_id: int) -> set[int]:
        """`dept_id` and every department below it."""
        with self.lock:
            seen, stack = set(), [dept_id]
            while stack:
                current = stack.pop()
                seen.add(current)
                stack.extend(self._children.get(current, []))
            return seen
