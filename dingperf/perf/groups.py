"""Participant groups: dynamic rules over employees (department subtree, title, job level, tenure,
manager, active) with and/or/not, and virtual groups (explicit lists for project teams).

Each rule can say *why* it matched or not, so a membership diff explains every add and remove.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from dingperf.perf.audit import AuditRecord, record, require_reason, transition_error
from dingperf.perf.cycles import Cycle
from dingperf.perf.errors import ValidationError


@dataclass(frozen=True)
class Employee:
    """What participant rules read about a person (synced from the address book)."""

    userid: str
    name: str
    dept_ids: tuple[str, ...]
    title: str = ""
    job_level: int | None = None
    hired_on: date | None = None
    manager_userid: str | None = None
    active: bool = True


@dataclass(frozen=True)
class OrgContext:
    """The department tree (child → parent), the employees by userid, and the date rules are judged on."""

    as_of: date
    dept_parent: Mapping[str, str | None] = field(default_factory=dict)
    employees: Mapping[str, Employee] = field(default_factory=dict)

    def dept_ancestors(self, dept_id: str) -> list[str]:
        """``dept_id`` and every department above it."""
        chain, seen, cur = [], set(), dept_id
        while cur is not None and cur not in seen:
            chain.append(cur)
            seen.add(cur)
            cur = self.dept_parent.get(cur)
        return chain

    def manager_chain(self, userid: str) -> list[str]:
        """Direct manager first, then theirs, up to the top."""
        chain: list[str] = []
        cur = self.employees.get(userid)
        while cur is not None and cur.manager_userid and cur.manager_userid not in chain:
            chain.append(cur.manager_userid)
            cur = self.employees.get(cur.manager_userid)
        return chain


@dataclass(frozen=True)
class Verdict:
    matched: bool
    why: str


class Rule(Protocol):
    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict: ...


@dataclass(frozen=True)
class InDepartmentSubtree:
    dept_id: str

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        for d in emp.dept_ids:
            if self.dept_id in ctx.dept_ancestors(d):
                return Verdict(True, f"department {d} is in the subtree of {self.dept_id}")
        return Verdict(False, f"departments {list(emp.dept_ids)} are outside the subtree of {self.dept_id}")


@dataclass(frozen=True)
class TitleIn:
    titles: frozenset[str]

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        ok = emp.title in self.titles
        return Verdict(ok, f"title {emp.title!r} {'is' if ok else 'is not'} one of {sorted(self.titles)}")


@dataclass(frozen=True)
class JobLevelBetween:
    low: int | None = None
    high: int | None = None

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        lv = emp.job_level
        ok = lv is not None and (self.low is None or lv >= self.low) and (self.high is None or lv <= self.high)
        return Verdict(ok, f"job level {lv} {'is' if ok else 'is not'} within [{self.low}, {self.high}]")


def tenure_months(hired_on: date, as_of: date) -> int:
    """Completed months of service on ``as_of``."""
    months = (as_of.year - hired_on.year) * 12 + (as_of.month - hired_on.month)
    return months - (1 if as_of.day < hired_on.day else 0)


@dataclass(frozen=True)
class TenureAtLeast:
    months: int

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        if emp.hired_on is None:
            return Verdict(False, "hire date unknown")
        n = tenure_months(emp.hired_on, ctx.as_of)
        ok = n >= self.months
        return Verdict(ok, f"tenure {n} months on {ctx.as_of} {'≥' if ok else '<'} {self.months}")


@dataclass(frozen=True)
class ReportsTo:
    manager_userid: str
    direct_only: bool = True

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        chain = [emp.manager_userid] if emp.manager_userid else []
        if chain and not self.direct_only:
            chain += ctx.manager_chain(emp.manager_userid)
        ok = self.manager_userid in chain
        how = "directly" if self.direct_only else "directly or indirectly"
        return Verdict(ok, f"{'reports' if ok else 'does not report'} {how} to {self.manager_userid}")


@dataclass(frozen=True)
class IsActive:
    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        return Verdict(emp.active, "active" if emp.active else "inactive (left or suspended)")


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        verdicts = [r.judge(emp, ctx) for r in self.rules]
        failed = [v.why for v in verdicts if not v.matched]
        if failed:
            return Verdict(False, "; ".join(failed))
        return Verdict(True, " and ".join(v.why for v in verdicts))


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        verdicts = [r.judge(emp, ctx) for r in self.rules]
        for v in verdicts:
            if v.matched:
                return v
        return Verdict(False, " and ".join(v.why for v in verdicts))


@dataclass(frozen=True)
class Not:
    rule: Rule

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        v = self.rule.judge(emp, ctx)
        return Verdict(not v.matched, f"not ({v.why})")


@dataclass(frozen=True)
class DynamicGroup:
    group_id: str
    name: str
    rule: Rule


@dataclass(frozen=True)
class VirtualGroup:
    """An explicit list (a project team); members must still exist and be active to take part."""

    group_id: str
    name: str
    members: frozenset[str]
    owner: str = ""  # who keeps the list current (a project lead); shown next to the group


Group = DynamicGroup | VirtualGroup


def group_source(group: Group) -> str:
    """The participant source a group writes: ``group:<id>`` or ``virtual:<id>``."""
    return f"{'virtual' if isinstance(group, VirtualGroup) else 'group'}:{group.group_id}"


def _judge(group: Group, emp: Employee, ctx: OrgContext) -> Verdict:
    if isinstance(group, VirtualGroup):
        if emp.userid not in group.members:
            return Verdict(False, f"not listed in virtual group {group.name}")
        if not emp.active:
            return Verdict(False, "inactive (left or suspended)")
        return Verdict(True, f"listed in virtual group {group.name}")
    return group.rule.judge(emp, ctx)


def evaluate(groups: Iterable[Group], ctx: OrgContext) -> dict[str, str]:
    """Members of the union of ``groups`` among ``ctx.employees``: userid → why (first matching group)."""
    out: dict[str, str] = {}
    for group in groups:
        for uid in sorted(ctx.employees):
            if uid not in out:
                v = _judge(group, ctx.employees[uid], ctx)
                if v.matched:
                    out[uid] = f"{group.name}: {v.why}"
    return out


@dataclass(frozen=True, slots=True)
class Match:
    """Why someone takes part: the first group (in definition order) that matched them."""

    source: str
    why: str


def match_participants(groups: Iterable[Group], ctx: OrgContext,
                       exclusions: Mapping[str, str] | None = None) -> dict[str, Match]:
    """Active, non-excluded members of the union of ``groups``: userid → Match (first matching group wins).

    People who left never join through a group, even when a rule forgets ``IsActive``.
    """
    excluded = exclusions or {}
    out: dict[str, Match] = {}
    for group in groups:
        source = group_source(group)
        # A virtual group is a short list: look its members up instead of judging everyone.
        uids = sorted(group.members) if isinstance(group, VirtualGroup) else sorted(ctx.employees)
        for uid in uids:
            emp = ctx.employees.get(uid)
            if uid in out or uid in excluded or emp is None or not emp.active:
                continue
            v = _judge(group, emp, ctx)
            if v.matched:
                out[uid] = Match(source, f"{group.name}: {v.why}")
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
    return "; ".join(f"{g.name}: {_judge(g, emp, ctx).why}" for g in groups) or "no participant groups"


@dataclass(frozen=True)
class MemberChange:
    userid: str
    why: str


@dataclass(frozen=True)
class MembershipDiff:
    added: tuple[MemberChange, ...]
    removed: tuple[MemberChange, ...]
    members: frozenset[str]


def diff_membership(groups: Iterable[Group], previous: Iterable[str], ctx: OrgContext) -> MembershipDiff:
    """Re-evaluate and explain who joined and who left since ``previous``."""
    groups = tuple(groups)
    if not groups:
        raise ValidationError("a cycle needs at least one participant group")
    now = evaluate(groups, ctx)
    before = frozenset(previous)
    added = tuple(MemberChange(u, now[u]) for u in sorted(set(now) - before))
    removed: list[MemberChange] = []
    for u in sorted(before - set(now)):
        emp = ctx.employees.get(u)
        if emp is None:
            removed.append(MemberChange(u, "no longer in the address book"))
        else:
            removed.append(MemberChange(u, "; ".join(_judge(g, emp, ctx).why for g in groups)))
    return MembershipDiff(added, tuple(removed), frozenset(now))


def reevaluate_participants(cycle: Cycle, groups: Iterable[Group], previous: Iterable[str],
                            ctx: OrgContext) -> MembershipDiff:
    """The membership diff for a cycle that is not locked yet; after the lock participants are frozen."""
    if cycle.is_locked:
        raise transition_error(f"cycle {cycle.cycle_id}", cycle.phase.value, "re-evaluate participants",
                               ("add or remove a participant explicitly with a reason",))
    return diff_membership(groups, previous, ctx)


def change_locked_participant(cycle: Cycle, members: Iterable[str], userid: str, add: bool, actor: str,
                              now: datetime, reason: str) -> tuple[frozenset[str], AuditRecord]:
    """After the lock, add or remove one participant explicitly (transfer, long leave), with a reason."""
    text = require_reason(reason, "change a participant after the cycle locked")
    current = frozenset(members)
    if add and userid in current:
        raise ValidationError(f"{userid} already takes part in cycle {cycle.cycle_id}")
    if not add and userid not in current:
        raise ValidationError(f"{userid} does not take part in cycle {cycle.cycle_id}")
    new = current | {userid} if add else current - {userid}
    before, after = ("absent", "participant") if add else ("participant", "absent")
    return new, record(actor, f"{'add' if add else 'remove'}_participant:{userid}", before, after, now, text)
