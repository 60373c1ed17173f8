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
    # Ancestor sets per department, filled on first use: a 100,000-person refresh asks about ~1,000 departments.
    _above: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def dept_ancestors(self, dept_id: str) -> list[str]:
        """``dept_id`` and every department above it."""
        chain, seen, cur = [], set(), dept_id
        while cur is not None and cur not in seen:
            chain.append(cur)
            seen.add(cur)
            cur = self.dept_parent.get(cur)
        return chain

    def is_in_subtree(self, dept_id: str, root: str) -> bool:
        """True when ``dept_id`` is ``root`` or below it."""
        above = self._above.get(dept_id)
        if above is None:
            above = self._above[dept_id] = frozenset(self.dept_ancestors(dept_id))
        return root in above

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
    """`test` decides (fast, for whole-org refreshes); `judge` decides and explains. They always agree."""

    def test(self, emp: Employee, ctx: OrgContext) -> bool: ...

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict: ...


@dataclass(frozen=True)
class InDepartmentSubtree:
    dept_id: str

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return any(ctx.is_in_subtree(d, self.dept_id) for d in emp.dept_ids)

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        for d in emp.dept_ids:
            if ctx.is_in_subtree(d, self.dept_id):
                return Verdict(True, f"department {d} is in the subtree of {self.dept_id}")
        return Verdict(False, f"departments {list(emp.dept_ids)} are outside the subtree of {self.dept_id}")


@dataclass(frozen=True)
class TitleIn:
    titles: frozenset[str]

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return emp.title in self.titles

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        ok = emp.title in self.titles
        return Verdict(ok, f"title {emp.title!r} {'is' if ok else 'is not'} one of {sorted(self.titles)}")


@dataclass(frozen=True)
class JobLevelBetween:
    low: int | None = None
    high: int | None = None

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        lv = emp.job_level
        return lv is not None and (self.low is None or lv >= self.low) and (self.high is None or lv <= self.high)

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        lv, ok = emp.job_level, self.test(emp, ctx)
        return Verdict(ok, f"job level {lv} {'is' if ok else 'is not'} within [{self.low}, {self.high}]")


def tenure_months(hired_on: date, as_of: date) -> int:
    """Completed months of service on ``as_of``."""
    months = (as_of.year - hired_on.year) * 12 + (as_of.month - hired_on.month)
    return months - (1 if as_of.day < hired_on.day else 0)


@dataclass(frozen=True)
class TenureAtLeast:
    months: int

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return emp.hired_on is not None and tenure_months(emp.hired_on, ctx.as_of) >= self.months

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

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        if emp.manager_userid == self.manager_userid:
            return True
        return bool(emp.manager_userid) and not self.direct_only and \
            self.manager_userid in ctx.manager_chain(emp.manager_userid or "")

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        ok = self.test(emp, ctx)
        how = "directly" if self.direct_only else "directly or indirectly"
        return Verdict(ok, f"{'reports' if ok else 'does not report'} {how} to {self.manager_userid}")


@dataclass(frozen=True)
class IsActive:
    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return emp.active

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        return Verdict(emp.active, "active" if emp.active else "inactive (left or suspended)")


@dataclass(frozen=True)
class AllOf:
    rules: tuple[Rule, ...]

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return all(r.test(emp, ctx) for r in self.rules)

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        verdicts = [r.judge(emp, ctx) for r in self.rules]
        failed = [v.why for v in verdicts if not v.matched]
        if failed:
            return Verdict(False, "; ".join(failed))
        return Verdict(True, " and ".join(v.why for v in verdicts))


@dataclass(frozen=True)
class AnyOf:
    rules: tuple[Rule, ...]

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return any(r.test(emp, ctx) for r in self.rules)

    def judge(self, emp: Employee, ctx: OrgContext) -> Verdict:
        verdicts = []
        for r in self.rules:
            v = r.judge(emp, ctx)
            if v.matched:
                return v
            verdicts.append(v)
        return Verdict(False, " and ".join(v.why for v in verdicts))


@dataclass(frozen=True)
class Not:
    rule: Rule

    def test(self, emp: Employee, ctx: OrgContext) -> bool:
        return not self.rule.test(emp, ctx)

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


def judge_group(group: Group, emp: Employee, ctx: OrgContext) -> Verdict:
    """Whether ``emp`` belongs to ``group``, and why."""
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
                v = judge_group(group, ctx.employees[uid], ctx)
                if v.matched:
                    out[uid] = f"{group.name}: {v.why}"
    return out


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
            removed.append(MemberChange(u, "; ".join(judge_group(g, emp, ctx).why for g in groups)))
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
