"""Wording of 面谈 and improvement-plan (绩效改进计划) notices, Chinese first; the one place this text is built.

An employee is asked to confirm each new or revised interview record. A person gets one plan reminder a day listing everything they are late on. DingTalk refuses a msg over 2048 bytes
(DINGTALK.md §6.1), so the list is cut to a byte budget and titles are clipped; the date in the text keeps each day's
reminder distinct (DingTalk drops identical content sent to one person twice in a day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from dingperf.dingtalk.messages import action_card_msg, markdown_msg
from dingperf.perf.improvement import Reminder
from dingperf.services.perf_notices import workbench_link

MAX_BYTES = 2048  # DingTalk's limit for the whole msg JSON (UTF-8: a Chinese character is 3 bytes)
LIST_BUDGET = 1200  # bytes of listed items; the rest is heading, footer, link and JSON framing
MAX_TITLE = 30  # characters of a task title or plan objective


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TITLE else text[:MAX_TITLE - 1] + "…"


def _line(r: Reminder, today: date) -> str:
    days = (today - r.due).days
    if r.task_id is None:
        return (f"- {r.employee} 的改进计划（{r.plan_id}）已于 {r.due.isoformat()} 到期（{days} 天前），"
                f"请评估结果并结束计划：{_clip(r.title)}")
    return f"- {r.employee} 的改进计划（{r.plan_id}）任务「{_clip(r.title)}」截止 {r.due.isoformat()}，已逾期 {days} 天"


def overdue_plan_notice(*, corp_id: str, today: date, items: Sequence[Reminder],
                        public_url: str = "") -> dict[str, Any]:
    """Today's reminder to one person: their overdue plan tasks and plans past their end needing an outcome."""
    title = f"改进计划逾期提醒（{today.isoformat()}）"
    listed: list[str] = []
    for r in items:
        line = _line(r, today)
        if sum(len(x.encode()) for x in (*listed, line)) > LIST_BUDGET:
            break
        listed.append(line)
    lines = [f"你有 {len(items)} 项改进计划事项已逾期：", *listed]
    if len(listed) < len(items):
        lines.append(f"……另有 {len(items) - len(listed)} 项，请在工作台查看。")
    lines.append("完成的任务请标记为已完成；无法完成的请写明原因后放弃，或与主管商量延期。")
    body = f"### {title}\n\n" + "\n\n".join(lines)
    link = workbench_link(public_url, corp_id, "improvement-plans")
    if link is None:
        return markdown_msg(title, body + "\n\n在钉钉工作台打开 dingperf 处理。")
    return action_card_msg(title, body, single_title="查看改进计划", single_url=link)


def interview_to_confirm_notice(*, corp_id: str, record_id: str, interviewer: str, template_name: str,
                                held_on: date, revision: int, public_url: str = "") -> dict[str, Any]:
    """To the employee: the interview record is written (or was revised) and waits for their confirmation."""
    what = "已修改" if revision > 1 else "已填写"
    title = f"请确认面谈记录（{held_on.isoformat()}）"
    written = (f"{interviewer} {what}你们于 {held_on.isoformat()} 的面谈记录"
               f"（{_clip(template_name)}，{record_id}，第 {revision} 版）。")
    lines = [written, "请查看记录与约定的行动项：内容准确请确认；如有出入，请联系面谈人修改后再确认。"]
    body = f"### {title}\n\n" + "\n\n".join(lines)
    link = workbench_link(public_url, corp_id, "interviews")
    if link is None:
        return markdown_msg(title, body + "\n\n在钉钉工作台打开 dingperf 处理。")
    return action_card_msg(title, body, single_title="查看并确认", single_url=link)
