"""Goal lifecycle in the store: create, send, confirm, push back, adjust, close, check in, align, tree.

The rules are `perf.goals`, `perf.checkins` and `perf.cascade`; each step loads the newest revision of the
goal document, applies the pure move and writes the next revision plus its audit entry in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf import goals as rules
from dingperf.perf.audit import AuditRecord, record
from dingperf.perf.cascade import GoalMapNode, align, goal_map
from dingperf.perf.checkins import CheckIn, check_in, latest_values
from dingperf.perf.errors import ValidationError
from dingperf.perf.goal_versions import Direction, TargetVersion, TimeWeighted, time_weighted_achievement
from dingperf.perf.goals import AdjustmentRequest, BscPerspective, Goal, GoalKind, GoalLevel, GoalStatus
from dingperf.perf.okr import KeyResult, objective_progress
from dingperf.perf.periods import Period
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.phases import pure_cycle
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_goals import PerfGoal
from dingperf.store.types import utcnow


@dataclass(frozen=True)
class StoredGoal:
    """The newest revision of a goal: the pure goal, its check-ins (oldest first) and the revision number."""

    goal: Goal
    check_ins: tuple[CheckIn, ...]
    revision: int


# --- the one place a pure Goal becomes document JSON and back -------------------------------------------------

def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _version_json(v: TargetVersion) -> dict[str, Any]:
    return {"version": v.version, "target": str(v.target), "effective_from": v.effective_from.isoformat(),
            "baseline": _dec(v.baseline), "direction": v.direction.value, "reason": v.reason,
            "created_by": v.created_by}


def _version(d: Mapping[str, Any]) -> TargetVersion:
    return TargetVersion(d["version"], Decimal(d["target"]), date.fromisoformat(d["effective_from"]),
                         _undec(d["baseline"]), Direction(d["direction"]), d["reason"], d["created_by"])


def goal_to_json(goal: Goal) -> dict[str, Any]:
    """The pure goal as JSON-safe data (decimals and dates as strings), exactly reversible by `goal_from_json`."""
    pending = goal.pending_adjustment
    return {
        "goal_id": goal.goal_id, "owner": goal.owner, "title": goal.title, "kind": goal.kind.value,
        "period": {"start": goal.period.start.isoformat(), "end": goal.period.end.isoformat()},
        "weight": str(goal.weight), "level": goal.level.value,
        "perspective": None if goal.perspective is None else goal.perspective.value,
        "parent_id": goal.parent_id, "alignment_weight": str(goal.alignment_weight), "unit": goal.unit,
        "description": goal.description, "versions": [_version_json(v) for v in goal.versions],
        "key_results": [{"kr_id": k.kr_id, "title": k.title, "baseline": str(k.baseline), "target": str(k.target),
                         "stretch": _dec(k.stretch), "weight": str(k.weight), "unit": k.unit}
                        for k in goal.key_results],
        "status": goal.status.value, "sent_by": goal.sent_by, "push_back_reason": goal.push_back_reason,
        "pending_adjustment": None if pending is None else {
            "proposed": _version_json(pending.proposed), "requested_by": pending.requested_by,
            "requested_at": pending.requested_at.isoformat(), "reason": pending.reason},
        "cycle_id": goal.cycle_id,
    }


def goal_from_json(d: Mapping[str, Any]) -> Goal:
    """The pure goal back from `goal_to_json` data."""
    p = d["pending_adjustment"]
    pending = None if p is None else AdjustmentRequest(_version(p["proposed"]), p["requested_by"],
                                                       datetime.fromisoformat(p["requested_at"]), p["reason"])
    krs = tuple(KeyResult(k["kr_id"], k["title"], Decimal(k["baseline"]), Decimal(k["target"]), _undec(k["stretch"]),
                          Decimal(k["weight"]), k["unit"]) for k in d["key_results"])
    return Goal(
        d["goal_id"], d["owner"], d["title"], GoalKind(d["kind"]),
        Period(date.fromisoformat(d["period"]["start"]), date.fromisoformat(d["period"]["end"])),
        weight=Decimal(d["weight"]), level=GoalLevel(d["level"]),
        perspective=None if d["perspective"] is None else BscPerspective(d["perspective"]),
        parent_id=d["parent_id"], alignment_weight=Decimal(d["alignment_weight"]), unit=d["unit"],
        description=d["description"], versions=tuple(_version(v) for v in d["versions"]), key_results=krs,
        status=GoalStatus(d["status"]), sent_by=d["sent_by"], push_back_reason=d["push_back_reason"],
        pending_adjustment=pending, cycle_id=d["cycle_id"],
    )


def _checkin_json(c: CheckIn) -> dict[str, Any]:
    return {"author": c.author, "at": c.at.isoformat(), "value": _dec(c.value), "confidence": c.confidence,
            "comment": c.comment, "key_result_id": c.key_result_id}


def _checkin(goal_id: str, d: Mapping[str, Any]) -> CheckIn:
    return CheckIn(goal_id, d["author"], datetime.fromisoformat(d["at"]), _undec(d["value"]), d["confidence"],
                   d["comment"], d["key_result_id"])


def document_body(goal: Goal, check_ins: Iterable[CheckIn]) -> dict[str, Any]:
    """The perf_goals document body: the goal and its check-ins."""
    return {"goal": goal_to_json(goal), "check_ins": [_checkin_json(c) for c in check_ins]}


def _stored(row: PerfGoal) -> StoredGoal:
    body = row.body
    return StoredGoal(goal_from_json(body["goal"]),
                      tuple(_checkin(row.goal_id, c) for c in body.get("check_ins", ())), row.revision)


# --- persistence -----------------------------------------------------------------------------------------------

def _newest_rows(s: Session, corp_id: str, goal_ids: Iterable[str]) -> dict[str, PerfGoal]:
    ids = set(goal_ids)
    newest: dict[str, PerfGoal] = {}
    if ids:
        for r in s.exec(select(PerfGoal).where(PerfGoal.corp_id == corp_id, col(PerfGoal.goal_id).in_(ids))).all():
            if r.goal_id not in newest or r.revision > newest[r.goal_id].revision:
                newest[r.goal_id] = r
    return newest


def _load(s: Session, corp_id: str, goal_id: str) -> StoredGoal:
    row = _newest_rows(s, corp_id, [goal_id]).get(goal_id)
    if row is None:
        raise NotFound(f"no goal {goal_id!r} in corp {corp_id}; check the id or create the goal first")
    return _stored(row)


def _write(s: Session, corp_id: str, goal: Goal, check_ins: Iterable[CheckIn], revision: int,
           audit: AuditRecord) -> StoredGoal:
    ins = tuple(check_ins)
    s.add(PerfGoal(corp_id=corp_id, goal_id=goal.goal_id, revision=revision, owner_userid=goal.owner,
                   cycle_id=goal.cycle_id or None, kind=goal.kind.value, status=goal.status.value,
                   parent_goal_id=goal.parent_id, body=document_body(goal, ins), saved_by=audit.actor,
                   saved_at=audit.at))
    append_audit(session=s, corp_id=corp_id, actor=audit.actor, action=f"goal.{audit.action}",
                 subject=f"goal:{goal.goal_id}", before={"status": audit.from_state},
                 after={"status": audit.to_state, "revision": revision}, reason=audit.reason, at=audit.at)
    return StoredGoal(goal, ins, revision)


Move = Callable[[Session, StoredGoal], tuple[Goal, tuple[CheckIn, ...], AuditRecord]]


def _step(store: Store, corp_id: str, goal_id: str, move: Move) -> StoredGoal:
    with store.session() as s:
        current = _load(s, corp_id, goal_id)
        goal, check_ins, audit = move(s, current)
        return _write(s, corp_id, goal, check_ins, current.revision + 1, audit)


def _transition(store: Store, corp_id: str, goal_id: str,
                pure: Callable[[Goal], tuple[Goal, AuditRecord]]) -> StoredGoal:
    def move(_: Session, cur: StoredGoal) -> tuple[Goal, tuple[CheckIn, ...], AuditRecord]:
        goal, audit = pure(cur.goal)
        return goal, cur.check_ins, audit
    return _step(store, corp_id, goal_id, move)


# --- the lifecycle ---------------------------------------------------------------------------------------------

def create_goal(store: Store, corp_id: str, cycle_id: str, *, goal_id: str, owner: str, title: str,
                target: Decimal, weight: Decimal, actor: str, baseline: Decimal | None = None,
                direction: Direction = Direction.HIGHER, unit: str = "", level: GoalLevel = GoalLevel.PERSON,
                parent_id: str | None = None, alignment_weight: Decimal | None = None,
                now: datetime | None = None) -> StoredGoal:
    """A draft KPI goal over the cycle's period (revision 1); with `parent_id` it aligns under that goal."""
    at = now or utcnow()
    with store.session() as s:
        period = pure_cycle(_cycle_row(s, corp_id, cycle_id)).period
        if _newest_rows(s, corp_id, [goal_id]):
            raise ValidationError(f"goal {goal_id!r} already exists in corp {corp_id}; pick another id")
        goal = rules.new_kpi_goal(goal_id, owner, title, period, Decimal(target), baseline=baseline,
                                  direction=direction, created_by=actor, weight=Decimal(weight), unit=unit,
                                  level=level, cycle_id=cycle_id)
        why = f"KPI goal {title!r} target {target}"
        if parent_id is not None:
            parent = _load(s, corp_id, parent_id).goal
            goal, aligned = align({goal_id: goal, parent_id: parent}, goal_id, parent_id, actor, at, alignment_weight)
            why = f"{why}, {aligned.reason}"
        return _write(s, corp_id, goal, (), 1, record(actor, "create", "new", goal.status.value, at, why))


