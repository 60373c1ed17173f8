"""Appeals in the store: file, assign, accept (new score, quota check), reject, re-open, list. The rules
(window, handler, reasons, one re-open) are `perf.appeals`; each step persists and audits in one transaction."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from dingperf.perf import appeals as rules
from dingperf.perf.appeals import Appeal, AppealStatus, AppealSubject, AppealTarget, AppealWindow, QuotaImpact
from dingperf.perf.audit import AuditRecord
from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError
from dingperf.perf.grades import GradeScale
from dingperf.perf.phases import require_phase
from dingperf.services import appeal_notices as notices
from dingperf.services.calibration_board import group_seats_in
from dingperf.services.cycles import _row as _cycle_row
from dingperf.services.cycles import get_cycle
from dingperf.services.phases import pure_cycle
from dingperf.services.results import _row as _result_row
from dingperf.services.results import _stored
from dingperf.services.templates import get_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_appeals import PerfAppeal
from dingperf.store.tables.perf_results import PerfResult
from dingperf.store.types import utcnow

_EVER = datetime.max.replace(tzinfo=UTC)
_NEVER = datetime.min.replace(tzinfo=UTC)


def _appeal(row: PerfAppeal) -> Appeal:
    impact = QuotaImpact(**row.quota_impact) if row.quota_impact else None
    return Appeal(row.appeal_id, row.cycle_id, row.userid, AppealTarget(AppealSubject(row.target_kind), row.target_ref),
                  row.statement, Decimal(row.score_before), row.filed_at, AppealStatus(row.status), row.handler,
                  row.deadline, None if row.new_score is None else Decimal(row.new_score), row.decision_reason,
                  impact, row.decided_at, row.reopen_count)


def _write(row: PerfAppeal, appeal: Appeal, now: datetime) -> None:
    row.status, row.handler, row.deadline = appeal.status.value, appeal.handler, appeal.deadline
    row.new_score = None if appeal.new_score is None else str(appeal.new_score)
    row.decision_reason, row.decided_at, row.reopen_count = appeal.decision_reason, appeal.decided_at, appeal.reopen_count
    row.quota_impact = asdict(appeal.quota_impact) if appeal.quota_impact else None
    row.updated_at = now


def _audit(s: Session, corp_id: str, appeal: Appeal, audit: AuditRecord, **extra: object) -> None:
    append_audit(session=s, corp_id=corp_id, actor=audit.actor, action=f"appeal.{audit.action}",
                 subject=f"appeal:{appeal.appeal_id}", before={"status": audit.from_state},
                 after={"status": audit.to_state, "cycle": appeal.cycle_id, "userid": appeal.userid, **extra},
                 reason=audit.reason, at=audit.at)


def _window(s: Session, corp_id: str, cycle_id: str, now: datetime) -> AppealWindow:
    """The appeal window is the cycle's appeal_window phase: open while the cycle is in it, until its deadline."""
    cycle = pure_cycle(_cycle_row(s, corp_id, cycle_id))
    require_phase(cycle, Phase.APPEAL_WINDOW, now)
    return AppealWindow(_NEVER, cycle.deadline(Phase.APPEAL_WINDOW) or _EVER)


def _load(s: Session, corp_id: str, appeal_id: str) -> PerfAppeal:
    row = s.get(PerfAppeal, (corp_id, appeal_id))
    if row is None:
        raise NotFound(f"no appeal {appeal_id!r} in corp {corp_id}; list the cycle's appeals to find its id")
    return row


