"""When someone leaves or changes manager mid-cycle, what they held is handed over: unrated nominations withdrawn,
appeals back to be assigned, plans and participants to the synced manager; audited, told, and idempotent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from dingperf.perf.cycles import Phase
from dingperf.perf.errors import ValidationError
from dingperf.perf.improvement import PlanTask
from dingperf.perf.reviews import NominationStatus, RaterType
from dingperf.services.appeals import list_appeals
from dingperf.services.cycles import Participant, add_participants
from dingperf.services.departures import handle_departure, handle_manager_change
from dingperf.services.improvement_plans import create_plan, get_plan
from dingperf.services.nominations import (
    approve_nomination,
    nominate_rater,
    nomination_id,
    nominations_for_reviewee,
    reviews_to_write,
    set_review_rules,
)
from dingperf.services.phases import override_phase
from dingperf.services.score_inputs import RatingEntry, record_ratings
from dingperf.store.engine import Store
from dingperf.store.repositories import deactivate_employee, list_outbox_messages, upsert_employees
from dingperf.store.repositories.audit import list_audit
from dingperf.store.tables import EmployeeBase
from dingperf.store.tables.perf_participants import PerfParticipant
from tests.integration import nomination_kit as kit
from tests.integration.appeal_kit import in_review, prepare_appeal_cycle

CORP, CYCLE, NOW, HR = kit.CORP, kit.CYCLE, kit.NOW, kit.HR
PEER = RaterType.PEER
LATER = NOW + timedelta(days=1)


@pytest.fixture
def org(store: Store) -> Store:
    """The nomination kit's org; boss is an active employee; ann and bob are reviewed by mia in both cycles."""
    kit.org_and_cycles(store)
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[EmployeeBase(userid="boss", name="boss")])
    for cycle_id in (CYCLE, kit.PLAIN):
        add_participants(store, CORP, cycle_id, [Participant("ann", "mia"), Participant("bob", "mia")], now=NOW)
    return store


def leave(store: Store, userid: str) -> None:
    with store.session() as s:
        deactivate_employee(session=s, corp_id=CORP, userid=userid, departed_at=NOW)


def synced_manager(store: Store, userid: str, manager: str) -> None:
    with store.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid=userid, name=userid, dept_ids=[10], manager_userid=manager)])


def depart(store: Store, userid: str, now=LATER):  # type: ignore[no-untyped-def]
    return handle_departure(store, CORP, userid, now=now, hr_userids=HR)


def outbox(store: Store, corp: str = CORP) -> dict[str, list[str]]:
    with store.session() as s:
        return {m.idempotency_key: m.payload["userids"]
                for m in list_outbox_messages(session=s, corp_id=corp, limit=1000)
                if m.idempotency_key.startswith("departure:")}


def managers(store: Store, cycle_id: str = CYCLE) -> dict[str, str | None]:
    with store.session() as s:
        return {p.userid: p.manager_userid for p in s.exec(select(PerfParticipant).where(
            PerfParticipant.corp_id == CORP, PerfParticipant.cycle_id == cycle_id))}


def approved_peer(store: Store, reviewee: str, rater: str) -> None:
    nominate_rater(store, CORP, CYCLE, reviewee, rater, PEER, actor=reviewee, now=NOW)
    approve_nomination(store, CORP, CYCLE, reviewee, rater, actor="mia", now=NOW)


def status_of(store: Store, reviewee: str, rater: str) -> NominationStatus:
    return next(n.nomination.status for n in nominations_for_reviewee(store, CORP, CYCLE, reviewee)
                if n.nomination.rater == rater)


def test_a_departed_raters_unrated_nominations_are_withdrawn_with_the_reason(org: Store) -> None:
    approved_peer(org, "ann", "cat")
    leave(org, "cat")
    report = depart(org, "cat")
    assert report.withdrawn == ((CYCLE, "ann"),)
    assert status_of(org, "ann", "cat") is NominationStatus.WITHDRAWN
    assert reviews_to_write(org, CORP, CYCLE, "cat") == []
    with org.session() as s:
        entry = list_audit(session=s, corp_id=CORP, subject=f"nomination:{nomination_id(CYCLE, 'ann', 'cat')}")[-1]
    assert (entry.action, entry.actor, entry.reason) == ("nomination.withdraw", "system:departures",
                                                        "cat left on 2026-10-05")


