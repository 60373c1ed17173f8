"""Generated approvals for the sandbox company: KPI processes and instances in every state."""

from __future__ import annotations

import datetime as dt
import random

from dingperf.sandbox.directory import ROOT_DEPT_ID
from dingperf.sandbox.state import SandboxState
from dingperf.sandbox.workflow import FormField, Process, Workflow

PROJECTS = (
    "婚纱照套系",
    "儿童写真",
    "企业宣传片",
    "毕业季团拍",
    "旅拍套餐",
    "证件照门店",
    "孕妇照",
    "全家福",
    "新品发布会跟拍",
)

DAY_MS = 86_400_000


def generate_approvals(state: SandboxState, rng: random.Random, employees: int, now_ms: int) -> None:
    """Three processes (two with KPI fields) and about employees/4 instances over the last 90 days."""
    suffix = f"{rng.randrange(16**8):08X}"
    processes = (
        Process(
            f"PROC-KPI-SALES-{suffix}",
            "销售业绩报备",
            (
                FormField("项目名称", "TextField", "projectName"),
                FormField("成交金额", "MoneyField", "dealAmount"),
                FormField("客户满意度", "NumberField", "satisfaction"),
                FormField("成交日期", "DDDateField"),
                FormField("备注", "TextareaField"),
            ),
        ),
        Process(
            f"PROC-KPI-DELIVERY-{suffix}",
            "项目交付验收",
            (
                FormField("项目名称", "TextField", "projectName"),
                FormField("交付评分", "NumberField", "deliveryScore"),
                FormField("是否按期交付", "DDSelectField"),
                FormField("客户满意度", "NumberField", "satisfaction"),
            ),
        ),
        Process(
            f"PROC-LEAVE-{suffix}",
            "请假",
            (
                FormField("请假类型", "DDSelectField"),
                FormField("开始时间", "DDDateField"),
                FormField("结束时间", "DDDateField"),
                FormField("时长（天）", "NumberField"),
                FormField("请假事由", "TextareaField"),
            ),
        ),
    )
    workflow: Workflow = state.workflow
    for process in processes:
        workflow.add_process(process)
    directory = state.directory
    people = list(directory.users.values())
    for _ in range(max(30, employees // 4)):
        user = rng.choice(people)
        process = rng.choices(processes, weights=(5, 3, 2))[0]
        create_ms = now_ms - rng.randint(0, 90 * DAY_MS)
        if user.departed_ms and create_ms > user.departed_ms:
            create_ms = user.departed_ms - rng.randint(DAY_MS, 30 * DAY_MS)
        approvers = [
            u
            for u in (user.manager_userid, _head_of_parent(state, user.dept_id_list[0]))
            if u and u != user.userid
        ]
        dept = directory.departments[user.dept_id_list[0]]
        instance = workflow.start_instance(
            process_code=process.process_code,
            originator_userid=user.userid,
            originator_dept_id=dept.dept_id,
            originator_dept_name=dept.name,
            values=_form_values(rng, process, create_ms),
            approver_userids=list(dict.fromkeys(approvers))
            or [directory.departments[ROOT_DEPT_ID].manager_userids[0]],
            create_ms=create_ms,
            title=f"{user.name}提交的{process.name}",
        )
        roll = rng.random()
        age_days = (now_ms - create_ms) / DAY_MS
        if roll < 0.2 and age_days < 14:
            continue  # still RUNNING
        finish_ms = min(now_ms, create_ms + rng.randint(600_000, 3 * DAY_MS))
        if roll < 0.9:
            workflow.finish_instance(instance.process_instance_id, "agree", finish_ms)
        elif roll < 0.96:
            workflow.finish_instance(instance.process_instance_id, "refuse", finish_ms)
        else:
            workflow.terminate_instance(instance.process_instance_id, finish_ms)


def _head_of_parent(state: SandboxState, dept_id: int) -> str | None:
    parent = state.directory.departments[dept_id].parent_id
    if parent is None:
        return None
    heads = state.directory.departments[parent].manager_userids
    return heads[0] if heads else None


def _form_values(rng: random.Random, process: Process, create_ms: int) -> dict[str, str]:
    day = dt.datetime.fromtimestamp(create_ms / 1000, dt.timezone(dt.timedelta(hours=8))).date()
    project = f"{rng.choice(PROJECTS)}-{rng.randint(100, 999)}"
    if "SALES" in process.process_code:
        return {
            "项目名称": project,
            "成交金额": f"{rng.randint(30, 5000) * 100}.00",
            "客户满意度": f"{rng.uniform(3, 5):.1f}",
            "成交日期": day.isoformat(),
            "备注": rng.choice(("", "老客户转介绍", "节日活动签单")),
        }
    if "DELIVERY" in process.process_code:
        return {
            "项目名称": project,
            "交付评分": str(rng.randint(60, 100)),
            "是否按期交付": rng.choice(("是", "是", "是", "否")),
            "客户满意度": f"{rng.uniform(3, 5):.1f}",
        }
    days = rng.choice((0.5, 1, 1, 2, 3))
    end = day + dt.timedelta(days=max(0, int(days) - 1))
    return {
        "请假类型": rng.choice(("年假", "事假", "病假", "调休")),
        "开始时间": day.isoformat(),
        "结束时间": end.isoformat(),
        "时长（天）": str(days),
        "请假事由": rng.choice(("家中有事", "身体不适", "旅行")),
    }
