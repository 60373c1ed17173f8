"""What a participant refresh changes: who the groups select now (`match_participants`), and the pure set
arithmetic between that and who takes part (`plan_refresh`), with the protections that keep every piece of work.

- Newcomers selected by a group join with that group as their source and their manager from the org.
- People a group added (source ``group:<id>``/``virtual:<id>``) leave when no group selects them any more;
  manual participants stay unless they left the company.
- Anyone with data in the cycle (inputs, ratings, a result, goals…) is never removed: their source is
  marked ``unmatched:<old source>`` and they are reported, so HR decides. If they match again, the mark goes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from dingperf.perf.groups import Employee, Group, OrgContext, VirtualGroup, group_source, judge_group

GROUP_SOURCES = ("group:", "virtual:")
UNMATCHED = "unmatched:"


@dataclass(frozen=True, slots=True)
class Match:
    """Someone a group selects: the first group (in definition order) that matched them."""

    source: str
    group: Group

    def why(self, emp: Employee, ctx: OrgContext) -> str:
        """The reason, worked out only for people whose membership changes (100,000 strings would cost)."""
        return f"{self.group.name}: {judge_group(self.group, emp, ctx).why}"


def _selects(group: Group, emp: Employee, ctx: OrgContext) -> bool:
    if isinstance(group, VirtualGroup):
        return emp.userid in group.members
    return group.rule.test(emp, ctx)


def match_participants(groups: Iterable[Group], ctx: OrgContext,
                       exclusions: Mapping[str, str] | None = None) -> dict[str, Match]:
    """Active, non-excluded members of the union of ``groups``: userid → Match (first matching group wins).

    People who left never join through a group, even when a rule forgets ``IsActive``.
    """
    excluded = exclusions or {}
    out: dict[str, Match] = {}
    employees = ctx.employees
    for group in groups:
        match = Match(group_source(group), group)
        # A virtual group is a short list: look its members up instead of testing everyone.
        uids = group.members if isinstance(group, VirtualGroup) else employees
        for uid in uids:
            emp = employees.get(uid)
            if emp is None or not emp.active or uid in out or uid in excluded:
                continue
            if _selects(group, emp, ctx):
                out[uid] = match
    return out


def why_not_member(groups: Iterable[Group], userid: str, ctx: OrgContext,
                   exclusions: Mapping[str, str] | None = None) -> str:
    """Why ``userid`` is not (or no longer) a member of any of ``groups``."""
    if exclusions and userid in exclusions:
        return f"excluded from the cycle: {exclusions[userid]}"
    emp = ctx.employees.get(userid)
    if emp is None:
        return "no longer in the address book"
    if not emp.active:
        return "left the company (inactive in the address book)"
    return "; ".join(f"{g.name}: {judge_group(g, emp, ctx).why}" for g in groups) or "no participant groups"


def is_group_source(source: str) -> bool:
    """True when a group (not a person) put the participant there, marked unmatched or not."""
    return source.removeprefix(UNMATCHED).startswith(GROUP_SOURCES)


@dataclass(frozen=True, slots=True)
class Current:
    """A participant as stored."""

    source: str
    manager_userid: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """One participant row to write (or delete), and why."""

    userid: str
    source: str
    manager_userid: str | None
    why: str


@dataclass(frozen=True)
class RefreshPlan:
    """Rows to insert, delete, re-mark and update; `held` lists everyone kept only because they have data."""

    added: tuple[Change, ...]
    removed: tuple[Change, ...]
    newly_unmatched: tuple[Change, ...]
    updated: tuple[Change, ...]
    held: tuple[Change, ...]
    unchanged: int


def plan_refresh(current: Mapping[str, Current], matches: Mapping[str, Match], protected: AbstractSet[str],
                 groups: Iterable[Group], ctx: OrgContext, exclusions: Mapping[str, str] | None = None
                 ) -> RefreshPlan:
    """Decide every participant's fate; `protected` are the userids that have data in the cycle."""
    groups = tuple(groups)
    added, removed, marked, updated, held = [], [], [], [], []
    unchanged = 0
    for uid in sorted(current):
        cur = current[uid]
        base = cur.source.removeprefix(UNMATCHED)
        emp = ctx.employees.get(uid)
        match = matches.get(uid)
        if is_group_source(base):
            stays = match is not None
            source = match.source if match is not None else base
            manager = emp.manager_userid if emp is not None else cur.manager_userid
        else:
            # Manual participants are someone's explicit choice: only leaving the company removes them.
            stays = emp is None or emp.active
            source, manager = base, cur.manager_userid
        if stays:
            if (source, manager) == (cur.source, cur.manager_userid):
                unchanged += 1
            else:
                why = match.why(emp, ctx) if match is not None and emp is not None else "added by hand"
                if cur.source != base:
                    why = f"selected again ({why})"
                elif source == cur.source:
                    why = f"manager is now {manager or 'nobody'}"
                updated.append(Change(uid, source, manager, why))
            continue
        why = why_not_member(groups, uid, ctx, exclusions)
        if uid in protected:
            change = Change(uid, UNMATCHED + base, cur.manager_userid, f"{why}; kept because they have data "
                            "in this cycle (remove them explicitly if they should not be assessed)")
            held.append(change)
            if cur.source != change.source:
                marked.append(change)
            else:
                unchanged += 1
        else:
            removed.append(Change(uid, cur.source, cur.manager_userid, why))
    for uid in sorted(set(matches) - set(current)):
        emp = ctx.employees[uid]  # a match is always someone in the org
        added.append(Change(uid, matches[uid].source, emp.manager_userid, matches[uid].why(emp, ctx)))
    return RefreshPlan(tuple(added), tuple(removed), tuple(marked), tuple(updated), tuple(held), unchanged)
