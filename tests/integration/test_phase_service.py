"""Stored cycles move through their phases by the pure rules: in order, audited, locked, gated on calibration."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dingperf.perf.cycles import PHASE_ORDER, Phase
from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.services.collect import collect_inputs
from dingperf.services.cycles import add_participants, create_cycle, get_cycle
from dingperf.services.phases import advance_cycle, override_phase
from dingperf.services.scoring_service import score_cycle
from dingperf.store.engine import Store
from dingperf.store.repositories.audit import list_audit
from tests.integration.collect_kit import CORP, CYCLE, LATE, NOW, REVENUE


def _to(store: Store, phase: Phase) -> None:
    while get_cycle(store, CORP, CYCLE).phase != phase.value:
        advance_cycle(store, CORP, CYCLE, actor="hr", now=NOW)


def test_advancing_walks_every_phase_in_order_with_an_audit_entry_each(collect_cycle: Store) -> None:
    collect_inputs(collect_cycle, CORP, CYCLE, [LATE, REVENUE])
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)
    seen = [advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW).phase for _ in PHASE_ORDER[1:]]
    assert seen == [p.value for p in PHASE_ORDER[1:]]
    with collect_cycle.session() as s:
        moves = list_audit(session=s, corp_id=CORP, subject=f"cycle:{CYCLE}", action="cycle.advance")
        assert [(m.before, m.after) for m in moves][:2] == [
            ({"phase": "goal_setting"}, {"phase": "confirmation"}), ({"phase": "confirmation"}, {"phase": "in_progress"})]
        assert len(moves) == len(PHASE_ORDER) - 1 and all(m.actor == "hr" for m in moves)


def test_closing_a_phase_before_its_deadline_without_a_reason_is_refused(collect_cycle: Store) -> None:
    create_cycle(collect_cycle, CORP, cycle_id="dl", name="deadlines", kind="monthly", period_start=date(2026, 11, 1),
                 period_end=date(2026, 11, 30), template_id="sales-rep", actor="hr", now=NOW,
                 deadlines={Phase.GOAL_SETTING: NOW + timedelta(days=3)})
    with pytest.raises(ValidationError, match="requires a reason"):
        advance_cycle(collect_cycle, CORP, "dl", actor="hr", now=NOW)
    assert get_cycle(collect_cycle, CORP, "dl").phase == "goal_setting"
    moved = advance_cycle(collect_cycle, CORP, "dl", actor="hr", reason="all goals agreed early", now=NOW)
    assert moved.phase == "confirmation"
    with collect_cycle.session() as s:
        assert list_audit(session=s, corp_id=CORP, subject="cycle:dl", action="cycle.advance")[0].reason == \
            "all goals agreed early"


def test_entering_the_lock_phase_sets_locked_at_and_refuses_new_participants(collect_cycle: Store) -> None:
    assert advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW).locked_at is None
    locked = advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW)
    assert (locked.phase, locked.locked_at) == ("in_progress", NOW)
    with pytest.raises(ValidationError, match="locked its participants"):
        add_participants(collect_cycle, CORP, CYCLE, ["u-new"], now=NOW)


def test_results_are_refused_while_a_score_is_blocked(collect_cycle: Store) -> None:
    score_cycle(collect_cycle, CORP, CYCLE, now=NOW)  # no revenue collected: the scores are blocked
    _to(collect_cycle, Phase.CALIBRATION)
    with pytest.raises(TransitionError, match="calibration is finalised"):
        advance_cycle(collect_cycle, CORP, CYCLE, actor="hr", now=NOW)
    assert get_cycle(collect_cycle, CORP, CYCLE).phase == "calibration"


def test_an_override_skips_ahead_with_a_reason_but_never_past_calibration(collect_cycle: Store) -> None:
    with pytest.raises(ValidationError, match="requires a reason"):
        override_phase(collect_cycle, CORP, CYCLE, Phase.SELF_REVIEW, actor="admin", reason=" ", now=NOW)
    moved = override_phase(collect_cycle, CORP, CYCLE, "self_review", actor="admin", reason="goals imported", now=NOW)
    assert (moved.phase, moved.locked_at) == ("self_review", NOW)
    with pytest.raises(TransitionError, match="calibration is finalised"):
        override_phase(collect_cycle, CORP, CYCLE, Phase.RESULTS, actor="admin", reason="hurry", now=NOW)
