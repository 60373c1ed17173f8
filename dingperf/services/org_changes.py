"""What a re-read of the address book means for performance records: the contacts handlers (and the nightly
reconcile) read `synced_managers` before they refresh people, then `follow_org_changes` hands over what each
departed person held (services.departures.handle_departure) and moves the reviews of each person whose
manager changed (handle_manager_change). Both are idempotent, so a redelivered event is harmless."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import col, select

from dingperf.services.departures import (
    DEFAULT_ZONE,
    DepartureReport,
    ManagerChangeReport,
    handle_departure,
    handle_manager_change,
)
from dingperf.store.engine import Store
from dingperf.store.tables.org import Employee


def synced_managers(store: Store, corp_id: str, userids: Sequence[str]) -> dict[str, str | None]:
    """The synced manager of each known userid (read before a refresh, to see who changed manager)."""
    with store.session() as s:
        rows = s.exec(select(Employee.userid, Employee.manager_userid).where(
            Employee.corp_id == corp_id, col(Employee.userid).in_(list(userids)))).all() if userids else []
    return {u: m for u, m in rows}


def department_members_managers(store: Store, corp_id: str, dept_ids: Sequence[int]) -> dict[str, str | None]:
    """The synced manager of each active person whose first department is one of `dept_ids`: read before a
    department refresh, whose change of heads re-reads exactly these people (a fallback manager may change)."""
    wanted = set(dept_ids)
    with store.session() as s:
        rows = s.exec(select(Employee).where(Employee.corp_id == corp_id, col(Employee.active).is_(True))).all()
        return {e.userid: e.manager_userid for e in rows if e.dept_ids[:1] and e.dept_ids[0] in wanted}


def follow_org_changes(store: Store, corp_id: str, before: Mapping[str, str | None], *, now: datetime,
                       hr_userids: Sequence[str] = (), public_url: str = "",
                       zone: str | tzinfo = DEFAULT_ZONE) -> list[DepartureReport | ManagerChangeReport]:
    """After contacts were re-read: hand over what each departed person held and move the reviews of each
    person whose manager changed (`before` = `synced_managers` read before the refresh)."""
    done: list[DepartureReport | ManagerChangeReport] = []
    with store.session() as s:
        now_rows = {e.userid: e for e in s.exec(select(Employee).where(
            Employee.corp_id == corp_id, col(Employee.userid).in_(list(before)))).all()} if before else {}
        current = {u: (e.active, e.manager_userid) for u, e in now_rows.items()}
    for userid, (active, manager) in sorted(current.items()):
        kw: dict[str, Any] = {"now": now, "hr_userids": hr_userids, "public_url": public_url, "zone": zone}
        if not active:
            done.append(handle_departure(store, corp_id, userid, **kw))
        elif manager != before[userid] and (manager is None or _is_active(store, corp_id, manager)):
            done.append(handle_manager_change(store, corp_id, userid, before[userid], manager, **kw))
    return done


def _is_active(store: Store, corp_id: str, userid: str) -> bool:
    with store.session() as s:
        emp = s.exec(select(Employee).where(Employee.corp_id == corp_id, Employee.userid == userid)).first()
        return emp is not None and emp.active


def org_snapshot(store: Store, corp_id: str) -> dict[str, tuple[bool, str | None]]:
    """Every synced person's (active, manager): taken before a full sync, to find who it changed."""
    with store.session() as s:
        rows = s.exec(select(Employee.userid, Employee.active, Employee.manager_userid)
                      .where(Employee.corp_id == corp_id)).all()
    return {u: (bool(a), m) for u, a, m in rows}


def changed_since(store: Store, corp_id: str, snapshot: Mapping[str, tuple[bool, str | None]]) -> dict[str, str | None]:
    """Of the people in `snapshot`, those who left or changed manager since, with their manager before (the
    `before` that `follow_org_changes` takes)."""
    now = org_snapshot(store, corp_id)
    return {u: old[1] for u, old in snapshot.items() if u in now and now[u] != old}
