"""Reading goals: the cascade tree with weighted roll-up, time-weighted achievement, an OKR objective's report,
and one person's goal sheet for a cycle (KPI, OKR and MBO mixed, grouped by BSC perspective)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import Session, col, select

from dingperf.perf.cascade import GoalMapNode, goal_map
from dingperf.perf.checkins import goal_progress, latest_confidences, latest_values
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_sheet import GoalSheet
from dingperf.perf.goal_sheet import goal_sheet as build_sheet
from dingperf.perf.goal_versions import TimeWeighted, time_weighted_achievement
from dingperf.perf.goals import GoalKind
from dingperf.perf.okr import ObjectiveReport, objective_report
from dingperf.services.goal_store import StoredGoal, cycle_row, load_goal, newest_rows, owner_goals, stored
from dingperf.store.engine import Store
from dingperf.store.tables.perf_goals import PerfGoal


def subtree(s: Session, corp_id: str, root_goal_id: str) -> dict[str, StoredGoal]:
    """The root and every goal whose newest revision aligns below it."""
    found = {root_goal_id: load_goal(s, corp_id, root_goal_id)}
    frontier = {root_goal_id}
    while frontier:
        candidates = {r.goal_id for r in s.exec(select(PerfGoal).where(
            PerfGoal.corp_id == corp_id, col(PerfGoal.parent_goal_id).in_(frontier))).all()} - set(found)
        rows = newest_rows(s, corp_id, candidates)
        # Only the newest revision counts: a goal re-aligned elsewhere no longer belongs under this parent.
        frontier = {gid for gid, r in rows.items() if r.parent_goal_id in frontier}
        found.update({gid: stored(rows[gid]) for gid in frontier})
    return found


def goal_tree(store: Store, corp_id: str, root_goal_id: str) -> GoalMapNode:
    """The cascade below `root_goal_id` as the pure goal map, with weighted roll-up of leaf progress."""
    with store.session() as s:
        tree = subtree(s, corp_id, root_goal_id)
    goals = {gid: st.goal for gid, st in tree.items()}
    roots = goal_map(goals, {gid: goal_progress(st.goal, st.check_ins) for gid, st in tree.items()})
    return next(n for n in roots if n.goal_id == root_goal_id)


def goal_achievement(store: Store, corp_id: str, goal_id: str, actual: Decimal | Mapping[int, Decimal]) -> TimeWeighted:
    """Time-weighted achievement of `actual` against the goal's stored target versions."""
    with store.session() as s:
        goal = load_goal(s, corp_id, goal_id).goal
    return time_weighted_achievement(goal.versions, goal.period, actual)


def okr_report(store: Store, corp_id: str, goal_id: str) -> ObjectiveReport:
    """An OKR objective's weighted progress and each key result's latest value, progress, zone and confidence."""
    with store.session() as s:
        st = load_goal(s, corp_id, goal_id)
    if st.goal.kind is not GoalKind.OKR:
        raise ValidationError(f"goal {goal_id} is {st.goal.kind.value}, not an OKR objective; read its progress "
                              "from the goal sheet")
    values = {k: v for k, v in latest_values(st.check_ins).items() if k is not None}
    confidences = {k: c for k, c in latest_confidences(st.check_ins).items() if k is not None}
    return objective_report(st.goal.key_results, values, confidences)


def goal_sheet(store: Store, corp_id: str, cycle_id: str, owner: str) -> GoalSheet:
    """`owner`'s goals in `cycle_id` (KPI, OKR, MBO side by side), grouped by BSC perspective, with problems."""
    with store.session() as s:
        cycle_row(s, corp_id, cycle_id)  # NotFound for an unknown cycle rather than an empty sheet
        goals = owner_goals(s, corp_id, cycle_id, owner)
    return build_sheet(owner, [(st.goal, st.check_ins) for st in goals])
