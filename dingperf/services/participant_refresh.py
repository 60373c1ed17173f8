"""Re-evaluate a cycle's participant groups against the synced org until the cycle locks.

One refresh: read the org (employees, departments, job levels from "employee_profile" documents) and the
cycle's groups in one short transaction, match everyone outside any transaction, then in one write
transaction re-read the participants and who has data, apply the pure plan (perf.participant_plan) with bulk
statements, and append one audit entry with the counts. Nobody with inputs, ratings, a result, goals,
documents or an appeal in the cycle is ever deleted; they are marked ``unmatched:<source>`` and reported.

Triggers: contacts events mark the corp due (`mark_participants_due`, one checkpoint row, cheap); the
scheduler's `refresh_open_cycles` runs every unlocked cycle when marked due or once per `every`; locking
(`services.cycles.lock_cycle`) refreshes one last time in the same transaction that freezes the list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlmodel import Session

from dingperf.perf.groups import Employee, OrgContext
from dingperf.perf.participant_plan import Change, Current, RefreshPlan, match_participants, plan_refresh
from dingperf.services.employee_profiles import load_job_levels
from dingperf.services.participant_groups import cycle_exclusions_in, cycle_groups_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import PARTICIPANTS, Binder, executemany, fetch_rows, loads
from dingperf.store.repositories.audit import append_audit
from dingperf.store.repositories.checkpoint import load_checkpoint, save_checkpoint
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.types import utcnow

SYSTEM_ACTOR = "system:participants"
DUE_CHECKPOINT = "participants.refresh"
# Tables whose rows about a person in a cycle are work that must never vanish with the participant.
_DATA_SOURCES = (("perf_inputs", "userid"), ("perf_ratings", "userid"), ("perf_results", "userid"),
                 ("perf_appeals", "userid"), ("perf_goals", "owner_userid"), ("perf_documents", "subject_userid"))


@dataclass(frozen=True)
class RefreshReport:
    """What one refresh did, with a reason per person; `locked` means nothing was re-evaluated."""

    cycle_id: str
    locked: bool
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    newly_unmatched: tuple[Change, ...] = ()
    updated: tuple[Change, ...] = ()
    held: tuple[Change, ...] = ()
    unchanged: int = 0
    groups: int = 0

    def counts(self) -> dict[str, int]:
        """The diff counts (what the audit entry records)."""
        return {"added": len(self.added), "removed": len(self.removed), "unmatched": len(self.newly_unmatched),
                "updated": len(self.updated), "held": len(self.held), "unchanged": self.unchanged,
                "groups": self.groups}

    def summary(self) -> str:
        """One line for logs and the admin page."""
        if self.locked:
            return f"cycle {self.cycle_id} is locked: participants are frozen and were not re-evaluated"
        return f"cycle {self.cycle_id}: " + ", ".join(f"{k} {v}" for k, v in self.counts().items())


class _Parsed(dict[Any, Any]):
    """Parses a column value once per distinct value: thousands of people share a team and a hire date."""

    def __init__(self, parse: Callable[[Any], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, value: Any) -> Any:
        parsed = self[value] = self.parse(value)
        return parsed


def _date(value: Any) -> date | None:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value  # SQLite gives text


def _dept_ids(value: str | None) -> tuple[str, ...]:
    return tuple(str(d) for d in loads(value) or ()) if value else ()


def load_org_context(conn: Connection, corp_id: str, as_of: date) -> OrgContext:
    """The pure org (every employee, departments child → parent, job levels) in three range reads."""
    p = Binder(conn).placeholder
    parents = {str(d): (None if parent is None else str(parent)) for d, parent in fetch_rows(
        conn, f"SELECT dept_id, parent_id FROM departments WHERE corp_id = {p}", (corp_id,))}
    levels = load_job_levels(conn, corp_id)
    # dept_ids as text on both databases, so equal lists parse once (psycopg would build 100,000 lists).
    rows = fetch_rows(conn, "SELECT userid, name, title, hired_date, CAST(dept_ids AS TEXT), manager_userid, active "
                       f"FROM employees WHERE corp_id = {p}", (corp_id,))
    depts, dates = _Parsed(_dept_ids), _Parsed(_date)
    employees = {uid: Employee(uid, name, depts[d], title or "", levels.get(uid), dates[hired], manager or None,
                               bool(active)) for uid, name, title, hired, d, manager, active in rows}
    return OrgContext(as_of, parents, employees)


def _current(conn: Connection, corp_id: str, cycle_id: str) -> dict[str, Current]:
    p = Binder(conn).placeholder
    rows = conn.exec_driver_sql(f"SELECT userid, source, manager_userid FROM {PARTICIPANTS.name} "
                                f"WHERE corp_id = {p} AND cycle_id = {p}", (corp_id, cycle_id)).fetchall()
    return {uid: Current(source, manager) for uid, source, manager in rows}


def _with_data(conn: Connection, corp_id: str, cycle_id: str) -> set[str]:
    p = Binder(conn).placeholder
    union = " UNION ".join(f"SELECT {who} FROM {table} WHERE corp_id = {p} AND cycle_id = {p} AND {who} IS NOT NULL"
                           for table, who in _DATA_SOURCES)
    params = (corp_id, cycle_id) * len(_DATA_SOURCES)
    return {uid for (uid,) in conn.exec_driver_sql(union, params).fetchall()}


def _apply(conn: Connection, corp_id: str, cycle_id: str, plan: RefreshPlan, now: datetime) -> None:
    b = Binder(conn)
    p = b.placeholder
    executemany(conn, f"DELETE FROM {PARTICIPANTS.name} WHERE corp_id = {p} AND cycle_id = {p} AND userid = {p}",
                [(corp_id, cycle_id, c.userid) for c in plan.removed])
    executemany(conn, f"UPDATE {PARTICIPANTS.name} SET source = {p}, manager_userid = {p} "
                      f"WHERE corp_id = {p} AND cycle_id = {p} AND userid = {p}",
                [(c.source, c.manager_userid, corp_id, cycle_id, c.userid)
                 for c in plan.updated + plan.newly_unmatched])
    at = b.time(now)
    executemany(conn, f"INSERT INTO {PARTICIPANTS.name} (corp_id, cycle_id, userid, manager_userid, source, "
                      f"added_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}) "
                      "ON CONFLICT (corp_id, cycle_id, userid) DO NOTHING",
                [(corp_id, cycle_id, c.userid, c.manager_userid, c.source, at) for c in plan.added])


def freeze_participants_in(s: Session, row: PerfCycle, *, actor: str, now: datetime) -> bool:
    """Set the cycle's participant lock inside the caller's transaction (audited once); False if already set."""
    if row.locked_at is not None:
        return False
    row.locked_at = row.updated_at = now
    s.add(row)
    append_audit(session=s, corp_id=row.corp_id, actor=actor, action="cycle.lock", subject=f"cycle:{row.cycle_id}",
                 at=now)
    return True


def _cycle(s: Session, corp_id: str, cycle_id: str) -> PerfCycle:
    row = s.get(PerfCycle, (corp_id, cycle_id))
    if row is None:
        raise NotFound(f"no cycle {cycle_id!r} in corp {corp_id}; check the id (create it with create_cycle)")
    return row


def refresh_participants(store: Store, corp_id: str, cycle_id: str, *, now: datetime, actor: str = SYSTEM_ACTOR,
                         lock: bool = False, audit_unchanged: bool = True) -> RefreshReport:
    """Re-evaluate the cycle's groups and apply the diff (see the module doc); with `lock`, also freeze the
    participant list in the same transaction. A locked cycle is left as it is.

    `audit_unchanged=False` (the periodic job) skips the audit entry when nothing changed, so hourly no-op
    runs do not bury a cycle's history."""
    with store.session() as s:
        row = _cycle(s, corp_id, cycle_id)
        if row.locked_at is not None:
            return RefreshReport(cycle_id, locked=True)
        groups = cycle_groups_in(s, corp_id, cycle_id)
        exclusions = cycle_exclusions_in(s, corp_id, cycle_id)
        ctx = load_org_context(s.connection(), corp_id, now.astimezone(ZoneInfo(row.timezone)).date())
    matches = match_participants(groups, ctx, exclusions)  # the expensive part, outside the write lock
    with store.session() as s:
        row = _cycle(s, corp_id, cycle_id)
        if row.locked_at is not None:  # locked while we were matching
            return RefreshReport(cycle_id, locked=True)
        conn = s.connection()
        plan = plan_refresh(_current(conn, corp_id, cycle_id), matches, _with_data(conn, corp_id, cycle_id), groups,
                            ctx, exclusions)
        _apply(conn, corp_id, cycle_id, plan, now)
        report = RefreshReport(cycle_id, False, plan.added, plan.removed, plan.newly_unmatched, plan.updated,
                               plan.held, plan.unchanged, len(groups))
        if audit_unchanged or plan.added or plan.removed or plan.newly_unmatched or plan.updated:
            append_audit(session=s, corp_id=corp_id, actor=actor, action="cycle.participants_refresh",
                         subject=f"cycle:{cycle_id}", after=report.counts(), at=now)
        if lock:
            freeze_participants_in(s, row, actor=actor, now=now)
        return report


