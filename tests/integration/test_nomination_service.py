"""Rater nominations in the store: nominated by the reviewee (or manager, or HR), approved or rejected by the
reviewee's manager or HR, withdrawn, listed both ways, checked against the cycle's limits; refusals write nothing."""

from __future__ import annotations

import pytest

from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.reviews import NominationStatus, RaterType
from dingperf.services.documents import document_history
from dingperf.services.nominations import (
    approve_nomination,
    limits_for,
    nominate_rater,
    nomination_id,
    nomination_shortfalls,
    nominations_for_reviewee,
    reject_nomination,
    reviews_to_write,
    set_review_rules,
    withdraw_nomination,
)
from dingperf.services.phases import override_phase
from dingperf.services.score_inputs import RatingEntry, record_ratings
from dingperf.store.engine import NotFound, Store
from dingperf.store.repositories.audit import list_audit
from tests.integration.nomination_kit import CORP, CYCLE, HR, NOW, PLAIN, VALUES, org_and_cycles

PEER = RaterType.PEER


@pytest.fixture
def org(store: Store) -> Store:
    org_and_cycles(store)
    return store


def _revisions(store: Store, reviewee: str, rater: str) -> int:
    return len(document_history(store, CORP, "nomination", nomination_id(CYCLE, reviewee, rater)))


def test_a_peer_nominated_by_the_reviewee_waits_for_the_managers_approval(org: Store) -> None:
    pending = nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    assert (pending.nomination.status, pending.revision) == (NominationStatus.NOMINATED, 1)
    approved = approve_nomination(org, CORP, CYCLE, "ann", "bob", actor="mia", now=NOW)
    assert (approved.nomination.status, approved.revision) == (NominationStatus.APPROVED, 2)
    assert [h["action"] for h in approved.history] == ["nominate", "approve"]
    with org.session() as s:
        trail = [e.action for e in list_audit(session=s, corp_id=CORP,
                                              subject=f"nomination:{nomination_id(CYCLE, 'ann', 'bob')}")]
    assert trail == ["nomination.nominate", "nomination.approve"]


