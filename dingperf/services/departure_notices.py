"""Wording of the notices sent when someone leaves or changes manager mid-cycle, Chinese first; the one place
this text is built. Lists name at most MAX_NAMED people and count the rest, so a manager of hundreds leaving
still fits DingTalk's 2048-byte msg (DINGTALK.md §6.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from dingperf.dingtalk.messages import action_card_msg, markdown_msg
from dingperf.services.perf_notices import workbench_link

MAX_NAMED = 15
MAX_NAME = 12  # characters of one userid or id in a list
MAX_TITLE = 30  # characters of a cycle name


def _clip(text: str, limit: int = MAX_NAME) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _names(items: Sequence[str], unit: str = "人") -> str:
    shown = [_clip(x) for x in items[:MAX_NAMED]]
    rest = len(items) - len(shown)
    return "、".join(shown) + (f" 等 {len(items)} {unit}（另有 {rest} {unit}在工作台查看）" if rest else "")


def _msg(corp_id: str, title: str, lines: list[str], page: str, button: str, public_url: str) -> dict[str, Any]:
    body = f"### {title}\n\n" + "\n\n".join(lines)
    link = workbench_link(public_url, corp_id, page)
    if link is None:
        return markdown_msg(title, body + "\n\n在钉钉工作台打开 dingperf 处理。")
    return action_card_msg(title, body, single_title=button, single_url=link)


def _left(departed: str, on: date) -> str:
    who = _clip(departed)
    return f"{who} 已于 {on.isoformat()} 离职（{who} left on {on.isoformat()}）。"


def raters_short_notice(*, corp_id: str, departed: str, left_on: date, cycle_name: str, reviewees: Sequence[str],
                        public_url: str = "") -> dict[str, Any]:
    """To a reviewee's manager: the departed rater's nominations were withdrawn and these people now have fewer
    approved raters than the cycle requires."""
    lines = [_left(departed, left_on), f"其在「{_clip(cycle_name, MAX_TITLE)}」中尚未完成的 360 评价提名已撤回。",
             f"以下人员的评价人数已低于最低要求，请补充提名并审批：{_names(reviewees)}"]
    return _msg(corp_id, f"需要补充评价人：{_clip(cycle_name, MAX_TITLE)}", lines, "reviews", "补充评价人", public_url)


def appeals_unassigned_notice(*, corp_id: str, departed: str, left_on: date, appeals: Sequence[str],
                              public_url: str = "") -> dict[str, Any]:
    """To HR: appeals the departed person was handling wait for a new handler."""
    lines = [_left(departed, left_on), f"其负责处理的 {len(appeals)} 个申诉已退回待分配：{_names(appeals, '个')}",
             "请为这些申诉指定新的处理人和处理期限。"]
    return _msg(corp_id, "申诉需要重新分配处理人", lines, "appeals", "分配处理人", public_url)


def plan_handed_over_notice(*, corp_id: str, departed: str, left_on: date, plan_id: str, employee: str,
                            manager: str, tasks: Sequence[str], public_url: str = "") -> dict[str, Any]:
    """To the plan's (new) manager: they now manage the plan and/or own the departed person's open tasks."""
    lines = [_left(departed, left_on), f"{_clip(employee)} 的改进计划（{_clip(plan_id, 40)}）现由你（{_clip(manager)}）负责。"]
    if tasks:
        lines.append(f"原由 {_clip(departed)} 负责的任务已转给你：{_names(tasks, '项')}")
    lines.append("请查看计划进度，必要时调整任务负责人或截止日期。")
    return _msg(corp_id, f"改进计划交接：{_clip(employee)}", lines, "improvement-plans", "查看改进计划", public_url)


def plan_needs_manager_notice(*, corp_id: str, departed: str, left_on: date, plans: Sequence[str],
                              public_url: str = "") -> dict[str, Any]:
    """To HR: open improvement plans the departed person managed, with no synced successor to take them."""
    lines = [_left(departed, left_on), f"其负责的改进计划没有可接手的新主管：{_names(plans, '个')}",
             "请为这些计划指定新的负责人（通讯录同步到新主管后也会自动交接）。"]
    return _msg(corp_id, "改进计划需要新的负责人", lines, "improvement-plans", "处理改进计划", public_url)


def new_reviewees_notice(*, corp_id: str, cycle_name: str, reviewees: Sequence[str], reason: str,
                         public_url: str = "") -> dict[str, Any]:
    """To a manager: in this cycle they now write the manager review of these people."""
    lines = [f"在「{_clip(cycle_name, MAX_TITLE)}」中，你现在负责以下人员的主管评价：{_names(reviewees)}", f"原因：{_clip(reason, 100)}",
             "请在评价阶段按时完成评价。"]
    return _msg(corp_id, f"你有新的评价对象：{_clip(cycle_name, MAX_TITLE)}", lines, "reviews", "查看评价对象", public_url)


def reviewees_without_manager_notice(*, corp_id: str, departed: str, left_on: date, cycle_name: str,
                                     reviewees: Sequence[str], public_url: str = "") -> dict[str, Any]:
    """To HR: participants whose manager left and whose address-book manager is not yet someone else."""
    lines = [_left(departed, left_on), f"在「{_clip(cycle_name, MAX_TITLE)}」中，以下人员的主管评价暂无人负责：{_names(reviewees)}",
             "请在通讯录中更新他们的主管（同步后自动转交），或在考核中为他们指定评价主管。"]
    return _msg(corp_id, f"主管评价需要新的评价人：{_clip(cycle_name, MAX_TITLE)}", lines, "cycles", "处理考核人员", public_url)


def manager_moved_notice(*, corp_id: str, cycle_name: str, userid: str, old: str | None, new: str | None,
                         on: date, public_url: str = "") -> dict[str, Any]:
    """To the previous manager: `userid`'s manager review in this cycle passed to `new`."""
    who, old_name, new_name = _clip(userid), _clip(old or "无"), _clip(new or "无")
    lines = [f"{on.isoformat()} 起 {who} 的主管由 {old_name} 变更为 {new_name}。",
             f"在「{_clip(cycle_name, MAX_TITLE)}」中，{who} 的主管评价改由 {new_name if new else 'HR 指定的人'} 负责，你无需再评价。"]
    return _msg(corp_id, f"评价对象变更：{_clip(cycle_name, MAX_TITLE)}", lines, "reviews", "查看评价对象", public_url)


def plan_closed_notice(*, corp_id: str, employee: str, left_on: date, plan_id: str,
                       public_url: str = "") -> dict[str, Any]:
    """To the plan's manager and HR: the leaver's open improvement plan was closed as 'employee left'."""
    lines = [_left(employee, left_on), f"其改进计划（{_clip(plan_id, 40)}）已关闭，结果记为「员工离职」（employee_left），不作评判。",
             "无需再跟进该计划；计划与任务记录保留可查。"]
    return _msg(corp_id, f"改进计划已关闭：{_clip(employee)}", lines, "improvement-plans", "查看改进计划", public_url)
