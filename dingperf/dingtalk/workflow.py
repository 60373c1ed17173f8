"""Approvals (OA 审批): instance ids by time window and instance details (DINGTALK.md §5.1, §5.2)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dingperf.dingtalk.parse import as_opt_str, as_str, chunks, from_iso, str_tuple, to_ms
from dingperf.dingtalk.transport import Transport

MAX_WINDOW_MS = 120 * 86_400_000
PAGE_SIZE = 20
MAX_ORIGINATORS = 10


@dataclass(frozen=True)
class FormValue:
    """One filled-in form field (`formComponentValues[]`)."""

    id: str | None
    name: str
    value: str | None
    ext_value: str | None
    component_type: str | None
    biz_alias: str | None


@dataclass(frozen=True)
class ApprovalTask:
    task_id: str
    userid: str | None
    status: str
    result: str | None
    activity_id: str | None
    create_time: datetime | None
    finish_time: datetime | None


@dataclass(frozen=True)
class OperationRecord:
    userid: str | None
    date: datetime | None
    type: str
    result: str | None
    remark: str | None
    activity_id: str | None
    show_name: str | None


@dataclass(frozen=True)
class ApprovalInstance:
    """One approval instance; `is_approved` ⇔ COMPLETED and agree."""

    process_instance_id: str
    title: str
    status: str
    result: str | None
    business_id: str | None
    originator_userid: str | None
    originator_dept_id: str | None
    originator_dept_name: str | None
    create_time: datetime | None
    finish_time: datetime | None
    biz_action: str | None
    cc_userids: tuple[str, ...]
    form_values: tuple[FormValue, ...]
    tasks: tuple[ApprovalTask, ...]
    operation_records: tuple[OperationRecord, ...]

    @property
    def is_approved(self) -> bool:
        return self.status == "COMPLETED" and (self.result or "").lower() == "agree"

    def form_value(self, key: str) -> str | None:
        """The value of the form field whose name, bizAlias or id is `key`; None if the form has no such field."""
        for field in self.form_values:
            if key in (field.name, field.biz_alias, field.id):
                return field.value
        return None


def _instance(instance_id: str, raw: dict[str, Any]) -> ApprovalInstance:
    return ApprovalInstance(
        process_instance_id=instance_id,
        title=as_str(raw.get("title")),
        status=as_str(raw.get("status")),
        result=as_opt_str(raw.get("result")),
        business_id=as_opt_str(raw.get("businessId")),
        originator_userid=as_opt_str(raw.get("originatorUserId")),
        originator_dept_id=as_opt_str(raw.get("originatorDeptId")),
        originator_dept_name=as_opt_str(raw.get("originatorDeptName")),
        create_time=from_iso(raw.get("createTime")),
        finish_time=from_iso(raw.get("finishTime")),
        biz_action=as_opt_str(raw.get("bizAction")),
        cc_userids=str_tuple(raw.get("ccUserIds")),
        form_values=tuple(
            FormValue(id=as_opt_str(f.get("id")), name=as_str(f.get("name")), value=as_opt_str(f.get("value")),
                      ext_value=as_opt_str(f.get("extValue")), component_type=as_opt_str(f.get("componentType")),
                      biz_alias=as_opt_str(f.get("bizAlias")))
            for f in raw.get("formComponentValues") or []
        ),
        tasks=tuple(
            ApprovalTask(task_id=as_str(t.get("taskId")), userid=as_opt_str(t.get("userId")),
                         status=as_str(t.get("status")), result=as_opt_str(t.get("result")),
                         activity_id=as_opt_str(t.get("activityId")), create_time=from_iso(t.get("createTime")),
                         finish_time=from_iso(t.get("finishTime")))
            for t in raw.get("tasks") or []
        ),
        operation_records=tuple(
            OperationRecord(userid=as_opt_str(r.get("userId")), date=from_iso(r.get("date")),
                            type=as_str(r.get("type")), result=as_opt_str(r.get("result")),
                            remark=as_opt_str(r.get("remark")), activity_id=as_opt_str(r.get("activityId")),
                            show_name=as_opt_str(r.get("showName")))
            for r in raw.get("operationRecords") or []
        ),
    )


class WorkflowApi:
    """Approval instance reads (quota-metered)."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def iter_instance_ids(
        self,
        process_code: str,
        start: datetime,
        end: datetime,
        userids: Sequence[str] | None = None,
        statuses: Sequence[str] | None = None,
    ) -> Iterator[str]:
        """Ids of instances of `process_code` started in start..end, any span (split into ≤ 120-day windows)."""
        lo, hi = to_ms(start), to_ms(end)
        if hi < lo:
            raise ValueError(f"time range ends ({end}) before it starts ({start})")
        originator_batches: list[list[str] | None] = list(chunks(userids, MAX_ORIGINATORS)) if userids else [None]
        seen: set[str] = set()
        for batch in originator_batches:
            window_lo = lo
            while window_lo <= hi:
                window_hi = min(hi, window_lo + MAX_WINDOW_MS)
                for instance_id in self._ids_in_window(process_code, window_lo, window_hi, batch, statuses):
                    if instance_id not in seen:  # windows share their boundary millisecond
                        seen.add(instance_id)
                        yield instance_id
                window_lo = window_hi + 1

    def _ids_in_window(
        self, process_code: str, lo: int, hi: int, userids: list[str] | None, statuses: Sequence[str] | None
    ) -> Iterator[str]:
        next_token: Any = 0
        while True:
            body: dict[str, Any] = {"processCode": process_code, "startTime": lo, "endTime": hi,
                                    "nextToken": next_token, "maxResults": PAGE_SIZE}
            if userids:
                body["userIds"] = userids
            if statuses:
                body["statuses"] = list(statuses)
            data = self._t.call("POST", "/v1.0/workflow/processes/instanceIds/query", body=body)
            result = data.get("result") or {}
            yield from str_tuple(result.get("list"))
            token = result.get("nextToken")
            if token in (None, "", 0, "0") or not result.get("list"):
                return
            next_token = token

    def get_instance(self, process_instance_id: str) -> ApprovalInstance:
        """One instance with its form, tasks and history; NotFound for processInstanceNotExist."""
        data = self._t.call("GET", "/v1.0/workflow/processInstances",
                            params={"processInstanceId": process_instance_id})
        return _instance(process_instance_id, data.get("result") or {})
