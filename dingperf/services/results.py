"""Stored results: read them, move a grade in calibration (with a reason, audited), release, acknowledge."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import to_decimal
from dingperf.services.cycle_notices import queue_results_released_in
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
                     total: Decimal | None = None, reason: str, by: str, now: datetime | None = None) -> StoredResult:
    """Move a grade and/or total in calibration; needs a reason, refused once released; audited."""
    if not reason.strip():
        raise ValidationError("a calibration change needs a reason; write why the result moves")
    if grade is None and total is None:
        raise ValidationError("a calibration change must set a grade, a total, or both")
    now = now or utcnow()
    with store.session() as s:
        row = _row(s, corp_id, cycle_id, userid)
        if row.status != "scored":
            raise ValidationError(f"cannot calibrate {userid}: the score is blocked ({row.blocked_reason})")
        if row.released_at is not None:
            raise ValidationError(f"results of cycle {cycle_id} were released; change {userid} through an appeal")
        current = _stored(row)
        before = {"grade": current.final_grade, "total": str(current.final_total)}
        row.calibrated_grade, row.calibrated_total = grade, total
        row.calibration_reason, row.calibrated_by, row.calibrated_at = reason, by, now
        s.add(row)
        append_audit(session=s, corp_id=corp_id, actor=by, action="calibration.move",
                     subject=f"result:{cycle_id}:{userid}", before=before,
                     after={"grade": grade or row.grade, "total": None if total is None else str(total)},
                     reason=reason, at=now)
        return _stored(row)


def release_results(store: Store, corp_id: str, cycle_id: str, *, by: str, now: datetime | None = None) -> int:
    """Release every scored result of the cycle (after calibration); refused while any is blocked."""
    now = now or utcnow()
    with store.session() as s:
        rows = s.exec(select(PerfResult).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id == cycle_id,
                                               col(PerfResult.released_at).is_(None))).all()
        waiting = [r.userid for r in rows if r.status != "scored"]
        if waiting:
            raise ValidationError(f"{len(waiting)} result(s) are blocked (e.g. {waiting[0]}); resolve them before "
                                  "releasing the cycle")
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
