"""Every table of the store. Importing this module registers them all on `metadata` (Alembic needs that):
a new table module must be imported here."""

from __future__ import annotations

from dingperf.store.tables._base import metadata
from dingperf.store.tables.approvals import ApprovalInstance, ApprovalInstanceBase
from dingperf.store.tables.attendance import AttendanceRecord, AttendanceRecordBase
from dingperf.store.tables.audit import AuditEntry
from dingperf.store.tables.checkpoint import Checkpoint
from dingperf.store.tables.inbox import InboxEvent, InboxSource, InboxStatus
from dingperf.store.tables.org import Department, DepartmentBase, Employee, EmployeeBase
from dingperf.store.tables.outbox import OutboxMessage, OutboxStatus
from dingperf.store.tables.perf_appeals import PerfAppeal  # noqa: F401  (registers perf_appeals)
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_documents import PerfDocument
from dingperf.store.tables.perf_goals import PerfGoal
from dingperf.store.tables.perf_inputs import PerfInput, PerfRating
from dingperf.store.tables.perf_participants import PerfParticipant
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.tables.perf_templates import PerfTemplate
from dingperf.store.tables.quota import QuotaUsage

__all__ = [
    "ApprovalInstance",
    "ApprovalInstanceBase",
    "AttendanceRecord",
    "AttendanceRecordBase",
    "AuditEntry",
    "Checkpoint",
    "Department",
    "DepartmentBase",
    "Employee",
    "EmployeeBase",
    "InboxEvent",
    "InboxSource",
    "InboxStatus",
    "OutboxMessage",
    "OutboxStatus",
    "PerfCycle",
    "PerfDocument",
    "PerfGoal",
    "PerfInput",
    "PerfParticipant",
    "PerfRating",
    "PerfResult",
    "PerfTemplate",
    "QuotaUsage",
    "metadata",
]
