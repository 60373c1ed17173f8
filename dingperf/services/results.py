"""Stored results: read them, move grades in calibration (with a reason and the group quota checked, audited),
release (after calibration fits every hard quota), acknowledge."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import to_decimal
from dingperf.perf.phases import require_release_phase
from dingperf.perf.quota_policy import MoveImpact
from dingperf.services.calibration_board import impacts_in, release_blockers_in
from dingperf.services.calibration_groups import grade_order_in
from dingperf.services.cycle_notices import queue_results_released_in
from dingperf.services.cycles import _row as cycle_row
from dingperf.services.phases import pure_cycle
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import loads
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.types import utcnow


@dataclass(frozen=True)
class StoredResult:
    """One employee's persisted result; final_* are the calibrated values when calibration moved them."""

    cycle_id: str
    userid: str
    template_id: str
    template_version: int
    status: str
    total: Decimal | None
    grade: str | None
    blocked_reason: str | None
    sections: dict[str, Decimal]
    rater_policy: dict[str, str]
    effective_weights: dict[str, dict[str, Decimal]]
    calibrated_grade: str | None
    calibrated_total: Decimal | None
    calibration_reason: str | None
    released_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_hash: str | None
    has_explanation: bool
    quota_impact: MoveImpact | None = None  # set only on what calibrate_result returns

    @property
    def final_grade(self) -> str | None:
        """The calibrated grade if set, else the computed one."""
        return self.calibrated_grade or self.grade

    @property
    def final_total(self) -> Decimal | None:
        """The calibrated total if set, else the computed one."""
        return self.calibrated_total if self.calibrated_total is not None else self.total


def _total(value: Any) -> Decimal | None:
    # SQLite hands Numeric back through float; the column's scale makes it exact again, then trim zeros.
    if value is None:
        return None
    return Decimal(f"{to_decimal(value).normalize():f}")


def _stored(row: PerfResult) -> StoredResult:
    return StoredResult(
        row.cycle_id, row.userid, row.template_id, row.template_version, row.status, _total(row.total), row.grade,
        row.blocked_reason, {k: Decimal(v) for k, v in loads(row.sections).items()}, dict(loads(row.rater_policy)),
        {s: {g: Decimal(v) for g, v in w.items()} for s, w in loads(row.effective_weights).items()},
        row.calibrated_grade, _total(row.calibrated_total), row.calibration_reason, row.released_at,
        row.acknowledged_at, row.acknowledged_hash, row.explanation is not None)


def _row(s: Session, corp_id: str, cycle_id: str, userid: str) -> PerfResult:
    row = s.get(PerfResult, (corp_id, cycle_id, userid))
    if row is None:
        raise NotFound(f"no result for employee {userid!r} in cycle {cycle_id!r}; score the cycle first "
                       "(score_cycle) or check the userid")
    return row


def get_result(store: Store, corp_id: str, cycle_id: str, userid: str) -> StoredResult:
    """One stored result; NotFound when the employee has not been scored in this cycle."""
    with store.session() as s:
        return _stored(_row(s, corp_id, cycle_id, userid))


def list_results(store: Store, corp_id: str, cycle_id: str, *, limit: int = 1000, after: str = "") -> list[StoredResult]:
    """A page of results ordered by userid (pass the last userid as `after` for the next page)."""
    with store.session() as s:
        rows = s.exec(select(PerfResult).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
                                               col(PerfResult.userid) > after)
                      .order_by(col(PerfResult.userid)).limit(limit)).all()
        return [_stored(r) for r in rows]


def calibrate_result(store: Store, corp_id: str, cycle_id: str, userid: str, *, grade: str | None = None,
                     total: Decimal | None = None, reason: str, by: str, override_reason: str | None = None,
                     now: datetime | None = None) -> StoredResult:
    """Move a grade and/or total in calibration; needs a reason, refused once released; audited. The returned
    result's `quota_impact` is the move's effect on the employee's calibration group; a move that breaks a
    hard quota is refused unless `override_reason` says why (recorded as calibration.quota_override)."""
    if grade is None and total is None:
        raise ValidationError("a calibration change must set a grade, a total, or both")
    _require_reason(reason)
    now = now or utcnow()
    with store.session() as s:
        row = _movable(s, corp_id, cycle_id, userid)
        moves = {userid: grade} if grade is not None and grade != _stored(row).final_grade else {}
        impacts = _quota_gate(s, corp_id, cycle_id, moves, override_reason, by, now)
        _move(s, row, grade, total, reason, by, now, impacts)
        return replace(_stored(row), quota_impact=impacts[0] if impacts else None)


def calibrate_grades(store: Store, corp_id: str, cycle_id: str, moves: Mapping[str, str], *, reason: str, by: str,
                     override_reason: str | None = None, now: datetime | None = None) -> list[StoredResult]:
    """Move several grades in one step (e.g. a swap that keeps an exact quota): the quota is checked on all the
    moves together, then each is recorded as calibrate_result records one."""
    if not moves:
        raise ValidationError("name at least one employee and the grade they move to")
    _require_reason(reason)
    now = now or utcnow()
    with store.session() as s:
        rows = {u: _movable(s, corp_id, cycle_id, u) for u in sorted(moves)}
        changed = {u: g for u, g in moves.items() if g != _stored(rows[u]).final_grade}
        impacts = _quota_gate(s, corp_id, cycle_id, changed, override_reason, by, now)
        out = []
        for userid, row in rows.items():
            mine = tuple(i for i in impacts if any(m[0] == userid for m in i.moves))
            _move(s, row, moves[userid], row.calibrated_total, reason, by, now, mine)
            out.append(replace(_stored(row), quota_impact=mine[0] if mine else None))
        return out


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ValidationError("a calibration change needs a reason; write why the result moves")


