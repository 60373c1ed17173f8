"""Nightly reconciliation: catch whatever events were missed (DESIGN.md "scheduler", issue 3 item 5).

1. Drain DingTalk's failed-push list into the inbox (HTTP mode loses events there after 3 failed pushes).
2. Re-run the full contacts sync: exempt from the monthly quota and writes nothing when nothing changed;
   people it finds departed or under a new manager hand over what they held (services.org_changes).
3. Re-read recent approvals: ids started in the last `approval_days` per process code, reading in full only
   instances we do not have or that were still open, plus every stored instance still open.
4. Re-read yesterday's attendance results for every active employee (one call per 50 people).

Steps 3–4 spend the monthly quota (5,000 calls on the standard edition), so each is skipped, with a
reason in the summary, when it would eat into the reserve kept for messages and cards.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from dingperf.dingtalk.quota import CHINA_TZ
from dingperf.events.failed_list import DrainReport, drain_failed_pushes
from dingperf.events.inbox_store import SqlInbox
from dingperf.services.org_changes import changed_since, follow_org_changes, org_snapshot
from dingperf.services.sync_approvals import refresh_approval
from dingperf.services.sync_attendance import AttendanceSyncSummary, calls_needed, sync_attendance
from dingperf.services.sync_contacts import ContactsSyncOptions, ContactsSyncSummary, sync_contacts
from dingperf.store.engine import Store
from dingperf.store.repositories import list_employees
from dingperf.store.tables.approvals import ApprovalInstance

log = logging.getLogger(__name__)

OPEN_STATUSES = ("NEW", "RUNNING")


@dataclass(frozen=True)
class ApprovalCatchUp:
    process_code: str
    listed: int
    reread: int
    changed: int


@dataclass(frozen=True)
class ReconcileSummary:
    failed_pushes: DrainReport | None
    contacts: ContactsSyncSummary | None
    approvals: tuple[ApprovalCatchUp, ...]
    attendance: AttendanceSyncSummary | None
    skipped: tuple[str, ...] = field(default_factory=tuple)  # what was not done, and why


class _Budget:
    """Quota-metered calls this run may spend, keeping `reserve` of the monthly limit untouched."""

    def __init__(self, client: Any, reserve: float) -> None:
        quota = client.quota
        self.available = quota.remaining() - int(quota.limit * reserve)

    def take(self, calls: int) -> bool:
        if calls > self.available:
            return False
        self.available -= calls
        return True


def reconcile(*, store: Store, client: Any, corp_id: str, process_codes: Sequence[str] | None = None,
              approval_days: int = 7, attendance: bool = True, zone: Any = CHINA_TZ,
              quota_reserve: float = 0.2, drain_failed: bool = True, now: datetime | None = None,
              contacts_options: ContactsSyncOptions | None = None, hr_userids: Sequence[str] = (),
              public_url: str = "") -> ReconcileSummary:
    """Run the nightly catch-up; `process_codes` defaults to every code already in the store."""
    now = now or datetime.now(UTC)
    skipped: list[str] = []
    drained = None
    if drain_failed:
        drained = drain_failed_pushes(client.callbacks.failed_pushes(), SqlInbox(store).put, corp_id)
    before = org_snapshot(store, corp_id)
    contacts = sync_contacts(store=store, client=client, corp_id=corp_id, options=contacts_options, now=now)
    try:
        follow_org_changes(store, corp_id, changed_since(store, corp_id, before), now=now, hr_userids=hr_userids,
                           public_url=public_url, zone=zone)
    except Exception as exc:  # the rest of the catch-up still runs; the log has the trace
        log.exception("reconcile: handing over after the contacts sync failed")
        skipped.append(f"hand-over of leavers' and manager changes' work failed ({exc}); it stays unassigned "
                       "until handle_departure / handle_manager_change run again for them (see the log)")
    budget = _Budget(client, quota_reserve)
    codes = list(process_codes) if process_codes is not None else _known_codes(store, corp_id)
    approvals = tuple(
        c for c in (_catch_up_approvals(store, client, corp_id, code, now - timedelta(days=approval_days), now,
                                        budget, skipped) for code in codes) if c is not None)
    attendance_summary = None
    if attendance:
        attendance_summary = _yesterday(store, client, corp_id, now.astimezone(zone).date(), budget, skipped)
    for reason in skipped:
        log.warning("reconcile: %s", reason)
    return ReconcileSummary(failed_pushes=drained, contacts=contacts, approvals=approvals,
                            attendance=attendance_summary, skipped=tuple(skipped))


def _known_codes(store: Store, corp_id: str) -> list[str]:
    with store.session() as s:
        stmt = select(ApprovalInstance.process_code).where(ApprovalInstance.corp_id == corp_id).distinct()
        return sorted(code for code in s.exec(stmt) if code)


def _catch_up_approvals(store: Store, client: Any, corp_id: str, code: str, start: datetime, end: datetime,
                        budget: _Budget, skipped: list[str]) -> ApprovalCatchUp | None:
    with store.session() as s:
        stored = {row.process_instance_id: row.status for row in
                  s.exec(select(ApprovalInstance).where(ApprovalInstance.corp_id == corp_id,
                                                        ApprovalInstance.process_code == code))}
    open_ids = [i for i, status in stored.items() if status in OPEN_STATUSES]
    # Listing costs one call per 20 ids per 120-day window; we cannot know the count first, so ask for one page.
    if not budget.take(1 + len(open_ids)):
        skipped.append(f"approvals {code}: not enough monthly quota left to re-read {len(open_ids)} open instances")
        return None
    listed = list(client.workflow.iter_instance_ids(code, start, end))
    budget.take(max(0, math.ceil(len(listed) / 20) - 1))
    wanted = list(dict.fromkeys([i for i in listed if stored.get(i) in (None, *OPEN_STATUSES)] + open_ids))
    changed = reread = 0
    for instance_id in wanted:
        if not budget.take(1):
            skipped.append(f"approvals {code}: quota reserve reached after {reread} of {len(wanted)} re-reads")
            break
        reread += 1
        outcome = refresh_approval(store=store, client=client, corp_id=corp_id, process_instance_id=instance_id,
                                   process_code=code)
        changed += outcome in ("created", "updated")
    return ApprovalCatchUp(process_code=code, listed=len(listed), reread=reread, changed=changed)


def _yesterday(store: Store, client: Any, corp_id: str, today: Any, budget: _Budget,
               skipped: list[str]) -> AttendanceSyncSummary | None:
    with store.session() as s:
        userids = [e.userid for e in list_employees(session=s, corp_id=corp_id)]
    if not userids:
        return None
    day = today - timedelta(days=1)
    if not budget.take(calls_needed(len(userids), day, day)):
        skipped.append(f"attendance {day}: {calls_needed(len(userids), day, day)} calls would eat into the "
                       "monthly quota reserve; run `dingperf sync attendance` when the quota allows")
        return None
    return sync_attendance(store=store, client=client, corp_id=corp_id, date_from=day, date_to=day,
                           userids=userids)


def run_nightly(settings: Any, store: Store, client: Any | None = None) -> ReconcileSummary:
    """The scheduler's entry point: reconcile with settings' corp, org time zone and a client (built if None)."""
    if client is None:
        from dingperf.services.client_factory import build_client

        client = build_client(settings, store=store)
    return reconcile(store=store, client=client, corp_id=settings.dingtalk.corp_id, zone=settings.org.zone,
                     hr_userids=settings.org.hr_userids, public_url=settings.server.public_url)
