"""Goal cascade: alignment to a parent goal owned by someone else, weighted roll-up, tree map.

Roll-up rule (declared): a goal with aligned children shows the weighted mean of its children's
rolled-up progress, Σ(wᵢ/Σw)·pᵢ with relative alignment weights; a leaf shows its own progress.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from dingperf.perf.audit import AuditRecord, record
from dingperf.perf.errors import ValidationError
from dingperf.perf.goals import Goal, GoalStatus


@dataclass(frozen=True)
class GoalMapNode:
    """One node of the cascade map, with its children; ``to_dict`` gives what a page renders."""

    goal_id: str
    title: str
    owner: str
    level: str
    alignment_weight: Decimal
    progress: Decimal
    children: tuple[GoalMapNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "goal_id": self.goal_id,
            "title": self.title,
            "owner": self.owner,
            "level": self.level,
            "alignment_weight": str(self.alignment_weight),
            "progress": str(self.progress),
            "children": [c.to_dict() for c in self.children],
        }


def _children(goals: Mapping[str, Goal]) -> dict[str, list[str]]:
    kids: dict[str, list[str]] = defaultdict(list)
    for g in goals.values():
        if g.parent_id is not None and g.parent_id in goals:
            kids[g.parent_id].append(g.goal_id)
    for v in kids.values():
        v.sort()
    return kids


def descendants(goals: Mapping[str, Goal], goal_id: str) -> frozenset[str]:
    """All goals below ``goal_id`` in the cascade."""
    kids = _children(goals)
    seen: set[str] = set()
    stack = list(kids.get(goal_id, ()))
    while stack:
        g = stack.pop()
        if g not in seen:
            seen.add(g)
            stack.extend(kids.get(g, ()))
    return frozenset(seen)


def align(goals: Mapping[str, Goal], child_id: str, parent_id: str, actor: str, now: datetime,
          alignment_weight: Decimal | None = None) -> tuple[Goal, AuditRecord]:
    """Align a goal under another person's goal; refuses cycles and self-ownership."""
    if child_id not in goals or parent_id not in goals:
        missing = sorted({child_id, parent_id} - set(goals))
        raise ValidationError(f"unknown goal(s) {missing}; load both goals before aligning")
    child, parent = goals[child_id], goals[parent_id]
    if child_id == parent_id:
        raise ValidationError(f"goal {child_id} cannot align to itself")
    if parent.owner == child.owner:
        raise ValidationError(
            f"goal {parent_id} is owned by {child.owner} too; align to a goal owned by someone else "
            "(break your own goal down with key results instead)"
        )
    if parent_id in descendants(goals, child_id):
        raise ValidationError(f"goal {parent_id} is below {child_id} in the cascade; aligning would make a cycle")
    if parent.status is GoalStatus.CLOSED:
        raise ValidationError(f"goal {parent_id} is closed; align to an open goal")
    weight = child.alignment_weight if alignment_weight is None else Decimal(alignment_weight)
    new = replace(child, parent_id=parent_id, alignment_weight=weight)
    before = child.parent_id or "unaligned"
    return new, record(actor, "align", before, parent_id, now, f"aligned {child_id} to {parent_id}")


def roll_up(goals: Mapping[str, Goal], progress: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Rolled-up progress of every goal; leaves must have an entry in ``progress``."""
    kids = _children(goals)
    out: dict[str, Decimal] = {}
    visiting: set[str] = set()

    def visit(gid: str) -> Decimal:
        if gid in out:
            return out[gid]
        if gid in visiting:
            raise ValidationError(f"the cascade has a cycle through goal {gid}")
        visiting.add(gid)
        children = kids.get(gid)
        if children:
            total_w = sum((goals[c].alignment_weight for c in children), Decimal(0))
            value = sum((goals[c].alignment_weight * visit(c) for c in children), Decimal(0)) / total_w
        else:
            if gid not in progress:
                raise ValidationError(f"no progress for leaf goal {gid}; record a check-in first")
            value = Decimal(progress[gid])
        visiting.discard(gid)
        out[gid] = value
        return value

    for gid in sorted(goals):
        visit(gid)
    return out


def goal_map(goals: Mapping[str, Goal], progress: Mapping[str, Decimal]) -> tuple[GoalMapNode, ...]:
    """The cascade as nested nodes; roots are goals whose parent is absent from ``goals``."""
    rolled = roll_up(goals, progress)
    kids = _children(goals)

    def build(gid: str) -> GoalMapNode:
        g = goals[gid]
        return GoalMapNode(g.goal_id, g.title, g.owner, g.level.value, g.alignment_weight, rolled[gid],
                           tuple(build(c) for c in kids.get(gid, ())))

    roots = sorted(g.goal_id for g in goals.values() if g.parent_id is None or g.parent_id not in goals)
    return tuple(build(r) for r in roots)
