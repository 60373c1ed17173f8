"""An anonymous rater group of one is not anonymous: its mean would be one known person's score."""

from __future__ import annotations

import pytest

from dingperf.perf.errors import ValidationError
from dingperf.perf.raters import RaterConfig
from dingperf.perf.reviews import RaterType, review_policy


def test_an_anonymous_group_without_a_quorum_of_two_is_refused() -> None:
    with pytest.raises(ValidationError, match="anonymous rater group 'peer' needs a quorum of at least 2"):
        RaterConfig.build({"manager": 80, "peer": 20}, anonymous=("peer",))


def test_an_anonymous_group_of_two_or_more_is_accepted() -> None:
    config = RaterConfig.build({"manager": 80, "peer": 20}, anonymous=("peer",), quorum={"peer": 2})
    assert config.group("peer").quorum == 2


def test_a_review_policy_with_anonymous_groups_needs_a_quorum_of_two() -> None:
    with pytest.raises(ValidationError, match="anonymity quorum must be at least 2"):
        review_policy({RaterType.MANAGER: 80, RaterType.PEER: 20}, anonymity_quorum=1)
    assert review_policy({RaterType.MANAGER: 100}, anonymity_quorum=1, anonymous_types=frozenset()).anonymity_quorum == 1
