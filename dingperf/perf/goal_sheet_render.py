"""One person's goal sheet for people: readable text grouped by BSC perspective, and a JSON-ready dict."""

from __future__ import annotations

from typing import Any

from dingperf.perf.goal_map_render import percent
from dingperf.perf.goal_sheet import GoalSheet, SheetGroup, SheetLine
from dingperf.perf.goals import BscPerspective
from dingperf.perf.okr import KrReport

_PERSPECTIVE = {BscPerspective.FINANCIAL: "财务", BscPerspective.CUSTOMER: "客户",
                BscPerspective.INTERNAL_PROCESS: "内部流程", BscPerspective.LEARNING_GROWTH: "学习与成长"}


def _heading(group: SheetGroup) -> str:
    if group.perspective is None:
        return f"[无维度 no perspective] 权重 weight {group.weight}"
    return f"[{_PERSPECTIVE[group.perspective]} {group.perspective.value}] 权重 weight {group.weight}"


def _line(ln: SheetLine) -> str:
    parts = [f"{ln.goal_id} {ln.title}", ln.kind.value.upper(), f"权重 weight {ln.weight}",
             f"进度 progress {percent(ln.progress)}"]
    if ln.confidence is not None:
        parts.append(f"信心 confidence {ln.confidence}/10")
    parts.append(f"状态 status {ln.status}")
    if ln.due is not None:
        parts.append(f"截止 due {ln.due.isoformat()}")
    return " · ".join(parts)


def _kr(kr: KrReport) -> str:
    value = "—" if kr.value is None else str(kr.value)
    parts = [f"{kr.kr_id} {kr.title}", f"权重 weight {kr.weight}", f"当前 value {value}",
             f"进度 progress {percent(kr.progress)}", kr.zone.value]
    if kr.confidence is not None:
        parts.append(f"信心 confidence {kr.confidence}/10")
    return " · ".join(parts)


def render_sheet_text(sheet: GoalSheet, cycle_id: str) -> str:
    """The sheet as text: a summary line, each perspective with its goals (and an OKR's key results), problems."""
    head = (f"目标表 goal sheet {sheet.owner} · 周期 cycle {cycle_id} · 总权重 total weight {sheet.total_weight}"
            f" · 进度 progress {percent(sheet.progress)}")
    lines = [head]
    for group in sheet.groups:
        lines.append(_heading(group))
        for ln in group.lines:
            lines.append("  " + _line(ln))
            if ln.criteria:
                lines.append("     标准 criteria: " + " ".join(ln.criteria.split()))
            lines.extend("     - " + _kr(kr) for kr in ln.key_results)
    lines.extend(f"问题 problem: {p}" for p in sheet.problems)
    return "\n".join(lines)


def sheet_to_dict(sheet: GoalSheet, cycle_id: str) -> dict[str, Any]:
    """JSON-ready form of the sheet (decimals as strings, progress also in percent)."""
    return {
        "owner": sheet.owner, "cycle_id": cycle_id, "total_weight": str(sheet.total_weight),
        "progress": str(sheet.progress), "progress_percent": percent(sheet.progress),
        "problems": list(sheet.problems),
        "groups": [{
            "perspective": None if g.perspective is None else g.perspective.value, "weight": str(g.weight),
            "goals": [{
                "goal_id": ln.goal_id, "title": ln.title, "kind": ln.kind.value, "status": ln.status,
                "weight": str(ln.weight), "progress": str(ln.progress), "progress_percent": percent(ln.progress),
                "confidence": ln.confidence, "criteria": ln.criteria,
                "due": None if ln.due is None else ln.due.isoformat(),
                "key_results": [{
                    "kr_id": kr.kr_id, "title": kr.title, "weight": str(kr.weight),
                    "value": None if kr.value is None else str(kr.value), "progress": str(kr.progress),
                    "zone": kr.zone.value, "confidence": kr.confidence} for kr in ln.key_results],
            } for ln in g.lines],
        } for g in sheet.groups],
    }
