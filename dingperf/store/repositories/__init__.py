"""Repository functions: keyword-only, take a Session, never commit (the caller's `store.session()` does)."""

from __future__ import annotations

from dingperf.store.repositories.approvals import (
    get_approval_instance,
    list_approval_instances,
    upsert_approval_instance,
    upsert_approval_instances,
)
from dingperf.store.repositories.attendance import list_attendance_records, upsert_attendance_records
from dingperf.store.repositories.audit import append_audit, list_audit
from dingperf.store.repositories.checkpoint import clear_checkpoint, load_checkpoint, save_checkpoint
from dingperf.store.repositories.inbox import (
    claim_inbox_batch,
    get_inbox_event,
    insert_inbox_event,
    list_inbox_events,
    mark_inbox_done,
    mark_inbox_failed,
    replay_inbox_event,
)
from dingperf.store.repositories.org import (
    deactivate_employee,
    get_department,
    get_employee,
    list_departments,
    list_employees,
    remove_department,
    upsert_department,
    upsert_departments,
    upsert_employee,
    upsert_employees,
)
from dingperf.store.repositories.outbox import (
    claim_outbox_batch,
    enqueue_outbox,
    get_outbox_message,
    list_outbox_messages,
    mark_outbox_failed,
    mark_outbox_sent,
)
from dingperf.store.repositories.quota import add_quota_usage, get_quota_usage

__all__ = [
    "add_quota_usage", "append_audit", "claim_inbox_batch", "claim_outbox_batch", "clear_checkpoint",
    "deactivate_employee", "enqueue_outbox", "get_approval_instance", "get_department", "get_employee",
    "get_inbox_event", "get_outbox_message", "get_quota_usage", "insert_inbox_event", "list_approval_instances",
    "list_attendance_records", "list_audit", "list_departments", "list_employees", "list_inbox_events",
    "list_outbox_messages", "load_checkpoint", "mark_inbox_done", "mark_inbox_failed", "mark_outbox_failed",
    "mark_outbox_sent", "remove_department", "replay_inbox_event", "save_checkpoint", "upsert_approval_instance",
    "upsert_approval_instances", "upsert_attendance_records", "upsert_department", "upsert_departments",
    "upsert_employee", "upsert_employees",
]
