"""The failed-push list: hidden until its delay passes, ≤ 200 per fetch with has_more, fetched once."""

from __future__ import annotations

from dingperf.sandbox.clock import Clock
from dingperf.sandbox.push_failed import FailedPushes


def _filled(n: int, delay_s: float = 240.0) -> tuple[Clock, FailedPushes]:
    clock = Clock()
    failed = FailedPushes(clock)
    for i in range(n):
        failed.append({"call_back_tag": "user_add_org", "n": i}, delay_s)
    return clock, failed


def test_items_stay_hidden_until_the_delay_passes():
    clock, failed = _filled(1)
    assert failed.drain() == ([], False)
    clock.advance(240)
    assert failed.drain() == ([{"call_back_tag": "user_add_org", "n": 0}], False)


def test_a_fetch_returns_at_most_200_and_says_there_is_more():
    clock, failed = _filled(205)
    clock.advance(240)
    first, more = failed.drain()
    assert (len(first), more) == (200, True)
    rest, more = failed.drain()
    assert ([i["n"] for i in rest], more) == ([200, 201, 202, 203, 204], False)


def test_fetched_items_are_gone():
    clock, failed = _filled(3)
    clock.advance(300)
    failed.drain()
    assert failed.drain() == ([], False)
