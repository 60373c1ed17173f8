"""Goal lifecycle in the store: create (KPI, OKR, MBO), revise, send, confirm, push back, adjust, close, check in,
align. Each step loads the newest revision, passes the cycle-phase gate (`perf.goal_gate`; goals without a cycle
are not gated), applies the pure move and writes the next revision plus one audit entry in one transaction.

Every step takes ``admin_override``: a reason that lets an HR admin act outside the phase (callers pass it only
for admins); it is written into the audit entry. Reads (tree, achievement, sheet) live in `goal_reads`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from sqlmodel import Session

from dingperf.perf import goals as rules
from dingperf.perf.audit import AuditRecord, record
from dingperf.perf.cascade import align
from dingperf.perf.checkins import CheckIn, check_in
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_gate import GoalAction
from dingperf.perf.goal_versions import Direction, TargetVersion
from dingperf.perf.goals import BscPerspective, Goal, GoalKind, GoalLevel
from dingperf.perf.okr import KeyResult
from dingperf.perf.periods import Period
from dingperf.services.goal_reads import goal_achievement, goal_sheet, goal_tree, okr_report, subtree
from dingperf.services.goal_store import (
    StoredGoal,
    check_phase,
    cycle_row,
    goal_from_json,
    goal_to_json,
    load_goal,
    newest_rows,
    write_goal,
)
from dingperf.services.phases import pure_cycle
from dingperf.store.engine import Store
from dingperf.store.types import utcnow

# Reads and the codec are re-exported so callers import the goal API from one module.
__all__ = [
    "StoredGoal", "align_goal", "approve_goal_adjustment", "check_in_goal", "close_goal", "confirm_goal",
    "create_goal", "create_mbo_goal", "create_okr_goal", "get_stored_goal", "goal_achievement", "goal_from_json",
    "goal_sheet", "goal_to_json", "goal_tree", "okr_report", "push_back_goal", "reject_goal_adjustment",
    "request_goal_adjustment", "revise_goal", "send_goal",
]

Move = Callable[[Session, StoredGoal], tuple[Goal, tuple[CheckIn, ...], AuditRecord]]


def _step(store: Store, corp_id: str, goal_id: str, action: GoalAction, admin_override: str, move: Move) -> StoredGoal:
    with store.session() as s:
        current = load_goal(s, corp_id, goal_id)
        decision = check_phase(s, corp_id, current.goal, action, admin_override)
        goal, check_ins, audit = move(s, current)
        return write_goal(s, corp_id, goal, check_ins, current.revision + 1, audit, decision)


def _transition(store: Store, corp_id: str, goal_id: str, action: GoalAction, admin_override: str,
                pure: Callable[[Goal], tuple[Goal, AuditRecord]]) -> StoredGoal:
    def move(_: Session, cur: StoredGoal) -> tuple[Goal, tuple[CheckIn, ...], AuditRecord]:
        goal, audit = pure(cur.goal)
        return goal, cur.check_ins, audit
    return _step(store, corp_id, goal_id, action, admin_override, move)


# --- creation --------------------------------------------------------------------------------------------------

def _create(store: Store, corp_id: str, cycle_id: str | None, period: Period | None, build: Callable[[Period], Goal],
            *, actor: str, parent_id: str | None, alignment_weight: Decimal | None, why: str, admin_override: str,
            now: datetime | None) -> StoredGoal:
    at = now or utcnow()
    with store.session() as s:
        if cycle_id:
            period = pure_cycle(cycle_row(s, corp_id, cycle_id)).period
        elif period is None:
            raise ValidationError("a goal outside any cycle needs its own period; give period=Period(start, end)")
        goal = replace(build(period), cycle_id=cycle_id or "")
        if newest_rows(s, corp_id, [goal.goal_id]):
            raise ValidationError(f"goal {goal.goal_id!r} already exists in corp {corp_id}; pick another id")
        decision = check_phase(s, corp_id, goal, GoalAction.CREATE, admin_override)
        if parent_id is not None:
            parent = load_goal(s, corp_id, parent_id).goal
            goal, aligned = align({goal.goal_id: goal, parent_id: parent}, goal.goal_id, parent_id, actor, at,
                                  alignment_weight)
            why = f"{why}, {aligned.reason}"
        return write_goal(s, corp_id, goal, (), 1, record(actor, "create", "new", goal.status.value, at, why), decision)


def create_goal(store: Store, corp_id: str, cycle_id: str | None, *, goal_id: str, owner: str, title: str,
                target: Decimal, weight: Decimal, actor: str, baseline: Decimal | None = None,
                direction: Direction = Direction.HIGHER, unit: str = "", level: GoalLevel = GoalLevel.PERSON,
                perspective: BscPerspective | None = None, description: str = "", parent_id: str | None = None,
                alignment_weight: Decimal | None = None, period: Period | None = None, admin_override: str = "",
                now: datetime | None = None) -> StoredGoal:
    """A draft KPI goal over the cycle's period (or `period` when it has no cycle); with `parent_id` it aligns
    under that goal."""
    def build(p: Period) -> Goal:
        return rules.new_kpi_goal(goal_id, owner, title, p, Decimal(target), baseline=baseline, direction=direction,
                                  created_by=actor, weight=Decimal(weight), unit=unit, level=level,
                                  perspective=perspective, description=description)
    return _create(store, corp_id, cycle_id, period, build, actor=actor, parent_id=parent_id,
                   alignment_weight=alignment_weight, why=f"KPI goal {title!r} target {target}",
                   admin_override=admin_override, now=now)


def create_okr_goal(store: Store, corp_id: str, cycle_id: str | None, *, goal_id: str, owner: str, title: str,
                    key_results: Sequence[KeyResult], weight: Decimal, actor: str,
                    level: GoalLevel = GoalLevel.PERSON, perspective: BscPerspective | None = None,
                    description: str = "", parent_id: str | None = None, alignment_weight: Decimal | None = None,
                    period: Period | None = None, admin_override: str = "", now: datetime | None = None) -> StoredGoal:
    """A draft OKR objective with its key results (baseline, target, optional stretch, relative weight)."""
    def build(p: Period) -> Goal:
        return rules.new_okr_goal(goal_id, owner, title, p, key_results, weight=Decimal(weight), level=level,
                                  perspective=perspective, description=description)
    krs = ", ".join(kr.kr_id for kr in key_results)
    return _create(store, corp_id, cycle_id, period, build, actor=actor, parent_id=parent_id,
                   alignment_weight=alignment_weight, why=f"OKR objective {title!r} with key results {krs}",
                   admin_override=admin_override, now=now)


def create_mbo_goal(store: Store, corp_id: str, cycle_id: str | None, *, goal_id: str, owner: str, title: str,
                    criteria: str, weight: Decimal, actor: str, target: Decimal | None = None,
                    baseline: Decimal | None = None, direction: Direction = Direction.HIGHER, unit: str = "",
                    due: date | None = None, level: GoalLevel = GoalLevel.PERSON,
                    perspective: BscPerspective | None = None, description: str = "", parent_id: str | None = None,
                    alignment_weight: Decimal | None = None, period: Period | None = None, admin_override: str = "",
                    now: datetime | None = None) -> StoredGoal:
    """A draft MBO goal: a completion criterion, optionally a numeric target and a due day inside the period."""
    def build(p: Period) -> Goal:
        return rules.new_mbo_goal(goal_id, owner, title, p, criteria, target=target, baseline=baseline,
                                  direction=direction, created_by=actor, weight=Decimal(weight), unit=unit, due=due,
                                  level=level, perspective=perspective, description=description)
    return _create(store, corp_id, cycle_id, period, build, actor=actor, parent_id=parent_id,
                   alignment_weight=alignment_weight, why=f"MBO goal {title!r}: {criteria.strip()}",
                   admin_override=admin_override, now=now)


def get_stored_goal(store: Store, corp_id: str, goal_id: str) -> StoredGoal:
    """The newest revision of a goal as the pure goal and its check-ins; NotFound when it does not exist."""
    with store.session() as s:
        return load_goal(s, corp_id, goal_id)


# --- edits and the lifecycle -----------------------------------------------------------------------------------

def _retarget(goal: Goal, actor: str, target: Decimal | None, baseline: Decimal | None) -> tuple[TargetVersion, ...]:
    """The draft's single target version with a new target or baseline (a draft has never been adjusted)."""
    if target is None and baseline is None:
        return goal.versions
    if goal.kind is GoalKind.OKR:
        raise ValidationError(f"goal {goal.goal_id} is an OKR objective; change its key results, not a target")
    first = goal.versions[0] if goal.versions else None
    if first is None and target is None:
        raise ValidationError(f"goal {goal.goal_id} has no target yet; give a target together with the baseline")
    new_target = Decimal(target) if target is not None else first.target  # type: ignore[union-attr]
    new_base = Decimal(baseline) if baseline is not None else (first.baseline if first else None)
    direction = first.direction if first else Direction.HIGHER
    return (TargetVersion(1, new_target, goal.period.start, new_base, direction, "initial target", actor),)


