"""The goal map (cascade tree) for people: an indented text tree and a JSON-ready dict.

Each node shows owner, title, level, kind, its share of its parent (alignment weight ÷ the siblings' total),
progress in percent, the lowest key-result confidence for an OKR objective, and status; a parent also shows
how its rolled-up progress was reached, Σ(wᵢ/Σw)·pᵢ over its children (the rule of `perf.cascade`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dingperf.perf.cascade import GoalMapNode
from dingperf.perf.checkins import CheckIn, latest_confidences
from dingperf.perf.goals import Goal, GoalKind

_PCT = Decimal("0.1")


@dataclass(frozen=True)
class GoalFacts:
    """What the map shows beside a node that the cascade node does not carry."""

    kind: GoalKind
    status: str  # the goal's status, or "cancelled" for a goal closed before it was confirmed
    confidence: int | None = None  # OKR only: the lowest latest key-result confidence (the most at risk)
    owner_name: str = ""


def goal_facts(goal: Goal, check_ins: Sequence[CheckIn], owner_name: str = "") -> GoalFacts:
    """Kind, status and (for an OKR objective) the lowest latest key-result confidence of one goal."""
    confidence = None
    if goal.kind is GoalKind.OKR:
        kr_conf = [c for k, c in latest_confidences(check_ins).items() if k is not None]
        confidence = min(kr_conf) if kr_conf else None
    return GoalFacts(goal.kind, "cancelled" if goal.cancelled else goal.status.value, confidence, owner_name)


def percent(fraction: Decimal) -> str:
    """A progress fraction as a percentage with one decimal, e.g. 0.625 → "62.5%"."""
    return f"{(fraction * 100).quantize(_PCT, rounding=ROUND_HALF_UP)}%"


def _share(node: GoalMapNode, siblings: Sequence[GoalMapNode]) -> Decimal:
    total = sum((s.alignment_weight for s in siblings), Decimal(0))
    return node.alignment_weight / total if total else Decimal(0)


def _count(node: GoalMapNode) -> int:
    return 1 + sum(_count(c) for c in node.children)


def _label(node: GoalMapNode, facts: GoalFacts | None, siblings: Sequence[GoalMapNode] | None) -> str:
    owner = f"{facts.owner_name} ({node.owner})" if facts and facts.owner_name else node.owner
    parts = [f"{node.goal_id} {node.title}", f"负责人 owner {owner}", node.level]
    if facts is not None:
        parts.append(facts.kind.value.upper())
    if siblings is not None:
        parts.append(f"权重 weight {node.alignment_weight} ({percent(_share(node, siblings))})")
    parts.append(f"进度 progress {percent(node.progress)}")
    if facts is not None and facts.confidence is not None:
        parts.append(f"信心 confidence {facts.confidence}/10")
    if facts is not None:
        parts.append(f"状态 status {facts.status}")
    return " · ".join(parts)


def _roll_up_line(node: GoalMapNode) -> str:
    total = sum((c.alignment_weight for c in node.children), Decimal(0))
    terms = " + ".join(f"{c.alignment_weight}×{percent(c.progress)}" for c in node.children)
    return f"= Σ(wᵢ/Σw)·pᵢ = ({terms}) ÷ {total} = {percent(node.progress)}"


def render_text(root: GoalMapNode, facts: Mapping[str, GoalFacts]) -> str:
    """The cascade below ``root`` as a readable tree (Chinese and English labels), one goal per line."""
    lines = [f"目标地图 goal map {root.goal_id} · {_count(root)} 个目标 goals"]
    _render(root, facts, None, "", True, lines, is_root=True)
    return "\n".join(lines)


def _render(node: GoalMapNode, facts: Mapping[str, GoalFacts], siblings: Sequence[GoalMapNode] | None,
            prefix: str, last: bool, lines: list[str], is_root: bool = False) -> None:
    branch = "" if is_root else ("└─ " if last else "├─ ")
    lines.append(prefix + branch + _label(node, facts.get(node.goal_id), siblings))
    inner = prefix + ("" if is_root else ("   " if last else "│  "))
    if node.children:
        lines.append(inner + "│  " + _roll_up_line(node))
    for i, child in enumerate(node.children):
        _render(child, facts, node.children, inner, i == len(node.children) - 1, lines)


def to_dict(root: GoalMapNode, facts: Mapping[str, GoalFacts]) -> dict[str, Any]:
    """JSON-ready form of the tree: the cascade node's fields plus share, percent, kind, status and confidence."""
    return _node_dict(root, facts, None)


def _node_dict(node: GoalMapNode, facts: Mapping[str, GoalFacts],
               siblings: Sequence[GoalMapNode] | None) -> dict[str, Any]:
    f = facts.get(node.goal_id)
    out = node.to_dict()
    out.update({
        "owner_name": f.owner_name if f else "",
        "kind": f.kind.value if f else None,
        "status": f.status if f else None,
        "confidence": f.confidence if f else None,
        "weight_share": None if siblings is None else str(_share(node, siblings)),
        "progress_percent": percent(node.progress),
        "children": [_node_dict(c, facts, node.children) for c in node.children],
    })
    return out
