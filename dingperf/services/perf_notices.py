"""Wording of every performance work notification (phase changes, results, appeals, escalations).

All text people read about cycles and appeals is built here, Chinese first, so the wording stays consistent.
Each builder returns a `msg` for `dingperf.dingtalk.messages` (an action card linking into the workbench when a
public_url is known, markdown otherwise). DingTalk drops identical content sent to one person twice in a day
and refuses a msg over 2048 bytes (DINGTALK.md §6.1), so texts carry what makes them distinct (entry time,
re-open count) and free text is clipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from dingperf.dingtalk.messages import action_card_msg, markdown_msg
from dingperf.perf.cycles import Phase

PHASE_NAMES: Mapping[Phase, str] = {
    Phase.GOAL_SETTING: "目标设定", Phase.CONFIRMATION: "目标确认", Phase.IN_PROGRESS: "执行中",
    Phase.SELF_REVIEW: "自评", Phase.MANAGER_REVIEW: "上级评价与360评价", Phase.CALIBRATION: "绩效校准",
    Phase.RESULTS: "结果公布", Phase.APPEAL_WINDOW: "申诉期", Phase.CLOSED: "已结束",
}

# (phase, audience) → (what to do next, workbench page). Audiences: participant, manager, rater, hr.
_TODO: Mapping[tuple[Phase, str], tuple[str, str]] = {
    (Phase.GOAL_SETTING, "participant"): ("请在截止前填写本周期的目标，并提交上级确认。", "goals"),
    (Phase.CONFIRMATION, "participant"): ("请查看并确认你的目标；如有异议，可退回并写明原因。", "goals"),
    (Phase.SELF_REVIEW, "participant"): ("请在截止前完成自评。", "self-review"),
    (Phase.MANAGER_REVIEW, "manager"): ("请在截止前为你的下属完成上级评价。", "reviews"),
    (Phase.MANAGER_REVIEW, "rater"): ("你已被确定为同事的360评价人，请在截止前完成评价。", "reviews"),
    (Phase.CALIBRATION, "hr"): ("请组织绩效校准，确认各等级分布后发布结果。", "calibration"),
    # Employees hear of their result from the release itself (results_released_notice), never twice; the
    # results phase only reminds HR while something is still unreleased.
    (Phase.RESULTS, "hr"): ("仍有绩效结果未发布：请确认校准无误后发布结果，发布时每位员工会收到查看并签字确认的通知。",
                            "calibration"),
    (Phase.APPEAL_WINDOW, "participant"): ("如对结果有异议，可在截止前提交申诉。", "result"),
}

MAX_FREE_TEXT = 200  # characters of a person's own words (reason, statement) quoted in a message
MAX_NAME = 40  # characters of a cycle name (up to 200 stored) shown in a message


def phase_audiences(phase: Phase) -> tuple[str, ...]:
    """Who must act when a cycle enters `phase` (audience names used by `phase_notice`); closed has nobody."""
    return tuple(audience for (p, audience) in _TODO if p is Phase(phase))


def when(at: datetime | None, timezone: str) -> str:
    """An instant as people read it: minutes in the cycle's timezone, the zone named; "未设定" for none."""
    if at is None:
        return "未设定"
    return f"{at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M}（{timezone}）"


def workbench_link(public_url: str, corp_id: str, page: str) -> str | None:
    """The workbench page wrapped in DingTalk's jump protocol (opens in the PC sidebar); None without a URL."""
    if not public_url:
        return None
    url = f"{public_url.rstrip('/')}/app/{page}?corpId={quote(corp_id)}"
    return f"dingtalk://dingtalkclient/page/link?pc_slide=true&url={quote(url, safe='')}"


def _clip(text: str, limit: int = MAX_FREE_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _msg(title: str, lines: list[str], link: str | None, button: str) -> dict[str, Any]:
    body = f"### {title}\n\n" + "\n\n".join(lines)
    if link is None:
        return markdown_msg(title, body + "\n\n在钉钉工作台打开 dingperf 处理。")
    return action_card_msg(title, body, single_title=button, single_url=link)


def phase_notice(*, corp_id: str, cycle_id: str, cycle_name: str, timezone: str, phase: Phase, audience: str,
                 deadline: datetime | None, entered_at: datetime, public_url: str = "") -> dict[str, Any]:
    """Tell `audience` that the cycle entered `phase`: what to do next, by when, and where."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    todo, page = _TODO[(Phase(phase), audience)]
    name = PHASE_NAMES[Phase(phase)]
    lines = [f"**{cycle_name}** 已进入「{name}」阶段（{when(entered_at, timezone)} 开始）。", todo,
             f"截止时间：{when(deadline, timezone)}"]
    return _msg(f"【{name}】{cycle_name}", lines, workbench_link(public_url, corp_id, f"cycles/{cycle_id}/{page}"),
                "去处理")


def results_released_notice(*, corp_id: str, cycle_id: str, cycle_name: str, timezone: str, released_at: datetime,
                            public_url: str = "") -> dict[str, Any]:
    """Tell an employee their result is out and must be acknowledged."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    lines = [f"**{cycle_name}** 的绩效结果已于 {when(released_at, timezone)} 发布。",
             "请查看你的得分与等级（每一分都可查看来源），确认无误后签字确认；如有异议，可在申诉期内提交申诉。"]
    return _msg(f"绩效结果已发布：{cycle_name}", lines,
                workbench_link(public_url, corp_id, f"cycles/{cycle_id}/result"), "查看并确认")


