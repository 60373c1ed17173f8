"""Approval (OA 审批) instances into the store, idempotent by process_instance_id (DINGTALK.md §5).

Ids are listed per process code in ≤ 120-day windows, 20 per page (the client splits any span); each
instance is then read in full, keeping status, result and every form value. `bpms_*` events re-read the
one instance they name, so repeated or late events converge to DingTalk's current state.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from dingperf.dingtalk.errors import NotFound
from dingperf.store.engine import Store
from dingperf.store.repositories import upsert_approval_instance
from dingperf.store.tables.approvals import ApprovalInstance, ApprovalInstanceBase

log = logging.getLogger(__name__)

ROOT_DEPT_ID = 1
IDS_PATH = "/v1.0/workflow/processes/instanceIds/query"
DETAIL_PATH = "/v1.0/workflow/processInstances"


class ApprovalSyncError(ValueError):
    """The requested window cannot be synced; the message says how to fix the request."""


@dataclass(frozen=True)
class ApprovalSyncSummary:
    process_code: str
    start: datetime
    end: datetime
    instances: int
    created: int
    updated: int
    unchanged: int
    vanished: int  # listed, then gone before we read it
    calls: dict[str, int]
    duration_s: float

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


def instance_row(instance: Any, process_code: str) -> ApprovalInstanceBase:
    """The store row for an instance as `processInstances` describes it (empty form values stay "")."""
    dept = instance.originator_dept_id
    try:
        dept_id: int | None = int(dept) if dept not in (None, "") else None
    except ValueError:
        dept_id = None
    if dept_id == -1:
        dept_id = ROOT_DEPT_ID  # DingTalk says "-1" for the root department
    return ApprovalInstanceBase(
        process_instance_id=instance.process_instance_id, process_code=process_code, title=instance.title,
        status=instance.status, result=(instance.result or "").lower(),
        originator_userid=instance.originator_userid or "", originator_dept_id=dept_id,
        create_time=instance.create_time, finish_time=instance.finish_time,
        business_id=instance.business_id or "",
        form_values=[{"id": f.id, "name": f.name, "value": f.value or "", "ext_value": f.ext_value,
                      "component_type": f.component_type, "biz_alias": f.biz_alias}
                     for f in instance.form_values],
    )


def refresh_approval(*, store: Store, client: Any, corp_id: str, process_instance_id: str,
                     process_code: str | None = None, now: datetime | None = None) -> str:
    """Re-read one instance and upsert it; returns created | updated | unchanged | absent.

    `process_code` comes from the event or the listing (the detail API does not return it); without
    one, the stored row's code is kept.
    """
    try:
        instance = client.workflow.get_instance(process_instance_id)
    except NotFound:
        log.info("approval %s no longer exists in DingTalk; the stored row (if any) is kept", process_instance_id)
        return "absent"
    with store.session() as s:
        existing = s.get(ApprovalInstance, (process_instance_id, corp_id))
        code = process_code or (existing.process_code if existing is not None else "")
        changed = upsert_approval_instance(session=s, corp_id=corp_id, instance=instance_row(instance, code),
                                           now=now or datetime.now(UTC))
    if not changed:
        return "unchanged"
    return "updated" if existing is not None else "created"


def sync_approvals(*, store: Store, client: Any, corp_id: str, process_code: str, start: datetime,
                   end: datetime) -> ApprovalSyncSummary:
    """Every instance of `process_code` started between start and end (aware datetimes), upserted."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ApprovalSyncError("start and end must be timezone-aware")
    if end < start:
        raise ApprovalSyncError(f"--to {end.date()} is before --from {start.date()}; swap them")
    if not process_code.strip():
        raise ApprovalSyncError("--process-code is required (the approval form's code from the OA admin page)")
    began = time.perf_counter()
    before = dict(client.stats().calls)
    outcomes: dict[str, int] = {"created": 0, "updated": 0, "unchanged": 0, "absent": 0}
    count = 0
    now = datetime.now(UTC)
    for instance_id in client.workflow.iter_instance_ids(process_code, start, end):
        count += 1
        outcome = refresh_approval(store=store, client=client, corp_id=corp_id, process_instance_id=instance_id,
                                   process_code=process_code, now=now)
        outcomes[outcome] += 1
    after = client.stats().calls
    calls = {p: after.get(p, 0) - before.get(p, 0) for p in (IDS_PATH, DETAIL_PATH)}
    return ApprovalSyncSummary(
        process_code=process_code, start=start, end=end, instances=count, created=outcomes["created"],
        updated=outcomes["updated"], unchanged=outcomes["unchanged"], vanished=outcomes["absent"], calls=calls,
        duration_s=round(time.perf_counter() - began, 3))