def _movable(s: Session, corp_id: str, cycle_id: str, userid: str) -> PerfResult:
    row = _row(s, corp_id, cycle_id, userid)
    if row.status != "scored":
        raise ValidationError(f"cannot calibrate {userid}: the score is blocked ({row.blocked_reason})")
    if row.released_at is not None:
        raise ValidationError(f"results of cycle {cycle_id} were released; change {userid} through an appeal")
    return row


def _quota_gate(s: Session, corp_id: str, cycle_id: str, moves: Mapping[str, str], override_reason: str | None,
                by: str, now: datetime) -> tuple[MoveImpact, ...]:
    """The moves' impact per calibration group; refused when a hard quota breaks and no override is given."""
    order = grade_order_in(s, corp_id, cycle_id)
    bad = sorted({g for g in moves.values() if g not in order})
    if bad:
        raise ValidationError(f"grades {bad} are not in the cycle's grade scale {list(order)}; pick one of them")
    impacts = impacts_in(s, corp_id, cycle_id, moves) if moves else ()
    broken = [i for i in impacts if i.breaks_hard_quota]
    if broken and not (override_reason or "").strip():
        raise ValidationError(" | ".join(i.message for i in broken) + "; move people in one step that keeps the "
                              "quota (calibrate_grades, e.g. a swap) or give an override_reason")
    if broken:
        append_audit(session=s, corp_id=corp_id, actor=by, action="calibration.quota_override",
                     subject=f"cycle:{cycle_id}", after={"impacts": [i.to_dict() for i in broken]},
                     reason=(override_reason or "").strip(), at=now)
    return impacts


def _move(s: Session, row: PerfResult, grade: str | None, total: Decimal | None, reason: str, by: str,
          now: datetime, impacts: tuple[MoveImpact, ...]) -> None:
    current = _stored(row)
    before = {"grade": current.final_grade, "total": str(current.final_total)}
    row.calibrated_grade, row.calibrated_total = grade, total
    row.calibration_reason, row.calibrated_by, row.calibrated_at = reason, by, now
    s.add(row)
    after: dict[str, Any] = {"grade": grade or row.grade, "total": None if total is None else str(total)}
    if impacts:
        after["quota"] = [i.to_dict() for i in impacts]
    append_audit(session=s, corp_id=row.corp_id, actor=by, action="calibration.move",
                 subject=f"result:{row.cycle_id}:{row.userid}", before=before, after=after, reason=reason, at=now)


def release_results(store: Store, corp_id: str, cycle_id: str, *, by: str, now: datetime | None = None) -> int:
    """Release every unreleased scored result of the cycle. Allowed once the cycle has reached calibration: in
    calibration (HR releases once the grades fit, which ends grade moves), results or the appeal window; refused
    earlier or once closed (TransitionError), while any result is blocked or a group breaks its hard quota."""
    now = now or utcnow()
    with store.session() as s:
        require_release_phase(pure_cycle(cycle_row(s, corp_id, cycle_id)))
        rows = s.exec(select(PerfResult).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
                                               col(PerfResult.released_at).is_(None))).all()
        waiting = [r.userid for r in rows if r.status != "scored"]
        if waiting:
            raise ValidationError(f"{len(waiting)} result(s) are blocked (e.g. {waiting[0]}); resolve them before "
                                  "releasing the cycle")
        quota = release_blockers_in(s, corp_id, cycle_id)
        if quota is not None:
            raise ValidationError(quota)
        for r in rows:
            r.released_at = now
            s.add(r)
        queue_results_released_in(s, corp_id, cycle_id, [r.userid for r in rows], now=now)  # same transaction
        append_audit(session=s, corp_id=corp_id, actor=by, action="results.release", subject=f"cycle:{cycle_id}",
                     after={"released": len(rows)}, at=now)
        return len(rows)


def result_hash(result: StoredResult) -> str:
    """sha256 of what the employee signs: cycle, userid, final total and grade, template version."""
    text = "|".join((result.cycle_id, result.userid, str(result.final_total), str(result.final_grade),
                     result.template_id, str(result.template_version)))
    return hashlib.sha256(text.encode()).hexdigest()


def acknowledge_result(store: Store, corp_id: str, cycle_id: str, userid: str, *,
                       now: datetime | None = None) -> StoredResult:
    """The employee acknowledges (签字确认) a released result: timestamped, with the hash of what they saw."""
    now = now or utcnow()
    with store.session() as s:
        row = _row(s, corp_id, cycle_id, userid)
        if row.released_at is None:
            raise ValidationError(f"the result of {userid} in cycle {cycle_id} is not released yet; "
                                  "it can be acknowledged after release")
        row.acknowledged_hash = result_hash(_stored(row))
        row.acknowledged_at = now
        s.add(row)
        append_audit(session=s, corp_id=corp_id, actor=userid, action="result.acknowledge",
                     subject=f"result:{cycle_id}:{userid}", after={"hash": row.acknowledged_hash}, at=now)
        return _stored(row)
