"""OKR objectives, MBO goals and the per-person goal sheet through the goal service."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.goals import BscPerspective, GoalKind, GoalStatus
from dingperf.perf.library import load_template
from dingperf.perf.okr import KeyResult, KrZone
from dingperf.perf.periods import Period
from dingperf.services.cycles import create_cycle
from dingperf.services.goal_documents import goal_history
from dingperf.services.goals import (
    check_in_goal,
    confirm_goal,
    create_goal,
    create_mbo_goal,
    create_okr_goal,
    get_stored_goal,
    goal_from_json,
    goal_sheet,
    goal_to_json,
    okr_report,
    push_back_goal,
    revise_goal,
    send_goal,
)
from dingperf.services.templates import publish_template
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit

CORP, CYCLE = "dingcorp-goal-kinds", "2026-11"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
D = Decimal
KRS = (KeyResult("nps", "NPS", D(40), D(60), D(70)), KeyResult("churn", "Monthly churn %", D(5), D(3), weight=D(3)))


@pytest.fixture
def cycle(store: Store) -> Store:
    """A November 2026 monthly cycle in goal setting."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    return store


def _okr(store: Store, goal_id: str = "o1", owner: str = "u-rep", **kw: object) -> None:
    create_okr_goal(store, CORP, CYCLE, goal_id=goal_id, owner=owner, title="Customers love us", key_results=KRS,
                    weight=D(40), actor="mgr", now=NOW, **kw)  # type: ignore[arg-type]


def _agree(store: Store, goal_id: str, owner: str = "u-rep") -> None:
    send_goal(store, CORP, goal_id, actor="mgr", now=NOW)
    confirm_goal(store, CORP, goal_id, actor=owner, now=NOW)


def _trail(store: Store, goal_id: str) -> list[tuple[str, str]]:
    with store.session() as s:
        return [(e.action, e.reason) for e in list_audit(session=s, corp_id=CORP, subject=f"goal:{goal_id}")]


def test_an_okr_objective_is_stored_with_its_key_results_and_audited(cycle: Store) -> None:
    _okr(cycle, perspective=BscPerspective.CUSTOMER)
    goal = get_stored_goal(cycle, CORP, "o1").goal
    assert (goal.kind, goal.key_results, goal.perspective, goal.cycle_id) == (GoalKind.OKR, KRS,
                                                                              BscPerspective.CUSTOMER, CYCLE)
    assert _trail(cycle, "o1") == [("goal.create", "OKR objective 'Customers love us' with key results nps, churn")]


def test_key_result_check_ins_are_revisions_and_the_report_weighs_them(cycle: Store) -> None:
    _okr(cycle)
    _agree(cycle, "o1")
    check_in_goal(cycle, CORP, "o1", author="u-rep", value=D(50), confidence=8, key_result_id="nps", now=NOW)
    check_in_goal(cycle, CORP, "o1", author="u-rep", value=D(4), confidence=5, key_result_id="churn",
                  now=NOW + timedelta(days=7))
    check_in_goal(cycle, CORP, "o1", author="u-rep", confidence=3, comment="big client wavering",
                  key_result_id="churn", now=NOW + timedelta(days=14))
    report = okr_report(cycle, CORP, "o1")
    assert [(k.kr_id, k.value, k.progress, k.zone, k.confidence) for k in report.key_results] == [
        ("nps", D(50), D("0.5"), KrZone.PROGRESS, 8), ("churn", D(4), D("0.5"), KrZone.PROGRESS, 3)]
    assert report.progress == D("0.5")  # (1×0.5 + 3×0.5) / 4
    assert [d.revision for d in goal_history(cycle, CORP, "o1")] == [1, 2, 3, 4, 5, 6]


