"""Turn a `/_sandbox/events` request into a state change plus the DingTalk event(s) it causes.

The state changes first, through the directory/attendance/workflow mutators, so that an app
re-reading DingTalk after the event (events carry ids only) sees the new truth (§12.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dingperf.sandbox import event_payloads as ep
from dingperf.sandbox.event_payloads import SandboxEvent

Body = dict[str, Any]


class TriggerError(ValueError):
    """The trigger request is malformed or asks for a change DingTalk would refuse."""


def _event(state: Any, event_type: str, data: dict[str, Any]) -> SandboxEvent:
    return SandboxEvent.new(event_type, state.app.corp_id, state.clock.now_ms(), data)


def _str(body: Body, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise TriggerError(f"{key} is required and must be a non-empty string")
    return value


def _int(body: Body, key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TriggerError(f"{key} is required and must be an integer")
    return value


def _obj(body: Body, key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise TriggerError(f"{key} is required and must be an object")
    return value


def _userids(body: Body) -> list[str]:
    if "userids" in body:
        ids = body["userids"]
        if not isinstance(ids, list) or not ids or not all(isinstance(u, str) and u for u in ids):
            raise TriggerError("userids must be a non-empty list of userid strings")
        return ids
    return [_str(body, "userid")]


# ---- address book ---------------------------------------------------------------------------------


def user_add_org(state: Any, body: Body) -> list[SandboxEvent]:
    """{"user": {...}} or {"users": [{...}]}: hire, then one event listing every new userId."""
    raw = body.get("users", [body.get("user")])
    if not isinstance(raw, list) or not raw or not all(isinstance(u, dict) for u in raw):
        raise TriggerError('give "user": {name, dept_id_list, ...} or "users": [ ... ]')
    added = []
    for fields in raw:
        fields = dict(fields)
        name = fields.pop("name", None)
        depts = fields.pop("dept_id_list", None)
        if not isinstance(name, str) or not isinstance(depts, list):
            raise TriggerError("each user needs name (string) and dept_id_list (list of department ids)")
        added.append(state.directory.add_user(name=name, dept_id_list=depts, **fields).userid)
    return [_event(state, "user_add_org", ep.user_change(added, state.clock.now_ms()))]


def user_modify_org(state: Any, body: Body) -> list[SandboxEvent]:
    """{"userid", "changes": {...}}: change the user; an event only if an org-level field changed."""
    userid = _str(body, "userid")
    diff = state.directory.modify_user(userid, **_obj(body, "changes"))
    if not diff["curr"]:
        return []  # DingTalk fires user_modify_org only for org-level fields (§3.3)
    return [_event(state, "user_modify_org", ep.user_modify(userid, state.clock.now_ms(), diff["prev"], diff["curr"]))]


def user_leave_org(state: Any, body: Body) -> list[SandboxEvent]:
    """{"userid"} or {"userids": [...]}: the users leave; user/get fails for them afterwards."""
    userids = _userids(body)
    for userid in userids:
        state.directory.user(userid)  # all-or-nothing: check every id before anyone leaves
    for userid in userids:
        state.directory.leave_user(userid)
    return [_event(state, "user_leave_org", ep.user_change(userids, state.clock.now_ms()))]


def org_dept_create(state: Any, body: Body) -> list[SandboxEvent]:
    """{"dept": {name, parent_id, ...}}: create the department."""
    fields = dict(_obj(body, "dept"))
    name, parent = fields.pop("name", None), fields.pop("parent_id", None)
    if not isinstance(name, str) or not isinstance(parent, int):
        raise TriggerError("dept needs name (string) and parent_id (integer)")
    dept = state.directory.create_department(name=name, parent_id=parent, **fields)
    return [_event(state, "org_dept_create", ep.dept_change([dept.dept_id]))]


def org_dept_modify(state: Any, body: Body) -> list[SandboxEvent]:
    """{"dept_id", "changes": {...}}: rename, reorder, re-parent or change heads."""
    dept_id = _int(body, "dept_id")
    state.directory.modify_department(dept_id, **_obj(body, "changes"))
    return [_event(state, "org_dept_modify", ep.dept_change([dept_id]))]


def org_dept_remove(state: Any, body: Body) -> list[SandboxEvent]:
    """{"dept_id"}: delete an empty department."""
    dept_id = _int(body, "dept_id")
    state.directory.remove_department(dept_id)
    return [_event(state, "org_dept_remove", ep.dept_change([dept_id]))]


TRIGGERS: dict[str, Callable[[Any, Body], list[SandboxEvent]]] = {
    "user_add_org": user_add_org,
    "user_modify_org": user_modify_org,
    "user_leave_org": user_leave_org,
    "org_dept_create": org_dept_create,
    "org_dept_modify": org_dept_modify,
    "org_dept_remove": org_dept_remove,
}


def trigger(state: Any, body: Body) -> list[SandboxEvent]:
    """Apply the change a trigger describes and return the events DingTalk would push for it."""
    kind = body.get("type")
    handler = TRIGGERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise TriggerError(
            f"unknown event type {kind!r}; triggers exist for {', '.join(TRIGGERS)}. "
            "To push an arbitrary payload use POST /_sandbox/events/raw {event_type, data}"
        )
    try:
        return handler(state, body)
    except TriggerError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        # Directory/attendance/workflow refusals (unknown user, non-empty dept, bad field) → 400.
        raise TriggerError(f"{kind}: {exc}") from exc
