"""Approval endpoints: current api.dingtalk.com shapes (§5.1, §5.2) and legacy oapi (§5.3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, request

from dingperf.sandbox.app import sandbox_state
from dingperf.sandbox.attendance import CST
from dingperf.sandbox.routes_contacts import int_param, params
from dingperf.sandbox.tokens import authenticated_app
from dingperf.sandbox.wire import NewApiError, OldApiError, json_body, new_ok, old_ok
from dingperf.sandbox.workflow import Instance, UnknownInstance, UnknownProcess

bp = Blueprint("sandbox_workflow", __name__)

MAX_RESULTS = 20
MAX_WINDOW_MS = 120 * 86_400_000
MAX_LOOKBACK_MS = 365 * 86_400_000
MAX_USER_IDS = 10
STATUSES = ("RUNNING", "TERMINATED", "COMPLETED")


def _iso(ms: int | None) -> str | None:
    # The current API writes minute-precision UTC times such as 2022-08-31T11:52Z.
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def _legacy(ms: int | None) -> str | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, CST).strftime("%Y-%m-%d %H:%M:%S")


def _records(instance: Instance) -> list[dict[str, Any]]:
    records = [
        {
            "userId": instance.originator_userid,
            "date": instance.create_ms,
            "type": "START_PROCESS_INSTANCE",
            "result": "NONE",
            "showName": "发起审批",
        }
    ]
    for task in instance.tasks:
        if task.status == "COMPLETED":
            records.append(
                {
                    "userId": task.userid,
                    "date": task.finish_ms,
                    "type": "EXECUTE_TASK_NORMAL",
                    "result": task.result,
                    "activityId": task.activity_id,
                    "showName": "审批人",
                }
            )
    if instance.status == "TERMINATED":
        records.append(
            {
                "userId": instance.originator_userid,
                "date": instance.finish_ms,
                "type": "TERMINATE_PROCESS_INSTANCE",
                "result": "NONE",
                "showName": "撤销",
            }
        )
    return records


def current_shape(instance: Instance) -> dict[str, Any]:
    """GET /v1.0/workflow/processInstances result (§5.1)."""
    result = {
        "title": instance.title,
        "createTime": _iso(instance.create_ms),
        "finishTime": _iso(instance.finish_ms),
        "originatorUserId": instance.originator_userid,
        "originatorDeptId": "-1" if instance.originator_dept_id == 1 else str(instance.originator_dept_id),
        "originatorDeptName": instance.originator_dept_name,
        "status": instance.status,
        "result": instance.result,
        "businessId": instance.business_id,
        "ccUserIds": list(instance.cc_userids),
        "bizAction": "NONE",
        "attachedProcessInstanceIds": [],
        "mainProcessInstanceId": "",
        "operationRecords": [{**r, "date": _iso(r["date"])} for r in _records(instance)],
        "tasks": [
            {
                "taskId": t.task_id,
                "userId": t.userid,
                "status": t.status,
                "result": t.result,
                "createTime": _iso(t.create_ms),
                "finishTime": _iso(t.finish_ms),
                "activityId": t.activity_id,
                "processInstanceId": instance.process_instance_id,
                "pcUrl": f"https://aflow.dingtalk.com/dingtalk/pc/query/pchomepage.htm#/approval?procInstId={instance.process_instance_id}",
                "mobileUrl": f"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm#/approval?procInstId={instance.process_instance_id}",
            }
            for t in instance.tasks
        ],
        "formComponentValues": [
            {
                "id": f["id"],
                "name": f["name"],
                "value": f["value"],
                "extValue": "",
                "componentType": f["componentType"],
                "bizAlias": f["bizAlias"],
            }
            for f in instance.form
        ],
    }
    return {k: v for k, v in result.items() if v is not None}


def legacy_shape(instance: Instance) -> dict[str, Any]:
    """topapi/processinstance/get's process_instance (§5.3)."""
    result = {
        "title": instance.title,
        "create_time": _legacy(instance.create_ms),
        "finish_time": _legacy(instance.finish_ms),
        "originator_userid": instance.originator_userid,
        "originator_dept_id": str(instance.originator_dept_id),
        "originator_dept_name": instance.originator_dept_name,
        "status": instance.status,
        "result": instance.result,
        "business_id": instance.business_id,
        "cc_userids": ",".join(instance.cc_userids),
        "biz_action": "NONE",
        "attached_process_instance_ids": [],
        "main_process_instance_id": "",
        "operation_records": [
            {
                "userid": r["userId"],
                "date": _legacy(r["date"]),
                "operation_type": r["type"],
                "operation_result": r["result"],
                "remark": "",
            }
            for r in _records(instance)
        ],
        "tasks": [
            {
                "userid": t.userid,
                "task_status": t.status,
                "task_result": t.result,
                "create_time": _legacy(t.create_ms),
                "finish_time": _legacy(t.finish_ms),
                "taskid": str(t.task_id),
                "activity_id": t.activity_id,
                "url": f"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm#/approval?procInstId={instance.process_instance_id}",
            }
            for t in instance.tasks
        ],
        "form_component_values": [
            {
                "id": f["id"],
                "name": f["name"],
                "value": f["value"],
                "ext_value": "",
                "component_type": f["componentType"],
            }
            for f in instance.form
        ],
    }
    return {k: v for k, v in result.items() if v is not None}


