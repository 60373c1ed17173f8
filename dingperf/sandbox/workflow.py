"""The sandbox org's approvals: processes and their instances (DINGTALK.md §5).

Instances are kept as plain records with millisecond times; routes_workflow.py renders them in
the current (§5.1) or legacy (§5.3) shape. The mutators are what bpms_* events stand for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.clock import Clock


class UnknownInstance(LookupError):
    """No approval instance with that id (DingTalk: processInstanceNotExist)."""


class UnknownProcess(LookupError):
    """No approval process with that code (DingTalk: invalidProcessCode)."""


@dataclass(frozen=True)
class FormField:
    """One form component: `kind` is DingTalk's componentType (TextField, MoneyField, NumberField, …)."""

    name: str
    kind: str
    biz_alias: str = ""


@dataclass(frozen=True)
class Process:
    process_code: str
    name: str
    fields: tuple[FormField, ...]


@dataclass
class Task:
    task_id: int
    userid: str
    status: str  # NEW|RUNNING|PAUSED|CANCELED|COMPLETED|TERMINATED
    result: str  # AGREE|REFUSE|REDIRECTED|NONE
    create_ms: int
    finish_ms: int | None = None
    activity_id: str = "approve_1"


@dataclass
class Instance:
    process_instance_id: str
    process_code: str
    title: str
    business_id: str
    originator_userid: str
    originator_dept_id: int
    originator_dept_name: str
    create_ms: int
    status: str  # RUNNING|TERMINATED|COMPLETED
    result: str = ""  # agree|refuse once COMPLETED
    finish_ms: int | None = None
    form: list[dict[str, Any]] = field(default_factory=list)  # {id, name, value, componentType, bizAlias}
    tasks: list[Task] = field(default_factory=list)
    cc_userids: list[str] = field(default_factory=list)
    remarks: list[dict[str, Any]] = field(default_factory=list)  # extra operation records


class Workflow:
    """Processes and instances, listable by process code and create-time window."""

    def __init__(self, clock: Clock, lock: threading.RLock | None = None) -> None:
        self._clock = clock
        self.lock = lock or threading.RLock()
        self.processes: dict[str, Process] = {}
        self.instances: dict[str, Instance] = {}
        self._seq = 0

    def add_process(self, process: Process) -> Process:
        with self.lock:
            self.processes[process.process_code] = process
            return process

    def process(self, process_code: str) -> Process:
        with self.lock:
            found = self.processes.get(process_code)
            if found is None:
                raise UnknownProcess(f"process {process_code!r} does not exist")
            return found

    def instance(self, process_instance_id: str) -> Instance:
        with self.lock:
            found = self.instances.get(process_instance_id)
            if found is None:
                raise UnknownInstance(f"process instance {process_instance_id!r} does not exist")
            return found

    def query_ids(
        self,
        process_code: str,
        start_ms: int,
        end_ms: int,
        *,
        userids: list[str] | None = None,
        statuses: list[str] | None = None,
    ) -> list[str]:
        """Ids of the process's instances created in [start_ms, end_ms], oldest first."""
        self.process(process_code)
        with self.lock:
            found = [
                i
                for i in self.instances.values()
                if i.process_code == process_code
                and start_ms <= i.create_ms <= end_ms
                and (not userids or i.originator_userid in userids)
                and (not statuses or i.status in statuses)
            ]
        found.sort(key=lambda i: (i.create_ms, i.process_instance_id))
        return [i.process_instance_id for i in found]

    # ---- mutators (what bpms_instance_change / bpms_task_change events report) ----------------

    def start_instance(
        self,
        *,
        process_code: str,
        originator_userid: str,
        originator_dept_id: int,
        originator_dept_name: str,
        values: dict[str, str],
        approver_userids: list[str],
        create_ms: int | None = None,
        instance_id: str | None = None,
        title: str | None = None,
    ) -> Instance:
        """Start a RUNNING instance whose form holds `values` (by field name); first approver gets the task."""
        process = self.process(process_code)
        unknown = set(values) - {f.name for f in process.fields}
        if unknown:
            raise ValueError(f"process {process_code} has no field(s) {sorted(unknown)}")
        create_ms = self._clock.now_ms() if create_ms is None else create_ms
        with self.lock:
            self._seq += 1
            instance_id = (
                instance_id
                or uuid.uuid5(uuid.NAMESPACE_URL, f"{process_code}/{self._seq}/{create_ms}").hex[:22]
            )
            business_id = f"{_ymd(create_ms)}{self._seq:09d}"
            form = [
                {
                    "id": f"{f.kind}_{_digits(process_code, f.name)}",
                    "name": f.name,
                    "value": values.get(f.name, ""),
                    "componentType": f.kind,
                    "bizAlias": f.biz_alias,
                }
                for f in process.fields
            ]
            tasks = [
                Task(self._task_id(), userid, "RUNNING" if n == 0 else "NEW", "NONE", create_ms)
                for n, userid in enumerate(approver_userids)
            ]
            instance = Instance(
                instance_id,
                process_code,
                title or process.name,
                business_id,
                originator_userid,
                originator_dept_id,
                originator_dept_name,
                create_ms,
                "RUNNING",
                form=form,
                tasks=tasks,
            )
            self.instances[instance_id] = instance
            return instance

    def finish_instance(
        self, process_instance_id: str, result: str, finish_ms: int | None = None
    ) -> Instance:
        """Complete a RUNNING instance with agree or refuse (the approvers acted in order)."""
        if result not in ("agree", "refuse"):
            raise ValueError(f"result must be agree or refuse, got {result!r}")
        with self.lock:
            instance = self._running(process_instance_id)
            finish_ms = self._clock.now_ms() if finish_ms is None else finish_ms
            # Tasks already closed (by bpms_task_change events) keep their outcome. For the open ones,
            # agree: each agrees in turn; refuse: the first refuses (unless one already did), the rest lapse.
            refused = any(t.result == "REFUSE" for t in instance.tasks)
            for task in instance.tasks:
                if task.status not in ("NEW", "RUNNING"):
                    continue
                if result == "agree":
                    task.status, task.result = "COMPLETED", "AGREE"
                elif not refused:
                    task.status, task.result, refused = "COMPLETED", "REFUSE", True
                else:
                    task.status = "CANCELED"
                task.finish_ms = finish_ms
            instance.status, instance.result, instance.finish_ms = "COMPLETED", result, finish_ms
            return instance

    def terminate_instance(self, process_instance_id: str, finish_ms: int | None = None) -> Instance:
        """The originator revokes a RUNNING instance."""
        with self.lock:
            instance = self._running(process_instance_id)
            finish_ms = self._clock.now_ms() if finish_ms is None else finish_ms
            for task in instance.tasks:
                if task.status in ("NEW", "RUNNING"):
                    task.status, task.finish_ms = "CANCELED", finish_ms
            instance.status, instance.result, instance.finish_ms = "TERMINATED", "", finish_ms
            return instance

    def _running(self, process_instance_id: str) -> Instance:
        instance = self.instance(process_instance_id)
        if instance.status != "RUNNING":
            raise ValueError(f"instance {process_instance_id} is {instance.status}, not RUNNING")
        return instance

    def _task_id(self) -> int:
        self._seq += 1
        return 60_000_000_000 + self._seq


def _digits(*parts: str) -> str:
    return str(
        int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=5).digest(), "big")
    ).zfill(13)


def _ymd(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M")