def get_stored_goal(store: Store, corp_id: str, goal_id: str) -> StoredGoal:
    """The newest revision of a goal as the pure goal and its check-ins; NotFound when it does not exist."""
    with store.session() as s:
        return _load(s, corp_id, goal_id)


def send_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, now: datetime | None = None) -> StoredGoal:
    """Send a complete draft (or pushed-back goal) to the other party for confirmation."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.send_for_confirmation(g, actor, at))


def confirm_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, now: datetime | None = None) -> StoredGoal:
    """The other party confirms; whoever sent the goal cannot confirm it."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.confirm(g, actor, at))


def push_back_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str,
                   now: datetime | None = None) -> StoredGoal:
    """Refuse the sent goal with a reason the sender reads."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.push_back(g, actor, at, reason))


def request_goal_adjustment(store: Store, corp_id: str, goal_id: str, *, actor: str, new_target: Decimal,
                            effective_from: date, reason: str, baseline: Decimal | None = None,
                            now: datetime | None = None) -> StoredGoal:
    """Propose a new target version in force from `effective_from`; days before it keep the old target."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.request_adjustment(
        g, actor, at, Decimal(new_target), effective_from, reason, baseline))


def approve_goal_adjustment(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str = "",
                            now: datetime | None = None) -> StoredGoal:
    """Approve the pending adjustment (never by its requester): the new target version is appended."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.approve_adjustment(g, actor, at, reason))


def reject_goal_adjustment(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str,
                           now: datetime | None = None) -> StoredGoal:
    """Reject the pending adjustment with a reason; the current target stays."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.reject_adjustment(g, actor, at, reason))


