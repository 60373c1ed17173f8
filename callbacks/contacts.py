"""Address-book events (DINGTALK.md §3.3): ids only, so each handler re-reads DingTalk and upserts.

user_leave_org needs no special path: user/get failing with 33012/60121 *is* the signal, and
refresh_user deactivates the employee then (history kept); services.org_changes then hands over what a leaver
held and moves the reviews of someone whose manager changed. Out-of-order and repeated events converge
because every handler stores what DingTalk says now, not what the event said then.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dingperf.events.event import Event
from dingperf.services.contacts_refresh import Outcome, refresh_departments, refresh_users
from dingperf.services.org_changes import department_members_managers, follow_org_changes, synced_managers
from dingperf.services.participant_refresh import mark_participants_due


def _ids(payload: dict[str, Any], *keys: str) -> list[Any]:
    for key in keys:
        value = payload.get(key)
        if value in (None, "", []):
            continue
        return list(value) if isinstance(value, (list, tuple)) else [value]
    return []


def _userids(event: Event) -> list[str]:
    ids = [str(u) for u in _ids(event.payload, "userId", "UserId", "userid")]
    diff = event.payload.get("diffInfo")
    if not ids and isinstance(diff, dict) and diff.get("userid"):
        ids = [str(diff["userid"])]
    return ids


def _dept_ids(event: Event) -> list[int]:
    return [int(d) for d in _ids(event.payload, "deptId", "DeptId", "deptid")]


def _participants_due(event: Event, context: Any, outcomes: Iterable[Outcome]) -> None:
    # Dynamic participant groups follow the org until a cycle locks; the scheduler refreshes them, debounced.
    if any(o in (Outcome.CREATED, Outcome.UPDATED, Outcome.DEACTIVATED) for o in outcomes):
        mark_participants_due(context.store, event.corp_id)


def _refresh_users(event: Event, context: Any) -> None:
    userids = _userids(event)
    before = synced_managers(context.store, event.corp_id, userids)
    done = refresh_users(store=context.store, client=context.client, corp_id=event.corp_id, userids=userids)
    _participants_due(event, context, done.values())
    _follow(event, context, before)


def _follow(event: Event, context: Any, before: dict[str, str | None]) -> None:
    # Leavers hand over what they held, and a changed manager takes over the reviews (both idempotent).
    settings = getattr(context, "settings", None)
    org, server = getattr(settings, "org", None), getattr(settings, "server", None)
    follow_org_changes(context.store, event.corp_id, before, now=event.born_at,
                       hr_userids=tuple(getattr(org, "hr_userids", ())), public_url=getattr(server, "public_url", ""),
                       zone=getattr(org, "timezone", "Asia/Shanghai"))


def _refresh_depts(event: Event, context: Any) -> None:
    done = refresh_departments(store=context.store, client=context.client, corp_id=event.corp_id,
                               dept_ids=_dept_ids(event))
    _participants_due(event, context, done.values())


def on_user_add_org(event: Event, context: Any) -> None:
    """New hires: read and store them (manager from user/get, else the department head)."""
    _refresh_users(event, context)


def on_user_modify_org(event: Event, context: Any) -> None:
    """Manager, title, name… changed: re-read; diffInfo is not trusted (it may be stale by now)."""
    _refresh_users(event, context)


def on_user_leave_org(event: Event, context: Any) -> None:
    """Leavers: user/get now fails for them, which deactivates their row (kept for history)."""
    _refresh_users(event, context)


def on_org_dept_create(event: Event, context: Any) -> None:
    _refresh_depts(event, context)


def on_org_dept_modify(event: Event, context: Any) -> None:
    """Renamed, moved or new heads; members whose fallback manager is a head are re-read too, and those whose
    manager changed by it have their reviews moved like any other manager change."""
    before = department_members_managers(context.store, event.corp_id, _dept_ids(event))
    _refresh_depts(event, context)
    _follow(event, context, before)


def on_org_dept_remove(event: Event, context: Any) -> None:
    """department/get now fails (60003): the row is marked removed, kept for history."""
    _refresh_depts(event, context)
