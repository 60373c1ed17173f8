"""Incremental address-book updates: re-read one user or department from DingTalk and upsert it.

Events carry ids only (DINGTALK.md §3.3), so every handler re-reads the current truth; that makes a
repeated or late event harmless: whatever order events arrive in, the row ends as DingTalk has it now.
A user DingTalk no longer knows (33012/60121) has left: their row is deactivated, never deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from dingperf.dingtalk.errors import NotFound
from dingperf.services.org_mapping import DeptFacts, choose_manager, department_row, employee_row
from dingperf.store.engine import Store
from dingperf.store.repositories import (
    deactivate_employee,
    remove_department,
    upsert_department,
    upsert_employee,
)
from dingperf.store.tables.org import Department, Employee

log = logging.getLogger(__name__)

# A change of department heads can change fallback managers; beyond this many members the nightly
# reconciliation picks the rest up instead of one event re-reading a whole division.
MAX_RECHECK_ON_LEADER_CHANGE = 200


class Outcome(str, Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DEACTIVATED = "deactivated"  # or removed, for a department
    ABSENT = "absent"  # gone from DingTalk and never stored: nothing to keep


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def refresh_users(*, store: Store, client: Any, corp_id: str, userids: Iterable[str],
                  now: datetime | None = None) -> dict[str, Outcome]:
    """Re-read each user and upsert them, or deactivate them if DingTalk no longer has them."""
    return {userid: refresh_user(store=store, client=client, corp_id=corp_id, userid=userid, now=now)
            for userid in dict.fromkeys(userids)}


def refresh_user(*, store: Store, client: Any, corp_id: str, userid: str, now: datetime | None = None) -> Outcome:
    """Re-read one user; see refresh_users."""
    try:
        detail = client.contacts.get_user(userid)
    except NotFound:
        with store.session() as s:
            if s.get(Employee, (userid, corp_id)) is None:
                return Outcome.ABSENT
            changed = deactivate_employee(session=s, corp_id=corp_id, userid=userid, departed_at=_now(now))
        return Outcome.DEACTIVATED if changed else Outcome.UNCHANGED
    facts = _StoreFacts(store, client, corp_id, now)
    choice = choose_manager(detail, facts.get, strict=False)
    with store.session() as s:
        existed = s.get(Employee, (userid, corp_id)) is not None
        changed = upsert_employee(session=s, corp_id=corp_id, employee=employee_row(detail, choice.userid),
                                  now=_now(now))
    if not changed:
        return Outcome.UNCHANGED
    return Outcome.UPDATED if existed else Outcome.CREATED


def refresh_departments(*, store: Store, client: Any, corp_id: str, dept_ids: Iterable[int],
                        now: datetime | None = None) -> dict[int, Outcome]:
    """Re-read each department and upsert it, or mark it removed if DingTalk no longer has it."""
    return {dept_id: refresh_department(store=store, client=client, corp_id=corp_id, dept_id=dept_id, now=now)
            for dept_id in dict.fromkeys(dept_ids)}


def refresh_department(*, store: Store, client: Any, corp_id: str, dept_id: int,
                       now: datetime | None = None) -> Outcome:
    """Re-read one department; when its heads changed, members whose manager may be a head are re-read."""
    try:
        detail = client.contacts.get_department(dept_id)
    except NotFound:
        with store.session() as s:
            if s.get(Department, (dept_id, corp_id)) is None:
                return Outcome.ABSENT
            changed = remove_department(session=s, corp_id=corp_id, dept_id=dept_id, removed_at=_now(now))
        return Outcome.DEACTIVATED if changed else Outcome.UNCHANGED
    with store.session() as s:
        old = s.get(Department, (dept_id, corp_id))
        old_leaders = list(old.leader_userids) if old is not None else []
        changed = upsert_department(session=s, corp_id=corp_id, department=department_row(detail), now=_now(now))
    if old is not None and old_leaders != list(detail.leader_userids):
        _recheck_members(store, client, corp_id, dept_id, set(old_leaders) | set(detail.leader_userids), now)
    if not changed:
        return Outcome.UNCHANGED
    return Outcome.CREATED if old is None else Outcome.UPDATED


def _recheck_members(store: Store, client: Any, corp_id: str, dept_id: int, leaders: set[str],
                     now: datetime | None) -> None:
    """Members whose first department is `dept_id` and whose manager is missing or one of its heads."""
    with store.session() as s:
        members = [e.userid for e in _active(s, corp_id)
                   if e.dept_ids[:1] == [dept_id] and (e.manager_userid is None or e.manager_userid in leaders)]
    if len(members) > MAX_RECHECK_ON_LEADER_CHANGE:
        log.info("department %s changed heads; %d members left to the nightly reconciliation", dept_id,
                 len(members))
        return
    refresh_users(store=store, client=client, corp_id=corp_id, userids=members, now=now)


def _active(s: Session, corp_id: str) -> list[Employee]:
    stmt = select(Employee).where(Employee.corp_id == corp_id, col(Employee.active).is_(True))
    return list(s.exec(stmt))


class _StoreFacts:
    """Department heads for the manager fallback: from the store, else from DingTalk (then stored)."""

    def __init__(self, store: Store, client: Any, corp_id: str, now: datetime | None) -> None:
        self.store, self.client, self.corp_id, self.now = store, client, corp_id, now

    def get(self, dept_id: int) -> DeptFacts | None:
        with self.store.session() as s:
            row = s.get(Department, (dept_id, self.corp_id))
            if row is not None and row.active:
                return DeptFacts(row.parent_id, tuple(row.leader_userids))
        try:
            detail = self.client.contacts.get_department(dept_id)
        except NotFound:
            return None
        with self.store.session() as s:
            upsert_department(session=s, corp_id=self.corp_id, department=department_row(detail), now=_now(self.now))
        row_facts = department_row(detail)
        return DeptFacts(row_facts.parent_id, tuple(row_facts.leader_userids))