@bp.get("/v1.0/workflow/processInstances")
def instance_detail() -> Response:
    authenticated_app()
    pid = request.args.get("processInstanceId")
    if not pid:
        raise NewApiError(400, "invalidParameter", "processInstanceId is mandatory")
    state = sandbox_state()
    try:
        with state.lock:
            return new_ok({"result": current_shape(state.workflow.instance(pid)), "success": True})
    except UnknownInstance:
        raise NewApiError(400, "processInstanceNotExist", f"审批实例不存在: {pid}") from None


def _new_int(body: dict[str, Any], name: str, code: str, *, required: bool = True) -> int | None:
    value = body.get(name)
    if value is None or value == "":
        if required:
            raise NewApiError(400, code, f"{name} is mandatory")
        return None
    try:
        return int(str(value))
    except ValueError:
        raise NewApiError(400, code, f"{name} must be an integer, got {value!r}") from None


@bp.post("/v1.0/workflow/processes/instanceIds/query")
def instance_ids() -> Response:
    authenticated_app()
    state = sandbox_state()
    body = json_body()
    code = body.get("processCode")
    if not isinstance(code, str) or not code:
        raise NewApiError(400, "invalidProcessCode", "processCode is mandatory")
    start = _new_int(body, "startTime", "invalidInstanceListIdsStartTime")
    end = _new_int(body, "endTime", "invalidEndTime", required=False)
    end = state.clock.now_ms() if end is None else end
    offset = _new_int(body, "nextToken", "invalidNextToken")
    size = _new_int(body, "maxResults", "invalidMaxResults")
    if start < state.clock.now_ms() - MAX_LOOKBACK_MS:
        raise NewApiError(
            400, "invalidInstanceListIdsStartTime", "startTime must be within the last 365 days"
        )
    if end < start or end - start > MAX_WINDOW_MS:
        raise NewApiError(400, "invalidEndTime", "endTime must be after startTime and at most 120 days later")
    if offset < 0:
        raise NewApiError(400, "invalidNextToken", "nextToken must be 0 or a token from the previous page")
    if not 1 <= size <= MAX_RESULTS:
        raise NewApiError(400, "invalidMaxResults", f"maxResults must be between 1 and {MAX_RESULTS}")
    userids = body.get("userIds") or []
    if not isinstance(userids, list) or len(userids) > MAX_USER_IDS:
        raise NewApiError(400, "invalidUserIds", f"userIds must be a list of at most {MAX_USER_IDS} userids")
    statuses = body.get("statuses") or []
    if not isinstance(statuses, list) or any(s not in STATUSES for s in statuses):
        raise NewApiError(
            400, "invalidParameter", f"statuses must be a list drawn from {', '.join(STATUSES)}"
        )
    try:
        ids = state.workflow.query_ids(code, start, end, userids=userids, statuses=statuses)
    except UnknownProcess:
        raise NewApiError(400, "invalidProcessCode", f"审批模板不存在: {code}") from None
    result: dict[str, Any] = {"list": ids[offset : offset + size]}
    if offset + size < len(ids):
        result["nextToken"] = str(offset + size)
    return new_ok({"result": result, "success": True})


@bp.post("/topapi/processinstance/get")
def legacy_detail() -> Response:
    authenticated_app()
    state = sandbox_state()
    pid = params().get("process_instance_id")
    if not isinstance(pid, str) or not pid:
        raise OldApiError(40035, "缺少参数 process_instance_id")
    try:
        with state.lock:
            return old_ok(process_instance=legacy_shape(state.workflow.instance(pid)))
    except UnknownInstance:
        raise OldApiError(400002, f"审批实例不存在: {pid}") from None


@bp.post("/topapi/processinstance/listids")
def legacy_ids() -> Response:
    authenticated_app()
    state = sandbox_state()
    body = params()
    code = body.get("process_code")
    if not isinstance(code, str) or not code:
        raise OldApiError(40035, "缺少参数 process_code")
    start = int_param(body, "start_time", low=0)
    end = int_param(body, "end_time", default=state.clock.now_ms(), low=start)
    if end - start > MAX_WINDOW_MS:
        raise OldApiError(400002, "时间跨度不能超过120天")
    size = int_param(body, "size", default=MAX_RESULTS, low=1, high=MAX_RESULTS)
    cursor = int_param(body, "cursor", default=0, low=0)
    raw_users = body.get("userid_list") or ""
    userids = [u for u in str(raw_users).split(",") if u]
    try:
        ids = state.workflow.query_ids(code, start, end, userids=userids)
    except UnknownProcess:
        raise OldApiError(400002, f"审批模板不存在: {code}") from None
    result: dict[str, Any] = {"list": ids[cursor : cursor + size]}
    if cursor + size < len(ids):
        result["next_cursor"] = cursor + size
    return old_ok(result=result)