def revise_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, title: str | None = None,
                weight: Decimal | None = None, description: str | None = None,
                perspective: BscPerspective | None = None, target: Decimal | None = None,
                baseline: Decimal | None = None, key_results: Sequence[KeyResult] | None = None,
                criteria: str | None = None, due: date | None = None, unit: str | None = None,
                admin_override: str = "", now: datetime | None = None) -> StoredGoal:
    """Edit a draft or pushed-back goal (only the fields given change); it becomes a draft to send again."""
    at = now or utcnow()

    def pure(goal: Goal) -> tuple[Goal, AuditRecord]:
        changes: dict[str, object] = {k: v for k, v in {
            "title": title, "weight": None if weight is None else Decimal(weight), "description": description,
            "perspective": perspective, "criteria": criteria, "due": due, "unit": unit,
            "key_results": None if key_results is None else tuple(key_results)}.items() if v is not None}
        if key_results is not None and goal.kind is not GoalKind.OKR:
            raise ValidationError(f"goal {goal_id} is {goal.kind.value}; only OKR objectives have key results")
        if criteria is not None and goal.kind is not GoalKind.MBO:
            raise ValidationError(f"goal {goal_id} is {goal.kind.value}; only MBO goals have a completion criterion")
        versions = _retarget(goal, actor, target, baseline)
        if versions != goal.versions:
            changes["versions"] = versions
        if not changes:
            raise ValidationError(f"goal {goal_id}: nothing to change; give the fields to revise")
        new, audit = rules.revise(goal, actor, at, **changes)
        return new, replace(audit, reason=f"revised {', '.join(sorted(changes))}")
    return _transition(store, corp_id, goal_id, GoalAction.EDIT, admin_override, pure)


