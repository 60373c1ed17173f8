"""bpms_instance_change / bpms_task_change (DINGTALK.md §5.4): re-read the instance and upsert it, keeping
status, result and form values. The event's own type/result are not trusted: a late `start` arriving after
`finish` must not reopen a finished instance, and re-reading makes that impossible."""

from __future__ import annotations

from typing import Any

from dingperf.events.event import Event
from dingperf.services.sync_approvals import refresh_approval


def _refresh(event: Event, context: Any) -> None:
    payload = event.payload
    instance_id = payload.get("processInstanceId") or payload.get("process_instance_id")
    if not instance_id:
        raise ValueError(f"{event.event_type} {event.event_id} has no processInstanceId; nothing to re-read")
    refresh_approval(store=context.store, client=context.client, corp_id=event.corp_id,
                     process_instance_id=str(instance_id), process_code=payload.get("processCode") or None)


def on_bpms_instance_change(event: Event, context: Any) -> None:
    _refresh(event, context)


def on_bpms_task_change(event: Event, context: Any) -> None:
    _refresh(event, context)
