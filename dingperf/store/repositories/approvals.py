"""Approval instances: idempotent by process_instance_id; status, result and form values kept current."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from dingperf.store.engine import NotFound
from dingperf.store.repositories._merge import merge_many, merge_one
from dingperf.store.tables.approvals import ApprovalInstance, ApprovalInstanceBase
from dingperf.store.types import utcnow


def upsert_approval_instance(*, session: Session, corp_id: str, instance: ApprovalInstanceBase,
                             now: datetime | None = None) -> bool:
    """Insert or update one instance; True when something changed."""
    return merge_one(session, ApprovalInstance, corp_id=corp_id, key=(instance.process_instance_id, corp_id),
                     values=instance, now=now or utcnow())


def upsert_approval_instances(*, session: Session, corp_id: str, instances: Iterable[ApprovalInstanceBase],
                              now: datetime | None = None) -> int:
    """Bulk upsert_approval_instance; returns how many were inserted or changed."""
    return merge_many(session, ApprovalInstance, corp_id=corp_id, key_field="process_instance_id",
                      items=instances, now=now or utcnow())


def get_approval_instance(*, session: Session, corp_id: str, process_instance_id: str) -> ApprovalInstance:
    """The instance, or NotFound."""
    row = session.get(ApprovalInstance, (process_instance_id, corp_id))
    if row is None:
        raise NotFound(f"no approval instance {process_instance_id!r} in corp {corp_id!r}; "
                       "run `dingperf sync approvals` for its process code")
    return row


def list_approval_instances(*, session: Session, corp_id: str, process_code: str | None = None,
                            finished_from: datetime | None = None, finished_to: datetime | None = None,
                            originator_userid: str | None = None) -> list[ApprovalInstance]:
    """Instances filtered by process, finish time window [from, to) and originator, oldest first."""
    stmt = select(ApprovalInstance).where(ApprovalInstance.corp_id == corp_id)
    if process_code is not None:
        stmt = stmt.where(ApprovalInstance.process_code == process_code)
    if finished_from is not None:
        stmt = stmt.where(col(ApprovalInstance.finish_time) >= finished_from)
    if finished_to is not None:
        stmt = stmt.where(col(ApprovalInstance.finish_time) < finished_to)
    if originator_userid is not None:
        stmt = stmt.where(ApprovalInstance.originator_userid == originator_userid)
    return list(session.exec(stmt.order_by(col(ApprovalInstance.create_time),
                                           col(ApprovalInstance.process_instance_id))))