def send_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, admin_override: str = "",
              now: datetime | None = None) -> StoredGoal:
    """Send a complete draft (or pushed-back goal) to the other party for confirmation."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.SEND, admin_override,
                       lambda g: rules.send_for_confirmation(g, actor, at))


def confirm_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, admin_override: str = "",
                 now: datetime | None = None) -> StoredGoal:
    """The other party confirms; whoever sent the goal cannot confirm it."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.CONFIRM, admin_override, lambda g: rules.confirm(g, actor, at))


def push_back_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str, admin_override: str = "",
                   now: datetime | None = None) -> StoredGoal:
    """Refuse the sent goal with a reason the sender reads."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.PUSH_BACK, admin_override,
                       lambda g: rules.push_back(g, actor, at, reason))


def request_goal_adjustment(store: Store, corp_id: str, goal_id: str, *, actor: str, new_target: Decimal,
                            effective_from: date, reason: str, baseline: Decimal | None = None,
                            admin_override: str = "", now: datetime | None = None) -> StoredGoal:
    """Propose a new target version in force from `effective_from`; days before it keep the old target."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.ADJUST, admin_override, lambda g: rules.request_adjustment(
        g, actor, at, Decimal(new_target), effective_from, reason, baseline))


def approve_goal_adjustment(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str = "",
                            admin_override: str = "", now: datetime | None = None) -> StoredGoal:
    """Approve the pending adjustment (never by its requester): the new target version is appended."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.ADJUST, admin_override,
                       lambda g: rules.approve_adjustment(g, actor, at, reason))


def reject_goal_adjustment(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str,
                           admin_override: str = "", now: datetime | None = None) -> StoredGoal:
    """Reject the pending adjustment with a reason; the current target stays."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.ADJUST, admin_override,
                       lambda g: rules.reject_adjustment(g, actor, at, reason))


def close_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str = "", admin_override: str = "",
               now: datetime | None = None) -> StoredGoal:
    """Close a confirmed goal; cancelling an unconfirmed one needs a reason."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, GoalAction.CLOSE, admin_override, lambda g: rules.close(g, actor, at, reason))


def check_in_goal(store: Store, corp_id: str, goal_id: str, *, author: str, value: Decimal | None = None,
                  confidence: int | None = None, comment: str = "", key_result_id: str | None = None,
                  admin_override: str = "", now: datetime | None = None) -> StoredGoal:
    """Record progress (value, confidence 0–10, comment; OKR check-ins name a key result) as a new revision."""
    at = now or utcnow()

    def move(_: Session, cur: StoredGoal) -> tuple[Goal, tuple[CheckIn, ...], AuditRecord]:
        made = check_in(cur.goal, author, at, value=value, confidence=confidence, comment=comment,
                        key_result_id=key_result_id)
        status = cur.goal.status.value
        return cur.goal, (*cur.check_ins, made), record(author, "check_in", status, status, at, made.comment)
    return _step(store, corp_id, goal_id, GoalAction.CHECK_IN, admin_override, move)


def align_goal(store: Store, corp_id: str, goal_id: str, parent_id: str, *, actor: str,
               alignment_weight: Decimal | None = None, admin_override: str = "",
               now: datetime | None = None) -> StoredGoal:
    """Align a goal under someone else's goal; refused when the parent sits below it (a cascade cycle)."""
    at = now or utcnow()

    def move(s: Session, cur: StoredGoal) -> tuple[Goal, tuple[CheckIn, ...], AuditRecord]:
        goals = {g: st.goal for g, st in subtree(s, corp_id, goal_id).items()}
        goals[parent_id] = load_goal(s, corp_id, parent_id).goal
        goal, audit = align(goals, goal_id, parent_id, actor, at, alignment_weight)
        return goal, cur.check_ins, audit
    return _step(store, corp_id, goal_id, GoalAction.EDIT, admin_override, move)
