"""Turn a `/_sandbox/events` request into a state change plus the DingTalk event(s) it causes.

The state changes first, through the directory/attendance/workflow mutators, so that an app
re-reading DingTalk after the event (events carry ids only) sees the new truth (§12.4).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from dingperf.sandbox import event_payloads as ep
from dingperf.sandbox.attendance import GROUP_ID
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


# ---- attendance ------------------------------------------------------------------------------------


def attendance_check_record(state: Any, body: Body) -> list[SandboxEvent]:
    """{"userid"|"userids", "check_time_ms"?, "location_result"?}: punch now (or then), one event."""
    when = body.get("check_time_ms", state.clock.now_ms())
    location = body.get("location_result", "Normal")
    if not isinstance(when, int) or isinstance(when, bool):
        raise TriggerError("check_time_ms must be epoch milliseconds")
    if location not in ("Normal", "Outside"):
        raise TriggerError("location_result must be Normal or Outside")
    userids = _userids(body)
    for userid in userids:
        state.directory.user(userid)
    punches = []
    for userid in userids:
        state.attendance.add_punch(userid, when, location_result=location)
        punches.append(ep.Punch(userid, when, biz_id=uuid.uuid4().hex, group_id=GROUP_ID, location_result=location))
    return [_event(state, "attendance_check_record", ep.attendance_check(state.app.corp_id, punches))]


# ---- approvals ---------------------------------------------------------------------------------------


def _instance_data(instance: Any, change: str, staff_id: str) -> dict[str, Any]:
    return ep.bpms_instance(
        process_instance_id=instance.process_instance_id,
        process_code=instance.process_code,
        change=change,
        staff_id=staff_id,
        title=instance.title,
        create_ms=instance.create_ms,
        business_id=instance.business_id,
        result=instance.result or None,
        finish_ms=instance.finish_ms,
    )


def bpms_instance_change(state: Any, body: Body) -> list[SandboxEvent]:
    """{"change": "start", process_code, originator_userid, approver_userids, values?, title?}
    or {"change": "finish", process_instance_id, result: agree|refuse} or {"change": "terminate", process_instance_id}."""
    change = body.get("change")
    wf = state.workflow
    if change == "start":
        originator = state.directory.user(_str(body, "originator_userid"))
        approvers = body.get("approver_userids")
        values = body.get("values", {})
        if not isinstance(approvers, list) or not approvers or not isinstance(values, dict):
            raise TriggerError("start needs approver_userids (non-empty list) and values (object of field name → text)")
        dept_id = originator.dept_id_list[0]
        instance = wf.start_instance(
            process_code=_str(body, "process_code"),
            originator_userid=originator.userid,
            originator_dept_id=dept_id,
            originator_dept_name=state.directory.department(dept_id).name,
            values={k: str(v) for k, v in values.items()},
            approver_userids=approvers,
            title=body.get("title"),
        )
    elif change == "finish":
        instance = wf.finish_instance(_str(body, "process_instance_id"), _str(body, "result"))
    elif change == "terminate":
        instance = wf.terminate_instance(_str(body, "process_instance_id"))
    else:
        raise TriggerError("change must be start, finish or terminate")
    return [_event(state, "bpms_instance_change", _instance_data(instance, change, instance.originator_userid))]


_TASK_RESULTS = {"agree": "AGREE", "refuse": "REFUSE", "redirect": "REDIRECTED"}


def bpms_task_change(state: Any, body: Body) -> list[SandboxEvent]:
    """{process_instance_id, change: start|finish|cancel, task_id?, result? (finish), remark?}.

    Acts on one task (default: the RUNNING one). Finishing the last task does not end the
    instance: trigger bpms_instance_change finish as DingTalk would right after.
    """
    change = body.get("change")
    if change not in ("start", "finish", "cancel"):
        raise TriggerError("change must be start, finish or cancel")
    result = body.get("result")
    if change == "finish" and result not in _TASK_RESULTS:
        raise TriggerError(f"finishing a task needs result {' | '.join(_TASK_RESULTS)}")
    wf = state.workflow
    now = state.clock.now_ms()
    with wf.lock:
        instance = wf.instance(_str(body, "process_instance_id"))
        if instance.status != "RUNNING":
            raise TriggerError(f"instance {instance.process_instance_id} is {instance.status}; its tasks are closed")
        task = _pick_task(instance, body.get("task_id"), change)
        if change == "start":
            task.status = "RUNNING"
        elif change == "cancel":
            task.status, task.finish_ms = "CANCELED", now
        else:
            task.status, task.result, task.finish_ms = "COMPLETED", _TASK_RESULTS[result], now
            waiting = [t for t in instance.tasks if t.status == "NEW"]
            if result in ("agree", "redirect") and waiting:
                waiting[0].status = "RUNNING"
    data = ep.bpms_task(
        process_instance_id=instance.process_instance_id,
        process_code=instance.process_code,
        change=change,
        staff_id=task.userid,
        task_id=str(task.task_id),
        title=instance.title,
        create_ms=task.create_ms,
        business_id=instance.business_id,
        result=result if change == "finish" else None,
        remark=str(body.get("remark", "")),
        finish_ms=task.finish_ms,
    )
    return [_event(state, "bpms_task_change", data)]


def _pick_task(instance: Any, task_id: Any, change: str) -> Any:
    if task_id is not None:
        for task in instance.tasks:
            if str(task.task_id) == str(task_id):
                return task
        raise TriggerError(f"instance {instance.process_instance_id} has no task {task_id}")
    wanted = "NEW" if change == "start" else "RUNNING"
    for task in instance.tasks:
        if task.status == wanted:
            return task
    raise TriggerError(f"instance {instance.process_instance_id} has no {wanted} task; give task_id")


TRIGGERS: dict[str, Callable[[Any, Body], list[SandboxEvent]]] = {
    "user_add_org": user_add_org,
    "user_modify_org": user_modify_org,
    "user_leave_org": user_leave_org,
    "org_dept_create": org_dept_create,
    "org_dept_modify": org_dept_modify,
    "org_dept_remove": org_dept_remove,
    "attendance_check_record": attendance_check_record,
    "bpms_instance_change": bpms_instance_change,
    "bpms_task_change": bpms_task_change,
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
    except (ValueError, LookupError, TypeError) as exc:
        # Directory/attendance/workflow refusals (unknown user, non-empty dept, bad field) → 400.
        raise TriggerError(f"{kind}: {exc}") from exc
