"""Rater aggregation with the exact worked numbers of PRODUCT.md §2.4 and frappe #2023."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dingperf.perf.errors import ValidationError
from dingperf.perf.numbers import round_to
from dingperf.perf.raters import RaterConfig, aggregate

WEIGHTS = {"self": 10, "manager": 70, "peer": 20}
ALL = {"self": [D(90)], "manager": [D(80)], "peer": [D(78), D(82), D(86)]}
NO_PEERS = {"self": [D(90)], "manager": [D(80)]}


def test_all_present_gives_81_4() -> None:
    assert aggregate(RaterConfig.build(WEIGHTS), ALL).value == D("81.4")


def test_peers_missing_renormalised_gives_81_25() -> None:
    result = aggregate(RaterConfig.build(WEIGHTS, policy="renormalise"), NO_PEERS)
    assert result.value == D("81.25")
    assert result.policy_applied == "renormalise"


def test_peers_missing_zero_filled_gives_65() -> None:
    assert aggregate(RaterConfig.build(WEIGHTS, policy="zero"), NO_PEERS).value == D("65.0")


def test_peers_missing_scenario_weights_give_82() -> None:
    config = RaterConfig.build(WEIGHTS, scenarios={"no_invitation": {"self": 20, "manager": 80}})
    result = aggregate(config, NO_PEERS)
    assert result.value == D("82.0")
    assert result.policy_applied == "scenario:no_invitation"


def test_manager_missing_is_blocked_awaiting_manager() -> None:
    result = aggregate(RaterConfig.build(WEIGHTS), {"self": [D(90)], "peer": [D(80)] * 3})
    assert result.is_blocked
    assert result.blocked_reason == "awaiting manager"


def test_block_policy_blocks_on_any_missing_group() -> None:
    result = aggregate(RaterConfig.build(WEIGHTS, policy="block"), NO_PEERS)
    assert result.blocked_reason == "awaiting peer"


def test_frappe_2023_zero_fill_gives_3_33_renormalise_gives_5() -> None:
    thirds = {"manager": D("33.33"), "peer": D("33.33"), "self": D("33.34")}
    scores = {"manager": [D(5)], "peer": [D(5)]}
    zero = aggregate(RaterConfig.build(thirds, policy="zero"), scores).value
    renorm = aggregate(RaterConfig.build(thirds, policy="renormalise"), scores).value
    assert zero is not None and round_to(zero, 2) == D("3.33")
    assert renorm == D(5)


def test_group_below_quorum_is_missing_and_its_mean_hidden() -> None:
    config = RaterConfig.build(WEIGHTS, anonymous=("peer",), quorum={"peer": 3})
    result = aggregate(config, {"self": [D(90)], "manager": [D(80)], "peer": [D(10), D(20)]})
    peer = next(g for g in result.groups if g.code == "peer")
    assert result.value == D("81.25")
    assert (peer.status, peer.mean, peer.contribution) == ("below_quorum", None, D(0))
    assert "10" not in repr(result) and "20)" not in repr(result.groups)


def test_group_mean_comes_before_group_weight() -> None:
    result = aggregate(RaterConfig.build(WEIGHTS), ALL)
    peer = next(g for g in result.groups if g.code == "peer")
    assert (peer.mean, peer.contribution) == (D(82), D("16.4"))


def test_effective_weights_are_recorded_after_renormalisation() -> None:
    result = aggregate(RaterConfig.build(WEIGHTS), NO_PEERS)
    assert {g.code: g.effective_weight for g in result.groups} == {
        "self": D("0.125"), "manager": D("0.875"), "peer": D(0)}


def test_weights_not_totalling_100_name_the_total_and_the_fix() -> None:
    with pytest.raises(ValidationError, match="weights total 95, not 100; adjust 'manager' by 5"):
        RaterConfig.build({"self": 10, "manager": 65, "peer": 20})


def test_unknown_group_is_rejected() -> None:
    with pytest.raises(ValidationError, match="unknown rater group 'boss'"):
        RaterConfig.build({"boss": 100})


def test_scores_for_undeclared_group_are_rejected() -> None:
    with pytest.raises(ValidationError, match="does not declare"):
        aggregate(RaterConfig.build({"manager": 100}), {"peer": [D(1)]})


def test_config_round_trips_through_dict() -> None:
    config = RaterConfig.build(WEIGHTS, anonymous=("peer",), quorum={"peer": 3},
                               scenarios={"no_peer": {"self": 20, "manager": 80}})
    assert RaterConfig.from_dict(config.to_dict()) == config


score = st.decimals(min_value=0, max_value=120, places=2)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=4000), st.integers(min_value=1, max_value=5000),
       st.lists(score, min_size=1, max_size=3), score, st.lists(score, min_size=3, max_size=5))
def test_policy_never_matters_when_all_raters_are_present(self_w: int, mgr_w: int, selfs: list[D], mgr: D,
                                                         peers: list[D]) -> None:
    weights = {"self": D(self_w) / 100, "manager": D(mgr_w) / 100}
    weights["peer"] = D(100) - weights["self"] - weights["manager"]
    scores = {"self": selfs, "manager": [mgr], "peer": peers}
    values = {aggregate(RaterConfig.build(weights, policy=p, quorum={"peer": 3}), scores).value
              for p in ("renormalise", "zero", "block")}
    assert len(values) == 1


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=1000, places=3), min_size=1, max_size=8))
def test_effective_weights_always_sum_to_exactly_one_in_any_order(raw: list[D]) -> None:
    if sum(raw) == 0:
        return
    from dingperf.perf.numbers import normalise
    fractions = normalise(raw)
    assert sum(fractions) == D(1)
    assert sum(reversed(fractions)) == D(1)
    assert sum(sorted(fractions)) == D(1)
