"""Acts of the demo after scoring: the cycle's phases with their notices, calibration by group under a hard
quota, release and acknowledgement, an appeal on an SLA clock, and a 面谈 with an improvement plan.

Everything goes through the services a real installation uses; messages reach the sandbox's mailboxes only
through the outbox sender, and what the demo shows is read back from the store or the sandbox.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import func, select

from dingperf.demo.narrator import Narrator
from dingperf.demo.world import World
from dingperf.perf.appeals import AppealSubject, AppealTarget
from dingperf.perf.cycles import Phase
from dingperf.perf.interviews import AgreedAction
from dingperf.services.appeal_escalation import escalate_overdue_appeals
from dingperf.services.appeals import accept_appeal, assign_appeal, file_appeal
from dingperf.services.calibration_board import calibration_board, suggest_assignment
from dingperf.services.calibration_groups import save_calibration_group
from dingperf.services.cycles import get_cycle
from dingperf.services.improvement_plans import create_plan, plans_needed, start_plan
from dingperf.services.interviews import confirm_interview, record_interview
from dingperf.services.outbox_sender import send_due
from dingperf.services.phases import advance_cycle
from dingperf.services.results import (
    StoredResult,
    acknowledge_result,
    calibrate_grades,
    list_results,
    release_results,
)
from dingperf.services.score_inputs import RatingEntry, record_ratings
from dingperf.services.scoring_service import score_cycle
from dingperf.store.tables.org import Department, Employee
from dingperf.store.tables.outbox import OutboxMessage
from dingperf.store.types import utcnow

SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}


def pick_hr(world: World) -> str:
    """The demo's HR person: the head of 人力资源部 if the company has one, else its first member, else anyone."""
    with world.store.session() as s:
        dept = s.exec(select(Department).where(Department.corp_id == world.corp_id,
                                               Department.name == "人力资源部")).first()
        if dept is not None and dept.leader_userids:
            return dept.leader_userids[0]
        staff = s.exec(select(Employee).where(Employee.corp_id == world.corp_id,
                                              Employee.active == True)).all()
        if dept is not None:
            member = next((e.userid for e in staff if dept.dept_id in e.dept_ids), None)
            if member:
                return member
        return staff[0].userid


def deliver(world: World) -> int:
    """Run the outbox sender until nothing is due; returns how many messages it sent."""
    sent = 0
    while True:
        report = send_due(world.store, world.client, limit=50)
        sent += report.sent
        if report.claimed == 0 or report.deferred:
            return sent


def _advance_to(world: World, cycle_id: str, target: Phase, hr: str, reason: str) -> list[str]:
    order = list(Phase)
    walked = []
    while order.index(Phase(get_cycle(world.store, world.corp_id, cycle_id).phase)) < order.index(target):
        cycle = advance_cycle(world.store, world.corp_id, cycle_id, actor=hr, reason=reason,
                              hr_userids=(hr,))
        walked.append(cycle.phase)
    return walked


def run_phases(world: World, say: Narrator, cycle_id: str, hr: str) -> None:
    """Walk the cycle to calibration; every phase tells the people who must act, through the outbox."""
    say.act("The cycle's phases: each one tells the people who must act (work notifications via the outbox)")
    blocked = [r for r in list_results(world.store, world.corp_id, cycle_id, limit=1_000_000)
               if r.status == "blocked"]
    if blocked:
        record_ratings(world.store, world.corp_id, cycle_id,
                       [RatingEntry(r.userid, hr, "manager", "values", {"customer_first": 3, "integrity": 4})
                        for r in blocked], actor=hr, hr_override=True)
        rescored = score_cycle(world.store, world.corp_id, cycle_id)
        say.say(f"{len(blocked)} without a manager in DingTalk: HR {hr} reviewed them itself (hr_override, "
                f"audited); re-scored — {rescored.scored} scored, {rescored.blocked} blocked")
    before = _outbox_count(world)
    walked = _advance_to(world, cycle_id, Phase.CALIBRATION, hr, "demo: the quarter is over")
    queued = _outbox_count(world) - before
    sent = deliver(world)
    say.say(f"phases {' → '.join(walked)}: {queued} notices queued in the same transactions, {sent} delivered")
    inbox = world.control(f"messages?userid={hr}")["messages"]
    if inbox:
        say.say(f"HR's DingTalk shows {len(inbox)} message(s); the calibration one reads:")
        say.block(_text_of(inbox[-1]["content"]))