def test_hr_may_approve_instead_of_the_manager(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    done = approve_nomination(org, CORP, CYCLE, "ann", "bob", actor="hr1", hr_userids=HR, now=NOW)
    assert done.nomination.status is NominationStatus.APPROVED


def test_a_colleague_cannot_approve_and_nothing_is_written(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    with pytest.raises(ValidationError, match="only ann's manager"):
        approve_nomination(org, CORP, CYCLE, "ann", "bob", actor="cat", now=NOW)
    assert _revisions(org, "ann", "bob") == 1


def test_the_manager_set_on_the_participant_approves_not_the_synced_one(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "pm", "bob", PEER, actor="pm", now=NOW)
    with pytest.raises(ValidationError, match=r"only pm's manager \(lead\)"):
        approve_nomination(org, CORP, CYCLE, "pm", "bob", actor="mia", now=NOW)
    assert approve_nomination(org, CORP, CYCLE, "pm", "bob", actor="lead", now=NOW).revision == 2


def test_a_reviewee_without_a_manager_has_raters_approved_by_hr(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "nobody", "bob", PEER, actor="hr1", hr_userids=HR, now=NOW)
    with pytest.raises(ValidationError, match="no manager is recorded for nobody; HR approves"):
        approve_nomination(org, CORP, CYCLE, "nobody", "bob", actor="mia", now=NOW)


def test_only_the_reviewee_their_manager_or_hr_nominate(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="mia", now=NOW)
    with pytest.raises(ValidationError, match=r"cat cannot nominate raters for ann; ann, their manager \(mia\)"):
        nominate_rater(org, CORP, CYCLE, "ann", "dan", PEER, actor="cat", now=NOW)


def test_only_participants_of_the_cycle_get_raters(org: Store) -> None:
    with pytest.raises(ValidationError, match="cat is not a participant of cycle 2026-Q4"):
        nominate_rater(org, CORP, CYCLE, "cat", "bob", PEER, actor="cat", now=NOW)


@pytest.mark.parametrize("rater", ["gone", "stranger"])
def test_a_rater_must_be_an_active_synced_employee(org: Store, rater: str) -> None:
    with pytest.raises(ValidationError, match=f"{rater} is not an active employee"):
        nominate_rater(org, CORP, CYCLE, "ann", rater, PEER, actor="ann", now=NOW)


def test_the_reviewees_manager_cannot_be_nominated_as_a_peer(org: Store) -> None:
    with pytest.raises(ValidationError, match="mia is ann's manager and rates as manager"):
        nominate_rater(org, CORP, CYCLE, "ann", "mia", PEER, actor="ann", now=NOW)


def test_a_cross_department_rater_must_come_from_another_department(org: Store) -> None:
    with pytest.raises(ValidationError, match="bob shares a department with ann"):
        nominate_rater(org, CORP, CYCLE, "ann", "bob", RaterType.CROSS_DEPARTMENT, actor="ann", now=NOW)
    zed = nominate_rater(org, CORP, CYCLE, "ann", "zed", RaterType.CROSS_DEPARTMENT, actor="ann", now=NOW)
    assert zed.nomination.rater_type is RaterType.CROSS_DEPARTMENT


def test_a_subordinate_rater_must_report_to_the_reviewee(org: Store) -> None:
    with pytest.raises(ValidationError, match="bob does not report to ann"):
        nominate_rater(org, CORP, CYCLE, "ann", "bob", RaterType.SUBORDINATE, actor="ann", now=NOW)
    assert nominate_rater(org, CORP, CYCLE, "ann", "sub1", "subordinate", actor="ann", now=NOW).revision == 1


def test_a_manager_only_cycle_takes_no_nominations(org: Store) -> None:
    with pytest.raises(ValidationError, match="uses no peer, subordinate or cross-department raters"):
        nominate_rater(org, CORP, PLAIN, "ann", "bob", PEER, actor="ann", now=NOW)


def test_an_active_nomination_cannot_be_made_twice(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    with pytest.raises(ValidationError, match="bob is already nominated as a peer rater for ann"):
        nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="mia", now=NOW)


def test_a_withdrawn_rater_can_be_nominated_again_keeping_the_history(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    withdraw_nomination(org, CORP, CYCLE, "ann", "bob", reason="bob moves to another project", actor="ann", now=NOW)
    again = nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    assert again.revision == 3
    assert [h["action"] for h in again.history] == ["nominate", "withdraw", "nominate"]


def test_a_colleague_cannot_withdraw_someone_elses_nomination(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    with pytest.raises(ValidationError, match="cat cannot withdraw bob's nomination for ann"):
        withdraw_nomination(org, CORP, CYCLE, "ann", "bob", reason="x", actor="cat", now=NOW)


def test_a_rejection_needs_a_reason_and_keeps_it(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    with pytest.raises(ValidationError, match="'reject' requires a reason"):
        reject_nomination(org, CORP, CYCLE, "ann", "bob", reason=" ", actor="mia", now=NOW)
    done = reject_nomination(org, CORP, CYCLE, "ann", "bob", reason="works on another team", actor="mia", now=NOW)
    assert done.nomination.status is NominationStatus.REJECTED
    assert done.history[-1]["reason"] == "works on another team"


def test_deciding_an_unknown_nomination_is_not_found(org: Store) -> None:
    with pytest.raises(NotFound, match="no nomination '2026-Q4:ann:bob'"):
        approve_nomination(org, CORP, CYCLE, "ann", "bob", actor="mia", now=NOW)


def test_nominations_close_when_the_manager_and_360_review_ends(org: Store) -> None:
    override_phase(org, CORP, CYCLE, "calibration", actor="hr1", reason="test", now=NOW)
    with pytest.raises(TransitionError, match="cycle 2026-Q4 is in its calibration phase"):
        nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)


def test_nominating_beyond_the_cycles_maximum_is_refused(org: Store) -> None:
    set_review_rules(org, CORP, CYCLE, minimum={"peer": 1}, maximum={"peer": 1}, actor="hr1", hr_userids=HR, now=NOW)
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    with pytest.raises(ValidationError, match=r"ann already has 1 peer raters \(maximum 1\)"):
        nominate_rater(org, CORP, CYCLE, "ann", "cat", PEER, actor="ann", now=NOW)


def test_by_default_every_weighted_anonymous_group_needs_its_quorum(org: Store) -> None:
    found = nomination_shortfalls(org, CORP, CYCLE)["ann"]
    assert [p.split(" raters")[0] for p in found] == [f"ann has 0 approved {t}" for t in
                                                      ("peer", "subordinate", "cross_department")]


def test_only_hr_sets_the_review_rules(org: Store) -> None:
    with pytest.raises(ValidationError, match="mia is not HR"):
        set_review_rules(org, CORP, CYCLE, minimum={"peer": 1}, actor="mia", hr_userids=HR, now=NOW)
    assert limits_for(org, CORP, CYCLE).min_of(PEER) == 3


def test_both_sides_can_list_the_nominations(org: Store) -> None:
    for rater in ("bob", "cat"):
        nominate_rater(org, CORP, CYCLE, "ann", rater, PEER, actor="ann", now=NOW)
    nominate_rater(org, CORP, CYCLE, "pm", "bob", PEER, actor="pm", now=NOW)
    approve_nomination(org, CORP, CYCLE, "ann", "bob", actor="mia", now=NOW)
    assert [n.nomination.rater for n in nominations_for_reviewee(org, CORP, CYCLE, "ann")] == ["bob", "cat"]
    assert [n.nomination.reviewee for n in reviews_to_write(org, CORP, CYCLE, "bob")] == ["ann"]


def test_a_review_once_recorded_is_no_longer_to_write(org: Store) -> None:
    nominate_rater(org, CORP, CYCLE, "ann", "bob", PEER, actor="ann", now=NOW)
    approve_nomination(org, CORP, CYCLE, "ann", "bob", actor="mia", now=NOW)
    record_ratings(org, CORP, CYCLE, [RatingEntry("ann", "bob", "peer", "values", VALUES)], now=NOW)
    assert reviews_to_write(org, CORP, CYCLE, "bob") == []


def test_shortfalls_name_who_lacks_approved_peers(org: Store) -> None:
    set_review_rules(org, CORP, CYCLE, minimum={"subordinate": 0, "cross_department": 0}, actor="hr1",
                     hr_userids=HR, now=NOW)  # by default the anonymous groups' quorum of 3 would be needed too
    for rater in ("bob", "cat", "dan"):
        nominate_rater(org, CORP, CYCLE, "ann", rater, PEER, actor="ann", now=NOW)
    for rater in ("bob", "cat", "dan"):
        approve_nomination(org, CORP, CYCLE, "ann", rater, actor="mia", now=NOW)
    nominate_rater(org, CORP, CYCLE, "bob", "cat", PEER, actor="bob", now=NOW)
    found = nomination_shortfalls(org, CORP, CYCLE)
    assert "ann" not in found
    expected = "bob has 0 approved peer raters of 3 needed (1 awaiting approval); nominate and approve 3 more"
    assert found["bob"] == (expected,)
    assert set(found) == {"bob", "pm", "nobody"}