def close_goal(store: Store, corp_id: str, goal_id: str, *, actor: str, reason: str = "",
               now: datetime | None = None) -> StoredGoal:
    """Close a confirmed goal; cancelling an unconfirmed one needs a reason."""
    at = now or utcnow()
    return _transition(store, corp_id, goal_id, lambda g: rules.close(g, actor, at, reason))


def check_in_goal(store: Store, corp_id: str, goal_id: str, *, author: str, value: Decimal | None = None,
                  confidence: int | None = None, comment: str = "", key_result_id: str | None = None,
                  now: datetime | None = None) -> StoredGoal:
    """Record progress (value, confidence 0–10, comment) on a confirmed goal as a new revision."""
    at = now or utcnow()

    def move(_: Session, cur: StoredGoal) -> tuple[Goal, tuple[CheckIn, ...], AuditRecord]:
        made = check_in(cur.goal, author, at, value=value, confidence=confidence, comment=comment,
                        key_result_id=key_result_id)
        status = cur.goal.status.value
        return cur.goal, (*cur.check_ins, made), record(author, "check_in", status, status, at, made.comment)
    return _step(store, corp_id, goal_id, move)


def align_goal(store: Store, corp_id: str, goal_id: str, parent_id: str, *, actor: str,
               alignment_weight: Decimal | None = None, now: datetime | None = None) -> StoredGoal:
    """Align a goal under someone else's goal; refused when the parent sits below it (a cascade cycle)."""
    at = now or utcnow()

    def move(s: Session, cur: StoredGoal) -> tuple[Goal, tuple[CheckIn, ...], AuditRecord]:
        goals = {g: st.goal for g, st in _subtree(s, corp_id, goal_id).items()}
        goals[parent_id] = _load(s, corp_id, parent_id).goal
        goal, audit = align(goals, goal_id, parent_id, actor, at, alignment_weight)
        return goal, cur.check_ins, audit
    return _step(store, corp_id, goal_id, move)