def _outbox_count(world: World) -> int:
    with world.store.session() as s:
        return s.exec(select(func.count()).select_from(OutboxMessage)
                      .where(OutboxMessage.corp_id == world.corp_id)).one()


def _text_of(content: dict[str, object]) -> str:
    for key in ("markdown", "text", "action_card"):
        part = content.get(key)
        if isinstance(part, dict):
            return str(part.get("text") or part.get("markdown") or part.get("content") or part)
    return str(content)


def calibrate_group(world: World, say: Narrator, cycle_id: str, hr: str) -> None:
    """One calibration group with a hard forced distribution: the board, the suggestion, the moves."""
    say.act("Calibration by group under a hard quota: the board, a suggestion, moves with a reason")
    save_calibration_group(world.store, world.corp_id, cycle_id, {
        "group_id": "sales", "name": "销售团队", "members": {"dept_ids": [1]},
        "quota": {"shares": SHARES, "enforcement": "hard", "tie_break_section": "values"}}, actor=hr)
    board = calibration_board(world.store, world.corp_id, cycle_id)
    for group in board:
        seats = group.seats or {}
        say.table(["grade", "now", "seats (largest remainder)"],
                  [(g, group.counts.get(g, 0), seats.get(g, "—")) for g in SHARES],
                  title=f"group {group.group_id} ({group.name}), {group.headcount} people, tie-break "
                        f"{group.tie_break}: {'; '.join(group.violations) or 'within quota'}")
    suggestion = suggest_assignment(world.store, world.corp_id, cycle_id, "sales")
    if suggestion.moves:
        calibrate_grades(world.store, world.corp_id, cycle_id, {u: g for u, _old, g in suggestion.moves},
                         reason="forced distribution 10/20/50/15/5 by rank; ties by the values section", by=hr)
    after = calibration_board(world.store, world.corp_id, cycle_id)
    say.say(f"applied {len(suggestion.moves)} suggested move(s) as one audited step; the board now: "
            + "; ".join(g.summary for g in after))


def release(world: World, say: Narrator, cycle_id: str, hr: str) -> list[StoredResult]:
    """Results phase: release, the notices, and one employee's signed acknowledgement."""
    say.act("Results: released after calibration, each employee asked to acknowledge (签字确认)")
    _advance_to(world, cycle_id, Phase.RESULTS, hr, "calibration done")
    released = release_results(world.store, world.corp_id, cycle_id, by=hr)
    sent = deliver(world)
    results = [r for r in list_results(world.store, world.corp_id, cycle_id, limit=1_000_000)
               if r.final_total is not None]
    first = results[0]
    signed = acknowledge_result(world.store, world.corp_id, cycle_id, first.userid)
    counts = Counter(r.final_grade for r in results)
    say.say(f"{released} results released, each employee asked to acknowledge; {sent} work notification(s) "
            f"delivered (≤ 100 recipients each); grades "
            + " ".join(f"{g}:{counts.get(g, 0)}" for g in SHARES))
    say.say(f"{first.userid} acknowledged {signed.final_total} ({signed.final_grade}) at "
            f"{signed.acknowledged_at:%Y-%m-%d %H:%M} UTC, hash {str(signed.acknowledged_hash)[:12]}…")
    return results


