"""Goals as revisioned JSON rows (table perf_goals): the document codec, newest-revision reads, the audited
write, and the phase gate of goals that belong to a cycle. The goal services build on these helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.audit import AuditRecord
from dingperf.perf.checkins import CheckIn
from dingperf.perf.cycles import Phase
from dingperf.perf.goal_gate import GateDecision, GoalAction, gate
from dingperf.perf.goal_versions import Direction, TargetVersion
from dingperf.perf.goals import AdjustmentRequest, BscPerspective, Goal, GoalKind, GoalLevel, GoalStatus
from dingperf.perf.okr import KeyResult
from dingperf.perf.periods import Period
from dingperf.store.engine import NotFound
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_goals import PerfGoal


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
        "cycle_id": goal.cycle_id, "criteria": goal.criteria, "due": None if goal.due is None else goal.due.isoformat(),
        "cancelled": goal.cancelled,
    }


def goal_from_json(d: Mapping[str, Any]) -> Goal:
    """The pure goal back from `goal_to_json` data (revisions saved before MBO fields existed read as empty)."""
    p = d["pending_adjustment"]
    pending = None if p is None else AdjustmentRequest(_version(p["proposed"]), p["requested_by"],
                                                       datetime.fromisoformat(p["requested_at"]), p["reason"])
    krs = tuple(KeyResult(k["kr_id"], k["title"], Decimal(k["baseline"]), Decimal(k["target"]), _undec(k["stretch"]),
                          Decimal(k["weight"]), k["unit"]) for k in d["key_results"])
    due = d.get("due")
    return Goal(
        d["goal_id"], d["owner"], d["title"], GoalKind(d["kind"]),
        Period(date.fromisoformat(d["period"]["start"]), date.fromisoformat(d["period"]["end"])),
        weight=Decimal(d["weight"]), level=GoalLevel(d["level"]),
        perspective=None if d["perspective"] is None else BscPerspective(d["perspective"]),
        parent_id=d["parent_id"], alignment_weight=Decimal(d["alignment_weight"]), unit=d["unit"],
        description=d["description"], versions=tuple(_version(v) for v in d["versions"]), key_results=krs,
        status=GoalStatus(d["status"]), sent_by=d["sent_by"], push_back_reason=d["push_back_reason"],
        pending_adjustment=pending, cycle_id=d["cycle_id"], criteria=d.get("criteria", ""),
        due=None if due is None else date.fromisoformat(due), cancelled=d.get("cancelled", False),
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


def stored(row: PerfGoal) -> StoredGoal:
    """The pure goal and check-ins of one stored revision."""
    body = row.body
    return StoredGoal(goal_from_json(body["goal"]),
                      tuple(_checkin(row.goal_id, c) for c in body.get("check_ins", ())), row.revision)


# --- reads and the audited write -------------------------------------------------------------------------------

def newest_rows(s: Session, corp_id: str, goal_ids: Iterable[str]) -> dict[str, PerfGoal]:
    """The newest revision row of each existing goal id."""
    ids = set(goal_ids)
    newest: dict[str, PerfGoal] = {}
    if ids:
        for r in s.exec(select(PerfGoal).where(PerfGoal.corp_id == corp_id, col(PerfGoal.goal_id).in_(ids))).all():
            if r.goal_id not in newest or r.revision > newest[r.goal_id].revision:
                newest[r.goal_id] = r
    return newest


def load_goal(s: Session, corp_id: str, goal_id: str) -> StoredGoal:
    """The newest revision of a goal; NotFound with a hint when it does not exist."""
    row = newest_rows(s, corp_id, [goal_id]).get(goal_id)
    if row is None:
        raise NotFound(f"no goal {goal_id!r} in corp {corp_id}; check the id or create the goal first")
    return stored(row)


def owner_goals(s: Session, corp_id: str, cycle_id: str, owner: str) -> list[StoredGoal]:
    """The newest revision of every goal of `owner` in `cycle_id`, ordered by goal id."""
    ids = {r for r in s.exec(select(PerfGoal.goal_id).where(
        PerfGoal.corp_id == corp_id, PerfGoal.cycle_id == cycle_id, PerfGoal.owner_userid == owner)).all()}
    rows = newest_rows(s, corp_id, ids)
    return [stored(rows[gid]) for gid in sorted(rows)]


def cycle_row(s: Session, corp_id: str, cycle_id: str) -> PerfCycle:
    """The stored cycle, read inside the caller's transaction; NotFound with a hint when the id is unknown."""
    row = s.get(PerfCycle, (corp_id, cycle_id))
    if row is None:
        raise NotFound(f"no cycle {cycle_id!r} in corp {corp_id}; check the id (create it with create_cycle)")
    return row


def check_phase(s: Session, corp_id: str, goal: Goal, action: GoalAction, admin_override: str = "") -> GateDecision | None:
    """Gate `action` on a goal by its cycle's phase (None for a goal without a cycle: not gated)."""
    if not goal.cycle_id:
        return None
    phase = Phase(cycle_row(s, corp_id, goal.cycle_id).phase)
    return gate(phase, action, f"goal {goal.goal_id}", cycle_id=goal.cycle_id, admin_override=admin_override)


def override_note(decision: GateDecision | None, reason: str) -> str:
    """The audit reason: the action's own reason, prefixed with the admin override when one let it through."""
    if decision is None or not decision.is_override:
        return reason
    note = f"admin override in {decision.phase.value}: {decision.override_reason}"
    return f"{note}; {reason}" if reason else note


def write_goal(s: Session, corp_id: str, goal: Goal, check_ins: Iterable[CheckIn], revision: int,
               audit: AuditRecord, decision: GateDecision | None = None) -> StoredGoal:
    """Append revision `revision` of the goal and its one audit entry (naming any admin override)."""
    ins = tuple(check_ins)
    s.add(PerfGoal(corp_id=corp_id, goal_id=goal.goal_id, revision=revision, owner_userid=goal.owner,
                   cycle_id=goal.cycle_id or None, kind=goal.kind.value, status=goal.status.value,
                   parent_goal_id=goal.parent_id, body=document_body(goal, ins), saved_by=audit.actor,
                   saved_at=audit.at))
    after: dict[str, Any] = {"status": audit.to_state, "revision": revision}
    if decision is not None and decision.is_override:
        after["admin_override"] = decision.phase.value
    append_audit(session=s, corp_id=corp_id, actor=audit.actor, action=f"goal.{audit.action}",
                 subject=f"goal:{goal.goal_id}", before={"status": audit.from_state}, after=after,
                 reason=override_note(decision, audit.reason), at=audit.at)
    return StoredGoal(goal, ins, revision)
