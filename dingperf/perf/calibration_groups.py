"""Calibration groups: teams big enough are calibrated alone; small teams (< ``min_size``, default 8)
are pooled with their sibling teams under the same parent, and leftovers into one shared pool,
because forcing a distribution on five people is noise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from dingperf.perf.errors import ValidationError

DEFAULT_MIN_SIZE = 8


@dataclass(frozen=True)
class Team:
    team_id: str
    parent_id: str | None
    members: tuple[str, ...]


@dataclass(frozen=True)
class CalibrationGroup:
    group_id: str
    team_ids: tuple[str, ...]
    members: tuple[str, ...]
    reason: str

    @property
    def size(self) -> int:
        return len(self.members)


def pool_teams(teams: Iterable[Team], min_size: int = DEFAULT_MIN_SIZE) -> tuple[CalibrationGroup, ...]:
    """Partition teams into calibration groups of at least ``min_size`` where the headcount allows."""
    if min_size < 1:
        raise ValidationError(f"min_size must be at least 1, got {min_size}")
    teams = sorted(teams, key=lambda t: t.team_id)
    seen: set[str] = set()
    for t in teams:
        dup = seen & set(t.members)
        if dup:
            raise ValidationError(f"{sorted(dup)} appear in more than one team; each person is calibrated once")
        seen |= set(t.members)
    groups: list[CalibrationGroup] = []
    small_by_parent: dict[str | None, list[Team]] = defaultdict(list)
    for t in teams:
        if len(t.members) >= min_size:
            groups.append(CalibrationGroup(t.team_id, (t.team_id,), t.members, f"team of {len(t.members)}"))
        elif t.members:
            small_by_parent[t.parent_id].append(t)
    leftovers: list[Team] = []
    for parent in sorted(small_by_parent, key=lambda p: "" if p is None else p):
        pool = small_by_parent[parent]
        size = sum(len(t.members) for t in pool)
        if size >= min_size:
            groups.append(_pool(f"pool:{parent}", pool, f"teams below {min_size} pooled under {parent}"))
        else:
            leftovers.extend(pool)
    if leftovers:
        size = sum(len(t.members) for t in leftovers)
        if size >= min_size or not groups:
            groups.append(_pool("pool:shared", leftovers, f"small teams pooled company-wide (below {min_size})"))
        else:
            # Still too small on their own: join the smallest existing group rather than stand alone.
            target = min(groups, key=lambda g: (g.size, g.group_id))
            extra = _pool(target.group_id, leftovers, "")
            merged = CalibrationGroup(target.group_id, target.team_ids + extra.team_ids,
                                      target.members + extra.members,
                                      f"{target.reason}; plus small teams {list(extra.team_ids)}")
            groups[groups.index(target)] = merged
    return tuple(sorted(groups, key=lambda g: g.group_id))


def _pool(group_id: str, teams: list[Team], reason: str) -> CalibrationGroup:
    members = tuple(m for t in teams for m in t.members)
    return CalibrationGroup(group_id, tuple(t.team_id for t in teams), members, reason)