def appeal(world: World, say: Narrator, cycle_id: str, hr: str, results: list[StoredResult]) -> None:
    """An accepted appeal with its quota check, and an overdue one escalated."""
    say.act("Appeals on an SLA clock: a handler, a deadline, a quota check, escalation when overdue")
    _advance_to(world, cycle_id, Phase.APPEAL_WINDOW, hr, "results out")
    low = sorted(results, key=lambda r: r.final_total or Decimal(0))
    first, second = low[0], low[1]
    now = utcnow()
    a = file_appeal(world.store, world.corp_id, cycle_id, first.userid,
                    AppealTarget(AppealSubject.INDICATOR, "return_rate"),
                    "退货率里包含了客户质量问题导致的退货，不应计入我个人", hr_userids=(hr,), now=now)
    a = assign_appeal(world.store, world.corp_id, a.appeal_id, handler=hr, deadline=now + timedelta(days=3),
                      actor=hr, now=now)
    new_score = (first.final_total or Decimal(0)) + Decimal(5)
    a = accept_appeal(world.store, world.corp_id, a.appeal_id, new_score=new_score, actor=hr, now=now,
                      reason="3 of the returns were a supplier defect (QA report); return rate recomputed")
    impact = a.quota_impact.message if a.quota_impact else "no quota declared"
    say.say(f"{first.userid} contested return_rate → accepted by {hr}: {first.final_total} → {new_score}; "
            f"quota check: {impact}")
    b = file_appeal(world.store, world.corp_id, cycle_id, second.userid, AppealTarget(AppealSubject.TOTAL),
                    "请复核我的总分", hr_userids=(hr,), now=now)
    handler = first.userid if first.userid != second.userid else hr
    assign_appeal(world.store, world.corp_id, b.appeal_id, handler=handler, deadline=now + timedelta(days=2),
                  actor=hr, now=now)
    report = escalate_overdue_appeals(world.store, world.corp_id, now=now + timedelta(days=2, hours=1),
                                      hr_userids=(hr,))
    again = escalate_overdue_appeals(world.store, world.corp_id, now=now + timedelta(days=2, hours=2),
                                     hr_userids=(hr,))
    sent = deliver(world)
    say.say(f"{second.userid}'s appeal sat with {handler} past its 2-day deadline: escalated "
            f"{len(report.escalated)} (told {', '.join(report.notified) or 'nobody'}); a second run escalates "
            f"{len(again.escalated)}; {sent} notices delivered")


def follow_up(world: World, say: Narrator, cycle_id: str, hr: str) -> None:
    """A 面谈 with the lowest performer, confirmed by both, turned into a started improvement plan."""
    say.act("面谈 and an improvement plan for the lowest grade, tracked to the end")
    candidates = plans_needed(world.store, world.corp_id, cycle_id, grades=("C", "D"))
    if not candidates:
        say.say("nobody got C or D this time: no improvement plan needed")
        return
    who = candidates[-1]
    manager = who.manager_userid or hr
    today = datetime.now(world.settings.org.zone).date()
    interview = record_interview(
        world.store, world.corp_id, cycle_id, who.userid, interviewer=manager, template_id="low-performer",
        held_on=today, hr_userids=(hr,),
        answers={"expectation": "每季度成交 400 千元，退货率 ≤ 2%", "facts": f"本季度总分 {who.total}，等级 {who.grade}",
                 "causes": "能力 skills", "employee_view": "新客户开发方法不足", "improvement_goal": "下季度成交 ≥ 300 千元",
                 "plan_needed": "是 yes", "commitment": 4, "consequences_explained": "是 yes"},
        agreed_actions=(AgreedAction("每周拜访 5 家新客户并记录", who.userid, today + timedelta(days=30)),
                        AgreedAction("参加销售技巧培训", who.userid, today + timedelta(days=14))))
    record = interview.record
    confirm_interview(world.store, world.corp_id, record.record_id, userid=who.userid)
    confirmed = confirm_interview(world.store, world.corp_id, record.record_id, userid=manager)
    plan = create_plan(world.store, world.corp_id, employee=who.userid, manager=manager,
                       objective="下季度成交 ≥ 300 千元，退货率 ≤ 2%", starts_on=today,
                       ends_on=today + timedelta(days=60), actor=manager, cycle_id=cycle_id,
                       interview_id=record.record_id, hr_userids=(hr,))
    started = start_plan(world.store, world.corp_id, plan.plan.plan_id, actor=manager, hr_userids=(hr,))
    say.say(f"{who.userid} ({who.grade}, {who.total}): 面谈 by {manager} on the low-performer template, "
            f"confirmed by both ({confirmed.status}); plan {started.plan.plan_id} {started.plan.status.value} "
            f"with {len(started.plan.tasks)} tasks from the agreed actions, due "
            + ", ".join(f"{t.due:%m-%d}" for t in started.plan.tasks))