def test_a_check_in_on_an_unknown_key_result_is_refused_and_nothing_is_written(cycle: Store) -> None:
    _okr(cycle)
    _agree(cycle, "o1")
    with pytest.raises(ValidationError, match="one key result of o1: one of \\['churn', 'nps'\\]"):
        check_in_goal(cycle, CORP, "o1", author="u-rep", value=D(1), key_result_id="revenue", now=NOW)
    assert len(goal_history(cycle, CORP, "o1")) == 3


def test_the_okr_report_of_a_kpi_goal_points_to_the_sheet(cycle: Store) -> None:
    create_goal(cycle, CORP, CYCLE, goal_id="k1", owner="u-rep", title="Revenue", target=D(100), weight=D(60),
                actor="mgr", now=NOW)
    with pytest.raises(ValidationError, match="not an OKR objective; read its progress from the goal sheet"):
        okr_report(cycle, CORP, "k1")


def test_an_mbo_goal_keeps_its_criterion_and_due_day_and_takes_percent_complete(cycle: Store) -> None:
    create_mbo_goal(cycle, CORP, CYCLE, goal_id="m1", owner="u-rep", title="Open the Hangzhou store",
                    criteria="store trading with 3 trained staff", due=date(2026, 11, 20), weight=D(100), actor="mgr",
                    now=NOW)
    _agree(cycle, "m1")
    check_in_goal(cycle, CORP, "m1", author="u-rep", value=D(60), confidence=7, now=NOW)
    goal = get_stored_goal(cycle, CORP, "m1").goal
    assert (goal.kind, goal.criteria, goal.due, goal.versions) == (
        GoalKind.MBO, "store trading with 3 trained staff", date(2026, 11, 20), ())
    line = goal_sheet(cycle, CORP, CYCLE, "u-rep").groups[0].lines[0]
    assert (line.progress, line.confidence, line.criteria) == (D("0.6"), 7, "store trading with 3 trained staff")


def test_an_mbo_goal_without_a_criterion_is_refused_and_nothing_is_written(cycle: Store) -> None:
    with pytest.raises(ValidationError, match="needs a completion criterion"):
        create_mbo_goal(cycle, CORP, CYCLE, goal_id="m1", owner="u-rep", title="Open the store", criteria=" ",
                        weight=D(100), actor="mgr", now=NOW)
    assert goal_history(cycle, CORP, "m1") == []


def test_the_goal_sheet_mixes_kpi_and_okr_grouped_by_perspective(cycle: Store) -> None:
    create_goal(cycle, CORP, CYCLE, goal_id="k1", owner="u-rep", title="Revenue", target=D(100), weight=D(60),
                perspective=BscPerspective.FINANCIAL, actor="mgr", now=NOW)
    _okr(cycle, perspective=BscPerspective.CUSTOMER)
    create_goal(cycle, CORP, CYCLE, goal_id="other", owner="u-other", title="Revenue", target=D(100),
                weight=D(100), actor="mgr", now=NOW)
    _agree(cycle, "k1")
    check_in_goal(cycle, CORP, "k1", author="u-rep", value=D(50), now=NOW)
    sheet = goal_sheet(cycle, CORP, CYCLE, "u-rep")
    assert [(g.perspective, [(ln.goal_id, ln.kind, ln.status) for ln in g.lines]) for g in sheet.groups] == [
        (BscPerspective.FINANCIAL, [("k1", GoalKind.KPI, "confirmed")]),
        (BscPerspective.CUSTOMER, [("o1", GoalKind.OKR, "draft")])]
    assert (sheet.total_weight, sheet.progress, sheet.problems) == (D(100), D("0.3"), ())


def test_the_sheet_of_an_unknown_cycle_is_not_found(cycle: Store) -> None:
    with pytest.raises(NotFound, match="no cycle 'nope'"):
        goal_sheet(cycle, CORP, "nope", "u-rep")


