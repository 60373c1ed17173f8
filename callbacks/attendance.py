"""attendance_check_record (DINGTALK.md §4.3): the punch event has no late/early verdict, so the handler
re-reads that work day's results (attendance/list) for the users who punched and upserts them."""

from __future__ import annotations

from typing import Any

from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.events.event import Event
from dingperf.services.sync_attendance import punches_by_day, sync_attendance


def _zone(context: Any) -> Any:
    settings = getattr(context, "settings", None)
    org = getattr(settings, "org", None)
    return org.zone if org is not None else CHINA_TZ


def on_attendance_check_record(event: Event, context: Any) -> None:
    """Re-read each punched day for its users (one quota-metered call per 50 users)."""
    rows = event.payload.get("dataList") or []
    for day, userids in sorted(punches_by_day(rows, _zone(context)).items()):
        sync_attendance(store=context.store, client=context.client, corp_id=event.corp_id, date_from=day,
                        date_to=day, userids=userids)
