"""Feedback rules: length bound, retraction by the giver within the grace period, who may read it, the cycle window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dingperf.perf.checkins import (
    FEEDBACK_MAX_CHARS,
    RETRACT_GRACE,
    Feedback,
    FeedbackVisibility,
    give_feedback,
    given_between,
    is_feedback_visible,
    require_feedback_length,
    require_retractable,
)
from dingperf.perf.errors import ValidationError

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CHAIN = ("mgr", "director")


def _fb(visibility: FeedbackVisibility = FeedbackVisibility.RECEIVER, at: datetime = AT) -> Feedback:
    return give_feedback("peer", "rep", at, "清楚地讲完了方案 clear demo", visibility=visibility)


def test_feedback_at_the_length_limit_is_accepted() -> None:
    fb = give_feedback("peer", "rep", AT, "好" * FEEDBACK_MAX_CHARS)
    assert require_feedback_length(fb) is fb


def test_feedback_over_the_length_limit_is_refused_with_the_limit() -> None:
    fb = give_feedback("peer", "rep", AT, "好" * (FEEDBACK_MAX_CHARS + 1))
    with pytest.raises(ValidationError, match=f"keep it to {FEEDBACK_MAX_CHARS}"):
        require_feedback_length(fb)


def test_the_giver_may_retract_within_the_grace_period() -> None:
    require_retractable(_fb(), "peer", AT + RETRACT_GRACE)


def test_retraction_after_the_grace_period_is_refused() -> None:
    with pytest.raises(ValidationError, match="within 24 hours"):
        require_retractable(_fb(), "peer", AT + RETRACT_GRACE + timedelta(seconds=1))


def test_only_the_giver_may_retract() -> None:
    with pytest.raises(ValidationError, match="only the giver"):
        require_retractable(_fb(), "rep", AT)


@pytest.mark.parametrize(("visibility", "viewer", "visible"), [
    (FeedbackVisibility.RECEIVER, "rep", True),
    (FeedbackVisibility.RECEIVER, "peer", True),
    (FeedbackVisibility.RECEIVER, "mgr", True),
    (FeedbackVisibility.RECEIVER, "director", True),
    (FeedbackVisibility.RECEIVER, "stranger", False),
    (FeedbackVisibility.MANAGER_ONLY, "rep", False),
    (FeedbackVisibility.MANAGER_ONLY, "mgr", True),
    (FeedbackVisibility.MANAGER_ONLY, "peer", True),
    (FeedbackVisibility.MANAGER_ONLY, "stranger", False),
    (FeedbackVisibility.PUBLIC, "stranger", True),
])
def test_visibility_per_viewer(visibility: FeedbackVisibility, viewer: str, visible: bool) -> None:
    assert is_feedback_visible(_fb(visibility), viewer, manager_chain=CHAIN) is visible


def test_hr_sees_manager_only_feedback() -> None:
    assert is_feedback_visible(_fb(FeedbackVisibility.MANAGER_ONLY), "hr", manager_chain=CHAIN, is_hr=True)


def test_the_cycle_window_uses_the_local_date() -> None:
    # 16:30 UTC on 31 Oct is 00:30 on 1 Nov in Shanghai: inside a November cycle there, outside it in UTC.
    fb = _fb(at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    assert given_between(fb, date(2026, 11, 1), date(2026, 11, 30), ZoneInfo("Asia/Shanghai"))
    assert not given_between(fb, date(2026, 11, 1), date(2026, 11, 30), UTC)
