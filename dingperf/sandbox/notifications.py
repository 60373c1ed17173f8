"""Work-notification tasks and their per-recipient outcomes (DINGTALK.md §6.1, §11.4).

DingTalk accepts the send and decides per recipient afterwards: identical content reaches a
user once per day (143106), a user gets at most 500 per day (143105), an app reaches at most 5000
recipients per rolling minute (the rest are dropped with a QPM code), unknown users are invalid. The
caller only learns this from getsendresult, so the sandbox records it per task.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from dingperf.sandbox.mailbox import WORK_NOTIFICATION, Mailbox
from dingperf.sandbox.roster import Roster

DUPLICATE_CONTENT = "143106"
DAILY_CAP = "143105"
# DINGTALK.md §6.1 names 143103/143104 as the QPM codes without saying which is which; we use 143104 for the
# recipients-per-minute cap. The cap itself (5000/min) conflicts with error 41047's 1500: also unconfirmed.
MINUTE_CAP = "143104"
MINUTE_S = 60.0
RESULT_MAX_AGE_S = 24 * 3600
# DingTalk's "per day" is the China calendar day (UTC+8, no DST).
_CHINA_OFFSET_S = 8 * 3600


def china_day(epoch_s: float) -> int:
    """Day number of the Asia/Shanghai calendar date containing `epoch_s`."""
    return int((epoch_s + _CHINA_OFFSET_S) // 86_400)


def content_key(msg: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(msg, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class UnknownTask(LookupError):
    """No send task with that id for this agent, or it is older than getsendresult keeps (24 h)."""


@dataclass
class SendTask:
    """One asyncsend_v2 call and what happened to each recipient."""

    task_id: int
    agent_id: int
    created_s: float
    msg: dict[str, Any]
    delivered: list[str] = field(default_factory=list)
    invalid_user_ids: list[str] = field(default_factory=list)
    invalid_dept_ids: list[int] = field(default_factory=list)
    forbidden: list[dict[str, Any]] = field(default_factory=list)  # [{code, count, userid}]
    recalled: bool = False

    def result_json(self, read_userids: set[str]) -> dict[str, Any]:
        """The `send_result` object of getsendresult."""
        return {
            "invalid_user_id_list": list(self.invalid_user_ids),
            "forbidden_user_id_list": [f["userid"] for f in self.forbidden],
            "failed_user_id_list": [],
            "read_user_id_list": [u for u in self.delivered if u in read_userids],
            "unread_user_id_list": [u for u in self.delivered if u not in read_userids],
            "invalid_dept_id_list": list(self.invalid_dept_ids),
            "forbidden_list": [dict(f) for f in self.forbidden],
        }


@dataclass
class WorkNotifier:
    """Sends work notifications into the mailbox under DingTalk's per-user daily rules."""

    mailbox: Mailbox
    daily_cap_per_user: int = 500
    recipients_per_minute: int = 5000
    _recent: dict[int, deque[tuple[float, int]]] = field(default_factory=dict)  # agent -> (time, recipients)
    _tasks: dict[int, SendTask] = field(default_factory=dict)
    _seen: set[tuple[int, str, str]] = field(default_factory=set)  # (day, userid, content key)
    _count: dict[tuple[int, str], int] = field(default_factory=dict)  # (day, userid) -> delivered
    _ids: itertools.count = field(default_factory=lambda: itertools.count(256271667526))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def send(
        self,
        *,
        agent_id: int,
        userids: list[str],
        dept_ids: list[int],
        to_all_user: bool,
        msg: dict[str, Any],
        roster: Roster,
        now_s: float,
    ) -> SendTask:
        """Resolve recipients, apply dedup and the daily cap, deliver the rest; returns the task."""
        with self._lock:
            task = SendTask(task_id=next(self._ids), agent_id=agent_id, created_s=now_s, msg=msg)
            recipients = self._resolve(task, userids, dept_ids, to_all_user, roster)
            day, key, at_ms = china_day(now_s), content_key(msg), int(now_s * 1000)
            room = self._minute_room(agent_id, now_s)
            admitted = min(max(room, 0), len(recipients))
            for userid in recipients:
                if room <= 0:
                    task.forbidden.append({"code": MINUTE_CAP, "count": self.recipients_per_minute, "userid": userid})
                    continue
                room -= 1
                if (day, userid, key) in self._seen:
                    task.forbidden.append({"code": DUPLICATE_CONTENT, "count": 1, "userid": userid})
                    continue
                if self._count.get((day, userid), 0) >= self.daily_cap_per_user:
                    task.forbidden.append(
                        {"code": DAILY_CAP, "count": self.daily_cap_per_user, "userid": userid}
                    )
                    continue
                self._seen.add((day, userid, key))
                self._count[(day, userid)] = self._count.get((day, userid), 0) + 1
                task.delivered.append(userid)
                self.mailbox.deliver(
                    userid, WORK_NOTIFICATION, msg, {"task_id": task.task_id, "agent_id": agent_id}, at_ms
                )
            self._tasks[task.task_id] = task
            self._recent.setdefault(agent_id, deque()).append((now_s, admitted))
            return task

    def _minute_room(self, agent_id: int, now_s: float) -> int:
        """How many more recipients this agent may reach in the rolling minute ending now (recipients admitted
        under the cap count, even when dedup or the daily cap then drops them; those dropped by the cap do not)."""
        recent = self._recent.setdefault(agent_id, deque())
        while recent and recent[0][0] <= now_s - MINUTE_S:
            recent.popleft()
        return self.recipients_per_minute - sum(n for _, n in recent)

    def task(self, agent_id: int, task_id: int, now_s: float, max_age_s: float | None = None) -> SendTask:
        """A task of this agent; UnknownTask if absent or older than `max_age_s`."""
        with self._lock:
            task = self._tasks.get(task_id)
        if task is None or task.agent_id != agent_id:
            raise UnknownTask(f"no work-notification task {task_id} for agent {agent_id}")
        if max_age_s is not None and now_s - task.created_s >= max_age_s:
            raise UnknownTask(f"task {task_id} is older than {int(max_age_s // 3600)} h; its result is gone")
        return task

    def recall(self, agent_id: int, task_id: int, now_s: float) -> SendTask:
        """Withdraw a task's messages from every recipient's chat."""
        with self._lock:
            task = self.task(agent_id, task_id, now_s)
            task.recalled = True
        self.mailbox.mark_recalled(int(now_s * 1000), task_id=task_id)
        return task

    def read_userids(self, task_id: int) -> set[str]:
        return {d.userid for d in self.mailbox.matching(task_id=task_id) if d.read_at_ms is not None}

    @staticmethod
    def _resolve(
        task: SendTask, userids: list[str], dept_ids: list[int], to_all_user: bool, roster: Roster
    ) -> list[str]:
        ordered: dict[str, None] = {}
        for userid in userids:
            if roster.is_active_user(userid):
                ordered[userid] = None
            elif userid not in task.invalid_user_ids:
                task.invalid_user_ids.append(userid)
        for dept_id in dept_ids:
            members = roster.users_under(dept_id)
            if members is None:
                task.invalid_dept_ids.append(dept_id)
                continue
            ordered.update(dict.fromkeys(members))
        if to_all_user:
            ordered.update(dict.fromkeys(roster.all_active_userids()))
        return list(ordered)