def _appeal_link(public_url: str, corp_id: str, appeal_id: str) -> str | None:
    return workbench_link(public_url, corp_id, f"appeals/{appeal_id}")


def appeal_filed_notice(*, corp_id: str, appeal_id: str, cycle_name: str, appellant: str, statement: str,
                        public_url: str = "") -> dict[str, Any]:
    """Tell HR (or the appellant's manager) that an appeal waits for a handler."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    lines = [f"{appellant} 对 **{cycle_name}** 的绩效结果提出申诉（{appeal_id}）：", f"> {_clip(statement)}",
             "请指定处理人并设定处理截止时间。"]
    return _msg(f"新的绩效申诉：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "去指派")


def appeal_assigned_notice(*, corp_id: str, appeal_id: str, cycle_name: str, appellant: str, statement: str,
                           deadline: datetime | None, timezone: str, public_url: str = "") -> dict[str, Any]:
    """Tell the handler they own the appeal, and its deadline."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    lines = [f"你被指定处理 {appellant} 对 **{cycle_name}** 的绩效申诉（{appeal_id}）：", f"> {_clip(statement)}",
             f"请在 {when(deadline, timezone)} 前受理（给出新分数和理由）或驳回（写明理由）；超期将上报你的上级和HR。"]
    return _msg(f"请处理绩效申诉：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "去处理")


def appeal_accepted_notice(*, corp_id: str, appeal_id: str, cycle_name: str, score_before: Decimal,
                           new_score: Decimal, grade: str, reason: str, public_url: str = "") -> dict[str, Any]:
    """Tell the employee their appeal was accepted, with the new score and grade."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    lines = [f"你对 **{cycle_name}** 的申诉（{appeal_id}）已受理。",
             f"得分：{score_before} → **{new_score}**，等级：**{grade}**", f"理由：{_clip(reason)}",
             "结果已变更，请重新查看并签字确认。"]
    return _msg(f"申诉已受理：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "查看并确认")


def appeal_rejected_notice(*, corp_id: str, appeal_id: str, cycle_name: str, reason: str, can_reopen: bool,
                           public_url: str = "") -> dict[str, Any]:
    """Tell the employee their appeal was rejected, with the reason (and whether they may re-open it)."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    lines = [f"你对 **{cycle_name}** 的申诉（{appeal_id}）未被受理，得分不变。", f"理由：{_clip(reason)}",
             "如仍有异议，可在申诉期内重新提起一次。" if can_reopen else "该申诉已重新提起过一次，不能再次提起。"]
    return _msg(f"申诉未受理：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "查看详情")


def appeal_reopened_notice(*, corp_id: str, appeal_id: str, cycle_name: str, appellant: str, reason: str,
                           round_no: int, public_url: str = "") -> dict[str, Any]:
    """Tell the previous handler that the appellant re-opened the appeal they decided (now in round `round_no`)."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    lines = [f"{appellant} 重新提起了你处理过的 **{cycle_name}** 申诉（{appeal_id}，第{round_no}轮）：",
             f"> {_clip(reason)}",
             "该申诉将重新指派处理人；如由你继续处理，请留意新的截止时间。"]
    return _msg(f"申诉被重新提起：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "查看详情")


def appeal_overdue_notice(*, corp_id: str, appeal_id: str, cycle_name: str, handler: str, appellant: str,
                          deadline: datetime | None, timezone: str, for_handler: bool,
                          public_url: str = "") -> dict[str, Any]:
    """Escalation of an appeal past its handling deadline: to the handler, or to their manager and HR."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    due = when(deadline, timezone)
    if for_handler:
        lines = [f"你处理的 {appellant} 的 **{cycle_name}** 申诉（{appeal_id}）已超过截止时间 {due}。",
                 "已上报你的上级和HR，请尽快受理或驳回。"]
        return _msg(f"申诉处理已超期：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "去处理")
    lines = [f"{handler} 负责的 {appellant} 的 **{cycle_name}** 申诉（{appeal_id}）已超过处理截止时间 {due}，仍未处理。",
             "请督促处理人尽快处理，或重新指派处理人。"]
    return _msg(f"申诉超期上报：{cycle_name}", lines, _appeal_link(public_url, corp_id, appeal_id), "查看申诉")


# What a reminder asks for, per task of dingperf.perf.reminders (its value), and the workbench page it opens.
_TASK_TODO: Mapping[str, tuple[str, str]] = {
    "set_goals": ("填写并提交你的目标", "goals"),
    "confirm_goals": ("确认待你确认的目标", "goals"),
    "self_review": ("完成自评", "self-review"),
    "rate_report": ("完成对下属的上级评价", "reviews"),
    "rate_360": ("完成你负责的360评价", "reviews"),
    "calibrate": ("完成绩效校准（所有结果均已评分）后发布结果", "calibration"),
    "handle_appeal": ("处理待办的绩效申诉", "appeals"),
}
MAX_NAMES = 20  # late people named in one escalation (each clipped to MAX_PERSON); the rest are only counted
MAX_PERSON = 12  # characters of a person's name in a list: 20 of them stay well under DingTalk's 2048 bytes


def _remaining(before: timedelta) -> str:
    hours = int(before.total_seconds() // 3600)
    return f"{hours // 24}天" if hours % 24 == 0 else f"{hours}小时"


def _todo(tasks: Sequence[str]) -> tuple[str, str]:
    todos = [_TASK_TODO[t] for t in tasks]
    return "；".join(text for text, _ in todos), todos[0][1]


def phase_reminder_notice(*, corp_id: str, cycle_id: str, cycle_name: str, timezone: str, phase: Phase,
                          deadline: datetime, before: timedelta, tasks: Sequence[str], escalates: bool = True,
                          public_url: str = "") -> dict[str, Any]:
    """Nudge someone who still owes `tasks` (perf.reminders task values) `before` the phase deadline; with
    `escalates`, say that their manager hears of what is still open at the deadline."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    todo, page = _todo(tasks)
    name = PHASE_NAMES[Phase(phase)]
    lines = [f"**{cycle_name}** 的「{name}」阶段还有 **{_remaining(before)}** 截止（{when(deadline, timezone)}）。",
             f"你还有待办：{todo}。", "截止后本阶段将自动结束" + ("，仍未完成的待办将告知你的上级。" if escalates else "。")]
    return _msg(f"【提醒】{name}还有{_remaining(before)}截止：{cycle_name}", lines,
                workbench_link(public_url, corp_id, f"cycles/{cycle_id}/{page}"), "去处理")


def phase_missed_notice(*, corp_id: str, cycle_id: str, cycle_name: str, timezone: str, phase: Phase,
                        deadline: datetime, tasks: Sequence[str], public_url: str = "") -> dict[str, Any]:
    """Tell someone the phase deadline passed with `tasks` still open, and that their manager is told."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    todo, page = _todo(tasks)
    name = PHASE_NAMES[Phase(phase)]
    lines = [f"**{cycle_name}** 的「{name}」阶段已于 {when(deadline, timezone)} 截止，你仍有未完成的待办：{todo}。",
             "已告知你的上级。如需补交，请联系HR延长截止时间。"]
    return _msg(f"【已截止】{name}未完成：{cycle_name}", lines,
                workbench_link(public_url, corp_id, f"cycles/{cycle_id}/{page}"), "查看")


def phase_escalation_notice(*, corp_id: str, cycle_id: str, cycle_name: str, timezone: str, phase: Phase,
                            deadline: datetime, late: Sequence[str], public_url: str = "") -> dict[str, Any]:
    """Tell a manager which of their people (names) missed the phase deadline with work still open."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    name = PHASE_NAMES[Phase(phase)]
    shown = "、".join(_clip(n, MAX_PERSON) for n in late[:MAX_NAMES])
    more = f" 等{len(late)}人" if len(late) > MAX_NAMES else ""
    lines = [f"**{cycle_name}** 的「{name}」阶段已于 {when(deadline, timezone)} 截止，以下 {len(late)} 人仍有未完成的待办：",
             f"{shown}{more}", "请督促他们尽快完成；如需补交，请联系HR延长截止时间。"]
    return _msg(f"【逾期上报】{name}：{cycle_name}", lines,
                workbench_link(public_url, corp_id, f"cycles/{cycle_id}/progress"), "查看进度")


def phase_close_refused_notice(*, corp_id: str, cycle_id: str, cycle_name: str, timezone: str, phase: Phase,
                               deadline: datetime, problem: str, public_url: str = "") -> dict[str, Any]:
    """Tell HR the phase deadline passed but the phase could not close by itself, why, and what to do."""
    cycle_name = _clip(cycle_name, MAX_NAME)
    name = PHASE_NAMES[Phase(phase)]
    lines = [f"**{cycle_name}** 的「{name}」阶段已于 {when(deadline, timezone)} 截止，但未能自动进入下一阶段：",
             f"> {_clip(problem)}", "请处理上述问题后手动推进阶段，或调整截止时间。"]
    return _msg(f"【阶段未能结束】{name}：{cycle_name}", lines,
                workbench_link(public_url, corp_id, f"cycles/{cycle_id}"), "去处理")
