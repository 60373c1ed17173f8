"""DingTalk event payloads as the sandbox pushes them (DINGTALK.md §3.3, §4.3, §5.4, §9.2, §10).

One `SandboxEvent` carries the business object exactly as a Stream frame's `data` holds it;
the HTTP forms (current, legacy) and the failed-push list item are derived from it, so the
same event looks the same whichever transport delivers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_EVENTS = ("user_add_org", "user_modify_org", "user_leave_org", "user_active_org")
DEPT_EVENTS = ("org_dept_create", "org_dept_modify", "org_dept_remove")
BPMS_EVENTS = ("bpms_instance_change", "bpms_task_change")
KNOWN_EVENTS = (*USER_EVENTS, *DEPT_EVENTS, "attendance_check_record", *BPMS_EVENTS)


@dataclass(frozen=True)
class SandboxEvent:
    """One event occurrence: type, unique id, corp, birth time (ms) and the Stream `data` object."""

    event_type: str
    event_id: str
    corp_id: str
    born_ms: int
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, event_type: str, corp_id: str, born_ms: int, data: Mapping[str, Any]) -> SandboxEvent:
        # DingTalk event ids are opaque 32-hex strings; uniqueness is all consumers may rely on.
        return cls(event_type, uuid.uuid4().hex, corp_id, born_ms, dict(data))

    def primary_id(self) -> str:
        """The business id the event is about (BizId in the HTTP form)."""
        d = self.data
        for key in ("userId", "deptId"):
            if isinstance(d.get(key), list) and d[key]:
                return str(d[key][0])
        if "processInstanceId" in d:
            return str(d["processInstanceId"])
        rows = d.get("dataList")
        if isinstance(rows, list) and rows and isinstance(rows[0], dict):
            return str(rows[0].get("bizId", ""))
        return self.event_id


# ---- Stream `data` builders, one per documented event family -------------------------------


def user_change(user_ids: Iterable[str], ts_ms: int) -> dict[str, Any]:
    """user_add_org / user_leave_org / user_active_org: timeStamp is a ms *string*."""
    return {"timeStamp": str(ts_ms), "userId": [str(u) for u in user_ids]}


def user_modify(userid: str, ts_ms: int, prev: Mapping[str, Any], curr: Mapping[str, Any]) -> dict[str, Any]:
    """user_modify_org with diffInfo holding only the org-level keys that changed."""
    return {
        "timeStamp": str(ts_ms),
        "userId": [userid],
        "diffInfo": {"userid": userid, "prev": dict(prev), "curr": dict(curr)},
    }


def dept_change(dept_ids: Iterable[int]) -> dict[str, Any]:
    """org_dept_create / _modify / _remove: deptId is a list of ints."""
    return {"deptId": [int(d) for d in dept_ids]}


@dataclass(frozen=True)
class Punch:
    """One attendance punch as the check-record event reports it (no late/early verdict)."""

    userid: str
    check_time_ms: int
    biz_id: str
    group_id: int = 0
    location_result: str = "Normal"
    location_method: str = "MAP"
    address: str = "杭州市余杭区文一西路969号"
    latitude: str = "30.281"
    longitude: str = "120.019"
    device_sn: str = ""
    check_by_user: bool = True


def attendance_check(corp_id: str, punches: Iterable[Punch]) -> dict[str, Any]:
    """attendance_check_record: dataList of punches; consumers must re-read attendance/list."""
    return {
        "dataList": [
            {
                "userId": p.userid,
                "corpId": corp_id,
                "checkTime": p.check_time_ms,
                "locationResult": p.location_result,
                "groupId": p.group_id,
                "bizId": p.biz_id,
                "locationMethod": p.location_method,
                "address": p.address,
                "latitude": p.latitude,
                "longitude": p.longitude,
                "deviceSN": p.device_sn,
                "checkByUser": p.check_by_user,
            }
            for p in punches
        ]
    }


def bpms_instance(
    *,
    process_instance_id: str,
    process_code: str,
    change: str,
    staff_id: str,
    title: str,
    create_ms: int,
    business_id: str = "",
    biz_category_id: str = "",
    result: str | None = None,
    finish_ms: int | None = None,
) -> dict[str, Any]:
    """bpms_instance_change: `type` start|finish|terminate; `result` only on finish."""
    data: dict[str, Any] = {
        "processInstanceId": process_instance_id,
        "processCode": process_code,
        "bizCategoryId": biz_category_id,
        "businessId": business_id,
        "businessType": "",
        "title": title,
        "type": change,
        "createTime": create_ms,
        "staffId": staff_id,
        "url": f"https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?procInstId={process_instance_id}",
    }
    if change == "finish" and result:
        data["result"] = result
    if finish_ms is not None and change in ("finish", "terminate"):
        data["finishTime"] = finish_ms
    return data


def bpms_task(
    *,
    process_instance_id: str,
    process_code: str,
    change: str,
    staff_id: str,
    task_id: str,
    title: str,
    create_ms: int,
    business_id: str = "",
    biz_category_id: str = "",
    result: str | None = None,
    remark: str = "",
    finish_ms: int | None = None,
) -> dict[str, Any]:
    """bpms_task_change: `type` start|finish|cancel; `result` agree|refuse|redirect on finish."""
    data: dict[str, Any] = {
        "processInstanceId": process_instance_id,
        "processCode": process_code,
        "bizCategoryId": biz_category_id,
        "businessId": business_id,
        "title": title,
        "type": change,
        "taskId": task_id,
        "createTime": create_ms,
        "staffId": staff_id,
    }
    if change == "finish":
        if result:
            data["result"] = result
        if remark:
            data["remark"] = remark
    if finish_ms is not None and change in ("finish", "cancel"):
        data["finishTime"] = finish_ms
    return data


# ---- HTTP forms and the failed-push item ----------------------------------------------------


def http_current(event: SandboxEvent) -> dict[str, Any]:
    """Current HTTP form: metadata keys plus the business keys flattened to the top level."""
    return {
        "EventType": event.event_type,
        "EventTime": event.born_ms,
        "CorpId": event.corp_id,
        "BizId": event.primary_id(),
        "eventId": event.event_id,
        **event.data,
    }


def http_legacy(event: SandboxEvent) -> dict[str, Any]:
    """Archived HTTP form: PascalCase keys (UserId/DeptId/DataList); approvals kept camelCase."""
    d = event.data
    if event.event_type in BPMS_EVENTS:
        # The archived approval events never had the PascalCase envelope, only EventType + corpId.
        return {"EventType": event.event_type, "corpId": event.corp_id, **d}
    body: dict[str, Any] = {"EventType": event.event_type, "TimeStamp": str(d.get("timeStamp", event.born_ms))}
    renames = {"userId": "UserId", "deptId": "DeptId", "dataList": "DataList", "diffInfo": "DiffInfo"}
    for key, value in d.items():
        if key != "timeStamp":
            body[renames.get(key, key)] = value
    body["CorpId"] = event.corp_id
    return body


def failed_item(event: SandboxEvent) -> dict[str, Any]:
    """One `failed_list` entry of get_call_back_failed_result (§10.6)."""
    d = event.data
    corp = event.corp_id
    if event.event_type in USER_EVENTS:
        body: dict[str, Any] = {"userid": list(d.get("userId", [])), "corpid": corp}
    elif event.event_type in DEPT_EVENTS:
        body = {"deptid": list(d.get("deptId", [])), "corpid": corp}
    elif event.event_type in BPMS_EVENTS:
        body = {"bpmsCallBackData": dict(d), "corpid": corp}
    elif event.event_type == "label_user_change":
        body = {"roleLabelChange": dict(d), "corpid": corp}
    else:
        body = {"callbackData": dict(d), "corpid": corp}
    return {"call_back_tag": event.event_type, "event_time": event.born_ms, event.event_type: body}
