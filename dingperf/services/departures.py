"""When someone leaves or changes manager mid-cycle, nothing they held is stranded.

`handle_departure` runs after the address book marks a person departed: their unrated 360 nominations are
withdrawn (managers told who now lacks raters), appeals they were handling go back to be assigned (HR told),
improvement plans they managed pass to the employee's synced manager (else HR is asked) and their open plan
tasks to the plan's manager, and participants they were to review pass to the participant's synced manager
(else HR is asked); their own open plan closes as 'employee_left' (services.departed_plans). `handle_manager_change` moves one participant's manager review to the new synced manager
while the cycle is before its manager review (or in any open phase when the old manager left).

Both are idempotent: every change is a state move that a second run finds done, and every notice has an
outbox key naming what it is about. Each call is one transaction; every change is audited with the reason
"<userid> left on <date>" or "<userid>'s manager changed from … to … on <date>". Queued reminders to people
who left are skipped at send time (services.outbox_sender), so nothing here touches the outbox rows.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from dingperf.perf import departures as rules
from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError
from dingperf.perf.nomination_rules import NominationLimits
from dingperf.services import departure_notices as wording
from dingperf.services.appeal_notices import manager_of
from dingperf.services.appeals import unassign_departed_handler_in
from dingperf.services.departed_plans import close_departed_plans_in
from dingperf.services.documents import latest_documents_in
from dingperf.services.improvement_plans import KIND as PLAN
from dingperf.services.improvement_plans import hand_over_plans_in
from dingperf.services.nominations import below_minimum_in, limits_for, withdraw_departed_rater_in
from dingperf.services.notice_queue import queue_batches_in
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import append_audit
from dingperf.store.tables.org import Employee
from dingperf.store.tables.perf_cycles import PerfCycle
from dingperf.store.tables.perf_inputs import PerfRating
from dingperf.store.tables.perf_participants import PerfParticipant

log = logging.getLogger(__name__)
ACTOR = rules.SYSTEM_ACTOR
DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class DepartureReport:
    """What one departure run changed (a second run reports the same open items and changes nothing)."""

    userid: str
    left_on: date
    withdrawn: tuple[tuple[str, str], ...] = ()  # (cycle_id, reviewee) nominations withdrawn
    short_of_raters: tuple[tuple[str, str], ...] = ()  # (cycle_id, reviewee) now below a rater minimum
    appeals: tuple[str, ...] = ()  # appeal ids back to be assigned
    plans: tuple[str, ...] = ()  # plans handed over (new manager or tasks moved)
    plans_for_hr: tuple[str, ...] = ()  # open plans still managed by the departed: HR names a manager
    reassigned: tuple[tuple[str, str, str], ...] = ()  # (cycle_id, participant, new manager)
    without_manager: tuple[tuple[str, str], ...] = ()  # (cycle_id, participant): HR must act
    notices: int = 0  # outbox rows newly queued
    closed_plans: tuple[str, ...] = ()  # the leaver's own open plans, closed as 'employee_left'


@dataclass(frozen=True)
class ManagerChangeReport:
    """The cycles whose participant row followed the change, and the plans handed over."""

    userid: str
    old_manager: str | None
    new_manager: str | None
    cycles: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()
    notices: int = 0


def _day(at: datetime, zone: str | tzinfo) -> date:
    return at.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone).date()


def _key(kind: str, *parts: str) -> str:
    # userids and cycle ids are up to 64 characters each; keys stay within the outbox's 128.
    return f"departure:{kind}:" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:24]


def _employee(s: Session, corp_id: str, userid: str) -> Employee | None:
    return s.exec(select(Employee).where(Employee.corp_id == corp_id, Employee.userid == userid)).first()


def _active_successor(s: Session, corp_id: str, participant: str, departed: str) -> str | None:
    emp = _employee(s, corp_id, participant)
    manager = emp.manager_userid if emp is not None else None
    boss = _employee(s, corp_id, manager) if manager else None
    return rules.successor(participant, departed, manager, {boss.userid} if boss and boss.active else set())


def _open_cycles(store: Store, corp_id: str) -> list[PerfCycle]:
    with store.session() as s:
        return list(s.exec(select(PerfCycle).where(PerfCycle.corp_id == corp_id, PerfCycle.phase != Phase.CLOSED.value)
                           .order_by(col(PerfCycle.cycle_id))).all())


def _rated(s: Session, corp_id: str, cycle_id: str, rater: str, userid: str) -> bool:
    return s.exec(select(PerfRating.rater_id).where(PerfRating.corp_id == corp_id, PerfRating.cycle_id == cycle_id,
                                                    PerfRating.userid == userid, PerfRating.rater_id == rater)
                  ).first() is not None


def _set_manager(s: Session, corp_id: str, row: PerfParticipant, new: str | None, reason: str, now: datetime) -> None:
    append_audit(session=s, corp_id=corp_id, actor=ACTOR, action="participant.manager_change",
                 subject=f"participant:{row.cycle_id}:{row.userid}", before={"manager": row.manager_userid},
                 after={"manager": new}, reason=reason, at=now)
    row.manager_userid = new
    s.add(row)


def handle_departure(store: Store, corp_id: str, userid: str, *, now: datetime, hr_userids: Sequence[str] = (),
                     public_url: str = "", zone: str | tzinfo = DEFAULT_ZONE) -> DepartureReport:
    """Hand over everything `userid` (departed in the synced address book) held in open cycles and plans."""
    with store.session() as s:
        emp = _employee(s, corp_id, userid)
        if emp is None:
            raise NotFound(f"{userid} is not in the synced address book of corp {corp_id}; sync contacts first")
        if emp.active:
            raise ValidationError(f"{userid} is still active in the synced address book; nothing is handed over "
                                  "until DingTalk reports them gone (sync contacts)")
        left_on = _day(emp.departed_at or now, zone)
    cycles = _open_cycles(store, corp_id)
    # Limits read before the write transaction: the store serialises writers, so no session inside one.
    limits = {c.cycle_id: limits_for(store, corp_id, c.cycle_id) for c in cycles}
    reason = rules.departure_reason(userid, left_on)
    with store.session() as s:
        report = _depart_in(s, corp_id, userid, left_on, cycles, limits, reason=reason, now=now,
                            hr_userids=hr_userids, public_url=public_url)
    log.info("departure of %s: %d nominations withdrawn, %d appeals and %d plans handed back or over, %d reviews "
             "moved, %d left for HR", userid, len(report.withdrawn), len(report.appeals), len(report.plans),
             len(report.reassigned), len(report.without_manager) + len(report.plans_for_hr))
    return report


def _depart_in(s: Session, corp_id: str, userid: str, left_on: date, cycles: list[PerfCycle],
               limits: dict[str, NominationLimits], *, reason: str, now: datetime, hr_userids: Sequence[str],
               public_url: str) -> DepartureReport:
    notices = 0
    withdrawn: list[tuple[str, str]] = []
    short: list[tuple[str, str]] = []
    reassigned: list[tuple[str, str, str]] = []
    orphans: list[tuple[str, str]] = []
    for cycle in cycles:
        # Participants first, so a reviewee short of raters is reported to their new manager.
        moved, stuck = _participants_in(s, corp_id, cycle, userid, reason, now)
        reassigned += [(cycle.cycle_id, p, m) for p, m in moved]
        orphans += [(cycle.cycle_id, p) for p in stuck]
        done = withdraw_departed_rater_in(s, corp_id, cycle.cycle_id, userid, reason=reason, now=now)
        reviewees = [n.nomination.reviewee for n in done]
        withdrawn += [(cycle.cycle_id, r) for r in reviewees]
        lacking = below_minimum_in(s, corp_id, cycle.cycle_id, reviewees, limits[cycle.cycle_id]) if done else {}
        by_manager: dict[str, list[str]] = defaultdict(list)
        for reviewee in lacking:
            short.append((cycle.cycle_id, reviewee))
            by_manager[manager_of(s, corp_id, reviewee, cycle.cycle_id) or ""].append(reviewee)
        for manager, people in sorted(by_manager.items()):
            to = [manager] if manager and manager != userid else list(hr_userids)
            msg = wording.raters_short_notice(corp_id=corp_id, departed=userid, left_on=left_on,
                                              cycle_name=cycle.name or cycle.cycle_id, reviewees=people,
                                              public_url=public_url)
            notices += queue_batches_in(s, corp_id, key_prefix=_key("raters", userid, cycle.cycle_id, manager),
                                        userids=to, msg=msg, now=now)
        for manager in sorted({m for _, m in moved}):
            people = [p for p, m in moved if m == manager]
            msg = wording.new_reviewees_notice(corp_id=corp_id, cycle_name=cycle.name or cycle.cycle_id,
                                               reviewees=people, reason=reason, public_url=public_url)
            notices += queue_batches_in(s, corp_id, key_prefix=_key("reviews", userid, cycle.cycle_id, manager,
                                                                    *people), userids=[manager], msg=msg, now=now)
        if stuck:
            msg = wording.reviewees_without_manager_notice(corp_id=corp_id, departed=userid, left_on=left_on,
                                                           cycle_name=cycle.name or cycle.cycle_id,
                                                           reviewees=stuck, public_url=public_url)
            notices += _tell_hr(s, corp_id, _key("orphans", userid, cycle.cycle_id, *stuck), hr_userids, msg, now)
    appeals = unassign_departed_handler_in(s, corp_id, userid, actor=ACTOR, reason=reason, now=now)
    if appeals:
        ids = [a.appeal_id for a in appeals]
        msg = wording.appeals_unassigned_notice(corp_id=corp_id, departed=userid, left_on=left_on, appeals=ids,
                                                public_url=public_url)
        notices += _tell_hr(s, corp_id, _key("appeals", userid, *ids), hr_userids, msg, now)
    closed, closed_notices = close_departed_plans_in(s, corp_id, userid, left_on, reason=reason, now=now,
                                                     hr_userids=hr_userids, public_url=public_url)
    notices += closed_notices
    plans, plan_notices = _plans_in(s, corp_id, userid, left_on,
                                    lambda emp: _active_successor(s, corp_id, emp, userid), reason=reason, now=now,
                                    public_url=public_url)
    notices += plan_notices
    stranded = [d.doc_id for d in latest_documents_in(s, corp_id, PLAN)
                if d.status in ("draft", "active") and d.body.get("manager") == userid]
    if stranded:
        msg = wording.plan_needs_manager_notice(corp_id=corp_id, departed=userid, left_on=left_on, plans=stranded,
                                                public_url=public_url)
        notices += _tell_hr(s, corp_id, _key("plans", userid, *stranded), hr_userids, msg, now)
    return DepartureReport(userid, left_on, tuple(withdrawn), tuple(short), tuple(a.appeal_id for a in appeals),
                           tuple(plans), tuple(stranded), tuple(reassigned), tuple(orphans), notices, tuple(closed))


def _tell_hr(s: Session, corp_id: str, key: str, hr_userids: Sequence[str], msg: dict[str, Any],
             now: datetime) -> int:
    if not hr_userids:
        log.warning("%s: no HR userids configured, nobody was told (set [org] hr_userids)", key)
        return 0
    return queue_batches_in(s, corp_id, key_prefix=key, userids=hr_userids, msg=msg, now=now)


def _plans_in(s: Session, corp_id: str, departed: str, left_on: date, successor: Callable[[str], str | None], *, reason: str, now: datetime,
              public_url: str) -> tuple[list[str], int]:
    """Hand over `departed`'s open plans; each plan's (new) manager is told. Plan ids changed, notices queued."""
    notices = 0
    changed = hand_over_plans_in(s, corp_id, departed, successor, reason=reason, now=now)
    for stored, tasks in changed:
        plan = stored.plan
        msg = wording.plan_handed_over_notice(corp_id=corp_id, departed=departed, left_on=left_on,
                                              plan_id=plan.plan_id, employee=plan.employee, manager=plan.manager,
                                              tasks=tasks, public_url=public_url)
        notices += queue_batches_in(s, corp_id, key_prefix=_key("plan", departed, plan.plan_id, plan.manager, *tasks),
                                    userids=[plan.manager], msg=msg, now=now)
    return [stored.plan.plan_id for stored, _ in changed], notices


def _participants_in(s: Session, corp_id: str, cycle: PerfCycle, departed: str, reason: str,
                     now: datetime) -> tuple[list[tuple[str, str]], list[str]]:
    """Participants `departed` was to review and has not: to their synced manager, else left for HR."""
    rows = s.exec(select(PerfParticipant).where(PerfParticipant.corp_id == corp_id,
                                                PerfParticipant.cycle_id == cycle.cycle_id,
                                                PerfParticipant.manager_userid == departed)
                  .order_by(col(PerfParticipant.userid))).all()
    moved, stuck = [], []
    for row in rows:
        if _rated(s, corp_id, cycle.cycle_id, departed, row.userid):
            continue  # the review is written; it stays theirs
        new = _active_successor(s, corp_id, row.userid, departed)
        if new is None:
            stuck.append(row.userid)
            continue
        _set_manager(s, corp_id, row, new, reason, now)
        moved.append((row.userid, new))
    return moved, stuck


def handle_manager_change(store: Store, corp_id: str, userid: str, old_manager: str | None,
                          new_manager: str | None, *, now: datetime, hr_userids: Sequence[str] = (),
                          public_url: str = "", zone: str | tzinfo = DEFAULT_ZONE) -> ManagerChangeReport:
    """`userid`'s synced manager changed: their participant rows that followed the old manager (or named
    nobody) move to the new one in open cycles before the manager review (any open phase if the old manager
    left and had not reviewed them); both managers are told. A departed old manager's plan for them passes too."""
    if old_manager == new_manager:
        return ManagerChangeReport(userid, old_manager, new_manager)
    on = _day(now, zone)
    reason = rules.manager_change_reason(userid, old_manager, new_manager, on)
    cycles = _open_cycles(store, corp_id)
    moved: list[str] = []
    notices = 0
    with store.session() as s:
        old = _employee(s, corp_id, old_manager) if old_manager else None
        new = _employee(s, corp_id, new_manager) if new_manager else None
        if new_manager and (new is None or not new.active or new_manager == userid):
            raise ValidationError(f"{new_manager} is not an active employee other than {userid}; sync contacts "
                                  "before moving reviews to them")
        old_left = old is not None and not old.active
        for cycle in cycles:
            row = s.get(PerfParticipant, (corp_id, cycle.cycle_id, userid))
            if (row is None or row.manager_userid not in (old_manager, None) or row.manager_userid == new_manager
                    or not rules.follows_manager_change(cycle.phase, old_left)
                    or (old_manager and _rated(s, corp_id, cycle.cycle_id, old_manager, userid))):
                continue
            _set_manager(s, corp_id, row, new_manager, reason, now)
            moved.append(cycle.cycle_id)
            name = cycle.name or cycle.cycle_id
            if new_manager:
                msg = wording.new_reviewees_notice(corp_id=corp_id, cycle_name=name, reviewees=[userid],
                                                   reason=reason, public_url=public_url)
                notices += queue_batches_in(s, corp_id, key_prefix=_key("mc-new", cycle.cycle_id, userid,
                                                                        new_manager), userids=[new_manager],
                                            msg=msg, now=now)
            if old is not None and old.active:
                msg = wording.manager_moved_notice(corp_id=corp_id, cycle_name=name, userid=userid, old=old_manager,
                                                   new=new_manager, on=on, public_url=public_url)
                notices += queue_batches_in(s, corp_id, key_prefix=_key("mc-old", cycle.cycle_id, userid,
                                                                        old.userid, new_manager or ""),
                                            userids=[old.userid], msg=msg, now=now)
        plans: list[str] = []
        if old_left and old is not None and new_manager:
            left_on = _day(old.departed_at or now, zone)
            plans, plan_notices = _plans_in(s, corp_id, old.userid, left_on,
                                            lambda emp: new_manager if emp == userid else None,
                                            reason=rules.departure_reason(old.userid, left_on), now=now,
                                            public_url=public_url)
            notices += plan_notices
    return ManagerChangeReport(userid, old_manager, new_manager, tuple(moved), tuple(plans), notices)

