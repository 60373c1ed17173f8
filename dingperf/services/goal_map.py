"""The goal map as people read it: the cascade below a goal with weighted roll-up, plus what each node shows
beside it (kind, status, OKR confidence, the owner's name from the synced address book)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from dingperf.perf.cascade import GoalMapNode, goal_map
from dingperf.perf.checkins import goal_progress
from dingperf.perf.goal_map_render import GoalFacts, goal_facts
from dingperf.services.goal_reads import subtree
from dingperf.store.engine import Store
from dingperf.store.tables.org import Employee


def _names(s: Session, corp_id: str, userids: set[str]) -> dict[str, str]:
    rows = s.exec(select(Employee).where(Employee.corp_id == corp_id, col(Employee.userid).in_(userids))).all()
    return {r.userid: r.name for r in rows}


def goal_map_view(store: Store, corp_id: str, root_goal_id: str) -> tuple[GoalMapNode, dict[str, GoalFacts]]:
    """The cascade below `root_goal_id` and the facts of each of its goals; NotFound for an unknown root."""
    with store.session() as s:
        tree = subtree(s, corp_id, root_goal_id)
        names = _names(s, corp_id, {st.goal.owner for st in tree.values()})
    goals = {gid: st.goal for gid, st in tree.items()}
    roots = goal_map(goals, {gid: goal_progress(st.goal, st.check_ins) for gid, st in tree.items()})
    root = next(n for n in roots if n.goal_id == root_goal_id)
    facts = {gid: goal_facts(st.goal, st.check_ins, names.get(st.goal.owner, "")) for gid, st in tree.items()}
    return root, facts