def file_appeal(store: Store, corp_id: str, cycle_id: str, userid: str, target: AppealTarget, statement: str, *,
                appeal_id: str | None = None, now: datetime | None = None, hr_userids: Sequence[str] = (),
                public_url: str = "") -> Appeal:
    """The employee contests part of their scored result, inside the cycle's appeal window; HR (else the
    employee's manager) is told to assign a handler."""
    now = now or utcnow()
    with store.session() as s:
        window = _window(s, corp_id, cycle_id, now)
        result = _stored(_result_row(s, corp_id, cycle_id, userid))
        if result.final_total is None:
            raise ValidationError(f"the result of {userid} in cycle {cycle_id} is blocked ({result.blocked_reason}); "
                                  "there is no score to appeal yet")
        appeal, audit = rules.file_appeal(appeal_id or f"ap-{uuid.uuid4().hex[:12]}", cycle_id, userid, target,
                                          statement, result.final_total, window, now)
        if s.get(PerfAppeal, (corp_id, appeal.appeal_id)) is not None:
            raise ValidationError(f"appeal {appeal.appeal_id!r} already exists; pick another id")
        row = PerfAppeal(corp_id=corp_id, appeal_id=appeal.appeal_id, cycle_id=cycle_id, userid=userid,
                         target_kind=target.subject.value, target_ref=target.ref, statement=appeal.statement,
                         score_before=str(appeal.score_before), status=appeal.status.value, filed_at=now,
                         updated_at=now)
        s.add(row)
        _audit(s, corp_id, appeal, audit, target=f"{target.subject.value}:{target.ref}")
        notices.queue_filed_in(s, corp_id, appeal, hr_userids=hr_userids, now=now, public_url=public_url)
        return appeal


def _step(store: Store, corp_id: str, appeal_id: str, now: datetime,
          move: Callable[[Session, Appeal], tuple[Appeal, AuditRecord]],
          notify: Callable[[Session, Appeal, Appeal], object]) -> Appeal:
    with store.session() as s:
        row = _load(s, corp_id, appeal_id)
        old = _appeal(row)
        new, audit = move(s, old)
        _write(row, new, now)
        s.add(row)
        _audit(s, corp_id, new, audit)
        notify(s, old, new)  # the notice commits with the step, or not at all
        return new


def assign_appeal(store: Store, corp_id: str, appeal_id: str, *, handler: str, deadline: datetime, actor: str,
                  now: datetime | None = None, public_url: str = "") -> Appeal:
    """Give the appeal a handler (never the appellant) and a handling deadline; the handler is told."""
    at = now or utcnow()
    return _step(store, corp_id, appeal_id, at, lambda s, a: rules.assign(a, handler, deadline, actor, at),
                 lambda s, _, new: notices.queue_assigned_in(s, corp_id, new, now=at, public_url=public_url))


def reject_appeal(store: Store, corp_id: str, appeal_id: str, *, reason: str, actor: str,
                  now: datetime | None = None, public_url: str = "") -> Appeal:
    """The handler rejects with a reason the appellant reads (they are told); the score stays."""
    at = now or utcnow()
    return _step(store, corp_id, appeal_id, at, lambda s, a: rules.reject(a, actor, at, reason),
                 lambda s, _, new: notices.queue_decided_in(s, corp_id, new, now=at, public_url=public_url))


def reopen_appeal(store: Store, corp_id: str, appeal_id: str, *, reason: str, actor: str,
                  now: datetime | None = None, public_url: str = "") -> Appeal:
    """The appellant re-opens a decided appeal once, while the appeal window is still open; the handler who
    decided it is told."""
    at = now or utcnow()
    return _step(store, corp_id, appeal_id, at,
                 lambda s, a: rules.reopen(a, actor, at, reason, _window(s, corp_id, a.cycle_id, at)),
                 lambda s, old, new: notices.queue_reopened_in(s, corp_id, new, previous_handler=old.handler,
                                                               reason=reason, now=at, public_url=public_url))


def _scale(store: Store, corp_id: str, cycle_id: str) -> GradeScale:
    # Read before the write transaction opens: the store serialises writers, so no nested session inside one.
    cycle = get_cycle(store, corp_id, cycle_id)
    return cycle.grades or get_template(store, corp_id, cycle.template.id, cycle.template.version).grades


