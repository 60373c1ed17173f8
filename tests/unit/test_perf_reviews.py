from datetime import UTC, datetime
from decimal import Decimal

import pytest

from dingperf.perf.errors import TransitionError, ValidationError
from dingperf.perf.reviews import (
    MissingRaterPolicy,
    NominationStatus,
    RaterType,
    approve,
    check_nominations,
    nominate,
    reject,
    require_valid_nominations,
    review_policy,
    submit,
    visible_rater_groups,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)
POLICY = review_policy({RaterType.SELF: 10, RaterType.MANAGER: 70, RaterType.PEER: 20}, min_peers=2, max_peers=3)
MANAGERS = {"ann": "mia", "bob": "mia", "cat": "mia", "dan": "mia", "eve": "mia", "sub": "ann"}


def noms(*peers):
    base = [nominate("q1", "ann", "ann", RaterType.SELF, "ann", POLICY),
            nominate("q1", "ann", "mia", RaterType.MANAGER, "hr", POLICY)]
    return base + [nominate("q1", "ann", p, RaterType.PEER, "ann", POLICY) for p in peers]


def test_policy_weights_must_total_100_and_manager_is_mandatory():
    with pytest.raises(ValidationError, match="total 90"):
        review_policy({RaterType.MANAGER: 70, RaterType.PEER: 20})
    with pytest.raises(ValidationError, match="mandatory"):
        review_policy({RaterType.SELF: 50, RaterType.PEER: 50})


def test_policy_declaration_is_plain_values_for_the_result():
    p = review_policy({RaterType.MANAGER: 100}, missing_policy=MissingRaterPolicy.BLOCK)
    assert p.as_dict()["missing_policy"] == "block"
    assert p.fractions() == {RaterType.MANAGER: Decimal(1)}


def test_self_and_manager_are_approved_peers_wait_for_the_manager():
    ns = noms("bob")
    assert [n.status for n in ns] == [NominationStatus.APPROVED, NominationStatus.APPROVED, NominationStatus.NOMINATED]


def test_cannot_rate_yourself_as_a_peer():
    with pytest.raises(ValidationError, match="cannot rate themselves as peer"):
        nominate("q1", "ann", "ann", RaterType.PEER, "ann", POLICY)


def test_only_the_reviewees_manager_approves_and_only_the_rater_submits():
    peer = noms("bob")[2]
    with pytest.raises(ValidationError, match="only ann's manager"):
        approve(peer, "bob", NOW, "mia")
    peer, audit = approve(peer, "mia", NOW, "mia")
    assert audit.to_state == "approved"
    with pytest.raises(ValidationError, match="only the rater bob"):
        submit(peer, "mia", NOW)
    assert submit(peer, "bob", NOW)[0].status is NominationStatus.SUBMITTED


def test_unapproved_nomination_cannot_be_submitted():
    with pytest.raises(TransitionError, match="'nominated'.*'submit'"):
        submit(noms("bob")[2], "bob", NOW)


def test_rejection_needs_a_reason():
    with pytest.raises(ValidationError, match="reason"):
        reject(noms("bob")[2], "mia", NOW, "mia", "")


def test_peer_limits_are_reported_with_how_many_to_add_or_remove():
    assert "add 1" in check_nominations("ann", noms("bob"), POLICY, manager_of=MANAGERS)[0]
    assert "remove 1" in check_nominations("ann", noms("bob", "cat", "dan", "eve"), POLICY, manager_of=MANAGERS)[0]
    assert check_nominations("ann", noms("bob", "cat"), POLICY, manager_of=MANAGERS) == ()


def test_missing_manager_rater_blocks():
    ns = [n for n in noms("bob", "cat") if n.rater_type is not RaterType.MANAGER]
    with pytest.raises(ValidationError, match="mandatory"):
        require_valid_nominations("ann", ns, POLICY, manager_of=MANAGERS)


def test_conflicts_are_reported():
    ns = noms("bob", "mia") + [nominate("q1", "ann", "bob", RaterType.SUBORDINATE, "ann", POLICY)]
    problems = " | ".join(check_nominations("ann", ns, POLICY, manager_of=MANAGERS))
    assert "bob is nominated more than once" in problems
    assert "mia is ann's manager and cannot also rate as a peer" in problems
    assert "bob does not report to ann" in problems


def test_cross_department_rater_must_come_from_another_department():
    ns = noms("bob", "cat") + [nominate("q1", "ann", "dan", RaterType.CROSS_DEPARTMENT, "ann", POLICY)]
    depts = {"ann": frozenset({"sales"}), "dan": frozenset({"sales", "ops"})}
    assert "shares a department" in check_nominations("ann", ns, POLICY, manager_of=MANAGERS, departments_of=depts)[0]


def test_anonymous_groups_below_quorum_are_never_visible():
    shown = visible_rater_groups({RaterType.MANAGER: 1, RaterType.PEER: 2, RaterType.SUBORDINATE: 3}, POLICY)
    assert shown == {RaterType.MANAGER: True, RaterType.PEER: False, RaterType.SUBORDINATE: True}


def test_policy_feeds_the_rater_aggregation_config():
    from dingperf.perf.raters import RaterConfig

    config = RaterConfig.build(**POLICY.rater_config_kwargs())
    assert config.policy == "renormalise"
    assert config.group("peer").anonymous and config.group("peer").quorum == 3
    assert config.group("manager").mandatory
