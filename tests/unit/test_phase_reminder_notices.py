"""Wording of deadline reminders, missed-deadline notices, escalations and refused closes: what is owed and by
when, and even the longest inputs fit DingTalk's 2048-byte msg limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dingperf.perf.cycles import Phase
from dingperf.perf.reminders import Task
from dingperf.services import perf_notices as notices

AT = datetime(2026, 10, 10, 10, 0, tzinfo=UTC)
LONG_ID = "x" * 64
LONG_NAME = "绩" * 200
URL = "https://perf.example.com/a/rather/long/prefix/for/the/workbench"
ALL_TASKS = tuple(t.value for t in Task)
COMMON = {"corp_id": LONG_ID, "cycle_id": LONG_ID, "cycle_name": LONG_NAME, "timezone": "Asia/Shanghai",
          "phase": Phase.MANAGER_REVIEW, "deadline": AT, "public_url": URL}


def _size(msg: dict[str, Any]) -> int:
    return len(json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode())


def _text(msg: dict[str, Any]) -> str:
    return msg["markdown"]["text"] if "markdown" in msg else msg["action_card"]["markdown"]


@pytest.mark.parametrize("msg", [
    notices.phase_reminder_notice(before=timedelta(days=7), tasks=ALL_TASKS, **COMMON),
    notices.phase_missed_notice(tasks=ALL_TASKS, **COMMON),
    notices.phase_escalation_notice(late=["名" * 100] * 500, **COMMON),
    notices.phase_close_refused_notice(problem="很长的原因" * 400, **COMMON),
])
def test_the_longest_inputs_still_fit_dingtalks_msg_limit(msg: dict[str, Any]) -> None:
    assert _size(msg) <= 2048


def test_every_task_has_a_todo_text() -> None:
    msg = notices.phase_reminder_notice(before=timedelta(days=1), tasks=ALL_TASKS, **{**COMMON, "public_url": ""})
    assert all(todo in _text(msg) for todo, _ in notices._TASK_TODO.values())


def test_a_reminder_says_the_time_left_in_days_or_hours() -> None:
    days = notices.phase_reminder_notice(before=timedelta(days=3), tasks=["self_review"], **COMMON)
    hours = notices.phase_reminder_notice(before=timedelta(hours=36), tasks=["self_review"], **COMMON)
    assert "**3天**" in _text(days) and "**36小时**" in _text(hours)


def test_a_reminder_mentions_the_manager_only_when_the_deadline_escalates() -> None:
    told = notices.phase_reminder_notice(before=timedelta(days=1), tasks=["self_review"], **COMMON)
    quiet = notices.phase_reminder_notice(before=timedelta(days=1), tasks=["calibrate"], escalates=False, **COMMON)
    assert "告知你的上级" in _text(told) and "告知你的上级" not in _text(quiet)


def test_an_escalation_names_the_first_twenty_and_counts_everyone() -> None:
    msg = notices.phase_escalation_notice(late=[f"员工{i}" for i in range(45)], **COMMON)
    assert "员工19" in _text(msg) and "员工20" not in _text(msg) and "等45人" in _text(msg)
