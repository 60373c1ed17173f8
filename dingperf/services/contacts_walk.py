"""The concurrent part of a full contacts sync: walk the department tree and fetch every user's detail,
each DingTalk API on its own small thread pool so their separate QPS budgets are used side by side.

Four APIs run at once: `listsubid` (children), `department/get` (names, parents, heads), `v2/user/list`
(members, cursor paging) and `v2/user/get` (manager). A user's `user/get` starts as soon as a member
page names them, so the slowest budget (one `user/get` per employee) is busy from the first second.
Results go to one queue that the sync's writer drains; the walker itself never touches the store.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dingperf.dingtalk.contacts import MAX_PAGE_SIZE, ROOT_DEPT_ID, DepartmentDetail, UserDetail
from dingperf.dingtalk.errors import NotFound


@dataclass(frozen=True)
class DeptDone:
    """A department whose detail, children and direct members are all known."""

    detail: DepartmentDetail
    children: tuple[int, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class DeptGone:
    """A department that disappeared while we walked (60003): it and its subtree are not in the org."""

    dept_id: int


@dataclass(frozen=True)
class UserFetched:
    detail: UserDetail


@dataclass(frozen=True)
class UserGone:
    """A listed user whose detail is gone (33012/60121): they left while we walked."""

    userid: str


@dataclass(frozen=True)
class WalkFailed:
    error: BaseException


@dataclass(frozen=True)
class WalkFinished:
    """Every task has ended; nothing more will be queued."""


Message = DeptDone | DeptGone | UserFetched | UserGone | WalkFailed | WalkFinished


@dataclass
class _Parts:
    detail: DepartmentDetail | None = None
    children: tuple[int, ...] | None = None
    members: list[str] = field(default_factory=list)
    members_done: bool = False
    gone: bool = False

    def complete(self) -> bool:
        return self.detail is not None and self.children is not None and self.members_done


class TreeWalk:
    """Discovers departments from the root and users from member lists; `start()` then read `messages`.

    `known` are departments a previous (interrupted) run already finished, with their detail and children
    as then: only their members are listed again (cheap, and it notices who left or joined meanwhile).
    `skip_users` were already written; they are not fetched again.
    """

    def __init__(self, client: Any, *, workers_per_api: int = 4, user_workers: int | None = None,
                 known: dict[int, tuple[DepartmentDetail, tuple[int, ...]]] | None = None,
                 skip_users: Iterable[str] = ()) -> None:
        self._contacts = client.contacts
        self._pools = {
            "listsubid": ThreadPoolExecutor(workers_per_api, thread_name_prefix="sync-listsubid"),
            "dept_get": ThreadPoolExecutor(workers_per_api, thread_name_prefix="sync-deptget"),
            "user_list": ThreadPoolExecutor(workers_per_api, thread_name_prefix="sync-userlist"),
            "user_get": ThreadPoolExecutor(user_workers or 2 * workers_per_api, thread_name_prefix="sync-userget"),
        }
        self._known = dict(known or {})
        self._lock = threading.Lock()
        self._parts: dict[int, _Parts] = {}
        self._seen_depts: set[int] = set()
        self._scheduled_users: set[str] = set(skip_users)
        self._pending = 0
        self._stopped = threading.Event()
        self.messages: queue.Queue[Message] = queue.Queue()

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Begin at the root department; returns at once (results arrive on `messages`)."""
        with self._lock:
            self._pending += 1  # hold the walk open while the known part of the tree is replayed
        try:
            self._discover([ROOT_DEPT_ID])
        finally:
            self._task_ended()

    def stop(self) -> None:
        """Abandon the walk: queued tasks are dropped, running calls finish and are ignored."""
        self._stopped.set()
        for pool in self._pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.shutdown(wait=True)

    @property
    def totals(self) -> tuple[int, int]:
        """(departments, users) discovered so far, for a progress bar."""
        return len(self._seen_depts), len(self._scheduled_users)

    # ---- scheduling ------------------------------------------------------------------------------

    def _submit(self, pool: str, fn: Callable[..., None], *args: Any) -> None:
        if self._stopped.is_set():
            return
        with self._lock:
            self._pending += 1
        try:
            self._pools[pool].submit(self._run, fn, *args)
        except RuntimeError:  # the pool was shut down by stop()
            self._task_ended()

    def _run(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            if not self._stopped.is_set():
                fn(*args)
        except BaseException as exc:  # noqa: BLE001 - every failure reaches the writer, which stops the sync
            self.messages.put(WalkFailed(exc))
        finally:
            self._task_ended()

    def _task_ended(self) -> None:
        with self._lock:
            self._pending -= 1
            finished = self._pending == 0
        if finished:
            self.messages.put(WalkFinished())

    def _discover(self, dept_ids: Iterable[int]) -> None:
        stack = list(dept_ids)
        while stack:
            dept_id = stack.pop()
            with self._lock:
                if dept_id in self._seen_depts:
                    continue
                self._seen_depts.add(dept_id)
            replay = self._known.get(dept_id)
            if replay is not None:
                detail, children = replay
                with self._lock:
                    self._parts[dept_id] = _Parts(detail=detail, children=children)
                stack.extend(children)
                self._submit("user_list", self._list_members, dept_id)
                continue
            with self._lock:
                self._parts[dept_id] = _Parts()
            self._submit("dept_get", self._get_department, dept_id)
            self._submit("listsubid", self._list_children, dept_id)
            self._submit("user_list", self._list_members, dept_id)

    def _want_users(self, userids: Iterable[str]) -> None:
        with self._lock:
            fresh = [u for u in dict.fromkeys(userids) if u not in self._scheduled_users]
            self._scheduled_users.update(fresh)
        for userid in fresh:
            self._submit("user_get", self._get_user, userid)

    # ---- tasks -----------------------------------------------------------------------------------

    def _get_department(self, dept_id: int) -> None:
        try:
            detail = self._contacts.get_department(dept_id)
        except NotFound:
            self._gone(dept_id)
            return
        self._update(dept_id, lambda p: setattr(p, "detail", detail))

    def _list_children(self, dept_id: int) -> None:
        try:
            children = tuple(self._contacts.list_sub_department_ids(dept_id))
        except NotFound:
            self._gone(dept_id)
            return
        self._discover(children)
        self._update(dept_id, lambda p: setattr(p, "children", children))

    def _list_members(self, dept_id: int) -> None:
        members: list[str] = []
        try:
            for user in self._contacts.iter_users(dept_id, size=MAX_PAGE_SIZE):
                members.append(user.userid)
                if len(members) % MAX_PAGE_SIZE == 0:
                    self._want_users(members[-MAX_PAGE_SIZE:])  # fetch details page by page
            self._want_users(members[len(members) - len(members) % MAX_PAGE_SIZE:])
        except NotFound:
            self._gone(dept_id)
            return

        def done(parts: _Parts) -> None:
            parts.members, parts.members_done = members, True

        self._update(dept_id, done)

    def _get_user(self, userid: str) -> None:
        try:
            detail = self._contacts.get_user(userid)
        except NotFound:
            self.messages.put(UserGone(userid))
            return
        self.messages.put(UserFetched(detail))

    # ---- department completion -------------------------------------------------------------------

    def _update(self, dept_id: int, change: Callable[[_Parts], None]) -> None:
        with self._lock:
            parts = self._parts[dept_id]
            if parts.gone:
                return
            change(parts)
            if not parts.complete():
                return
            del self._parts[dept_id]
        assert parts.detail is not None and parts.children is not None
        self.messages.put(DeptDone(parts.detail, parts.children, tuple(parts.members)))

    def _gone(self, dept_id: int) -> None:
        with self._lock:
            parts = self._parts.get(dept_id)
            if parts is None or parts.gone:
                return
            parts.gone = True
        self.messages.put(DeptGone(dept_id))
