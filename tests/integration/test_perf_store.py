"""Templates, cycles, participants and results in the store: versions, pins, calibration, release, sign-off."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.library import load_template
from dingperf.services.cycles import add_participants, create_cycle, get_cycle, lock_cycle
from dingperf.services.phases import override_phase
from dingperf.services.results import (
    acknowledge_result,
    calibrate_result,
    get_result,
    release_results,
    result_hash,
)
from dingperf.services.scoring_service import score_cycle
from dingperf.services.templates import get_template, publish_template, template_versions
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit
from tests.integration.perf_fixtures import CORP, CYCLE, NOW, worked_scorecard_cycle
from tests.integration.release_kit import to_calibration


def test_publishing_assigns_versions_and_keeps_old_ones(store: Store) -> None:
    template = load_template("sales-rep")
    first = publish_template(store, CORP, template, actor="hr1", now=NOW)
    second = publish_template(store, CORP, replace(template, name="Sales v2"), actor="hr1", now=NOW)
    assert (first.version, second.version) == (1, 2)
    assert get_template(store, CORP, "sales-rep", 1).name == template.name
    assert get_template(store, CORP, "sales-rep").name == "Sales v2"


def test_publishing_unchanged_content_creates_no_new_version(store: Store) -> None:
    template = load_template("sales-rep")
    publish_template(store, CORP, template, actor="hr1", now=NOW)
    again = publish_template(store, CORP, template, actor="hr1", now=NOW)
    assert again.version == 1 and len(template_versions(store, CORP, "sales-rep")) == 1


def test_publishing_an_invalid_template_is_refused(store: Store) -> None:
    body = load_template("sales-rep").to_dict()
    body["sections"][0]["items"][0]["weight"] = "40"  # type: ignore[index]
    with pytest.raises(ValidationError, match="not 100"):
        publish_template(store, CORP, body, actor="hr1", now=NOW)


def test_unknown_template_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="publish it first"):
        get_template(store, CORP, "nope")


def test_a_cycle_keeps_scoring_with_its_pinned_version(store: Store) -> None:
    worked_scorecard_cycle(store)
    template = load_template("sales-rep")
    publish_template(store, CORP, template.revise(total_cap=Decimal(90)), actor="hr1", now=NOW)
    score_cycle(store, CORP, CYCLE, now=NOW)
    result = get_result(store, CORP, CYCLE, "u-rep")
    assert (result.template_version, result.total) == (1, Decimal("100.0"))


def test_cycle_rejects_an_unknown_kind(store: Store) -> None:
    publish_template(store, CORP, load_template("sales-rep"), actor="hr1", now=NOW)
    with pytest.raises(ValidationError, match="cycle kind"):
        create_cycle(store, CORP, cycle_id="x", name="x", kind="weekly", period_start=date(2026, 1, 1),
                     period_end=date(2026, 1, 31), template_id="sales-rep", actor="hr1", now=NOW)


def test_participants_are_added_once_and_frozen_by_the_lock(store: Store) -> None:
    worked_scorecard_cycle(store)
    add_participants(store, CORP, CYCLE, ["u-rep", "u-new"], now=NOW)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM perf_participants")).scalar() == 4
    locked = lock_cycle(store, CORP, CYCLE, actor="hr1", now=NOW)
    assert locked.locked_at == NOW and get_cycle(store, CORP, CYCLE).locked_at == NOW
    with pytest.raises(ValidationError, match="locked its participants"):
        add_participants(store, CORP, CYCLE, ["u-late-joiner"], now=NOW)


def test_totals_round_trip_exactly(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    calibrate_result(store, CORP, CYCLE, "u-rep", total=Decimal("98.123456"), reason="peer evidence", by="hr1",
                     now=NOW)
    assert get_result(store, CORP, CYCLE, "u-rep").final_total == Decimal("98.123456")


def test_calibration_needs_a_reason_and_is_audited(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    with pytest.raises(ValidationError, match="needs a reason"):
        calibrate_result(store, CORP, CYCLE, "u-rep", grade="B", reason=" ", by="hr1", now=NOW)
    moved = calibrate_result(store, CORP, CYCLE, "u-rep", grade="B", reason="quota: A is full", by="hr1", now=NOW)
    assert (moved.grade, moved.final_grade, moved.total) == ("A", "B", Decimal("100.0"))
    with store.session() as s:
        entry = list_audit(session=s, corp_id=CORP, action="calibration.move")[-1]
    assert (entry.before, entry.reason) == ({"grade": "A", "total": "100"}, "quota: A is full")


def test_rescoring_keeps_the_calibration(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    calibrate_result(store, CORP, CYCLE, "u-rep", grade="B", reason="quota", by="hr1", now=NOW)
    score_cycle(store, CORP, CYCLE, now=NOW)
    assert get_result(store, CORP, CYCLE, "u-rep").final_grade == "B"


def test_release_is_refused_while_a_result_is_blocked(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    to_calibration(store, CORP, CYCLE, now=NOW)
    with pytest.raises(ValidationError, match="blocked"):
        release_results(store, CORP, CYCLE, by="hr1", now=NOW)


def test_release_before_calibration_is_refused_and_releases_nothing(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    override_phase(store, CORP, CYCLE, Phase.SELF_REVIEW, actor="admin", reason="test", now=NOW)
    with pytest.raises(TransitionError, match="'self_review': results are released only once the cycle has reached "
                                              "calibration; advance the cycle"):
        release_results(store, CORP, CYCLE, by="hr1", now=NOW)
    assert get_result(store, CORP, CYCLE, "u-rep").released_at is None


def test_release_in_a_closed_cycle_is_refused_as_closed(store: Store) -> None:
    worked_scorecard_cycle(store)
    score_cycle(store, CORP, CYCLE, now=NOW)
    override_phase(store, CORP, CYCLE, Phase.CLOSED, actor="admin", reason="cancelled", now=NOW)
    with pytest.raises(TransitionError, match="the cycle is closed"):
        release_results(store, CORP, CYCLE, by="hr1", now=NOW)


def test_released_results_are_acknowledged_with_a_hash_and_frozen(store: Store) -> None:
    worked_scorecard_cycle(store)
    add_participants(store, CORP, CYCLE, [], now=NOW)
    with store.session() as s:
        s.connection().execute(text("DELETE FROM perf_participants WHERE userid = 'u-noreview'"))
    score_cycle(store, CORP, CYCLE, now=NOW)
    with pytest.raises(ValidationError, match="not released"):
        acknowledge_result(store, CORP, CYCLE, "u-rep", now=NOW)
    to_calibration(store, CORP, CYCLE, now=NOW)
    assert release_results(store, CORP, CYCLE, by="hr1", now=NOW) == 2
    signed = acknowledge_result(store, CORP, CYCLE, "u-rep", now=NOW)
    assert signed.acknowledged_at == NOW and signed.acknowledged_hash == result_hash(signed)
    with store.session() as s:
        s.connection().execute(text("DELETE FROM perf_inputs WHERE userid = 'u-rep'"))
    score_cycle(store, CORP, CYCLE, now=NOW)
    assert get_result(store, CORP, CYCLE, "u-rep").total == Decimal("100.0")  # released: not re-scored


def test_goal_revisions_keep_the_history(store: Store) -> None:
    from dingperf.services.goal_documents import get_goal, goal_history, save_goal

    save_goal(store, CORP, "g1", owner_userid="u-rep", kind="kpi", status="draft", body={"target": "1000"},
              actor="u-rep", now=NOW)
    save_goal(store, CORP, "g1", owner_userid="u-rep", kind="kpi", status="confirmed", body={"target": "1200"},
              actor="mgr1", reason="stretch agreed", now=NOW)
    assert (get_goal(store, CORP, "g1").revision, get_goal(store, CORP, "g1").body) == (2, {"target": "1200"})
    assert [d.status for d in goal_history(store, CORP, "g1")] == ["draft", "confirmed"]
    assert get_goal(store, CORP, "g1", revision=1).body == {"target": "1000"}


def test_child_goals_follow_the_newest_alignment(store: Store) -> None:
    from dingperf.services.goal_documents import child_goals, save_goal

    for goal_id, parent in (("team", "company"), ("me", "team"), ("other", "team")):
        save_goal(store, CORP, goal_id, owner_userid="x", kind="okr", status="confirmed", body={},
                  parent_goal_id=parent, actor="x", now=NOW)
    save_goal(store, CORP, "other", owner_userid="x", kind="okr", status="confirmed", body={},
              parent_goal_id="company", actor="x", now=NOW)
    assert [g.goal_id for g in child_goals(store, CORP, "team")] == ["me"]
    assert [g.goal_id for g in child_goals(store, CORP, "company")] == ["other", "team"]


def test_unknown_goal_raises_not_found(store: Store) -> None:
    from dingperf.services.goal_documents import get_goal

    with pytest.raises(NotFound, match="no goal 'nope'"):
        get_goal(store, CORP, "nope")


def test_recording_an_undeclared_indicator_is_refused(store: Store) -> None:
    from dingperf.services.score_inputs import InputValue, record_inputs

    worked_scorecard_cycle(store)
    with pytest.raises(ValidationError, match=r"no actual 'revenu'; known: \['return_rate', 'revenue'\]"):
        record_inputs(store, CORP, CYCLE, [InputValue("u-rep", "revenu", 1)], now=NOW)


def test_rating_an_unrated_section_is_refused(store: Store) -> None:
    from dingperf.services.score_inputs import RatingEntry, record_ratings

    worked_scorecard_cycle(store)
    with pytest.raises(ValidationError, match="'performance' is not a rated section"):
        record_ratings(store, CORP, CYCLE, [RatingEntry("u-rep", "m", "manager", "performance", {"revenue": 4})],
                       now=NOW)