def accept_appeal(store: Store, corp_id: str, appeal_id: str, *, new_score: Decimal, reason: str, actor: str,
                  quotas: Mapping[str, int] | None = None, now: datetime | None = None,
                  public_url: str = "") -> Appeal:
    """The handler accepts: the result's final total and grade become the new score, with the reason, and the
    returned appeal's `quota_impact` says whether the new grade breaks the calibrated quota. The check counts the
    employee's calibration group (the whole cycle when it declares none); without explicit `quotas` the seats
    are the group's forced shares, else the calibrated distribution itself (each grade keeps the seats it holds
    now). Released results change too (that is what appeals are for)
    and the employee's acknowledgement is cleared so they sign the changed result again."""
    at = now or utcnow()
    score = Decimal(new_score)
    with store.session() as s:
        cycle_id = _load(s, corp_id, appeal_id).cycle_id
    scale = _scale(store, corp_id, cycle_id)
    with store.session() as s:
        row = _load(s, corp_id, appeal_id)
        current = _appeal(row)
        results = s.exec(select(PerfResult).where(PerfResult.corp_id == corp_id, PerfResult.cycle_id ==
                                                  current.cycle_id, col(PerfResult.status) == "scored")).all()
        grades = {r.userid: str(_stored(r).final_grade) for r in results}
        grades, group_seats = group_seats_in(s, corp_id, current.cycle_id, current.userid, grades) or (grades, None)
        held = Counter(grades.values())
        seats = dict(quotas) if quotas is not None else group_seats or {g: held.get(g, 0) for g in scale.grades}
        impact = rules.quota_impact(grades, seats, current.userid, scale.grade_for(score))
        new, audit = rules.accept(current, actor, at, score, reason, impact)
        result = _result_row(s, corp_id, current.cycle_id, current.userid)
        before = _stored(result)
        result.calibrated_total, result.calibrated_grade = score, impact.grade_after
        result.calibration_reason, result.calibrated_by, result.calibrated_at = f"appeal {appeal_id}: {audit.reason}", actor, at
        result.acknowledged_at = result.acknowledged_hash = None
        s.add(result)
        append_audit(session=s, corp_id=corp_id, actor=actor, action="result.appeal_change",
                     subject=f"result:{current.cycle_id}:{current.userid}",
                     before={"grade": before.final_grade, "total": str(before.final_total),
                             "acknowledged_hash": before.acknowledged_hash},
                     after={"grade": impact.grade_after, "total": str(score), "appeal": appeal_id},
                     reason=audit.reason, at=at)
        _write(row, new, at)
        s.add(row)
        _audit(s, corp_id, new, audit, new_score=str(score), breaks_quota=impact.breaks_quota)
        notices.queue_decided_in(s, corp_id, new, grade=impact.grade_after, now=at, public_url=public_url)
        return new


def list_appeals(store: Store, corp_id: str, cycle_id: str, *, userid: str | None = None,
                 status: AppealStatus | str | None = None) -> list[Appeal]:
    """A cycle's appeals, oldest first, optionally for one employee or in one status."""
    with store.session() as s:
        stmt = select(PerfAppeal).where(PerfAppeal.corp_id == corp_id, PerfAppeal.cycle_id == cycle_id)
        if userid is not None:
            stmt = stmt.where(PerfAppeal.userid == userid)
        if status is not None:
            stmt = stmt.where(PerfAppeal.status == AppealStatus(status).value)
        return [_appeal(r) for r in s.exec(stmt.order_by(col(PerfAppeal.filed_at), col(PerfAppeal.appeal_id)))]


def unassign_departed_handler_in(s: Session, corp_id: str, handler: str, *, actor: str, reason: str,
                                 now: datetime) -> list[Appeal]:
    """In the caller's transaction, take every appeal in review back from `handler` (who left): each waits to be
    assigned again, audited with `reason`; the caller tells HR."""
    rows = s.exec(select(PerfAppeal).where(PerfAppeal.corp_id == corp_id, PerfAppeal.handler == handler,
                                           PerfAppeal.status == AppealStatus.IN_REVIEW.value)
                  .order_by(col(PerfAppeal.appeal_id))).all()
    done = []
    for row in rows:
        new, audit = rules.unassign(_appeal(row), actor, now, reason)
        _write(row, new, now)
        s.add(row)
        _audit(s, corp_id, new, audit, previous_handler=handler)
        done.append(new)
    return done
