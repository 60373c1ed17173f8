"""Calibration groups: teams big enough are calibrated alone; small teams (< ``min_size``, default 8)
are pooled with their sibling teams under the same parent, and leftovers into one shared pool,
because forcing a distribution on five people is noise. Declared groups (`GroupSpec`) claim people by
department subtree, manager or userid, carry a quota policy, and pool into a named group when too small.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from dingperf.perf.errors import ValidationError
from dingperf.perf.quota_policy import QuotaPolicy

DEFAULT_MIN_SIZE = 8
_ID = re.compile(r"^[A-Za-z0-9_:-]{1,64}$")


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


# --- Declared groups of a cycle: members by rule, a quota policy, pooling of small groups -------------------

DEFAULT_GROUP = "default"  # where participants no group claims are calibrated


@dataclass(frozen=True)
class MemberRule:
    """Who a group claims: everyone in these department subtrees, the direct reports of these managers, and
    these userids."""

    dept_ids: tuple[int, ...] = ()
    manager_userids: tuple[str, ...] = ()
    userids: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.dept_ids or self.manager_userids or self.userids)


@dataclass(frozen=True)
class GroupSpec:
    """A declared calibration group; below ``min_size`` members it is pooled into the group named ``pool``."""

    group_id: str
    name: str
    rule: MemberRule
    policy: QuotaPolicy = field(default_factory=QuotaPolicy)
    min_size: int = 1
    pool: str | None = None

    def __post_init__(self) -> None:
        if not _ID.match(self.group_id):
            raise ValidationError(f"group id {self.group_id!r} must be 1–64 letters, digits, '-', '_' or ':'")
        if not self.name.strip():
            raise ValidationError(f"calibration group {self.group_id} needs a name")
        if self.min_size < 1:
            raise ValidationError(f"group {self.group_id}: min_size must be at least 1, got {self.min_size}")
        if self.pool is not None and (self.pool == self.group_id or not _ID.match(self.pool)):
            raise ValidationError(f"group {self.group_id}: pool {self.pool!r} must name another group id")
        if self.min_size > 1 and self.pool is None:
            raise ValidationError(f"group {self.group_id}: min_size {self.min_size} needs a pool group to take "
                                  "the members when the group is smaller")
        if self.rule.is_empty and self.group_id != DEFAULT_GROUP:
            raise ValidationError(f"group {self.group_id} claims nobody; give departments, managers or userids")


@dataclass(frozen=True)
class Person:
    """A participant as the rules see them: their departments and their manager."""

    userid: str
    dept_ids: tuple[int, ...] = ()
    manager_userid: str | None = None


@dataclass(frozen=True)
class ResolvedGroup:
    """A group with its members; ``pooled_from`` names the small groups whose members it took in."""

    group_id: str
    name: str
    members: tuple[str, ...]
    policy: QuotaPolicy
    min_size: int = 1
    pooled_from: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.members)


def subtree(roots: Iterable[int], parents: Mapping[int, int | None]) -> set[int]:
    """The departments under (and including) ``roots``."""
    children: dict[int, list[int]] = defaultdict(list)
    for dept, parent in parents.items():
        if parent is not None:
            children[parent].append(dept)
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo.extend(children.get(d, ()))
    return seen


def assign_groups(specs: Sequence[GroupSpec], people: Iterable[Person],
                  parents: Mapping[int, int | None]) -> tuple[ResolvedGroup, ...]:
    """Put every person in exactly one group: a person two groups claim is an error naming both; nobody's
    claim → the default group; groups below their min size are pooled (one level) into their pool group."""
    ids = [s.group_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"calibration group ids repeat: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    by_id = {s.group_id: s for s in specs}
    # Inverted indexes: one dict lookup per department, manager and userid instead of every rule per person.
    by_dept: dict[int, set[str]] = defaultdict(set)
    by_manager: dict[str, set[str]] = defaultdict(set)
    by_user: dict[str, set[str]] = defaultdict(set)
    for spec in specs:
        for d in subtree(spec.rule.dept_ids, parents):
            by_dept[d].add(spec.group_id)
        for m in spec.rule.manager_userids:
            by_manager[m].add(spec.group_id)
        for u in spec.rule.userids:
            by_user[u].add(spec.group_id)
    members: dict[str, list[str]] = {s.group_id: [] for s in specs}
    members.setdefault(DEFAULT_GROUP, [])
    # People sharing departments and manager share claims: work each combination out once.
    claims: dict[tuple[tuple[int, ...], str | None], frozenset[str]] = {}
    for person in sorted(people, key=lambda p: p.userid):
        key = (person.dept_ids, person.manager_userid)
        shared = claims.get(key)
        if shared is None:
            shared = claims[key] = _claims(person, by_dept, by_manager)
        found = shared | by_user[person.userid] if person.userid in by_user else shared
        hits = sorted(found)
        if len(hits) > 1:
            raise ValidationError(f"{person.userid} is claimed by groups {hits[0]!r} and {hits[1]!r}; narrow one "
                                  "group's rule (or list the person in only one) so each person is calibrated once")
        members[hits[0] if hits else DEFAULT_GROUP].append(person.userid)
    default = by_id.get(DEFAULT_GROUP) or GroupSpec(DEFAULT_GROUP, "Everyone else", MemberRule())
    by_id.setdefault(DEFAULT_GROUP, default)
    pooled: dict[str, list[str]] = defaultdict(list)
    for gid in sorted(members):
        spec = by_id[gid]
        if spec.pool is not None and 0 < len(members[gid]) < spec.min_size:
            pooled[spec.pool].append(gid)
    away = {gid for small in pooled.values() for gid in small}
    chained = sorted(set(pooled) & away)
    if chained:
        raise ValidationError(f"groups {chained} take in small groups but are themselves pooled away; pooling is "
                              "one level, so point the small groups at the final pool")
    out: dict[str, ResolvedGroup] = {}
    for gid in sorted(members):
        if gid in away:
            continue
        spec = by_id[gid]
        out[gid] = ResolvedGroup(gid, spec.name, tuple(members[gid]), spec.policy, spec.min_size)
    for pool_id, small in sorted(pooled.items()):
        taken = tuple(u for gid in small for u in members[gid])
        host = out.get(pool_id)
        if host is None:
            policies = {by_id[gid].policy for gid in small}
            if len(policies) > 1:
                raise ValidationError(f"groups {small} pool into {pool_id!r} with different quotas; give them the "
                                      f"same quota or declare {pool_id!r} as a group with its own")
            host = ResolvedGroup(pool_id, f"pool {pool_id}", (), policies.pop(),
                                 max(by_id[gid].min_size for gid in small))
        out[pool_id] = replace(host, members=tuple(sorted(host.members + taken)),
                               pooled_from=host.pooled_from + tuple(small))
    return tuple(g for _, g in sorted(out.items()) if g.members or g.group_id != DEFAULT_GROUP)


def _claims(person: Person, by_dept: Mapping[int, set[str]], by_manager: Mapping[str, set[str]]) -> frozenset[str]:
    found: set[str] = set()
    for d in person.dept_ids:
        found |= by_dept.get(d, set())
    if person.manager_userid is not None:
        found |= by_manager.get(person.manager_userid, set())
    return frozenset(found)


def group_of(groups: Iterable[ResolvedGroup], userid: str) -> ResolvedGroup:
    """The group a participant is calibrated in."""
    for g in groups:
        if userid in g.members:
            return g
    raise ValidationError(f"{userid} is not a participant of this cycle, so is in no calibration group")