def test_a_pushed_back_objective_is_revised_with_new_key_results(cycle: Store) -> None:
    _okr(cycle)
    send_goal(cycle, CORP, "o1", actor="mgr", now=NOW)
    push_back_goal(cycle, CORP, "o1", actor="u-rep", reason="churn is not mine to move", now=NOW)
    nps_only = (KRS[0],)
    revised = revise_goal(cycle, CORP, "o1", actor="mgr", key_results=nps_only, now=NOW)
    assert (revised.goal.status, revised.goal.key_results, revised.revision) == (GoalStatus.DRAFT, nps_only, 4)
    assert _trail(cycle, "o1")[-1] == ("goal.revise", "revised key_results")


def test_revising_a_draft_kpi_target_replaces_its_first_version(cycle: Store) -> None:
    create_goal(cycle, CORP, CYCLE, goal_id="k1", owner="u-rep", title="Revenue", target=D(100), weight=D(60),
                actor="mgr", now=NOW)
    revised = revise_goal(cycle, CORP, "k1", actor="mgr", target=D(90), weight=D(50), now=NOW)
    assert [(v.version, v.target) for v in revised.goal.versions] == [(1, D(90))] and revised.goal.weight == D(50)


def test_a_confirmed_goal_cannot_be_revised_only_adjusted(cycle: Store) -> None:
    create_goal(cycle, CORP, CYCLE, goal_id="k1", owner="u-rep", title="Revenue", target=D(100), weight=D(60),
                actor="mgr", now=NOW)
    _agree(cycle, "k1")
    with pytest.raises(TransitionError, match="is 'confirmed': cannot 'revise'; allowed from here: close, request_adjustment"):
        revise_goal(cycle, CORP, "k1", actor="mgr", target=D(90), now=NOW)
    assert len(goal_history(cycle, CORP, "k1")) == 3


def test_key_results_on_a_kpi_goal_are_refused(cycle: Store) -> None:
    create_goal(cycle, CORP, CYCLE, goal_id="k1", owner="u-rep", title="Revenue", target=D(100), weight=D(60),
                actor="mgr", now=NOW)
    with pytest.raises(ValidationError, match="goal k1 is kpi; only OKR objectives have key results"):
        revise_goal(cycle, CORP, "k1", actor="mgr", key_results=KRS, now=NOW)


def test_a_goal_outside_any_cycle_uses_its_own_period(store: Store) -> None:
    year = Period(date(2026, 1, 1), date(2027, 1, 1))
    create_okr_goal(store, CORP, None, goal_id="company", owner="ceo", title="Best studio chain in Zhejiang",
                    key_results=KRS, weight=D(100), period=year, actor="ceo", now=NOW)
    stored = send_goal(store, CORP, "company", actor="ceo", now=NOW)
    assert (stored.goal.period, stored.goal.cycle_id, stored.goal.status) == (year, "", GoalStatus.PENDING_CONFIRMATION)


def test_a_goal_outside_any_cycle_without_a_period_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="needs its own period"):
        create_goal(store, CORP, None, goal_id="g", owner="ceo", title="Revenue", target=D(1), weight=D(100),
                    actor="ceo", now=NOW)


def test_the_document_json_round_trips_an_mbo_goal_with_its_criterion_and_due_day(cycle: Store) -> None:
    create_mbo_goal(cycle, CORP, CYCLE, goal_id="m1", owner="u-rep", title="Hire", criteria="5 offers signed",
                    target=D(5), due=date(2026, 11, 25), weight=D(100), actor="mgr", now=NOW)
    goal = get_stored_goal(cycle, CORP, "m1").goal
    assert goal_from_json(json.loads(json.dumps(goal_to_json(goal)))) == goal


def test_a_revision_saved_before_mbo_fields_existed_reads_with_them_empty(cycle: Store) -> None:
    create_goal(cycle, CORP, CYCLE, goal_id="k1", owner="u-rep", title="Revenue", target=D(100), weight=D(60),
                actor="mgr", now=NOW)
    old = {k: v for k, v in goal_to_json(get_stored_goal(cycle, CORP, "k1").goal).items() if k not in ("criteria", "due")}
    assert (goal_from_json(old).criteria, goal_from_json(old).due) == ("", None)
