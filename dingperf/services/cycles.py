"""Cycles in the store: create one pinned to a template version, add participants in bulk, lock it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError
from dingperf.perf.grades import GradeScale
from dingperf.perf.periods import CycleKind
from dingperf.perf.raters import RaterConfig
from dingperf.perf.templates import TemplateRef
from dingperf.services.participant_refresh import refresh_participants
from dingperf.services.templates import get_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.perf_repositories import PARTICIPANTS, Binder, executemany, upsert_sql
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.types import utcnow


@dataclass(frozen=True)
class CycleRecord:
    """A stored cycle: what scoring needs (pinned template, rater policy, grade bands) and its state."""

    corp_id: str
    cycle_id: str
    name: str
    kind: str
    period_start: date
    period_end: date
    phase: str
    template: TemplateRef
    raters: RaterConfig | None
    grades: GradeScale | None
    timezone: str
    deadlines: Mapping[str, str]
    locked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone assessed in a cycle, and the group that put them there."""

    userid: str
    manager_userid: str | None = None
    source: str = "manual"


def _record(row: PerfCycle) -> CycleRecord:
    return CycleRecord(row.corp_id, row.cycle_id, row.name, row.kind, row.period_start, row.period_end, row.phase,
                       TemplateRef(row.template_id, row.template_version, row.template_hash),
                       RaterConfig.from_dict(row.raters) if row.raters else None,
                       GradeScale.from_list(row.grades) if row.grades else None, row.timezone, dict(row.deadlines),
                       row.locked_at)


def _row(session: Session, corp_id: str, cycle_id: str) -> PerfCycle:
    row = session.get(PerfCycle, (corp_id, cycle_id))
    if row is None:
        raise NotFound(f"no cycle {cycle_id!r} in corp {corp_id}; check the id (create it with create_cycle)")
    return row


def create_cycle(store: Store, corp_id: str, *, cycle_id: str, name: str, kind: str, period_start: date,
                 period_end: date, template_id: str, template_version: int | None = None,
                 timezone: str = "Asia/Shanghai", raters: RaterConfig | None = None, grades: GradeScale | None = None,
                 deadlines: Mapping[str, datetime] | None = None, actor: str, now: datetime | None = None) -> CycleRecord:
    """Create a cycle in goal setting that pins a published template version (the newest when not given)."""
    try:
        CycleKind(kind)
        ZoneInfo(timezone)
    except ValueError as exc:
        raise ValidationError(f"cycle kind must be one of {[k.value for k in CycleKind]}, got {kind!r}") from exc
    except ZoneInfoNotFoundError as exc:
        raise ValidationError(f"unknown timezone {timezone!r}; use an IANA name like Asia/Shanghai") from exc
    if period_end < period_start:
        raise ValidationError(f"cycle {cycle_id}: period ends {period_end} before it starts {period_start}")
    ref = get_template(store, corp_id, template_id, template_version).ref()
    now = now or utcnow()
    due = {Phase(p).value: at.isoformat() for p, at in (deadlines or {}).items()}
    with store.session() as s:
        if s.get(PerfCycle, (corp_id, cycle_id)) is not None:
            raise ValidationError(f"cycle {cycle_id!r} already exists in corp {corp_id}; pick another id")
        row = PerfCycle(corp_id=corp_id, cycle_id=cycle_id, name=name, kind=kind, period_start=period_start,
                        period_end=period_end, phase=Phase.GOAL_SETTING.value, deadlines=due, template_id=ref.id,
                        template_version=ref.version, template_hash=ref.content_hash,
                        raters=raters.to_dict() if raters else None, grades=grades.to_list() if grades else None,
                        timezone=timezone, created_at=now, updated_at=now)
        s.add(row)
        append_audit(session=s, corp_id=corp_id, actor=actor, action="cycle.create", subject=f"cycle:{cycle_id}",
                     after={"template": ref.id, "version": ref.version, "kind": kind}, at=now)
        s.flush()
        return _record(row)


def get_cycle(store: Store, corp_id: str, cycle_id: str) -> CycleRecord:
    """The stored cycle; NotFound with a hint when the id is unknown."""
    with store.session() as s:
        return _record(_row(s, corp_id, cycle_id))


def add_participants(store: Store, corp_id: str, cycle_id: str, people: Iterable[str | Participant], *,
                     now: datetime | None = None, batch_size: int = 10_000) -> int:
    """Add (or refresh) participants in bulk; refused once the cycle is locked. Returns how many were given."""
    cycle = get_cycle(store, corp_id, cycle_id)
    if cycle.locked_at is not None:
        raise ValidationError(f"cycle {cycle_id} locked its participants at {cycle.locked_at.isoformat()}; "
                              "unlock it (admin override) before adding people")
    now = now or utcnow()
    count = 0
    batch: list[Participant] = []
    for person in people:
        batch.append(person if isinstance(person, Participant) else Participant(person))
        if len(batch) >= batch_size:
            count += _write_participants(store, corp_id, cycle_id, batch, now)
            batch = []
    return count + _write_participants(store, corp_id, cycle_id, batch, now)


def _write_participants(store: Store, corp_id: str, cycle_id: str, batch: list[Participant], now: datetime) -> int:
    with store.session() as s:
        conn = s.connection()
        b = Binder(conn)
        cols = ("corp_id", "cycle_id", "userid", "manager_userid", "source", "added_at")
        at = b.time(now)
        executemany(conn, upsert_sql(PARTICIPANTS, cols, cols[:3], b.placeholder),
                    [(corp_id, cycle_id, p.userid, p.manager_userid, p.source, at) for p in batch])
    return len(batch)


def lock_cycle(store: Store, corp_id: str, cycle_id: str, *, actor: str, now: datetime | None = None) -> CycleRecord:
    """Re-evaluate the participant groups one last time, then freeze the list in the same transaction;
    audited (`cycle.participants_refresh`, `cycle.lock`). Locking a locked cycle changes nothing."""
    refresh_participants(store, corp_id, cycle_id, now=now or utcnow(), actor=actor, lock=True)
    return get_cycle(store, corp_id, cycle_id)
