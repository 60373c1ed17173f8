"""Redacting an explanation tree: open raters' scores, anonymous groups below quorum, HR's full view."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dingperf.perf.explanation import Step, step_to_dict
from dingperf.perf.result_redaction import HIDDEN_GROUP_NOTE, redact_breakdown
from dingperf.perf.visibility import EVERYTHING, MATRIX, Facet, Role, Stage, facets_for

D = Decimal
FOUR = D(4)
MANAGER_VIEW = facets_for({Role.MANAGER}, Stage.REVIEW)
RELEASED_SELF = facets_for({Role.SELF}, Stage.RELEASED)
NO_RATER_SCORES = MANAGER_VIEW - {Facet.RATER_SCORES}


def _tree(peer_inputs: tuple[tuple[str, str], ...] = (("raters", "3 (anonymous, quorum 3)"),),
          peer_value: Decimal | None = FOUR) -> dict[str, Any]:
    manager = Step("rater:values:manager", "上级 manager", D(4), "mean 4 × 70%", (("mia", "integrity 4 → 0.8"),),
                   contribution=D(21))
    peer = Step("rater:values:peer", "同事 peer", peer_value, "mean 4 × 30%" if peer_value else "", peer_inputs,
                notes=() if peer_value else ("fewer raters than the quorum of 3; treated as missing",),
                contribution=D(9) if peer_value else D(0))
    notes = () if peer_value else ("peer: 2 of 3 required raters; treated as missing and not shown (anonymous)",)
    section = Step("section:values", "价值观", D(30), "Σ rater groups", notes=notes, children=(manager, peer))
    item = Step("item:revenue", "Revenue", D(60), "1300/1000", (("actual", "1300"),), contribution=D(60))
    return {"employee_id": "ann", "root": step_to_dict(Step("total", "总分", D(90), children=(item, section)))}


def _step(tree: dict[str, Any], key: str) -> dict[str, Any]:
    todo = [tree["root"]]
    while todo:
        step = todo.pop()
        if step["key"] == key:
            return step
        todo.extend(step["children"])
    raise KeyError(key)


def test_a_manager_sees_who_rated_in_open_groups_with_their_scores() -> None:
    out = redact_breakdown(_tree(), MANAGER_VIEW, anonymous_groups={"peer"})
    assert _step(out, "rater:values:manager")["inputs"] == [["mia", "integrity 4 → 0.8"]]


def test_without_rater_scores_open_groups_keep_their_mean_but_not_their_raters() -> None:
    step = _step(redact_breakdown(_tree(), NO_RATER_SCORES, anonymous_groups={"peer"}), "rater:values:manager")
    assert (step["inputs"], step["value"]) == ([], "4")


def test_an_anonymous_group_at_quorum_shows_its_mean_and_count_only() -> None:
    tree = _tree(peer_inputs=(("raters", "3 (anonymous)"), ("bob", "integrity 1")))
    step = _step(redact_breakdown(tree, RELEASED_SELF, anonymous_groups={"peer"}), "rater:values:peer")
    assert (step["value"], step["inputs"]) == ("4", [["raters", "3 (anonymous)"]])


def test_an_anonymous_group_below_quorum_shows_no_number_at_all() -> None:
    out = redact_breakdown(_tree(peer_inputs=(), peer_value=None), RELEASED_SELF, anonymous_groups={"peer"})
    step = _step(out, "rater:values:peer")
    assert (step["value"], step["contribution"], step["notes"]) == (None, None, [HIDDEN_GROUP_NOTE])
    assert _step(out, "section:values")["notes"] == [f"peer: {HIDDEN_GROUP_NOTE}"]


def test_hr_gets_the_tree_unchanged() -> None:
    tree = _tree(peer_inputs=(), peer_value=None)
    assert redact_breakdown(tree, EVERYTHING, anonymous_groups={"peer"}) == tree


def test_redacting_without_the_breakdown_facet_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="breakdown facet"):
        redact_breakdown(_tree(), {Facet.TOTAL}, anonymous_groups=())


NON_HR_CELLS = sorted({c for r, row in MATRIX.items() if r is not Role.HR for c in row if Facet.BREAKDOWN in c},
                      key=sorted)


@given(st.lists(st.sampled_from(["bob", "cat", "dan"]), min_size=1, max_size=3), st.sampled_from(NON_HR_CELLS))
def test_no_anonymous_rater_id_survives_a_non_hr_redaction(ids: list[str], facets: frozenset[Facet]) -> None:
    tree = _tree(peer_inputs=tuple((i, "integrity 1") for i in ids))
    out = json.dumps(redact_breakdown(tree, facets, anonymous_groups={"peer"}))
    assert not any(f'"{i}"' in out for i in ids)