def test_a_nomination_already_rated_stays(org: Store) -> None:
    approved_peer(org, "ann", "cat")
    record_ratings(org, CORP, CYCLE, [RatingEntry("ann", "cat", "peer", "values", kit.VALUES)], now=NOW)
    leave(org, "cat")
    assert depart(org, "cat").withdrawn == ()
    assert status_of(org, "ann", "cat") is NominationStatus.APPROVED


def test_the_reviewees_manager_is_told_when_raters_fall_below_the_minimum(org: Store) -> None:
    set_review_rules(org, CORP, CYCLE, minimum={"peer": 1, "subordinate": 0, "cross_department": 0}, actor="hr1",
                     hr_userids=HR, now=NOW)
    approved_peer(org, "ann", "cat")
    approved_peer(org, "bob", "cat")
    approved_peer(org, "bob", "dan")
    leave(org, "cat")
    report = depart(org, "cat")
    assert report.short_of_raters == ((CYCLE, "ann"),)  # bob still has dan
    assert list(outbox(org).values()) == [["mia"]]


def test_participants_pass_to_their_synced_manager_who_is_told(org: Store) -> None:
    synced_manager(org, "ann", "boss")
    leave(org, "mia")
    report = depart(org, "mia")
    assert managers(org) == {"ann": "boss", "bob": "mia", "pm": "lead", "nobody": None}
    assert (CYCLE, "ann", "boss") in report.reassigned and (CYCLE, "bob") in report.without_manager
    told = outbox(org)
    assert ["boss"] in told.values() and list(HR) in told.values()  # bob's review: HR must name someone
    with org.session() as s:
        entry = list_audit(session=s, corp_id=CORP, subject=f"participant:{CYCLE}:ann")[-1]
    assert (entry.action, entry.before, entry.after, entry.reason) == (
        "participant.manager_change", {"manager": "mia"}, {"manager": "boss"}, "mia left on 2026-10-05")


def test_a_manager_review_already_written_stays_with_the_departed(org: Store) -> None:
    synced_manager(org, "ann", "boss")
    override_phase(org, CORP, CYCLE, Phase.MANAGER_REVIEW, actor="hr1", reason="test", now=NOW)
    record_ratings(org, CORP, CYCLE, [RatingEntry("ann", "mia", "manager", "values", kit.VALUES)], now=NOW)
    leave(org, "mia")
    depart(org, "mia")
    assert managers(org)["ann"] == "mia"
    assert managers(org, kit.PLAIN)["ann"] == "boss"


def _plan(store: Store, manager: str = "mia") -> None:
    create_plan(store, CORP, employee="ann", manager=manager, objective="按时交付", starts_on=date(2026, 10, 1),
                ends_on=date(2026, 12, 31), actor=manager, plan_id="pip-1", now=NOW,
                tasks=[PlanTask("t1", "每周复盘", "mia", date(2026, 11, 1)),
                       PlanTask("t2", "自学", "ann", date(2026, 11, 1))])


def test_a_plan_passes_to_the_employees_synced_manager_with_the_departeds_tasks(org: Store) -> None:
    _plan(org)
    synced_manager(org, "ann", "boss")
    leave(org, "mia")
    assert depart(org, "mia").plans == ("pip-1",)
    plan = get_plan(org, CORP, "pip-1").plan
    assert (plan.manager, [t.owner for t in plan.tasks]) == ("boss", ["boss", "ann"])
    assert ["boss"] in outbox(org).values()


def test_a_plan_without_a_successor_is_left_for_hr_then_handed_over_on_the_manager_change(org: Store) -> None:
    _plan(org)
    leave(org, "mia")
    report = depart(org, "mia")
    assert (report.plans, report.plans_for_hr) == ((), ("pip-1",))
    assert get_plan(org, CORP, "pip-1").plan.manager == "mia"
    synced_manager(org, "ann", "boss")
    change = handle_manager_change(org, CORP, "ann", "mia", "boss", now=LATER, hr_userids=HR)
    assert change.plans == ("pip-1",)
    assert get_plan(org, CORP, "pip-1").plan.manager == "boss"


