"""Acts 4–6 of the demo: a cycle scored from DingTalk data, calibration, an explanation, a notification."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlmodel import col, select

from dingperf.demo.narrator import Narrator
from dingperf.demo.world import World
from dingperf.perf.datasources import TimeResult
from dingperf.perf.explanation import render_text
from dingperf.perf.leniency import leniency
from dingperf.perf.library import load_template
from dingperf.perf.rules import AttendanceThresholdRule, FormFieldSumRule
from dingperf.services.collect import collect_inputs
from dingperf.services.cycles import Participant, add_participants, create_cycle
from dingperf.services.results import StoredResult, list_results
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_service import explain, score_cycle
from dingperf.services.templates import publish_template
from dingperf.store.repositories import list_employees
from dingperf.store.tables.approvals import ApprovalInstance as ApprovalRow

HR = "hr:demo"
REVENUE_TARGET_K = 400  # 千元 per quarter
SHARES = {"S": 10, "A": 20, "B": 50, "C": 15, "D": 5}


def sales_template(revenue_target_k: int) -> dict[str, object]:
    """The library's 销售代表 template as this company tunes it: its own revenue target (千元)."""
    data = load_template("sales-rep").to_dict()
    for section in data["sections"]:  # type: ignore[union-attr]
        for item in section["items"]:
            if item["indicator"]["code"] == "revenue":
                item["indicator"]["target"] = str(revenue_target_k)
    data["description"] = f"library sales-rep, revenue target {revenue_target_k} 千元 per quarter"
    return data


def run_cycle(world: World, say: Narrator, period_from: date, period_to: date, codes: list[str],
              seed: int) -> str:
    """Publish the template, run the cycle for the sales team, score it; returns the cycle id."""
    say.act("A quarterly cycle for the sales team on the 销售代表 template, fed by DingTalk data")
    sales = [c for c in codes if "SALES" in c]
    template = publish_template(world.store, world.corp_id, sales_template(REVENUE_TARGET_K), actor=HR)
    cycle_id = f"demo-{period_to:%Y}-q"
    create_cycle(world.store, world.corp_id, cycle_id=cycle_id,
                 name=f"销售团队季度考核（{period_from:%m-%d} 至 {period_to:%m-%d}）",
                 kind="quarterly", period_start=period_from, period_end=period_to, template_id=template.id,
                 timezone=world.settings.org.timezone, actor=HR)
    team = _sales_team(world, sales)
    add_participants(world.store, world.corp_id, cycle_id,
                     [Participant(u, m, source="group: filed a sales deal approval") for u, m in team])
    say.say(f"template {template.id} v{template.version} (revenue target {REVENUE_TARGET_K} 千元) pinned; "
            f"{len(team)} participants: everyone who filed a 销售业绩报备 approval")
    rules = [AttendanceThresholdRule("late-over-3", "late_over_3",
                                     frozenset({TimeResult.LATE, TimeResult.SERIOUS_LATE}), more_than=3,
                                     amount=Decimal(-10), mode="percent", stage="before")]
    if sales:
        rules.append(FormFieldSumRule("revenue-from-deals", "revenue", sales[0], "成交金额", scale=Decimal("0.001")))
    summary, _ = collect_inputs(world.store, world.corp_id, cycle_id, rules)
    say.say("rules: 'more than 3 Late/SeriousLate → −10%' and 'sum of 成交金额 of approved deals → revenue' "
            f"gave {summary.inputs} inputs ({summary.triggered} triggered), each citing its records")
    rng = random.Random(seed)
    record_inputs(world.store, world.corp_id, cycle_id,
                  [InputValue(u, "return_rate", Decimal(str(round(rng.uniform(0.5, 4.0), 1))),
                              note="entered by HR from the ERP export") for u, _m in team], actor=HR)
    ratings = [RatingEntry(u, m, "manager", "values", {"customer_first": rng.choice((3, 4, 4, 5)),
                                                        "integrity": rng.choice((3, 4, 5, 5))})
               for u, m in team if m]
    record_ratings(world.store, world.corp_id, cycle_id, ratings)
    say.say(f"{len(ratings)} manager reviews of the values section; "
            f"{len(team) - len(ratings)} without a manager stay blocked (policy: manager is mandatory)")
    scored = score_cycle(world.store, world.corp_id, cycle_id)
    say.say(f"scored {scored.scored}, blocked {scored.blocked} in {scored.seconds:.2f} s")
    return cycle_id


