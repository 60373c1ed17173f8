"""Manager chains in a cycle: who is above a participant, and who is under a manager, at any depth.

A participant's manager is the one set on the participant, else the synced one (as nominations read it); a
manager who is not a participant is followed through the synced org. Loops in bad org data end the walk.
"""

from __future__ import annotations

from collections import defaultdict, deque

from sqlmodel import Session, col, select

from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_participants import PerfParticipant

MAX_DEPTH = 32  # deeper than any real org; bounds a walk through bad data


def _manager_of(s: Session, corp_id: str, cycle_id: str | None, userid: str) -> str | None:
    if cycle_id is not None:
        set_on = s.exec(select(PerfParticipant.manager_userid).where(
            PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id,
            PerfParticipant.userid == userid)).first()
        if set_on:
            return set_on
    return s.exec(select(Employee.manager_userid).where(Employee.corp_id == corp_id,
                                                        Employee.userid == userid)).first()


def manager_chain(s: Session, corp_id: str, cycle_id: str | None, userid: str) -> tuple[str, ...]:
    """The direct manager first, then each manager above, up to the top (or a loop); with no cycle, the synced
    org alone."""
    chain: list[str] = []
    seen = {userid}
    current: str | None = userid
    while current is not None and len(chain) < MAX_DEPTH:
        current = _manager_of(s, corp_id, cycle_id, current)
        if current is None or current in seen:
            break
        chain.append(current)
        seen.add(current)
    return tuple(chain)


def _parents(s: Session, corp_id: str, cycle_id: str) -> dict[str, str]:
    """Every known userid → their manager in this cycle: two reads, whatever the size of the org."""
    parents = {u: m for u, m in s.exec(select(Employee.userid, Employee.manager_userid).where(
        Employee.corp_id == corp_id, col(Employee.manager_userid).is_not(None))) if m}
    parents.update({u: m for u, m in s.exec(select(PerfParticipant.userid, PerfParticipant.manager_userid).where(
        PerfParticipant.corp_id == corp_id, PerfParticipant.cycle_id == cycle_id,
        col(PerfParticipant.manager_userid).is_not(None))) if m})
    return parents


def reports_under(s: Session, corp_id: str, cycle_id: str, manager: str) -> dict[str, int]:
    """Everyone under `manager` → depth (1 = direct report), participants or not."""
    children: dict[str, list[str]] = defaultdict(list)
    for userid, parent in _parents(s, corp_id, cycle_id).items():
        children[parent].append(userid)
    depth = {manager: 0}
    queue = deque([manager])
    while queue:
        current = queue.popleft()
        if depth[current] >= MAX_DEPTH:
            continue
        for child in children.get(current, ()):
            if child not in depth:
                depth[child] = depth[current] + 1
                queue.append(child)
    del depth[manager]
    return depth
