"""Full address-book sync: every department and employee into the store, resumable, writing only changes.

The tree walk (contacts_walk.py) runs the four address-book APIs side by side; this module is its one
writer. It commits in batches and, in the same transaction, a checkpoint naming the departments and users
already written, so a crashed sync continues where it stopped and ends with the same rows. At the end,
employees no longer in the org are deactivated (history kept) and vanished departments marked removed.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from dingperf.dingtalk.contacts import DepartmentDetail
from dingperf.services.contacts_checkpoint import CHECKPOINT, SyncState, start_state
from dingperf.services.contacts_walk import (
    DeptDone,
    DeptGone,
    TreeWalk,
    UserFetched,
    UserGone,
    WalkFailed,
    WalkFinished,
)
from dingperf.services.org_mapping import (
    DeptFacts,
    ManagerSource,
    UnknownDepartment,
    choose_manager,
    department_row,
    employee_row,
    facts_of,
)
from dingperf.store.engine import Store
from dingperf.store.repositories import (
    clear_checkpoint,
    deactivate_employee,
    remove_department,
    save_checkpoint,
    upsert_department,
    upsert_employees,
)
from dingperf.store.tables.org import Department, Employee, EmployeeBase

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class SyncProgress:
    """Where a running sync is; passed to `on_progress` after every committed batch."""

    departments_done: int
    users_done: int
    users_seen: int


@dataclass(frozen=True)
class ContactsSyncOptions:
    """Tuning and hooks. `on_progress` runs after each commit; an exception from it aborts the sync
    (its checkpoint stays, so the next run resumes)."""

    workers_per_api: int = 4
    user_workers: int | None = None  # threads for user/get (default 2 × workers_per_api)
    batch_size: int = 500
    flush_s: float = 1.0
    # Rows are committed every flush; the checkpoint (which grows with the org) at most this often.
    # Work committed after the last checkpoint is simply redone on resume: upserts are idempotent.
    checkpoint_every_s: float = 5.0
    resume: bool = True
    on_progress: Callable[[SyncProgress], None] | None = None
    progress_bar: bool = False


@dataclass(frozen=True)
class ContactsSyncSummary:
    """What a full sync did; `calls` is HTTP requests per DingTalk API path during the sync."""

    departments: int
    users: int
    created: int
    updated: int
    unchanged: int
    deactivated: int
    departments_created: int
    departments_updated: int
    departments_removed: int
    managers: Mapping[str, int]
    calls: Mapping[str, int]
    duration_s: float
    resumed: bool

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["managers"], out["calls"] = dict(self.managers), dict(self.calls)
        return out


def sync_contacts(*, store: Store, client: Any, corp_id: str, options: ContactsSyncOptions | None = None,
                  now: datetime | None = None) -> ContactsSyncSummary:
    """Sync every department and employee of the org; resumes an interrupted run unless options.resume
    is False. Raises what DingTalk or the store raised (the checkpoint then stays for the next run)."""
    options = options or ContactsSyncOptions()
    began, calls_before = time.perf_counter(), dict(client.stats().calls)
    state, resumed = start_state(store, corp_id, resume=options.resume, now=now or datetime.now(UTC))
    run = _Writer(store, corp_id, state, options)
    with run.progress_display():
        run.run(client)
        run.finish()
    calls_after = client.stats().calls
    calls = {p: n - calls_before.get(p, 0) for p, n in calls_after.items() if n - calls_before.get(p, 0)}
    c = state.counts
    return ContactsSyncSummary(
        departments=len(state.depts), users=len(run.live_users()), created=c["created"], updated=c["updated"],
        unchanged=c["unchanged"], deactivated=c["deactivated"], departments_created=c["dept_created"],
        departments_updated=c["dept_updated"], departments_removed=c["dept_removed"],
        managers={s.value: c[f"manager_{s.value}"] for s in ManagerSource}, calls=calls,
        duration_s=round(time.perf_counter() - began, 3), resumed=resumed)


class _Writer:
    """Drains the walk's messages into the store in batches; owns the checkpoint."""

    def __init__(self, store: Store, corp_id: str, state: SyncState, options: ContactsSyncOptions) -> None:
        self.store, self.corp_id, self.state, self.options = store, corp_id, state, options
        self.facts: dict[int, DeptFacts] = {}
        self.pending_depts: list[DeptDone] = []
        self.pending_users: list[Any] = []  # UserDetail values waiting to be written
        self.deferred: list[Any] = []  # users whose manager fallback needs a department not known yet
        self.walk_finished = False
        self._bar: Any = None
        self._checkpointed_at = float("-inf")

    def _load_known(self) -> dict[int, tuple[DepartmentDetail, tuple[int, ...]]]:
        """Departments the interrupted run finished: detail from their stored rows, children from the checkpoint."""
        known: dict[int, tuple[DepartmentDetail, tuple[int, ...]]] = {}
        with self.store.session() as s:
            rows = s.exec(select(Department).where(Department.corp_id == self.corp_id,
                                                   col(Department.dept_id).in_(list(self.state.depts))))
            for row in rows:
                detail = DepartmentDetail(dept_id=row.dept_id, name=row.name, parent_id=row.parent_id,
                                          order=row.order, leader_userids=tuple(row.leader_userids),
                                          member_count=None, org_dept_owner=None, hide_dept=False)
                known[row.dept_id] = (detail, self.state.depts[row.dept_id][0])
                self.facts[row.dept_id] = facts_of(detail)
        return known

    # ---- the loop --------------------------------------------------------------------------------

    def run(self, client: Any) -> None:
        walk = TreeWalk(client, workers_per_api=self.options.workers_per_api, user_workers=self.options.user_workers,
                        known=self._load_known(), skip_users=self.state.users_done | self.state.gone_users)
        walk.start()
        last_flush = time.monotonic()
        try:
            while True:
                timeout = max(0.0, self.options.flush_s - (time.monotonic() - last_flush))
                try:
                    message = walk.messages.get(timeout=timeout)
                except queue.Empty:
                    message = None
                if isinstance(message, WalkFailed):
                    raise message.error
                if isinstance(message, WalkFinished):
                    self.walk_finished = True
                    self.flush()
                    return
                self._take(message)
                self._totals(walk.totals)
                waiting = len(self.pending_users) + len(self.pending_depts)
                if waiting >= self.options.batch_size or time.monotonic() - last_flush >= self.options.flush_s:
                    self.flush()
                    last_flush = time.monotonic()
        except BaseException:
            walk.stop()
            raise
        finally:
            walk.close()

    def _take(self, message: Any) -> None:
        if isinstance(message, DeptDone):
            self.facts[message.detail.dept_id] = facts_of(message.detail)
            self.pending_depts.append(message)
            self._advance("departments")
        elif isinstance(message, UserFetched):
            self.pending_users.append(message.detail)
            self._advance("users")
        elif isinstance(message, UserGone):
            self.state.gone_users.add(message.userid)
            self._advance("users")
        elif isinstance(message, DeptGone):
            self.state.gone_depts.add(message.dept_id)
            self.state.depts.pop(message.dept_id, None)  # finished by an interrupted run, removed since

    # ---- batches ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what arrived, plus the checkpoint, in one transaction; then tell `on_progress`."""
        users, self.pending_users = self.deferred + self.pending_users, []
        depts, self.pending_depts = self.pending_depts, []
        rows, self.deferred = self._rows_ready(users)
        if not (rows or depts or self.walk_finished):
            return
        due = time.monotonic() - self._checkpointed_at >= self.options.checkpoint_every_s
        with self.store.session() as s:
            for done in depts:
                self._write_department(s, done)
            self._write_employees(s, rows)
            if due and not self.walk_finished:  # the last flush is followed by finish(), which clears it
                save_checkpoint(session=s, corp_id=self.corp_id, name=CHECKPOINT, value=self.state.dump())
                self._checkpointed_at = time.monotonic()
        if self.options.on_progress is not None:
            self.options.on_progress(SyncProgress(len(self.state.depts), len(self.state.users_done),
                                                  len(self.live_users())))

    def _rows_ready(self, users: list[Any]) -> tuple[list[tuple[EmployeeBase, ManagerSource]], list[Any]]:
        ready, later = [], []
        for user in users:
            try:
                choice = choose_manager(user, self.facts.get, strict=not self.walk_finished)
            except UnknownDepartment:
                later.append(user)
                continue
            ready.append((employee_row(user, choice.userid), choice.source))
        return ready, later

    def _write_department(self, s: Session, done: DeptDone) -> None:
        dept_id = done.detail.dept_id
        existed = s.get(Department, (dept_id, self.corp_id)) is not None
        if upsert_department(session=s, corp_id=self.corp_id, department=department_row(done.detail)):
            self.state.counts["dept_updated" if existed else "dept_created"] += 1
        self.state.depts[dept_id] = (done.children, done.members)

    def _write_employees(self, s: Session, rows: list[tuple[EmployeeBase, ManagerSource]]) -> None:
        if not rows:
            return
        ids = [row.userid for row, _ in rows]
        existing = set(s.exec(select(Employee.userid).where(Employee.corp_id == self.corp_id,
                                                            col(Employee.userid).in_(ids))))
        changed = upsert_employees(session=s, corp_id=self.corp_id, employees=[row for row, _ in rows],
                                   now=self.state.started_at)
        created = len(set(ids) - existing)
        c = self.state.counts
        c["created"] += created
        c["updated"] += changed - created
        c["unchanged"] += len(rows) - changed
        for row, source in rows:
            c[f"manager_{source.value}"] += 1
            self.state.users_done.add(row.userid)

    # ---- the end ---------------------------------------------------------------------------------

    def live_users(self) -> set[str]:
        members = {u for _, m in self.state.depts.values() for u in m}
        return members - self.state.gone_users

    def finish(self) -> None:
        """Deactivate employees and remove departments DingTalk no longer has; drop the checkpoint."""
        live_users, live_depts = self.live_users(), set(self.state.depts)
        when = self.state.started_at
        with self.store.session() as s:
            active = s.exec(select(Employee.userid).where(Employee.corp_id == self.corp_id,
                                                          col(Employee.active).is_(True)))
            for userid in sorted(set(active) - live_users):
                if deactivate_employee(session=s, corp_id=self.corp_id, userid=userid, departed_at=when):
                    self.state.counts["deactivated"] += 1
            current = s.exec(select(Department.dept_id).where(Department.corp_id == self.corp_id,
                                                              col(Department.active).is_(True)))
            for dept_id in sorted(set(current) - live_depts):
                if remove_department(session=s, corp_id=self.corp_id, dept_id=dept_id, removed_at=when):
                    self.state.counts["dept_removed"] += 1
            clear_checkpoint(session=s, corp_id=self.corp_id, name=CHECKPOINT)

    # ---- progress bar ----------------------------------------------------------------------------

    def progress_display(self) -> Any:
        from contextlib import nullcontext

        if not self.options.progress_bar:
            return nullcontext()
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        # stderr, so `dingperf sync > summary.txt` keeps the summary clean
        progress = Progress(TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), console=Console(stderr=True), transient=False)
        self._bar = {
            "progress": progress,
            "departments": progress.add_task("departments", total=None, completed=len(self.state.depts)),
            "users": progress.add_task("users", total=None,
                                       completed=len(self.state.users_done) + len(self.state.gone_users)),
        }
        return progress

    def _totals(self, totals: tuple[int, int]) -> None:
        if self._bar is not None:
            progress = self._bar["progress"]
            progress.update(self._bar["departments"], total=totals[0])
            progress.update(self._bar["users"], total=totals[1])

    def _advance(self, what: str) -> None:
        if self._bar is not None:
            self._bar["progress"].advance(self._bar[what])