# --- reading: cascade tree and time-weighted achievement -------------------------------------------------------

def _subtree(s: Session, corp_id: str, root_goal_id: str) -> dict[str, StoredGoal]:
    """The root and every goal whose newest revision aligns below it."""
    found = {root_goal_id: _load(s, corp_id, root_goal_id)}
    frontier = {root_goal_id}
    while frontier:
        candidates = {r.goal_id for r in s.exec(select(PerfGoal).where(
            PerfGoal.corp_id == corp_id, col(PerfGoal.parent_goal_id).in_(frontier))).all()} - set(found)
        rows = _newest_rows(s, corp_id, candidates)
        # Only the newest revision counts: a goal re-aligned elsewhere no longer belongs under this parent.
        frontier = {gid for gid, r in rows.items() if r.parent_goal_id in frontier}
        found.update({gid: _stored(rows[gid]) for gid in frontier})
    return found


def _progress(stored: StoredGoal) -> Decimal:
    """A leaf's progress: time-weighted achievement of its latest checked-in value, OKR progress, or 0."""
    goal, values = stored.goal, latest_values(stored.check_ins)
    if goal.kind is GoalKind.OKR:
        return objective_progress(goal.key_results, {k: v for k, v in values.items() if k is not None})
    if None not in values or not goal.versions:
        return Decimal(0)
    return time_weighted_achievement(goal.versions, goal.period, values[None]).achievement


def goal_tree(store: Store, corp_id: str, root_goal_id: str) -> GoalMapNode:
    """The cascade below `root_goal_id` as the pure goal map, with weighted roll-up of leaf progress."""
    with store.session() as s:
        tree = _subtree(s, corp_id, root_goal_id)
    goals = {gid: st.goal for gid, st in tree.items()}
    roots = goal_map(goals, {gid: _progress(st) for gid, st in tree.items()})
    return next(n for n in roots if n.goal_id == root_goal_id)


def goal_achievement(store: Store, corp_id: str, goal_id: str, actual: Decimal | Mapping[int, Decimal]) -> TimeWeighted:
    """Time-weighted achievement of `actual` against the goal's stored target versions."""
    goal = get_stored_goal(store, corp_id, goal_id).goal
    return time_weighted_achievement(goal.versions, goal.period, actual)