def _sales_team(world: World, sales_codes: list[str]) -> list[tuple[str, str | None]]:
    with world.store.session() as session:
        sellers = set(session.exec(select(ApprovalRow.originator_userid).where(
            ApprovalRow.corp_id == world.corp_id, col(ApprovalRow.process_code).in_(sales_codes))).all())
        return [(e.userid, e.manager_userid) for e in list_employees(session=session, corp_id=world.corp_id)
                if e.userid in sellers]


def leniency_by_manager(world: World, say: Narrator, cycle_id: str) -> list[StoredResult]:
    """Per manager: mean and spread of their people's totals against the company (z-score), before calibration."""
    say.act("Before calibration: leniency per manager (mean, spread, z-score against the company)")
    scored = [r for r in list_results(world.store, world.corp_id, cycle_id, limit=1_000_000) if r.status == "scored"]
    names, managers = _people(world)
    by_manager: dict[str, list[Decimal]] = defaultdict(list)
    for r in scored:
        if r.total is not None and managers.get(r.userid):
            by_manager[managers[r.userid]].append(r.total)
    company, rows = leniency({m: v for m, v in by_manager.items() if len(v) >= 2})
    say.say(f"{len(scored)} scored; mean {company.mean:.1f}, spread {company.stdev:.1f}; managers with ≥ 2 "
            "people in the cycle:")
    say.table(["manager", "reports", "mean", "z", "flag"],
              [(names.get(m.manager, m.manager), m.stats.count, f"{m.stats.mean:.1f}", f"{m.z:.2f}", m.flag or "—") for m in rows[:5]])
    return scored


def _people(world: World) -> tuple[dict[str, str], dict[str, str | None]]:
    with world.store.session() as session:
        staff = list_employees(session=session, corp_id=world.corp_id, active_only=False)
        return {e.userid: e.name for e in staff}, {e.userid: e.manager_userid for e in staff}


def explain_one(world: World, say: Narrator, cycle_id: str, scored: list[StoredResult]) -> StoredResult:
    say.act("Every number explainable: `dingperf explain` for one employee")
    pick = next((r for r in scored if r.sections and _has_deduction(world, cycle_id, r.userid)), scored[0])
    say.block(render_text(explain(world.store, world.corp_id, cycle_id, pick.userid)))
    say.say(f"(same command: dingperf --config {world.config_path} explain --cycle {cycle_id} "
            f"--employee {pick.userid})")
    return pick


def _has_deduction(world: World, cycle_id: str, userid: str) -> bool:
    e = explain(world.store, world.corp_id, cycle_id, userid)
    return any(s.key.startswith("adjust:") and s.sources for s in e.root.walk())


def show_mailbox(world: World, say: Narrator, result: StoredResult) -> None:
    """What the employee's DingTalk received from dingperf, all of it sent by the outbox."""
    say.act("What the employee's DingTalk shows: every message came through the outbox")
    seen = world.control(f"messages?userid={result.userid}")["messages"]
    say.say(f"{result.userid}'s DingTalk now shows {len(seen)} message(s) from dingperf; the result notice:")
    notice = next((m for m in reversed(seen) if "绩效结果" in json.dumps(m["content"], ensure_ascii=False)),
                  seen[-1] if seen else None)
    if notice is not None:
        say.block(json.dumps(notice["content"], ensure_ascii=False, indent=2))
