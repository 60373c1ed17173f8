"""Anonymous rater groups in stored results and explanations: never a rater's id or own scores; below the
quorum, not even the group's mean."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from dingperf.perf.explanation import render_text, to_dict
from dingperf.perf.reviews import RaterType
from dingperf.services.nominations import approve_nomination, nominate_rater
from dingperf.services.score_inputs import InputValue, RatingEntry, record_inputs, record_ratings
from dingperf.services.scoring_service import explain, score_cycle
from dingperf.store.engine import Store
from dingperf.store.tables.perf_results import PerfResult
from tests.integration.nomination_kit import CORP, CYCLE, NOW, org_and_cycles

# Distinctive scores: a leak of one peer's own ratings would show "customer_first 1" or "integrity 2".
PEER_SCORES = {"bob": (1, 2), "cat": (5, 5), "dan": (3, 5)}


def _peers(store: Store, reviewee: str, manager: str, peers: tuple[str, ...]) -> list[RatingEntry]:
    for rater in peers:
        nominate_rater(store, CORP, CYCLE, reviewee, rater, RaterType.PEER, actor=reviewee, now=NOW)
        approve_nomination(store, CORP, CYCLE, reviewee, rater, actor=manager, now=NOW)
    return [RatingEntry(reviewee, r, "peer", "values", dict(zip(("customer_first", "integrity"), PEER_SCORES[r],
                                                                 strict=True))) for r in peers]


@pytest.fixture
def scored(store: Store) -> Store:
    """ann has three approved peers (the quorum) and pm two (below it); both have manager and self reviews."""
    org_and_cycles(store)
    entries = _peers(store, "ann", "mia", ("bob", "cat", "dan")) + _peers(store, "pm", "lead", ("bob", "cat"))
    for reviewee, manager in (("ann", "mia"), ("pm", "lead")):
        entries += [RatingEntry(reviewee, reviewee, "self", "values", {"customer_first": 4, "integrity": 4}),
                    RatingEntry(reviewee, manager, "manager", "values", {"customer_first": 4, "integrity": 4})]
    record_ratings(store, CORP, CYCLE, entries, now=NOW)
    record_inputs(store, CORP, CYCLE, [InputValue(u, code, value) for u in ("ann", "bob", "pm", "nobody")
                                       for code, value in (("revenue", 1000), ("return_rate", "2.0"))], now=NOW)
    score_cycle(store, CORP, CYCLE, with_explanations=True, now=NOW)
    return store


def _shown(store: Store, userid: str) -> str:
    """Everything a reader can see about one result: the rendered and serialised explanation and the stored row."""
    e = explain(store, CORP, CYCLE, userid)
    with store.session() as s:
        row = s.exec(select(PerfResult).where(PerfResult.corp_id == CORP, PerfResult.cycle_id == CYCLE,
                                              PerfResult.userid == userid)).one()
        stored = row.model_dump(mode="json")
    return "\n".join((render_text(e), json.dumps(to_dict(e), default=str), json.dumps(stored, default=str)))


def _peer_step(store: Store, userid: str) -> dict[str, object]:
    steps = json.dumps(to_dict(explain(store, CORP, CYCLE, userid)), default=str)
    return next(s for s in _walk(json.loads(steps)) if str(s.get("key", "")).endswith(":peer"))


def _walk(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


@pytest.mark.parametrize("userid", ["ann", "pm"])
def test_no_anonymous_rater_is_named_in_a_result_or_its_explanation(scored: Store, userid: str) -> None:
    shown = _shown(scored, userid)
    assert "mia" in shown or "lead" in shown  # the manager is named: the check can see rater ids at all
    for peer in PEER_SCORES:
        assert peer not in shown


def test_an_anonymous_group_at_quorum_shows_only_its_count_and_mean(scored: Store) -> None:
    step = _peer_step(scored, "ann")
    assert step["inputs"] == [["raters", "3 (anonymous, quorum 3; individual scores not shown)"]]
    shown = _shown(scored, "ann")
    assert "customer_first 1" not in shown and "integrity 2 " not in shown


def test_an_anonymous_group_below_quorum_shows_neither_scores_nor_mean(scored: Store) -> None:
    step = _peer_step(scored, "pm")
    assert step["inputs"] == [] and step["value"] is None
    assert any("not shown (anonymous)" in n for n in step["notes"])  # type: ignore[union-attr]
