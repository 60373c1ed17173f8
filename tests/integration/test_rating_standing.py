"""record_ratings only takes ratings from raters with standing — self from the reviewee, manager from the
manager (or HR's audited override), 360 from approved nominees — and a single refusal records nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from dingperf.perf.errors import ValidationError
from dingperf.perf.reviews import RaterType
from dingperf.services.nominations import (
    approve_nomination,
    nominate_rater,
    set_review_rules,
    withdraw_nomination,
)
from dingperf.services.score_inputs import RatingEntry, record_ratings
from dingperf.store.engine import Store
from dingperf.store.perf_repositories import RATINGS
from dingperf.store.repositories.audit import list_audit
from tests.integration.nomination_kit import CORP, CYCLE, HR, NOW, PLAIN, VALUES, org_and_cycles


@pytest.fixture
def org(store: Store) -> Store:
    """The org and cycles, with bob approved as ann's peer and cat only nominated."""
    org_and_cycles(store)
    for rater in ("bob", "cat"):
        nominate_rater(store, CORP, CYCLE, "ann", rater, RaterType.PEER, actor="ann", now=NOW)
    approve_nomination(store, CORP, CYCLE, "ann", "bob", actor="mia", now=NOW)
    return store


def rating(reviewee: str, rater: str, group: str) -> RatingEntry:
    return RatingEntry(reviewee, rater, group, "values", VALUES)


def stored(store: Store) -> int:
    with store.session() as s:
        return s.connection().execute(select(func.count()).select_from(RATINGS)).scalar_one()


def test_ratings_from_the_reviewee_their_manager_and_an_approved_peer_are_recorded(org: Store) -> None:
    batch = [rating("ann", "ann", "self"), rating("ann", "mia", "manager"), rating("ann", "bob", "peer")]
    assert record_ratings(org, CORP, CYCLE, batch, now=NOW) == 3
    assert stored(org) == 3


def test_a_peer_without_an_approved_nomination_refuses_the_whole_batch(org: Store) -> None:
    batch = [rating("ann", "mia", "manager"), rating("ann", "bob", "peer"), rating("ann", "cat", "peer")]
    with pytest.raises(ValidationError, match="cat has no approved peer nomination for ann.*nothing was recorded"):
        record_ratings(org, CORP, CYCLE, batch, now=NOW, batch_size=1)
    assert stored(org) == 0


def test_an_approved_rater_cannot_rate_in_another_group(org: Store) -> None:
    with pytest.raises(ValidationError, match="bob has no approved cross_department nomination for ann"):
        record_ratings(org, CORP, CYCLE, [rating("ann", "bob", "cross_department")], now=NOW)


def test_a_withdrawn_nominee_can_no_longer_rate(org: Store) -> None:
    withdraw_nomination(org, CORP, CYCLE, "ann", "bob", reason="left the project", actor="mia", now=NOW)
    with pytest.raises(ValidationError, match="bob has no approved peer nomination"):
        record_ratings(org, CORP, CYCLE, [rating("ann", "bob", "peer")], now=NOW)


def test_a_self_review_is_written_only_by_the_reviewee(org: Store) -> None:
    with pytest.raises(ValidationError, match="bob cannot write ann's self review"):
        record_ratings(org, CORP, CYCLE, [rating("ann", "bob", "self")], now=NOW)


def test_a_manager_rating_from_someone_else_is_refused(org: Store) -> None:
    with pytest.raises(ValidationError, match=r"cat is not ann's manager \(mia\)"):
        record_ratings(org, CORP, CYCLE, [rating("ann", "cat", "manager")], now=NOW)


def test_the_manager_set_on_the_participant_is_the_one_who_rates(org: Store) -> None:
    with pytest.raises(ValidationError, match=r"mia is not pm's manager \(lead\)"):
        record_ratings(org, CORP, CYCLE, [rating("pm", "mia", "manager")], now=NOW)
    assert record_ratings(org, CORP, CYCLE, [rating("pm", "lead", "manager")], now=NOW) == 1


def test_hr_can_override_the_manager_check_and_the_override_is_audited(org: Store) -> None:
    assert record_ratings(org, CORP, CYCLE, [rating("ann", "cat", "manager")], hr_override=True, actor="hr1",
                          now=NOW) == 1
    with org.session() as s:
        entries = list_audit(session=s, corp_id=CORP, subject=f"cycle:{CYCLE}")
    override = [e for e in entries if e.action == "ratings.hr_override"]
    assert len(override) == 1 and override[0].actor == "hr1"
    assert override[0].after == {"rows": 1, "ratings": ["ann<-cat"]}


def test_an_hr_override_must_name_who_made_it(org: Store) -> None:
    with pytest.raises(ValidationError, match="must name the HR user"):
        record_ratings(org, CORP, CYCLE, [rating("ann", "cat", "manager")], hr_override=True, now=NOW)


def test_a_360_cycle_refuses_a_manager_rating_when_no_manager_is_recorded(org: Store) -> None:
    with pytest.raises(ValidationError, match="no manager is recorded for nobody"):
        record_ratings(org, CORP, CYCLE, [rating("nobody", "mia", "manager")], now=NOW)


def test_a_manager_only_cycle_still_takes_a_manager_rating_when_no_manager_is_recorded(org: Store) -> None:
    assert record_ratings(org, CORP, PLAIN, [rating("nobody", "mia", "manager")], now=NOW) == 1


def test_a_manager_only_cycle_still_refuses_someone_who_is_not_the_known_manager(org: Store) -> None:
    with pytest.raises(ValidationError, match=r"bob is not ann's manager \(mia\)"):
        record_ratings(org, CORP, PLAIN, [rating("ann", "bob", "manager")], now=NOW)


def test_hr_can_switch_off_the_nomination_requirement_for_a_cycle(org: Store) -> None:
    set_review_rules(org, CORP, CYCLE, required=False, actor="hr1", hr_userids=HR, now=NOW)
    assert record_ratings(org, CORP, CYCLE, [rating("ann", "cat", "peer")], now=NOW) == 1


def test_a_trusted_import_skips_the_checks_and_is_audited(org: Store) -> None:
    batch = [rating("ann", "x-self", "self"), rating("ann", "x-peer", "peer")]
    assert record_ratings(org, CORP, CYCLE, batch, trusted_import=True, actor="migration", now=NOW) == 2
    with org.session() as s:
        entries = [e for e in list_audit(session=s, corp_id=CORP, subject=f"cycle:{CYCLE}")
                   if e.action == "ratings.import_trusted"]
    assert [(e.actor, e.after) for e in entries] == [("migration", {"rows": 2})]


def test_ratings_of_someone_outside_the_cycle_are_refused(org: Store) -> None:
    with pytest.raises(ValidationError, match="cat is not a participant of cycle 2026-Q4"):
        record_ratings(org, CORP, CYCLE, [rating("cat", "mia", "manager")], now=NOW)