def mark_participants_due(store: Store, corp_id: str, *, now: datetime | None = None) -> None:
    """Note that the org changed, so the next scheduler tick refreshes every unlocked cycle (debounced)."""
    with store.session() as s:
        value = load_checkpoint(session=s, corp_id=corp_id, name=DUE_CHECKPOINT) or {}
        value["marked_at"] = (now or utcnow()).isoformat()
        save_checkpoint(session=s, corp_id=corp_id, name=DUE_CHECKPOINT, value=value, now=now)


def refresh_open_cycles(store: Store, corp_id: str, *, now: datetime, every: timedelta = timedelta(hours=1),
                        actor: str = SYSTEM_ACTOR) -> list[RefreshReport]:
    """Refresh every unlocked cycle when the org was marked changed or `every` has passed since the last run;
    otherwise do nothing (returns []). A cycle that fails does not stop the others; the first error is raised
    after the run is recorded, so the scheduler logs it."""
    with store.session() as s:
        seen = load_checkpoint(session=s, corp_id=corp_id, name=DUE_CHECKPOINT) or {}
        last = seen.get("last_run")
        if not seen.get("marked_at") and last and now - datetime.fromisoformat(last) < every:
            return []
        p = Binder(s.connection()).placeholder
        cycle_ids = [c for (c,) in s.connection().exec_driver_sql(
            f"SELECT cycle_id FROM perf_cycles WHERE corp_id = {p} AND locked_at IS NULL ORDER BY cycle_id",
            (corp_id,)).fetchall()]
    reports: list[RefreshReport] = []
    failures: list[Exception] = []
    for cycle_id in cycle_ids:
        try:
            reports.append(refresh_participants(store, corp_id, cycle_id, now=now, actor=actor,
                                                audit_unchanged=False))
        except Exception as exc:  # noqa: BLE001 — re-raised below, once the others had their turn
            failures.append(exc)
    with store.session() as s:
        value = load_checkpoint(session=s, corp_id=corp_id, name=DUE_CHECKPOINT) or {}
        # A change marked while we ran stays due for the next tick.
        marked = value.get("marked_at") if value.get("marked_at") != seen.get("marked_at") else None
        save_checkpoint(session=s, corp_id=corp_id, name=DUE_CHECKPOINT,
                        value={"marked_at": marked, "last_run": now.isoformat()}, now=now)
    if failures:
        raise failures[0]
    return reports
