"""Goal lifecycle in the store: every step is one new document revision plus one audit entry; refusals write nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.goals import BscPerspective, GoalLevel, GoalStatus, request_adjustment
from dingperf.perf.library import load_template
from dingperf.perf.okr import KeyResult
from dingperf.services.cycles import create_cycle
from dingperf.services.goal_documents import goal_history
from dingperf.services.goals import (
    align_goal,
    approve_goal_adjustment,
    check_in_goal,
    close_goal,
    confirm_goal,
    create_goal,
    get_stored_goal,
    goal_achievement,
    goal_from_json,
    goal_to_json,
    goal_tree,
    push_back_goal,
    request_goal_adjustment,
    send_goal,
)
from dingperf.services.templates import publish_template
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit

CORP, CYCLE = "dingcorp-goals", "2026-11"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def cycle(store: Store) -> Store:
    """A November 2026 monthly cycle (30 days)."""
    publish_template(store, CORP, load_template("sales-rep"), actor="hr", now=NOW)
    create_cycle(store, CORP, cycle_id=CYCLE, name="2026年11月", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW)
    return store


def _goal(store: Store, goal_id: str = "g1", owner: str = "u-rep", **kw: object) -> None:
    create_goal(store, CORP, CYCLE, goal_id=goal_id, owner=owner, title=f"revenue {goal_id}", target=Decimal(100),
                weight=Decimal(40), actor=str(kw.pop("actor", "mgr")), now=NOW, **kw)  # type: ignore[arg-type]


def _trail(store: Store, goal_id: str = "g1") -> list[str]:
    with store.session() as s:
        return [e.action for e in list_audit(session=s, corp_id=CORP, subject=f"goal:{goal_id}")]


def _confirmed(store: Store, goal_id: str = "g1", owner: str = "u-rep", sender: str = "mgr", **kw: object) -> None:
    _goal(store, goal_id, owner, **kw)
    send_goal(store, CORP, goal_id, actor=sender, now=NOW)
    confirm_goal(store, CORP, goal_id, actor=owner, now=NOW)


def test_the_document_json_round_trips_a_goal_with_a_pending_adjustment(cycle: Store) -> None:
    _confirmed(cycle)
    goal = get_stored_goal(cycle, CORP, "g1").goal
    pending, _ = request_adjustment(goal, "u-rep", NOW, Decimal("80.5"), date(2026, 11, 20), "market shrank")
    rich = replace(pending, perspective=BscPerspective.CUSTOMER, level=GoalLevel.TEAM, parent_id="g0",
                   key_results=(KeyResult("kr1", "NPS", Decimal(30), Decimal(50), Decimal(60), Decimal(2), "pt"),))
    data = json.loads(json.dumps(goal_to_json(rich)))
    assert goal_from_json(data) == rich


def test_the_happy_path_writes_one_revision_and_one_audit_entry_per_step(cycle: Store) -> None:
    _confirmed(cycle)
    request_goal_adjustment(cycle, CORP, "g1", actor="u-rep", new_target=Decimal(80), effective_from=date(2026, 11, 16),
                            reason="largest client left", now=NOW)
    approve_goal_adjustment(cycle, CORP, "g1", actor="mgr", now=NOW)
    closed = close_goal(cycle, CORP, "g1", actor="mgr", now=NOW + timedelta(days=30))
    assert [d.status for d in goal_history(cycle, CORP, "g1")] == [
        "draft", "pending_confirmation", "confirmed", "adjustment_pending", "confirmed", "closed"]
    assert [d.revision for d in goal_history(cycle, CORP, "g1")] == [1, 2, 3, 4, 5, 6]
    assert _trail(cycle) == ["goal.create", "goal.send_for_confirmation", "goal.confirm", "goal.request_adjustment",
                             "goal.approve_adjustment", "goal.close"]
    assert closed.revision == 6 and closed.goal.status is GoalStatus.CLOSED
    assert [(v.version, v.target) for v in closed.goal.versions] == [(1, Decimal(100)), (2, Decimal(80))]


def test_a_push_back_without_a_reason_is_refused_and_nothing_is_written(cycle: Store) -> None:
    _goal(cycle)
    send_goal(cycle, CORP, "g1", actor="mgr", now=NOW)
    with pytest.raises(ValidationError, match="'push_back' requires a reason"):
        push_back_goal(cycle, CORP, "g1", actor="u-rep", reason="  ", now=NOW)
    assert len(goal_history(cycle, CORP, "g1")) == 2 and len(_trail(cycle)) == 2


def test_a_push_back_with_a_reason_is_stored_for_the_sender(cycle: Store) -> None:
    _goal(cycle)
    send_goal(cycle, CORP, "g1", actor="mgr", now=NOW)
    pushed = push_back_goal(cycle, CORP, "g1", actor="u-rep", reason="100 is twice last year", now=NOW)
    stored = get_stored_goal(cycle, CORP, "g1").goal
    assert (stored.status, stored.push_back_reason, pushed.revision) == (GoalStatus.PUSHED_BACK,
                                                                         "100 is twice last year", 3)


def test_the_owner_cannot_confirm_a_goal_they_sent_themselves(cycle: Store) -> None:
    _goal(cycle, actor="u-rep")
    send_goal(cycle, CORP, "g1", actor="u-rep", now=NOW)
    with pytest.raises(ValidationError, match="u-rep sent goal g1 and cannot also confirm it"):
        confirm_goal(cycle, CORP, "g1", actor="u-rep", now=NOW)
    assert len(goal_history(cycle, CORP, "g1")) == 2 and len(_trail(cycle)) == 2


def test_confirming_a_draft_is_a_transition_error(cycle: Store) -> None:
    _goal(cycle)
    with pytest.raises(TransitionError, match="is 'draft': cannot 'confirm'"):
        confirm_goal(cycle, CORP, "g1", actor="u-rep", now=NOW)


def test_aligning_a_goal_under_its_own_descendant_is_refused(cycle: Store) -> None:
    _goal(cycle, "company", owner="ceo", level=GoalLevel.COMPANY)
    _goal(cycle, "team", owner="mgr", parent_id="company")
    _goal(cycle, "rep", owner="u-rep", parent_id="team")
    with pytest.raises(ValidationError, match="aligning would make a cycle"):
        align_goal(cycle, CORP, "company", "rep", actor="ceo", now=NOW)
    assert len(goal_history(cycle, CORP, "company")) == 1 and get_stored_goal(cycle, CORP, "company").goal.parent_id is None


def test_creating_a_goal_aligned_to_the_owners_own_goal_is_refused(cycle: Store) -> None:
    _goal(cycle, "team", owner="mgr")
    with pytest.raises(ValidationError, match="align to a goal owned by someone else"):
        _goal(cycle, "mine", owner="mgr", parent_id="team")
    assert goal_history(cycle, CORP, "mine") == []


def test_achievement_after_a_late_adjustment_is_time_weighted_over_the_stored_versions(cycle: Store) -> None:
    _confirmed(cycle)
    # Target 100 held 25 of 30 days; lowered to 50 from the 26th. Actual 60: 0.6×25/30 + 1.2×5/30 = 0.7, not 1.2.
    request_goal_adjustment(cycle, CORP, "g1", actor="u-rep", new_target=Decimal(50), effective_from=date(2026, 11, 26),
                            reason="late re-plan", now=NOW)
    approve_goal_adjustment(cycle, CORP, "g1", actor="mgr", now=NOW)
    result = goal_achievement(cycle, CORP, "g1", Decimal(60))
    assert result.achievement == Decimal("0.7")
    assert [(s.version, s.days) for s in result.segments] == [(1, 25), (2, 5)]


def test_a_check_in_is_a_new_revision_with_its_value_confidence_and_comment(cycle: Store) -> None:
    _confirmed(cycle)
    stored = check_in_goal(cycle, CORP, "g1", author="u-rep", value=Decimal(30), confidence=7, comment="on track",
                           now=NOW + timedelta(days=9))
    again = get_stored_goal(cycle, CORP, "g1")
    assert again == stored and again.revision == 4
    assert [(c.value, c.confidence, c.comment) for c in again.check_ins] == [(Decimal(30), 7, "on track")]
    assert _trail(cycle)[-1] == "goal.check_in"


def test_a_check_in_on_a_draft_is_refused_and_nothing_is_written(cycle: Store) -> None:
    _goal(cycle)
    with pytest.raises(ValidationError, match="check-ins are accepted once it is confirmed"):
        check_in_goal(cycle, CORP, "g1", author="u-rep", value=Decimal(30), now=NOW)
    assert len(goal_history(cycle, CORP, "g1")) == 1


def test_the_goal_tree_rolls_up_checked_in_progress_by_alignment_weight(cycle: Store) -> None:
    _confirmed(cycle, "team", owner="mgr", sender="ceo")
    _confirmed(cycle, "a", owner="u-a", parent_id="team", alignment_weight=Decimal(3))
    _confirmed(cycle, "b", owner="u-b", parent_id="team")
    check_in_goal(cycle, CORP, "a", author="u-a", value=Decimal(80), now=NOW)
    check_in_goal(cycle, CORP, "b", author="u-b", value=Decimal(40), now=NOW)
    tree = goal_tree(cycle, CORP, "team")
    assert [(c.goal_id, c.progress) for c in tree.children] == [("a", Decimal("0.8")), ("b", Decimal("0.4"))]
    assert tree.progress == Decimal("0.7")  # (3×0.8 + 1×0.4) / 4