def test_running_a_departure_twice_changes_nothing_more(org: Store) -> None:
    set_review_rules(org, CORP, CYCLE, minimum={"peer": 1, "subordinate": 0, "cross_department": 0}, actor="hr1",
                     hr_userids=HR, now=NOW)
    nominate_rater(org, CORP, CYCLE, "pm", "mia", PEER, actor="pm", now=NOW)
    approve_nomination(org, CORP, CYCLE, "pm", "mia", actor="lead", now=NOW)
    _plan(org)
    synced_manager(org, "ann", "boss")
    leave(org, "mia")
    first = depart(org, "mia")
    with org.session() as s:
        audited = len(list_audit(session=s, corp_id=CORP, limit=10_000))
    queued = outbox(org)
    second = depart(org, "mia", now=LATER + timedelta(hours=1))
    assert first.withdrawn and first.plans and first.reassigned and first.notices > 0
    assert second.notices == 0
    assert (second.withdrawn, second.plans, second.reassigned) == ((), (), ())
    with org.session() as s:
        assert len(list_audit(session=s, corp_id=CORP, limit=10_000)) == audited
    assert outbox(org) == queued


def test_someone_still_active_is_refused_and_nothing_changes(org: Store) -> None:
    approved_peer(org, "ann", "cat")
    with pytest.raises(ValidationError, match="still active"):
        depart(org, "cat")
    assert status_of(org, "ann", "cat") is NominationStatus.APPROVED


def test_a_manager_change_before_manager_review_moves_the_participant_and_tells_both(org: Store) -> None:
    synced_manager(org, "ann", "boss")
    report = handle_manager_change(org, CORP, "ann", "mia", "boss", now=LATER, hr_userids=HR)
    assert set(report.cycles) == {CYCLE, kit.PLAIN}
    assert managers(org)["ann"] == "boss"
    assert sorted(u for people in outbox(org).values() for u in people) == ["boss", "boss", "mia", "mia"]
    again = handle_manager_change(org, CORP, "ann", "mia", "boss", now=LATER, hr_userids=HR)
    assert (again.cycles, again.notices) == ((), 0)


def test_a_manager_change_during_manager_review_leaves_that_cycle_alone(org: Store) -> None:
    override_phase(org, CORP, CYCLE, Phase.MANAGER_REVIEW, actor="hr1", reason="test", now=NOW)
    synced_manager(org, "ann", "boss")
    report = handle_manager_change(org, CORP, "ann", "mia", "boss", now=LATER, hr_userids=HR)
    assert report.cycles == (kit.PLAIN,)
    assert (managers(org)["ann"], managers(org, kit.PLAIN)["ann"]) == ("mia", "boss")


def test_a_manager_set_by_hand_on_the_participant_is_not_overwritten(org: Store) -> None:
    handle_manager_change(org, CORP, "pm", "mia", "boss", now=LATER, hr_userids=HR)
    assert managers(org)["pm"] == "lead"


def test_appeals_handled_by_the_departed_go_back_to_be_assigned_and_hr_is_told(collect_cycle: Store) -> None:
    from tests.integration.collect_kit import CORP as APPEAL_CORP
    from tests.integration.collect_kit import CYCLE as APPEAL_CYCLE
    from tests.integration.collect_kit import NOW as APPEAL_NOW

    store = prepare_appeal_cycle(collect_cycle)
    appeal_id = in_review(store)
    with store.session() as s:
        deactivate_employee(session=s, corp_id=APPEAL_CORP, userid="hrbp", departed_at=APPEAL_NOW)
    report = handle_departure(store, APPEAL_CORP, "hrbp", now=APPEAL_NOW, hr_userids=("hr-1",))
    assert report.appeals == (appeal_id,)
    appeal = list_appeals(store, APPEAL_CORP, APPEAL_CYCLE)[0]
    assert (appeal.status.value, appeal.handler, appeal.deadline) == ("filed", "", None)
    assert list(outbox(store, APPEAL_CORP).values()) == [["hr-1"]]
    with store.session() as s:
        entry = list_audit(session=s, corp_id=APPEAL_CORP, subject=f"appeal:{appeal_id}")[-1]
    assert (entry.action, entry.reason) == ("appeal.unassign", f"hrbp left on {APPEAL_NOW.date().isoformat()}")


def test_a_rater_whose_userid_holds_like_wildcards_is_found(org: Store) -> None:
    with org.session() as s:
        upsert_employees(session=s, corp_id=CORP, now=NOW, employees=[
            EmployeeBase(userid="d_%e", name="d", dept_ids=[10], manager_userid="mia")])
    approved_peer(org, "ann", "d_%e")
    leave(org, "d_%e")
    assert depart(org, "d_%e").withdrawn == ((CYCLE, "ann"),)
