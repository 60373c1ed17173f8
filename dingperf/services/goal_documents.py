"""Goals in the store as versioned JSON documents: save a revision, read the newest, the history, the children.

The goal rules (lifecycle, cascade roll-up, time-weighted target versions) live in dingperf.perf; this
module only keeps every revision so nothing a manager confirmed can be silently rewritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from dingperf.perf.errors import ValidationError
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_goals import PerfGoal
from dingperf.store.types import utcnow

GOAL_KINDS = ("kpi", "okr", "mbo")


@dataclass(frozen=True)
class GoalDocument:
    """One revision of a goal."""

    goal_id: str
    revision: int
    owner_userid: str
    kind: str
    status: str
    parent_goal_id: str | None
    cycle_id: str | None
    body: Mapping[str, Any]
    saved_by: str
    saved_at: datetime


def _doc(row: PerfGoal) -> GoalDocument:
    return GoalDocument(row.goal_id, row.revision, row.owner_userid, row.kind, row.status, row.parent_goal_id,
                        row.cycle_id, dict(row.body), row.saved_by, row.saved_at)


def save_goal(store: Store, corp_id: str, goal_id: str, *, owner_userid: str, kind: str, status: str,
              body: Mapping[str, Any], actor: str, parent_goal_id: str | None = None, cycle_id: str | None = None,
              reason: str = "", now: datetime | None = None) -> GoalDocument:
    """Store the goal's next revision (1 for a new goal); audited with the reason given."""
    if kind not in GOAL_KINDS:
        raise ValidationError(f"goal kind must be one of {GOAL_KINDS}, got {kind!r}")
    if parent_goal_id == goal_id:
        raise ValidationError(f"goal {goal_id} cannot align to itself; pick the parent goal it supports")
    now = now or utcnow()
    with store.session() as s:
        latest = s.exec(select(func.max(PerfGoal.revision)).where(PerfGoal.corp_id == corp_id,
                                                                  PerfGoal.goal_id == goal_id)).one()
        row = PerfGoal(corp_id=corp_id, goal_id=goal_id, revision=(latest or 0) + 1, owner_userid=owner_userid,
                       cycle_id=cycle_id, kind=kind, status=status, parent_goal_id=parent_goal_id, body=dict(body),
                       saved_by=actor, saved_at=now)
        s.add(row)
        append_audit(session=s, corp_id=corp_id, actor=actor, action="goal.save", subject=f"goal:{goal_id}",
                     after={"revision": row.revision, "status": status}, reason=reason, at=now)
        s.flush()
        return _doc(row)


def get_goal(store: Store, corp_id: str, goal_id: str, revision: int | None = None) -> GoalDocument:
    """The newest revision (or the one asked for); NotFound when the goal does not exist."""
    with store.session() as s:
        stmt = select(PerfGoal).where(PerfGoal.corp_id == corp_id, PerfGoal.goal_id == goal_id)
        if revision is not None:
            stmt = stmt.where(PerfGoal.revision == revision)
        row = s.exec(stmt.order_by(col(PerfGoal.revision).desc()).limit(1)).first()
        if row is None:
            raise NotFound(f"no goal {goal_id!r} in corp {corp_id}" + (f" at revision {revision}" if revision else "")
                           + "; check the id")
        return _doc(row)


def goal_history(store: Store, corp_id: str, goal_id: str) -> list[GoalDocument]:
    """Every revision of a goal, oldest first."""
    with store.session() as s:
        rows = s.exec(select(PerfGoal).where(PerfGoal.corp_id == corp_id, PerfGoal.goal_id == goal_id)
                      .order_by(col(PerfGoal.revision))).all()
        return [_doc(r) for r in rows]


def child_goals(store: Store, corp_id: str, parent_goal_id: str) -> list[GoalDocument]:
    """The newest revision of every goal whose newest revision aligns to parent_goal_id (one cascade level)."""
    with store.session() as s:
        rows = s.exec(select(PerfGoal).where(PerfGoal.corp_id == corp_id,
                                             PerfGoal.parent_goal_id == parent_goal_id)).all()
        candidates = {r.goal_id for r in rows}
        newest: dict[str, PerfGoal] = {}
        if candidates:
            for r in s.exec(select(PerfGoal).where(PerfGoal.corp_id == corp_id,
                                                   col(PerfGoal.goal_id).in_(candidates))).all():
                if r.goal_id not in newest or r.revision > newest[r.goal_id].revision:
                    newest[r.goal_id] = r
        return sorted((_doc(r) for r in newest.values() if r.parent_goal_id == parent_goal_id),
                      key=lambda d: d.goal_id)
